"""``--format gitlab``: a GitLab Code Quality report (JSON array of issues).

One issue per unsuppressed finding (an exception is an accepted risk, not an open issue):
``check_name`` the rule, ``severity`` ``major`` for errors and ``minor`` for warnings,
``location.path`` relative to the repository root (to the register outside git) and
``location.lines`` ``begin`` and ``end`` the line. The ``fingerprint`` hashes rule, path, subject
and the message's gist but not the line (see ``formats.common.located``), so GitLab keeps
recognising an issue when lines above it move. ``description`` is one line of plain text
(:func:`iotpolicy.grammar.escaping.one_line`): GitLab shows it as text, so markup stays literal.
"""

from __future__ import annotations

import json
from typing import Any

from iotpolicy.findings import CheckResult
from iotpolicy.formats.common import located
from iotpolicy.grammar.escaping import one_line, visible

SEVERITY = {"error": "major", "warning": "minor"}
"""Finding severity -> Code Quality severity."""


def render_gitlab(result: CheckResult) -> str:
    """The Code Quality issues as an indented JSON array with a final newline."""
    issues: list[dict[str, Any]] = []
    for f in located(result):
        record = f.record
        if record["suppressed_by"] is not None:
            continue
        issues.append(
            {
                "type": "issue",
                "check_name": record["rule"],
                "description": one_line(
                    f"{record['rule']} {record['subject']}: {record['message']}"
                ),
                "categories": ["Security"],
                "severity": SEVERITY[record["severity"]],
                "fingerprint": f.fingerprint,
                "location": {
                    "path": visible(f.path),
                    "lines": {"begin": record["line"], "end": record["line"]},
                },
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"

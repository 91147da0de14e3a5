"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run; ``tool.driver.rules`` describes every evaluated rule (``properties.tags`` are its control
mappings, ``helpUri`` its section of docs/rules.md); one result per finding. File locations are
relative to the repository root (percent-encoded where needed) with ``uriBaseId`` ``%SRCROOT%``, as
CodeQL writes them; outside a git repository they are relative to the register folder with
``uriBaseId`` ``REGISTERROOT``, described in ``run.originalUriBaseIds``. A suppressed finding
carries an external, accepted suppression whose justification names the exception.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from iotpolicy import __version__
from iotpolicy.findings import CheckResult
from iotpolicy.formats.common import located
from iotpolicy.project import PROJECT_URL, rule_help_uri
from iotpolicy.rules import RULES, Rule

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
"""The ``$schema`` GitHub's documentation uses for SARIF 2.1.0."""
REPOSITORY_BASE = "%SRCROOT%"
"""``uriBaseId`` of paths relative to the repository root."""
REGISTER_BASE = "REGISTERROOT"
"""``uriBaseId`` of paths relative to the register folder (a register outside git)."""
FINGERPRINT = "iotpolicy/v1"
"""Key of the stable fingerprint in ``partialFingerprints`` (see ``formats.common.located``)."""


def render_sarif(result: CheckResult) -> str:
    """The result as one SARIF 2.1.0 log, indented, with a final newline."""
    return json.dumps(sarif_log(result), indent=2, ensure_ascii=False) + "\n"


def sarif_log(result: CheckResult) -> dict[str, Any]:
    """The SARIF log as a dict."""
    findings = located(result)
    rule_ids = sorted({*result.rules, *(f.record["rule"] for f in findings)})
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    base = REPOSITORY_BASE if result.repository_path is not None else REGISTER_BASE
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "iotpolicy",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": PROJECT_URL,
                "rules": [_rule(RULES[rule_id]) for rule_id in rule_ids],
            }
        },
    }
    if result.repository_path is None:
        run["originalUriBaseIds"] = {
            REGISTER_BASE: {
                "description": {"text": "The register folder (the one holding policy.yaml)."}
            }
        }
    run["results"] = [
        _result(f.record, f.path, f.fingerprint, base, index[f.record["rule"]]) for f in findings
    ]
    run["properties"] = {"register": result.register, "asOf": result.as_of.isoformat()}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _rule(rule: Rule) -> dict[str, Any]:
    controls = ", ".join(rule.controls)
    heading = f"**{rule.title}** ({rule.severity_label}; source: P35S {rule.source})"
    return {
        "id": rule.id,
        "name": pascal_case(rule.title),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.doc or rule.title},
        "help": {
            "text": f"{rule.doc}\n\nControls: {controls}",
            "markdown": f"{heading}\n\nControls: {controls}\n\n{rule.doc}",
        },
        "helpUri": rule_help_uri(rule.id),
        "defaultConfiguration": {"level": rule.severity.value},
        "properties": {"tags": list(rule.controls), "source": f"P35S {rule.source}"},
    }


def _result(
    record: dict[str, Any], path: str, fingerprint: str, base: str, rule_index: int
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ruleId": record["rule"],
        "ruleIndex": rule_index,
        "level": record["severity"],
        "message": {"text": f"{record['subject']}: {record['message']}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(path), "uriBaseId": base},
                    "region": {"startLine": record["line"]},
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT: fingerprint},
        "properties": {"subject": record["subject"], "tags": record["controls"]},
    }
    if record["suppressed_by"] is not None:
        entry["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"exception {record['suppressed_by']}",
            }
        ]
    return entry


def pascal_case(title: str) -> str:
    """``Vendors are assessed by the General Manager`` -> ``VendorsAreAssessedByTheGeneralManager``
    (SARIF's rule ``name``)."""
    return "".join(word[0].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", title))

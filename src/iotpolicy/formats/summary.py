"""The Markdown job summary ``check`` appends to ``$GITHUB_STEP_SUMMARY`` under GitHub Actions.

The counts, a table of the open findings with ``file:line`` links to the checked commit, and a
table of the suppressed ones with their exceptions. GitHub refuses a step summary over 1 MiB, so
rows stop before :data:`MAX_BYTES` and the summary says how many were left out. Every register
value is escaped as the reports escape it (``reports.markdown.md``).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from iotpolicy.findings import CheckResult
from iotpolicy.formats.common import Located, located
from iotpolicy.reports.markdown import md
from iotpolicy.wording import plural

MAX_BYTES = 1_000_000
"""Largest summary written (UTF-8 bytes, with what the step wrote before): under GitHub's 1 MiB."""

_OPEN = ("| Severity | Rule | Subject | Where | Message |", "|---|---|---|---|---|")
_SUPPRESSED = ("| Rule | Subject | Where | Exception | Message |", "|---|---|---|---|---|")


def blob_url(server: str, repository: str, sha: str) -> str:
    """``https://github.com/OWNER/REPO/blob/SHA/``: where the checked files are shown."""
    return f"{server.rstrip('/')}/{quote(repository)}/blob/{quote(sha)}/"


def render_summary(result: CheckResult, files_url: str | None, used: int = 0) -> str:
    """The job summary of ``result``. ``files_url`` (see :func:`blob_url`) links each finding to
    its line, when the paths are relative to the repository root; ``used`` is what the step's
    summary file holds already (bytes)."""
    s = result.summary
    verdict = "Not compliant" if s.errors else "No open errors"
    register = result.repository_path if result.repository_path is not None else result.register
    head = [
        f"## iotpolicy check of {md(register or '.')}",
        "",
        f"**{verdict}:** {plural(s.errors, 'error')}, {plural(s.warnings, 'warning')}, "
        f"{s.suppressed} suppressed; {plural(s.devices, 'device file')} checked as of "
        f"{result.as_of.isoformat()}.",
        "",
    ]
    findings = located(result)
    open_ = [f for f in findings if f.record["suppressed_by"] is None]
    suppressed = [f for f in findings if f.record["suppressed_by"] is not None]
    link = files_url if result.repository_path is not None else None
    sections = [
        (f"### Open findings ({len(open_)})", _OPEN, [_open_row(f, link) for f in open_]),
        (
            f"### Suppressed by exceptions ({len(suppressed)})",
            _SUPPRESSED,
            [_suppressed_row(f, link) for f in suppressed],
        ),
    ]
    budget = MAX_BYTES - used - 400  # room for the closing line
    lines, size, left_out = head, _size(head), 0
    for title, header, rows in sections:
        lines += [title, ""]
        size += _size([title, ""])
        if not rows:
            lines += ["None.", ""]
            continue
        lines += header
        size += _size(header)
        for row in rows:
            if left_out or size + _size([row]) > budget:
                left_out += 1
                continue
            lines.append(row)
            size += _size([row])
        lines.append("")
    if left_out:
        lines += [
            f"{plural(left_out, 'row')} left out to keep this summary under GitHub's 1 MiB "
            "limit: the SARIF report (code scanning) and `iotpolicy check` list every finding.",
            "",
        ]
    return "\n".join(lines)


def _size(lines: Sequence[str]) -> int:
    return sum(len(line.encode("utf-8", "surrogatepass")) + 1 for line in lines)


def _where(f: Located, files_url: str | None) -> str:
    """``path:line``, linked to the line on GitHub when ``files_url`` is known."""
    line = f.record["line"]
    text = md(f"{f.path}:{line}")
    if files_url is None:
        return text
    return f"[{text}]({files_url}{quote(f.path, errors='surrogateescape')}#L{line})"


def _open_row(f: Located, files_url: str | None) -> str:
    r = f.record
    cells = [md(r["severity"]), md(r["rule"]), md(r["subject"]), _where(f, files_url)]
    return "| " + " | ".join([*cells, md(r["message"])]) + " |"


def _suppressed_row(f: Located, files_url: str | None) -> str:
    r = f.record
    cells = [md(r["rule"]), md(r["subject"]), _where(f, files_url), md(r["suppressed_by"])]
    return "| " + " | ".join([*cells, md(r["message"])]) + " |"

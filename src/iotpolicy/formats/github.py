"""``--format github``: GitHub Actions workflow commands that annotate the changed files.

One line per finding, ``::error file=PATH,line=N,title=RULE::SUBJECT: MESSAGE`` (``::warning`` for
warnings, ``::notice`` with the exception named in the title for suppressed findings). Paths are
relative to the repository root (to the register outside git). Values are escaped as the Actions
toolkit escapes them: ``%``, CR and LF everywhere, and ``:`` and ``,`` in properties too.
"""

from __future__ import annotations

from iotpolicy.findings import CheckResult
from iotpolicy.formats.common import located


def render_github(result: CheckResult) -> str:
    """One workflow command per finding, in output order."""
    lines = []
    for f in located(result):
        record = f.record
        command, title = record["severity"], record["rule"]
        if record["suppressed_by"] is not None:
            command, title = "notice", f"{title} (suppressed by {record['suppressed_by']})"
        properties = f"file={escape_property(f.path)},line={record['line']}"
        properties += f",title={escape_property(title)}"
        message = escape_data(f"{record['subject']}: {record['message']}")
        lines.append(f"::{command} {properties}::{message}\n")
    return "".join(lines)


def escape_data(text: str) -> str:
    """A command's message: ``%``, CR and LF percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value: as :func:`escape_data`, and ``:`` and ``,`` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")

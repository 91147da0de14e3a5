"""``--format github``: GitHub Actions workflow commands that annotate the changed files.

One line per finding, ``::error file=PATH,line=N,title=RULE::SUBJECT: MESSAGE``
(``::warning`` for warnings, ``::notice`` with the exception named in the title for suppressed
findings). Paths are relative to the repository root (to the register outside git). Values pass
through :func:`~iotpolicy.grammar.escaping.visible`, then are escaped as the Actions toolkit
escapes them: ``%``, CR and LF everywhere, and ``:`` and ``,`` in properties too.

GitHub keeps :data:`SHOWN` annotations of each kind per step and drops the rest silently; when
it will drop some, one ``::notice`` before the others says how many and where every finding is
(the job summary, see ``formats.summary``, and code scanning).
"""

from __future__ import annotations

from iotpolicy.findings import CheckResult
from iotpolicy.formats.common import located
from iotpolicy.grammar.escaping import visible
from iotpolicy.wording import plural

SHOWN = 10
"""Annotations of each kind (error, warning, notice) GitHub shows for one step."""


def render_github(result: CheckResult) -> str:
    """One workflow command per finding, in output order, after the notice of
    :func:`hidden_notice` when GitHub will hide some."""
    lines = [notice] if (notice := hidden_notice(result)) else []
    for f in located(result):
        record = f.record
        command, title = record["severity"], record["rule"]
        if record["suppressed_by"] is not None:
            command, title = "notice", f"{title} (suppressed by {record['suppressed_by']})"
        properties = f"file={escape_property(visible(f.path))},line={record['line']}"
        properties += f",title={escape_property(visible(title))}"
        message = escape_data(visible(f"{record['subject']}: {record['message']}"))
        lines.append(f"::{command} {properties}::{message}\n")
    return "".join(lines)


def hidden_notice(result: CheckResult) -> str | None:
    """The ``::notice`` saying how many annotations GitHub will not show (it counts against the
    notices itself), or None when it shows them all."""
    summary = result.summary
    counts = [
        ("error", summary.errors, SHOWN),
        ("warning", summary.warnings, SHOWN),
        ("suppressed finding", summary.suppressed, SHOWN - 1),
    ]
    hidden = [(kind, count, count - room) for kind, count, room in counts if count > room]
    if not hidden:
        return None
    total = sum(n for *_, n in hidden)
    detail = ", ".join(f"{n} of {plural(count, kind)}" for kind, count, n in hidden)
    message = (
        f"GitHub shows {SHOWN} annotations of each kind per step and hides the other {total} "
        f"({detail}). Every finding is in the job summary of this run, in code scanning (the "
        "SARIF upload) and in the log above."
    )
    return f"::notice title={escape_property('iotpolicy: annotations hidden')}::{message}\n"


def escape_data(text: str) -> str:
    """A command's message: ``%``, CR and LF percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value: as :func:`escape_data`, and ``:`` and ``,`` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")

"""``--format text``: a rich table per file, then a summary line. Register text passes through
:func:`iotpolicy.grammar.escaping.terminal` (one line each), so no control character reaches the
terminal, and the table through :func:`~iotpolicy.grammar.escaping.no_commands`, so however it
wraps, no line of it is a CI workflow command."""

from __future__ import annotations

import io
import re
from itertools import groupby

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from iotpolicy.findings import CheckResult, Severity
from iotpolicy.grammar.escaping import no_commands, terminal
from iotpolicy.wording import plural

WIDTH = 120
"""Width of text output that does not go to a terminal (fixed so the bytes are reproducible)."""
_TRAILING = re.compile(r"[ \t]+((?:\x1b\[[0-9;]*m)*)$", re.MULTILINE)
"""Spaces at the end of a line (before the colour codes that may close it)."""


def console_text(renderables: list[RenderableType], width: int, colour: bool = False) -> str:
    """``renderables`` printed ``width`` columns wide (in colour for a terminal), without the
    spaces rich pads table rows with at the end of a line."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=colour,
        no_color=not colour,
        color_system="standard" if colour else None,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    for renderable in renderables:
        console.print(renderable)
    return no_commands(_TRAILING.sub(r"\1", buffer.getvalue()))


def render_text(result: CheckResult, colour: bool = False, width: int | None = None) -> str:
    """Findings grouped by file, each group a table, then the summary line."""
    shown: list[RenderableType] = []
    for file, group in groupby(result.findings, key=lambda f: f.file):
        shown.append(Text(terminal(file, one_line=True), style="bold underline"))
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, expand=False)
        table.add_column("line", justify="right", no_wrap=True)
        table.add_column("severity", no_wrap=True)
        table.add_column("rule", no_wrap=True)
        table.add_column("subject", overflow="fold")
        table.add_column("message", overflow="fold", ratio=1)
        for finding in group:
            if finding.suppressed_by:
                by = terminal(finding.suppressed_by, one_line=True)
                severity = Text(f"{finding.severity.value} (suppressed by {by})", style="dim")
            else:
                style = "bold red" if finding.severity is Severity.ERROR else "yellow"
                severity = Text(finding.severity.value, style=style)
            table.add_row(
                str(finding.line),
                severity,
                finding.rule,
                Text(terminal(finding.subject, one_line=True)),
                Text(terminal(finding.message, one_line=True)),
            )
        shown.append(table)
    shown.append(Text(summary_line(result), style="bold"))
    return console_text(shown, width or WIDTH, colour)


def summary_line(result: CheckResult) -> str:
    """``2 errors, 1 warning, 1 suppressed; 42 devices checked as of 2026-11-25``."""
    s = result.summary
    return (
        f"{plural(s.errors, 'error')}, {plural(s.warnings, 'warning')}, "
        f"{s.suppressed} suppressed; {plural(s.devices, 'device')} checked as of "
        f"{result.as_of.isoformat()}"
    )

"""``iotpolicy trend``."""

from __future__ import annotations

import sys
from datetime import date
from enum import StrEnum
from pathlib import Path

import typer

from iotpolicy import __version__
from iotpolicy.cli.app import (
    Every,
    EveryOption,
    RegisterOption,
    app,
    date_option,
    register_label,
    trend_span,
    use_colour,
    user_errors,
    write_output,
)
from iotpolicy.register import find_register
from iotpolicy.trend import compute_trend


class TrendFormat(StrEnum):
    """Output formats of ``trend``."""

    TEXT = "text"
    JSON = "json"
    CSV = "csv"


@app.command()
def trend(
    register: str | None = RegisterOption,
    start: str | None = date_option("--from", "First day", default="twelve months before --to"),
    end: str | None = date_option("--to", "Last day (the last point)"),
    every: Every = EveryOption,
    fmt: TrendFormat = typer.Option(TrendFormat.TEXT, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the trend to FILE."),
) -> None:
    """Compliance over time, from git: for each period end, the last first-parent commit of
    the current branch on or before it (committer date, UTC), checked with today's rules as of
    that end. Weeks end on Sunday, months and quarters on the calendar; a period without a
    commit repeats the previous state at its later date and is marked.
    """
    first, last = trend_span(start, end, every, date.today())
    with user_errors():
        root = find_register(register)
        label = register_label(register, root)
        found = compute_trend(root, label, first, last, every.value, __version__)
        from iotpolicy.formats.trend import render_trend  # rich: only for the output

        terminal = output is None and use_colour(sys.stdout)
        write_output(render_trend(found, fmt.value, terminal), output)

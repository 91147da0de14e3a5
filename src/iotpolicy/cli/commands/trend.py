"""``iotpolicy trend``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from iotpolicy import __version__
from iotpolicy.cli.app import (
    RegisterOption,
    app,
    date_option,
    parse_as_of,
    register_label,
    use_colour,
    user_errors,
    write_output,
)
from iotpolicy.errors import UsageError
from iotpolicy.register import find_register
from iotpolicy.trend import compute_trend, default_start


class TrendFormat(StrEnum):
    """Output formats of ``trend``."""

    TEXT = "text"
    JSON = "json"
    CSV = "csv"


class Every(StrEnum):
    """The periods of ``trend``."""

    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


@app.command()
def trend(
    register: str | None = RegisterOption,
    start: str | None = date_option("--from", "First day", default="twelve months before --to"),
    end: str | None = date_option("--to", "Last day (the last point)"),
    every: Every = typer.Option(Every.MONTH, "--every", help="Period of the points."),
    fmt: TrendFormat = typer.Option(TrendFormat.TEXT, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the trend to FILE."),
) -> None:
    """Compliance over time, from git: for each period end, the last first-parent commit of
    the current branch on or before it (committer date, UTC), checked with today's rules as of
    that end. Weeks end on Sunday, months and quarters on the calendar; a period without a
    commit repeats the previous state at its later date and is marked.
    """
    last = parse_as_of(end, "--to")
    first = parse_as_of(start, "--from") if start else default_start(last, every.value)
    with user_errors():
        if first > last:
            raise UsageError(f"--from {first.isoformat()} is after --to {last.isoformat()}")
        root = find_register(register)
        label = register_label(register, root)
        found = compute_trend(root, label, first, last, every.value, __version__)
        from iotpolicy.formats.trend import render_trend  # rich: only for the output

        terminal = output is None and use_colour(sys.stdout)
        write_output(render_trend(found, fmt.value, terminal), output)

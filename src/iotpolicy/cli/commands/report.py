"""``iotpolicy report`` and ``iotpolicy history``."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path

import typer

from iotpolicy import __version__
from iotpolicy.cli.app import (
    AsOfOption,
    AtDateOption,
    AtOption,
    Every,
    EveryOption,
    RegisterOption,
    app,
    date_option,
    echo,
    parse_as_of,
    pick_commit,
    register_label,
    trend_span,
    user_errors,
)
from iotpolicy.cli.completion import complete_record_id
from iotpolicy.engine import evaluate, select_rules
from iotpolicy.errors import UsageError
from iotpolicy.fsio import atomic_write_text
from iotpolicy.gitlog import GitError, register_state
from iotpolicy.gittree import CommitLoader
from iotpolicy.history import format_json, format_text, parse_since, read_history
from iotpolicy.register import collector_paused, find_register, load_register
from iotpolicy.reports import (
    OUTPUT_FOLDER,
    REPORTS,
    ReportInput,
    render_reports,
    unknown_overrides,
)
from iotpolicy.trend import Trend, compute_trend

SinceOption = typer.Option(
    None,
    "--since",
    metavar="DATE|REV",
    help="Only commits on or after DATE (YYYY-MM-DD), or after REV (hash, tag).",
)


class HistoryFormat(StrEnum):
    """Output formats of ``history``."""

    TEXT = "text"
    JSON = "json"


@app.command()
def report(
    kinds: list[str] = typer.Argument(
        None,
        metavar="KIND",
        help=f"Reports to render (default all): {', '.join(REPORTS)}. index.md is always written.",
        show_default=False,
    ),
    output_dir: Path = typer.Option(
        Path(OUTPUT_FOLDER), "--output-dir", "-o", help="Folder to write the reports into."
    ),
    register: str | None = RegisterOption,
    as_of: str | None = AsOfOption,
    since: str | None = SinceOption,
    at: str | None = AtOption,
    at_date: str | None = AtDateOption,
    start: str | None = date_option(
        "--from", "First day of the trend report", default="twelve months before --to"
    ),
    end: str | None = date_option("--to", "Last day of the trend report", default="--as-of"),
    every: Every = EveryOption,
) -> None:
    """Render the Markdown reports for auditors and managers, and an index.md linking them.

    With --at or --at-date every report renders from the register as it was in that commit
    (read from git: the working tree, the index and the cache are left alone), its history and
    trend those of that commit, as a fresh checkout of it would render them.
    """
    day = parse_as_of(as_of)
    unknown = sorted(set(kinds or ()) - set(REPORTS))
    if unknown:
        raise typer.BadParameter(
            f"unknown report {', '.join(unknown)}; choose from {', '.join(REPORTS)}",
            param_hint="KIND",
        )
    with user_errors():
        root = find_register(register)
        commit = pick_commit(root, at, at_date)
        if commit is not None and as_of is None:
            day = commit.day
        tip = commit.commit if commit is not None else "HEAD"
        first, last = trend_span(start, end, every, day)
        loaded = CommitLoader(root).load_one(tip) if commit is not None else None
        for name in unknown_overrides(root):
            echo(f"iotpolicy: {name} is not a report template; ignored", err=True)
        state = register_state(root, exclude=output_dir, at=commit.commit if commit else None)
        history = None
        if state.in_repository and (not kinds or "changes" in kinds):
            history = read_history(root, since=parse_since(since) if since else None, tip=tip)
        label = register_label(register, root)
        found, note = None, None
        if state.in_repository and (not kinds or "trend" in kinds):
            found, note = _trend(root, label, first, last, every, tip, asked=bool(kinds))
        loaded = loaded or load_register(root)
        with collector_paused():  # millions of live objects: no collection passes over them
            result = evaluate(loaded, day, select_rules(), label)
            data = ReportInput(loaded, result, state, history, since, found, note)
            rendered = render_reports(data, kinds or [])  # all in memory first: all or nothing
        for name, text in rendered.items():
            atomic_write_text(output_dir / name, text)
            echo((output_dir / name).as_posix())


def _trend(
    root: Path, label: str, first: date, last: date, every: Every, tip: str, asked: bool
) -> tuple[Trend | None, str | None]:
    """The trend report's trend, or why there is none: when the report was asked for by name
    that is a usage error (exit 2), as for ``iotpolicy trend``; among all reports, its page
    says it."""
    try:
        return compute_trend(root, label, first, last, every.value, __version__, tip), None
    except GitError as exc:
        if asked:
            raise
        return None, str(exc)


@app.command()
def history(
    record: str | None = typer.Argument(
        None,
        metavar="ID",
        help="A record id (or file); default: the whole register.",
        autocompletion=complete_record_id,
    ),
    register: str | None = RegisterOption,
    fmt: HistoryFormat = typer.Option(HistoryFormat.TEXT, "--format", "-f", help="Output format."),
    since: str | None = SinceOption,
) -> None:
    """The git history of one record, or of the register: commit, date, author, message and the
    fields that changed."""
    with user_errors():
        root = find_register(register)
        if since is not None and not since.strip():
            raise UsageError("--since needs a date (YYYY-MM-DD) or a revision")
        entries = read_history(root, record, parse_since(since) if since else None)
        if fmt is HistoryFormat.JSON:
            echo(format_json(entries, register_label(register, root), record, since), nl=False)
        else:
            echo(format_text(entries, record), nl=False)

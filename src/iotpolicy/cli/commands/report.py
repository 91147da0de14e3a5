"""``iotpolicy report`` and ``iotpolicy history``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from iotpolicy.cli.app import (
    AsOfOption,
    RegisterOption,
    app,
    echo,
    parse_as_of,
    register_label,
    user_errors,
)
from iotpolicy.cli.completion import complete_record_id
from iotpolicy.engine import evaluate, select_rules
from iotpolicy.errors import UsageError
from iotpolicy.fsio import atomic_write_text
from iotpolicy.gitlog import register_state
from iotpolicy.history import format_json, format_text, parse_since, read_history
from iotpolicy.register import collector_paused, find_register, load_register
from iotpolicy.reports import (
    OUTPUT_FOLDER,
    REPORTS,
    ReportInput,
    render_reports,
    unknown_overrides,
)

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
) -> None:
    """Render the Markdown reports for auditors and managers, and an index.md linking them."""
    day = parse_as_of(as_of)
    unknown = sorted(set(kinds or ()) - set(REPORTS))
    if unknown:
        raise typer.BadParameter(
            f"unknown report {', '.join(unknown)}; choose from {', '.join(REPORTS)}",
            param_hint="KIND",
        )
    with user_errors():
        root = find_register(register)
        for name in unknown_overrides(root):
            echo(f"iotpolicy: {name} is not a report template; ignored", err=True)
        state = register_state(root, exclude=output_dir)
        history = None
        if state.in_repository and (not kinds or "changes" in kinds):
            history = read_history(root, since=parse_since(since) if since else None)
        loaded = load_register(root)
        with collector_paused():  # millions of live objects: no collection passes over them
            result = evaluate(loaded, day, select_rules(), register_label(register, root))
            data = ReportInput(loaded, result, state, history, since)
            rendered = render_reports(data, kinds or [])  # all in memory first: all or nothing
        for name, text in rendered.items():
            atomic_write_text(output_dir / name, text)
            echo((output_dir / name).as_posix())


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

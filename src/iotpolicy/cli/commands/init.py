"""``iotpolicy init``: scaffold a new register (the logic is in
:mod:`iotpolicy.writing.scaffold`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer

from iotpolicy.cli.app import app, echo, user_errors
from iotpolicy.cli.prompts import (
    InteractiveOption,
    as_options,
    ask,
    asking,
    command_line,
    keeping_answers,
    tell,
    with_fields,
)
from iotpolicy.register import Register
from iotpolicy.writing.answers import apply_defaults, fill, parse_options
from iotpolicy.writing.fields import INIT_FIELDS
from iotpolicy.writing.scaffold import (
    COMMIT_MESSAGE,
    InitOptions,
    InitOutcome,
    check_target,
    file_count,
    initialise,
)
from iotpolicy.writing.snapshot import Snapshot

InitCommitOption = typer.Option(
    False,
    "--commit",
    help=f"Commit the {file_count()} files init writes with git, and only those, as you.",
)


@app.command("init")
@with_fields(INIT_FIELDS)
def init(
    path: Path = typer.Argument(..., help="Folder of the new register (created if missing)."),
    commit: bool = InitCommitOption,
    interactive: bool | None = InteractiveOption,
    **given: Any,
) -> None:
    """Scaffold a new register in PATH.

    Writes policy.yaml (revision 1.0 awaiting approval, every setting written out with its
    meaning), people.yaml, the record folders, a README, example CI and pre-commit files; runs
    git init when PATH is not inside a repository. Asks for the organisation and its General
    Manager and operations manager on a terminal."""
    today = date.today()
    with user_errors():
        values = parse_options(INIT_FIELDS, given)
        snap = Snapshot(Register(root=path), today)
        typed: dict[str, list[str]] = {}
        if asking(interactive):
            check_target(path, today=today, commit=commit)
            typed = fill(None, INIT_FIELDS, values, snap, ask, tell)
        apply_defaults(None, INIT_FIELDS, values, snap)
        options = InitOptions(**{k: v for k, v in values.items()})
        words = ["init", str(path), *(["--commit"] if commit else [])]
        again = (
            command_line(words, as_options(INIT_FIELDS, given, typed, values)) if typed else None
        )
        with keeping_answers(again):
            outcome = initialise(path, options, today=today, commit=commit)
    _report(outcome)


def _report(outcome: InitOutcome) -> None:
    """What was written and what to do next."""
    echo(f"Initialised a register in {outcome.root} ({len(outcome.files)} files).")
    if outcome.git_initialised:
        echo(f"Created a git repository in {outcome.root}.")
    if outcome.git_missing:
        echo("git is not installed: put the register under version control yourself.")
    if outcome.ci_folder:
        echo(
            f"Example CI and pre-commit files are in {outcome.ci_folder}/: copy them to your "
            "repository's top folder."
        )
    if outcome.commit:
        echo(f"Committed {outcome.commit}: {COMMIT_MESSAGE}")
    where = f" --register {outcome.root}"
    steps = []
    if not outcome.has_gm:
        steps.append(
            f"iotpolicy add-person{where} --id ID --name NAME --role general-manager "
            "(and the operations manager)"
        )
    steps += [
        "the General Manager reviews policy.yaml and approves revision 1.0: "
        f"iotpolicy review{where}",
        "record the segments, vendors and devices: iotpolicy add-segment, add-vendor, "
        f"add-device{where}",
        f"iotpolicy check{where} (its findings name what is still to do)",
    ]
    echo("Next:")
    for number, step in enumerate(steps, start=1):
        echo(f"  {number}. {step}")

"""``iotpolicy export oscal``: the compliance state for GRC tools and auditors."""

from __future__ import annotations

from pathlib import Path

import typer

from iotpolicy.app import (
    AsOfOption,
    RegisterOption,
    app,
    parse_as_of,
    register_label,
    user_errors,
    write_output,
)
from iotpolicy.engine import evaluate, select_rules
from iotpolicy.oscal import PLAN_FILE, render_oscal
from iotpolicy.register import collector_paused, find_register, load_register

export_app = typer.Typer(
    name="export",
    help="Export the register's compliance state in a standard format.",
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")


@export_app.command("oscal")
def export_oscal(
    register: str | None = RegisterOption,
    as_of: str | None = AsOfOption,
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the document to FILE (default: standard output)."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Warnings make their controls not satisfied too."
    ),
    plan: bool = typer.Option(
        False,
        "--plan",
        help=f"Write the assessment plan the results follow instead (save it as {PLAN_FILE} "
        "beside the results: their import-ap points there).",
    ),
) -> None:
    """The compliance state as an OSCAL 1.1 assessment-results document (JSON), or with --plan
    the assessment plan it follows.

    Observations per rule, findings per control (satisfied or not-satisfied), valid exceptions as
    deviation-approved risks with their deadline, and the devices as inventory items; the plan
    has one activity per rule and the task that runs them. Exit 0 whatever the findings: an
    export is not a check.
    """
    day = parse_as_of(as_of)
    with user_errors():
        root = find_register(register)
        with collector_paused():
            loaded = load_register(root)
            result = evaluate(loaded, day, select_rules(), register_label(register, root))
            text = render_oscal(loaded, result, strict, plan)
        write_output(text, output)

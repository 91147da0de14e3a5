"""``iotpolicy export``: the compliance state as OSCAL for GRC tools and auditors, and every
device as a spreadsheet row (read back by ``import devices``)."""

from __future__ import annotations

from datetime import date
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
    write_output,
)
from iotpolicy.engine import evaluate, select_rules
from iotpolicy.errors import UsageError
from iotpolicy.formats.oscal import PLAN_FILE, render_oscal
from iotpolicy.fsio import atomic_write_bytes
from iotpolicy.importers.spreadsheet import device_table, to_csv, to_xlsx
from iotpolicy.register import collector_paused, find_register, load_register
from iotpolicy.wording import plural as _plural
from iotpolicy.writing.snapshot import Refused

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


class SheetFormat(StrEnum):
    """Spreadsheet formats of ``export devices``."""

    CSV = "csv"
    XLSX = "xlsx"


@export_app.command("devices")
def export_devices(
    fmt: SheetFormat = typer.Option(SheetFormat.CSV, "--format", "-f", help="csv or xlsx."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to FILE (required for xlsx; csv default: stdout)."
    ),
    register: str | None = RegisterOption,
) -> None:
    """Every device as one spreadsheet row, columns named by dotted field names, so that
    ``import devices`` reads it back without losing anything. Text that a spreadsheet would run
    as a formula is written with a leading '."""
    with user_errors():
        if fmt is SheetFormat.XLSX and output is None:
            raise UsageError("--format xlsx needs --output FILE")
        root = find_register(register)
        loaded = load_register(root)
        secrets = sorted(
            {
                f.file
                for f in evaluate(loaded, date.today(), select_rules(["REG-004"]), "").findings
                if f.file.startswith("devices/")
            }
        )
        if secrets:
            raise Refused(
                f"refused: {', '.join(secrets)} holds a credential (REG-004); remove it before "
                "exporting; nothing was written"
            )
        invalid = sorted(r.file for r in loaded.of("device") if r.model is None)
        invalid += sorted(f"devices/{s}.yaml" for s in loaded.unreadable.get("device", ()))
        if invalid:
            raise Refused(
                f"refused: {_plural(len(invalid), 'device file')} not valid "
                f"({', '.join(invalid)}); fix them first (iotpolicy check); nothing was written"
            )
        devices = sorted((r.model for r in loaded.of("device")), key=lambda d: d.id)
        headers, rows = device_table(devices)
        if fmt is SheetFormat.XLSX:
            assert output is not None
            atomic_write_bytes(output, to_xlsx(headers, rows))
        else:
            write_output(to_csv(headers, rows), output)
        if output is not None:
            echo(f"Exported {_plural(len(devices), 'device')} to {output}.", err=True)

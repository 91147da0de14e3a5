"""``iotpolicy import devices``: device records from a spreadsheet inventory (the drafting is
:mod:`iotpolicy.importers.devices`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from iotpolicy.cli.app import (
    CommitWrittenOption,
    RegisterOption,
    app,
    echo,
    print_outcomes,
    user_errors,
)
from iotpolicy.importers.devices import RowPlan, device_drafts, sheet_rows
from iotpolicy.importers.spreadsheet import (
    MAX_SHEET_BYTES,
    CellError,
    map_columns,
    parse_map_options,
    read_sheet,
)
from iotpolicy.inputs import read_input
from iotpolicy.register import find_register
from iotpolicy.wording import plural as _plural
from iotpolicy.writing.draft import Draft, write_drafts
from iotpolicy.writing.snapshot import Refused, Snapshot

import_app = typer.Typer(
    name="import", help="Bring records in from other tools' files.", no_args_is_help=True
)
app.add_typer(import_app, name="import")


@import_app.command("devices")
def import_devices(
    file: Path = typer.Argument(..., help="The inventory: a .csv or .xlsx file."),
    mapping: list[str] = typer.Option(
        [],
        "--map",
        metavar="COLUMN=FIELD",
        help="COLUMN=FIELD: the device field a column holds (COLUMN=- skips it).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write none."),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Import the valid rows and report the others."
    ),
    register: str | None = RegisterOption,
    commit: bool = CommitWrittenOption,
) -> None:
    """Create or update device records from a spreadsheet inventory.

    The header row names the fields: dotted names (network.segment) or common headers (IP
    address, MAC, Location, Manufacturer, Serial number ...). Every row is validated first; one
    bad row and nothing is written (unless --skip-invalid). A row whose id exists updates that
    record, keeping its comments; a row without an id takes the slug of its name.
    """
    with user_errors():
        root = find_register(register)
        sheet = read_sheet(file.name, read_input(file, MAX_SHEET_BYTES))
        columns = map_columns(sheet.headers, parse_map_options(mapping))
        plan: list[RowPlan] = []
        skipped: list[CellError] = []

        def drafts_of(snap: Snapshot) -> list[Draft]:
            plan.clear()
            skipped.clear()
            rows = sheet_rows(snap.register, sheet, columns)
            drafts, errors = device_drafts(snap, rows, columns, plan, file.name)
            if errors and not skip_invalid:
                raise Refused(
                    f"refused: {_plural(len({e.row for e in errors}), 'row')} of {file.name} "
                    "not valid; nothing was written",
                    tuple(f"{file.name}: {e}" for e in sorted(errors, key=lambda e: e.row)),
                )
            skipped.extend(errors)
            return drafts

        message = f"Import devices from {file.name}"
        outcomes = write_drafts(root, date.today(), commit, drafts_of, message, dry_run)
        for error in sorted(skipped, key=lambda e: e.row):
            echo(f"skipped {file.name}: {error}", err=True)
        verb = {"created": "would create", "updated": "would update"} if dry_run else {}
        for item in sorted(plan, key=lambda p: p.row):
            what = verb.get(item.action, item.action)
            fields = f": {', '.join(item.fields)}" if item.action == "updated" else ""
            echo(f"row {item.row}: {what} devices/{item.device}.yaml{fields}")
        planned = [str(p.row) for p in sorted(plan, key=lambda p: p.row) if p.planned]
        if planned:
            s = "s" if len(planned) > 1 else ""
            be = "would be" if dry_run else ("are" if s else "is")
            echo(
                f"No status given in row{s} {', '.join(planned)}: the new device{s} {be} "
                "planned, as with add-device."
            )
        if columns.ignored:
            echo(f"Columns not imported: {', '.join(columns.ignored)} (name them with --map)")
        counts = {a: sum(1 for p in plan if p.action == a) for a in ("created", "updated")}
        unchanged = sum(1 for p in plan if p.action == "unchanged")
        head = "Dry run, nothing written" if dry_run else f"Imported {file.name}"
        echo(
            f"{head}: {counts['created']} created, {counts['updated']} updated, "
            f"{unchanged} unchanged"
            + (f", {_plural(len({e.row for e in skipped}), 'row')} skipped" if skipped else "")
            + "."
        )
        print_outcomes(outcomes, dry_run)

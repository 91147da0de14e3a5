"""``iotpolicy reconcile``: a network scan compared with the register, and planned-device stubs
for its unknown hosts (:mod:`iotpolicy.importers.reconcile`, :mod:`iotpolicy.importers.stubs`)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path

import typer

from iotpolicy.cli.app import (
    CommitWrittenOption,
    RegisterOption,
    app,
    echo,
    user_errors,
    write_output,
)
from iotpolicy.errors import EXIT_FINDINGS, EXIT_OK
from iotpolicy.importers.common import settings_of, valid_models
from iotpolicy.importers.nmap import MAX_SCAN_BYTES, parse_scan
from iotpolicy.importers.reconcile import Reconciliation, reconcile
from iotpolicy.importers.reconcile_report import render
from iotpolicy.importers.stubs import shadow_hosts, stub_drafts
from iotpolicy.inputs import read_input
from iotpolicy.register import find_register, load_register
from iotpolicy.writing.draft import Draft, write_drafts
from iotpolicy.writing.snapshot import Snapshot


class ScanFormat(StrEnum):
    """Output formats of ``reconcile``."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


@app.command("reconcile")
def reconcile_command(
    scan: Path = typer.Argument(..., help="An nmap XML report (nmap -oX FILE ...)."),
    fmt: ScanFormat = typer.Option(ScanFormat.TEXT, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to FILE."),
    create_planned: bool = typer.Option(
        False, "--create-planned", help="Add every unknown host as a planned device stub."
    ),
    register: str | None = RegisterOption,
    commit: bool = CommitWrittenOption,
) -> None:
    """Compare a network scan with the register: unknown (shadow) hosts, registered devices not
    seen, IP/MAC mismatches, devices in another segment, undeclared open ports (CM-7 drift) and
    insecure services. Exit 1 when anything needs attention."""
    with user_errors():
        root = find_register(register)
        parsed = parse_scan(read_input(scan, MAX_SCAN_BYTES), scan.name)
        loaded = load_register(root)
        result = reconcile(
            parsed,
            valid_models(loaded, "device"),
            valid_models(loaded, "segment"),
            settings_of(loaded).insecure_services,
            scan.name,
        )
        write_output(render(result, fmt.value), output)
        if create_planned:
            _create_stubs(root, result, scan.name, commit)
    raise typer.Exit(EXIT_FINDINGS if result.needs_attention else EXIT_OK)


def _create_stubs(root: Path, result: Reconciliation, source: str, commit: bool) -> None:
    hosts = shadow_hosts(result)
    today = date.today()

    def drafts_of(snap: Snapshot) -> list[Draft]:
        return stub_drafts(snap.register, hosts, result, source, today)

    if not hosts:
        return
    outcomes = write_drafts(root, today, commit, drafts_of, f"Add unknown hosts from {source}")
    for outcome in outcomes:
        echo(f"Created planned device stub {outcome.file}: complete it.", err=True)
    for sha in sorted({o.commit for o in outcomes if o.commit}):
        echo(f"Committed {sha}.", err=True)

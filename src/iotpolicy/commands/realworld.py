"""Bringing the real world in: ``import devices``, ``export devices``, ``reconcile``,
``advisories import``, ``advisories fetch``, ``advisories list`` and ``advisories set-status``.

Reading and matching live in :mod:`iotpolicy.spreadsheet`, :mod:`iotpolicy.nmap`,
:mod:`iotpolicy.csaf` and :mod:`iotpolicy.matching`; every write goes through
:func:`iotpolicy.editing.write_drafts` (lock, reload, check the drafted files as ``check`` reads
them, write all or nothing, ``--commit`` one commit). This module turns options into drafts and
prints what happened.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from iotpolicy.affected import affects, known_exploited_label
from iotpolicy.app import (
    RegisterOption,
    app,
    date_option,
    parse_as_of,
    progress_bar,
    user_errors,
    wants_progress,
    write_output,
)
from iotpolicy.cache import CACHE_FOLDER
from iotpolicy.commands.edit import InteractiveOption, _edit, with_fields
from iotpolicy.commands.export import export_app
from iotpolicy.completion import complete_device_id
from iotpolicy.csaf import AffectedProduct, CsafAdvisory, CsafError, parse_csaf
from iotpolicy.editing import (
    DEVICE,
    Draft,
    Outcome,
    Refused,
    Snapshot,
    model_order,
    record_triage,
    round_trip,
    triage_edit,
    triage_target,
    write_drafts,
)
from iotpolicy.engine import evaluate, select_rules
from iotpolicy.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from iotpolicy.fetch import (
    Document,
    EtagStore,
    FetchError,
    FetchResult,
    ProviderResult,
    Validator,
    download,
    feed_sources,
    feed_state,
    fetch,
    shown,
)
from iotpolicy.fetch import Options as FetchOptions
from iotpolicy.fetch.verify import PUBLIC_TLP
from iotpolicy.fields import TRIAGE_FIELDS, Values
from iotpolicy.kev import MAX_KEV_BYTES, Catalog, KevError, as_record, known_exploited, parse_kev
from iotpolicy.matching import DeviceMatch, advisory_affects, match_devices
from iotpolicy.models import Advisory, Device, Policy, Segment, Settings, Vendor
from iotpolicy.models.base import error_message
from iotpolicy.models.enums import (
    AdvisoryKind,
    AdvisoryStatus,
    Category,
    Status,
    TriageStatus,
    Zone,
)
from iotpolicy.names import resolve_vendor, slugify
from iotpolicy.nmap import Host, Kind, Reconciliation, parse_scan, reconcile, render
from iotpolicy.register import (
    POLICY_FILE,
    Register,
    find_register,
    load_register,
    schema_comment,
    with_file,
)
from iotpolicy.spreadsheet import (
    CellError,
    ColumnMap,
    RowValues,
    device_table,
    map_columns,
    nest,
    parse_map_options,
    read_sheet,
    resolve_references,
    row_values,
    to_csv,
    to_xlsx,
)
from iotpolicy.triage import (
    TriageUpdate,
    candidate_entry,
    is_possible,
    record_matches,
    update_candidates,
)
from iotpolicy.wording import plural as _plural
from iotpolicy.yamlio import Quoted, RoundTrip, YamlEditError, atomic_write_bytes, dump_new

CommitOption = typer.Option(False, "--commit", help="Commit the written files with git.")
QUOTED_FIELDS = frozenset({"serial", "firmware.version", "network.mac"})
"""Texts always written in quotes, as the editing commands write them."""
QUOTED_KEYS = frozenset({"from_version", "to_version", "serial"})
"""The same inside the entries of ``changes``."""

import_app = typer.Typer(
    name="import", help="Bring records in from other tools' files.", no_args_is_help=True
)
app.add_typer(import_app, name="import")
advisories_app = typer.Typer(
    name="advisories",
    help=(
        "Vendor security advisories: import CSAF documents, list them, match them to devices, "
        "record per-device triage decisions and CISA's known-exploited CVEs."
    ),
    no_args_is_help=True,
)
app.add_typer(advisories_app, name="advisories")


def _read(path: Path) -> bytes:
    """A file's bytes (an unreadable file is a usage error naming it)."""
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    return path.read_bytes()


def _names(register: Register, kind: str) -> dict[str, str]:
    """id -> name of the valid records of ``kind`` (``person`` for people.yaml)."""
    records = register.people if kind == "person" else register.of(kind)
    return {r.model.id: r.model.name for r in records if r.model is not None}


def _settings(register: Register) -> Settings:
    policy = register.policy.model if register.policy is not None else None
    return policy.settings if policy is not None else Settings()


def _valid(register: Register, kind: str) -> list[Any]:
    return [r.model for r in register.of(kind) if r.model is not None]


def _print_outcomes(outcomes: Sequence[Outcome], dry_run: bool = False) -> None:
    findings = sum(len(o.findings) for o in outcomes)
    if findings and not dry_run:
        typer.echo(
            f"iotpolicy check has {_plural(findings, 'finding')} about the written records; "
            "run iotpolicy check for the details."
        )
    commits = {o.commit for o in outcomes if o.commit}
    for sha in sorted(commits):
        typer.echo(f"Committed {sha}.")


# --- import devices / export devices ------------------------------------------------------------


@dataclass(frozen=True)
class _Planned:
    """What one row does."""

    row: int
    device: str
    action: str
    """created, updated or unchanged."""
    fields: tuple[str, ...]
    """The fields it sets (for an update: the ones that change)."""
    planned: bool = False
    """A new device without a status: planned, as ``add-device`` makes it."""


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
    commit: bool = CommitOption,
) -> None:
    """Create or update device records from a spreadsheet inventory.

    The header row names the fields: dotted names (network.segment) or common headers (IP
    address, MAC, Location, Manufacturer, Serial number ...). Every row is validated first; one
    bad row and nothing is written (unless --skip-invalid). A row whose id exists updates that
    record, keeping its comments; a row without an id takes the slug of its name.
    """
    with user_errors():
        root = find_register(register)
        sheet = read_sheet(file.name, _read(file))
        columns = map_columns(sheet.headers, parse_map_options(mapping))
        plan: list[_Planned] = []
        skipped: list[CellError] = []

        def drafts_of(snap: Snapshot) -> list[Draft]:
            plan.clear()
            skipped.clear()
            drafts, errors = _device_drafts(snap, sheet_rows(snap), columns, plan, file.name)
            if errors and not skip_invalid:
                raise Refused(
                    f"refused: {_plural(len({e.row for e in errors}), 'row')} of {file.name} "
                    "not valid; nothing was written",
                    tuple(f"{file.name}: {e}" for e in sorted(errors, key=lambda e: e.row)),
                )
            skipped.extend(errors)
            return drafts

        def sheet_rows(snap: Snapshot) -> tuple[list[RowValues], list[CellError]]:
            rows, errors = row_values(sheet, columns)
            names = {k: _names(snap.register, k) for k in ("vendor", "person", "segment")}
            resolved, more = resolve_references(rows, columns, names)
            return resolved, errors + more

        message = f"Import devices from {file.name}"
        outcomes = write_drafts(root, date.today(), commit, drafts_of, message, dry_run)
        for error in sorted(skipped, key=lambda e: e.row):
            typer.echo(f"skipped {file.name}: {error}", err=True)
        verb = {"created": "would create", "updated": "would update"} if dry_run else {}
        for item in sorted(plan, key=lambda p: p.row):
            what = verb.get(item.action, item.action)
            fields = f": {', '.join(item.fields)}" if item.action == "updated" else ""
            typer.echo(f"row {item.row}: {what} devices/{item.device}.yaml{fields}")
        planned = [str(p.row) for p in sorted(plan, key=lambda p: p.row) if p.planned]
        if planned:
            s = "s" if len(planned) > 1 else ""
            be = "would be" if dry_run else ("are" if s else "is")
            typer.echo(
                f"No status given in row{s} {', '.join(planned)}: the new device{s} {be} "
                "planned, as with add-device."
            )
        if columns.ignored:
            typer.echo(f"Columns not imported: {', '.join(columns.ignored)} (name them with --map)")
        counts = {a: sum(1 for p in plan if p.action == a) for a in ("created", "updated")}
        unchanged = sum(1 for p in plan if p.action == "unchanged")
        head = "Dry run, nothing written" if dry_run else f"Imported {file.name}"
        typer.echo(
            f"{head}: {counts['created']} created, {counts['updated']} updated, "
            f"{unchanged} unchanged"
            + (f", {_plural(len({e.row for e in skipped}), 'row')} skipped" if skipped else "")
            + "."
        )
        _print_outcomes(outcomes, dry_run)


def _device_drafts(
    snap: Snapshot,
    read: tuple[list[RowValues], list[CellError]],
    columns: ColumnMap,
    plan: list[_Planned],
    source: str,
) -> tuple[list[Draft], list[CellError]]:
    """A draft per row that creates or changes a device, and every row's problems."""
    rows, errors = read
    bad_rows = {e.row for e in errors}
    register = snap.register
    existing = {r.raw_id: r for r in register.of("device") if r.raw_id}
    drafts: list[Draft] = []
    used_ips: dict[str, int] = {}
    for row in rows:
        record = existing.get(row.id)
        rel = DEVICE.file(row.id)
        if (record is None and (register.root / rel).exists()) or (record and record.model is None):
            errors.append(CellError(row.row, None, f"{rel} is not valid; fix it first"))
            continue
        current = _plain(record.model.model_dump(exclude_none=True)) if record else {}
        given = nest(row.values)
        planned = record is None and "status" not in given
        if planned:
            given["status"] = Status.PLANNED.value
        device, problems = _row_problems(snap, row, _merge(current, given), columns, used_ips)
        if device is None or problems or row.row in bad_rows:
            errors.extend(problems)
            continue
        new = _plain(device.model_dump(exclude_none=True))
        if record is None:
            text = dump_new(_quoted("", new), schema_comment(rel))
            drafts.append(Draft(rel, text, row.id, f"Add device {row.id}", True))
            plan.append(_Planned(row.row, row.id, "created", tuple(row.values), planned))
            continue
        changed = [path for path in row.values if _get(current, path) != _get(new, path)]
        if not changed:
            plan.append(_Planned(row.row, row.id, "unchanged", ()))
            continue
        try:
            doc = RoundTrip(register.texts[record.file])
            for path in changed:
                doc.set(tuple(path.split(".")), _quoted(path, _get(new, path)), DEVICE.key_order)
            text = doc.text()
        except YamlEditError as exc:
            errors.append(CellError(row.row, None, f"{rel} {exc}; edit it by hand"))
            continue
        message = f"Update device {row.id} from {source}"
        drafts.append(Draft(record.file, text, row.id, message, False))
        plan.append(_Planned(row.row, row.id, "updated", tuple(changed)))
    return drafts, errors


def _row_problems(
    snap: Snapshot,
    row: RowValues,
    merged: dict[str, Any],
    columns: ColumnMap,
    used_ips: dict[str, int],
) -> tuple[Device | None, list[CellError]]:
    """The device a row makes, and what is wrong with it: its model, and its IP address (inside
    its segment, not used by another device, nor by an earlier row)."""
    try:
        device = Device.model_validate(merged)
    except ValidationError as exc:
        return None, [
            CellError(
                row.row,
                columns.column(".".join(str(p) for p in error["loc"])),
                _describe(error),
            )
            for error in exc.errors(include_url=False, include_input=False)
        ]
    ip = device.network.ip if device.network else None
    if ip is None or ("network.ip" not in row.values and "network.segment" not in row.values):
        return device, []
    segment = device.network.segment if device.network else None
    problem = snap.ip_problem(ip, segment, device.id)
    if problem is None and ip in used_ips:
        problem = f"{ip} is already used by row {used_ips[ip]}"
    used_ips.setdefault(ip, row.row)
    column = columns.column("network.ip") or columns.column("network.segment")
    return device, [CellError(row.row, column, problem)] if problem else []


def _describe(error: Any) -> str:
    """A model error in words (the value itself is never repeated)."""
    where = ".".join(str(p) for p in error["loc"])
    match error["type"]:
        case "missing":
            return f"{where} is required"
        case "enum":
            expected = error.get("ctx", {}).get("expected", "").replace("'", "")
            return f"{where} must be one of {expected}"
        case _:
            return f"{where}: {error_message(error)}"


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _get(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for step in path.split("."):
        node = node.get(step) if isinstance(node, dict) else None
    return node


def _plain(value: Any) -> Any:
    """A model dump as YAML-ready data: enums as their words, tuples as lists, no None."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None and v != ()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


def _quoted(path: str, value: Any) -> Any:
    """``value`` (at dotted ``path``) with versions, serials and MACs as :class:`Quoted`."""
    if isinstance(value, dict):
        return {k: _quoted(f"{path}.{k}".lstrip("."), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_quoted(f"{path}.item", v) for v in value]
    tail = path.rsplit(".", 1)[-1]
    if isinstance(value, str) and (path in QUOTED_FIELDS or tail in QUOTED_KEYS):
        return Quoted(value)
    return value


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
            typer.echo(f"Exported {_plural(len(devices), 'device')} to {output}.", err=True)


# --- reconcile ----------------------------------------------------------------------------------


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
    commit: bool = CommitOption,
) -> None:
    """Compare a network scan with the register: unknown (shadow) hosts, registered devices not
    seen, IP/MAC mismatches, devices in another segment, undeclared open ports (CM-7 drift) and
    insecure services. Exit 1 when anything needs attention."""
    with user_errors():
        root = find_register(register)
        parsed = parse_scan(_read(scan), scan.name)
        loaded = load_register(root)
        result = reconcile(
            parsed,
            _valid(loaded, "device"),
            _valid(loaded, "segment"),
            _settings(loaded).insecure_services,
            scan.name,
        )
        write_output(render(result, fmt.value), output)
        if create_planned:
            _create_stubs(root, result, scan.name, commit)
    raise typer.Exit(EXIT_FINDINGS if result.needs_attention else EXIT_OK)


def _create_stubs(root: Path, result: Reconciliation, source: str, commit: bool) -> None:
    shadows = [i.ip for i in result.items if i.kind is Kind.SHADOW and i.ip]
    hosts = [h for h in result.scan.hosts if h.ip in shadows]
    today = date.today()

    def drafts_of(snap: Snapshot) -> list[Draft]:
        taken = {r.raw_id for r in snap.register.of("device")}
        taken |= snap.register.unreadable.get("device", set())
        segments = {s.id: s for s in _valid(snap.register, "segment")}
        vendors = _names(snap.register, "vendor")
        drafts = []
        for host in hosts:
            record = _stub(host, result, segments, vendors, taken, source, today)
            taken.add(record["id"])
            rel = DEVICE.file(record["id"])
            text = dump_new(record, schema_comment(rel))
            drafts.append(
                Draft(rel, text, record["id"], f"Add planned device {record['id']}", True)
            )
        return drafts

    if not hosts:
        return
    outcomes = write_drafts(root, today, commit, drafts_of, f"Add unknown hosts from {source}")
    for outcome in outcomes:
        typer.echo(f"Created planned device stub {outcome.file}: complete it.", err=True)
    for sha in sorted({o.commit for o in outcomes if o.commit}):
        typer.echo(f"Committed {sha}.", err=True)


def _stub(
    host: Host,
    result: Reconciliation,
    segments: dict[str, Segment],
    vendors: dict[str, str],
    taken: set[str | None],
    source: str,
    today: date,
) -> dict[str, Any]:
    """A planned device record for an unknown host: what the scan saw, for the operations
    manager to complete (or to take the host off the network)."""
    segment_id = next((i.segment for i in result.items if i.ip == host.ip and i.segment), None)
    segment = segments.get(segment_id) if segment_id else None
    base = slugify(host.hostname.split(".")[0], "") if host.hostname else ""
    record_id = base if base and base not in taken else "host-" + slugify(_dashed(host.ip))
    number = 2
    while record_id in taken:
        record_id = f"host-{slugify(_dashed(host.ip))}-{number}"
        number += 1
    vendor = resolve_vendor(host.mac_vendor or "", vendors) if host.mac_vendor else None
    ports = ", ".join(p.label for p in host.ports) or "none"
    seen = f"MAC vendor {host.mac_vendor}; " if host.mac_vendor and vendor is None else ""
    network: dict[str, Any] = {"segment": segment_id, "ip": host.ip}
    if host.mac:
        network["mac"] = Quoted(host.mac.lower())
    if host.hostname:
        network["hostname"] = host.hostname
    record: dict[str, Any] = {
        "id": record_id,
        "name": f"Unknown host {host.ip}" + (f" ({host.hostname})" if host.hostname else ""),
        "category": (Category.OT if segment and segment.zone is Zone.OT else Category.IOT).value,
        "type": "unknown",
        "vendor": vendor,
        "status": Status.PLANNED.value,
        "network": {k: v for k, v in network.items() if v is not None},
        "notes": (
            f"Found by the network scan {source} (reconciled {today.isoformat()}): {seen}"
            f"open ports {ports}. Complete this record (name, type, vendor, model, owner) or "
            "take the host off the network."
        ),
    }
    return {k: v for k, v in record.items() if v is not None}


def _dashed(ip: str) -> str:
    return ip.replace(".", "-").replace(":", "-")


# --- advisories ---------------------------------------------------------------------------------


@advisories_app.command("import")
def advisories_import(
    files: list[Path] = typer.Argument(..., help="CSAF 2.0 JSON documents."),
    vendor: str | None = typer.Option(
        None,
        "--vendor",
        metavar="ID",
        help="The vendor id to record them under (default: from the document).",
    ),
    received_on: str | None = date_option("--received-on", "Date the advisories were received"),
    register: str | None = RegisterOption,
    commit: bool = CommitOption,
) -> None:
    """Record CSAF advisories as advisories/ID.yaml, and show which devices they match.

    Exact matches (model number, part number, serial number, CPE, or model name) are written as
    affects entries, so FW-002 reports affected devices; devices whose model is only similar are
    written as triage candidates, which FW-003 reports until someone decides them (iotpolicy
    advisories triage). A newer revision of an advisory already recorded updates it (its
    status, note and triage are kept; decisions made for the older revision lapse).
    """
    received = parse_as_of(received_on, "--received-on")
    with user_errors():
        root = find_register(register)
        documents = [parse_csaf(_read(path), path.name) for path in files]
        reports: Reports = []

        def drafts_of(snap: Snapshot) -> list[Draft]:
            reports.clear()
            drafts: list[Draft] = []
            for document in documents:
                drafts += _advisory_drafts(snap, document, vendor, received, reports)
            return drafts

        message = f"Import advisories from {', '.join(f.name for f in files)}"
        outcomes = write_drafts(root, date.today(), commit, drafts_of, message)
        _print_reports(reports)
        _print_outcomes(outcomes)


Reports = list[tuple[str, str, list[DeviceMatch], tuple[str, ...]]]
"""What drafting advisories did, per record: (file, headline, device matches, warnings)."""


def _print_reports(reports: Reports) -> None:
    """Each advisory record written, with the devices it matches and its warnings."""
    for rel, headline, matches, warnings in reports:
        typer.echo(f"{rel}: {headline}")
        for match in matches:
            if match.exact:
                typer.echo(f"  matches {match.describe()}")
        for match in matches:
            if is_possible(match):
                typer.echo(f"  candidate {match.describe()}")
        if not matches:
            typer.echo("  matches no registered device")
        for warning in warnings:
            typer.echo(f"  warning: {warning}")


def _by_vendor(
    document: CsafAdvisory, vendors: dict[str, str], vendor_option: str | None
) -> dict[str, list[AffectedProduct]]:
    """The document's affected products by registered vendor (all of them ``vendor_option``'s
    when given); a document without affected products belongs to its publisher, when that is
    a registered vendor. Empty when it names no registered vendor."""
    by_vendor: dict[str, list[AffectedProduct]] = {}
    for entry in document.affected:
        vendor_id = vendor_option or resolve_vendor(entry.product.vendor or "", vendors)
        if vendor_id is not None:
            by_vendor.setdefault(vendor_id, []).append(entry)
    if not document.affected:
        publisher = vendor_option or resolve_vendor(document.publisher, vendors)
        if publisher is not None:
            by_vendor[publisher] = []
    return by_vendor


def _advisory_drafts(
    snap: Snapshot,
    document: CsafAdvisory,
    vendor_option: str | None,
    received: date,
    reports: Reports,
    feed: str | None = None,
) -> list[Draft]:
    """The advisory records one CSAF document gives: one per registered vendor it names.
    ``feed``: the provider metadata URL it was fetched from (recorded as ``feed``)."""
    vendors = _names(snap.register, "vendor")
    if vendor_option is not None and vendor_option not in vendors:
        raise UsageError(f"--vendor {vendor_option}: no such vendor in the register")
    by_vendor = _by_vendor(document, vendors, vendor_option)
    if not by_vendor and document.affected:
        named = ", ".join(document.vendors) or "none"
        raise Refused(
            f"refused: {document.tracking_id}: its vendor ({named}) is not in the register; "
            "add it (iotpolicy add-vendor) or name it with --vendor ID; nothing was written"
        )
    if not by_vendor:
        raise Refused(
            f"refused: {document.tracking_id} names no affected product and its publisher "
            f"({document.publisher or 'unnamed'}) is not a registered vendor; name the vendor "
            "with --vendor ID; nothing was written"
        )
    devices = _valid(snap.register, "device")
    existing = {r.raw_id: r for r in snap.register.of("advisory") if r.raw_id}
    drafts: list[Draft] = []
    for vendor_id, affected in sorted(by_vendor.items()):
        record_id = document.id if len(by_vendor) == 1 else slugify(f"{document.id}-{vendor_id}")
        rel = f"advisories/{record_id}.yaml"
        matches = match_devices(affected, devices, {vendor_id: vendors[vendor_id]})
        affects = advisory_affects(affected, matches)
        fields: dict[str, Any] = {
            "title": document.title,
            "published_on": document.published_on,
            "affects": affects,
            "cves": list(document.cves),
            "cvss": document.cvss,
            "reference": document.reference,
            "revision": Quoted(document.revision),
            "revised_on": document.revised_on,
            "feed": feed,
        }
        fields = {k: v for k, v in fields.items() if v is not None}
        record = existing.get(record_id)
        entries = "entry" if len(affects) == 1 else "entries"
        summary = (
            f"{document.title} ({_plural(len(document.cves), 'CVE')}, "
            f"{len(affects)} affects {entries})"
        )
        if record is not None:
            current: Advisory | None = record.model
            if current is None:
                raise Refused(f"refused: {rel} is not valid; fix it first; nothing was written")
            if not document.is_newer_than(current.revision, current.revised_on):
                same = f"unchanged: revision {current.revision} is recorded"
                reports.append((rel, same, matches, document.warnings))
                continue
            doc = round_trip(rel, snap.register.texts[record.file])
            for key, value in fields.items():
                doc.set((key,), value, _advisory_order)
            update = update_candidates(current, devices, vendors, matches)
            text = triage_edit(rel, doc.text(), replace(update, dropped=()))
            note = f"updated to revision {document.revision}"
            if current.status is not AdvisoryStatus.OPEN:
                note += f" (status stays {current.status.value}: review it)"
            reports.append((rel, f"{note}: {summary}", matches, document.warnings))
            message = f"Update advisory {record_id} to revision {document.revision}"
            drafts.append(Draft(rel, text, record_id, message, False))
            continue
        candidates = [candidate_entry(m) for m in matches if is_possible(m)]
        data = {
            "id": record_id,
            "vendor": vendor_id,
            "kind": AdvisoryKind.VULNERABILITY.value,
            "title": fields.pop("title"),
            **({"published_on": fields.pop("published_on")} if "published_on" in fields else {}),
            "received_on": received,
            "affects": fields.pop("affects"),
            "status": AdvisoryStatus.OPEN.value,
            **fields,
            **({"triage": candidates} if candidates else {}),
        }
        reports.append((rel, f"created: {summary}", matches, document.warnings))
        text = dump_new(data, schema_comment(rel))
        drafts.append(Draft(rel, text, record_id, f"Add advisory {record_id}", True))
    return drafts


def _advisory_order(path: tuple[str | int, ...]) -> Sequence[str]:
    return model_order(Advisory, path)


class ListFormat(StrEnum):
    """Output formats of ``advisories list``."""

    TEXT = "text"
    JSON = "json"


@advisories_app.command("list")
def advisories_list(
    fmt: ListFormat = typer.Option(ListFormat.TEXT, "--format", "-f", help="Output format."),
    register: str | None = RegisterOption,
) -> None:
    """Every advisory with its status, the registered devices it affects (as FW-002 counts
    them: vendor, product and firmware in range, or a current affected decision) and the
    triage of each device."""
    with user_errors():
        root = find_register(register)
        loaded = load_register(root)
        devices = _valid(loaded, "device")
        vendors = _names(loaded, "vendor")
        entries = []
        for advisory in sorted(_valid(loaded, "advisory"), key=lambda a: a.id):
            matches = record_matches(advisory, devices, vendors)
            affected = sorted(d.id for d in devices if affects(advisory, d))
            entries.append((advisory, matches, affected))
        if fmt is ListFormat.JSON:
            document = [
                {
                    "id": a.id,
                    "vendor": a.vendor,
                    "kind": a.kind.value,
                    "status": a.status.value,
                    "title": a.title,
                    "received_on": a.received_on.isoformat() if a.received_on else None,
                    "cves": list(a.cves),
                    "cvss": a.cvss,
                    "known_exploited": [k.cve for k in a.known_exploited],
                    "affected_devices": affected,
                    "matches": [m.to_dict() for m in ms],
                    "triage": [t.model_dump(mode="json", exclude_none=True) for t in a.triage],
                    "note": a.note,
                }
                for a, ms, affected in entries
            ]
            write_output(json.dumps(document, indent=2, ensure_ascii=False) + "\n", None)
            return
        if not entries:
            typer.echo("No advisories recorded.")
        for advisory, matches, affected in entries:
            typer.echo(
                f"{advisory.id}  {advisory.status.value}  {advisory.kind.value}  "
                f"{advisory.vendor}  {advisory.title or ''}".rstrip()
            )
            exploited = known_exploited_label([advisory])
            if exploited:
                typer.echo(f"  {exploited}")
            typer.echo(f"  affects: {', '.join(affected) if affected else 'no registered device'}")
            for entry in advisory.triage:
                made = f" by {entry.by}" if entry.by else ""
                made += f" on {entry.on}" if entry.on else ""
                why = f" ({entry.justification.value})" if entry.justification else ""
                typer.echo(f"  triage: {entry.device} {entry.status.value}{why}{made}")
            triaged = {t.device.strip() for t in advisory.triage}
            for match in matches:
                if is_possible(match) and match.device not in triaged:
                    typer.echo(f"  possible: {match.describe()} (iotpolicy advisories match)")
            if advisory.note:
                typer.echo(f"  note: {advisory.note}")


class AdvisoryState(StrEnum):
    """Statuses ``advisories set-status`` records for an advisory as a whole."""

    MITIGATED = "mitigated"
    NOT_APPLICABLE = "not-applicable"
    OPEN = "open"


@advisories_app.command("set-status")
def advisories_set_status(
    advisory_id: str = typer.Argument(..., metavar="ID", help="The advisory id."),
    status: AdvisoryState = typer.Argument(
        ..., help="mitigated, not-applicable (or open to reopen)."
    ),
    note: str = typer.Option(..., "--note", help="Why: what was done, or why it does not apply."),
    register: str | None = RegisterOption,
    commit: bool = CommitOption,
) -> None:
    """Set the status of an advisory as a whole (mitigated, not-applicable, open) with a note.

    A decision about one device is recorded with iotpolicy advisories triage."""
    with user_errors():
        root = find_register(register)
        rel = f"advisories/{advisory_id}.yaml"

        def drafts_of(snap: Snapshot) -> list[Draft]:
            record = next((r for r in snap.register.of("advisory") if r.file == rel), None)
            if record is None:
                raise UsageError(f"no advisory '{advisory_id}' in the register ({rel})")
            snap.valid_file(rel)
            doc = round_trip(rel, snap.register.texts[rel])
            doc.set(("status",), status.value, _advisory_order)
            doc.set(("note",), " ".join(note.split()), _advisory_order)
            message = f"Set advisory {advisory_id} {status.value}"
            return [Draft(rel, doc.text(), advisory_id, message, False)]

        outcomes = write_drafts(root, date.today(), commit, drafts_of)
        typer.echo(f"{outcomes[0].message}: {rel} written.")
        _print_outcomes(outcomes)


class Decision(StrEnum):
    """What ``advisories triage`` records for a device."""

    AFFECTED = "affected"
    NOT_AFFECTED = "not-affected"


@advisories_app.command("triage")
@with_fields(TRIAGE_FIELDS)
def advisories_triage(
    advisory_id: str = typer.Argument(..., metavar="ID", help="The advisory id."),
    device_id: str = typer.Argument(
        ..., metavar="DEVICE", help="The device's id.", autocompletion=complete_device_id
    ),
    decision: Decision = typer.Argument(..., help="affected or not-affected."),
    register: str | None = RegisterOption,
    commit: bool = CommitOption,
    interactive: bool | None = InteractiveOption,
    **given: Any,
) -> None:
    """Record whether one device is affected by an advisory (a triage decision, kept in git).

    The decision replaces the device's candidate or earlier entry and is made for the device's
    current firmware and the advisory's revision: it lapses when either changes, and FW-003
    then asks for it again. not-affected needs --justification (the CSAF/VEX words)."""
    with user_errors():
        root = find_register(register)
        status = TriageStatus(decision.value)
        triage_target(Snapshot(load_register(root), date.today()), advisory_id, device_id)

        def write(values: Values, known_only: bool) -> Outcome:
            return record_triage(
                root, advisory_id, device_id, status, values, today=date.today(), commit=commit
            )

        words = ["advisories", "triage", advisory_id, device_id, decision.value]
        words += [*(["--register", register] if register else []), *(["--commit"] * commit)]
        _, outcome = _edit(
            words, None, TRIAGE_FIELDS, given, root, interactive, write,
            start={"status": status.value}, check_first=False,
        )  # fmt: skip
    typer.echo(f"{outcome.message}: {outcome.file} written.")
    result = evaluate(
        load_register(root), date.today(), select_rules(["FW-002", "FW-003"]), str(root)
    )
    about = [f for f in result.findings if f.subject == device_id]
    for finding in about:
        typer.echo(f"  {finding.file}:{finding.line}: {finding.rule}: {finding.message}")
    if not about:
        typer.echo(f"No advisory finding about {device_id}.")
    _print_outcomes((outcome,))


@advisories_app.command("match")
def advisories_match(
    register: str | None = RegisterOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing."),
    commit: bool = CommitOption,
) -> None:
    """Match every open vulnerability advisory against every device again: devices whose model
    is similar to an affected product (firmware in range) become triage candidates; candidates
    that no longer match possibly (model or firmware changed, device retired or gone) are
    dropped. Decisions are kept."""
    with user_errors():
        root = find_register(register)
        updates: list[TriageUpdate] = []

        def drafts_of(snap: Snapshot) -> list[Draft]:
            updates.clear()
            devices = _valid(snap.register, "device")
            vendors = _names(snap.register, "vendor")
            drafts = []
            for record in snap.register.of("advisory"):
                if record.model is None:
                    continue
                mine = [d for d in devices if d.vendor == record.model.vendor]
                update = update_candidates(record.model, mine, vendors, everything=True)
                if update:
                    updates.append(update)
                    text = triage_edit(record.file, snap.register.texts[record.file], update)
                    drafts.append(
                        Draft(record.file, text, record.model.id, update.describe(), False)
                    )
            return drafts

        outcomes = write_drafts(
            root, date.today(), commit, drafts_of, "Match advisories to devices", dry_run
        )
        for update in updates:
            typer.echo(f"{'would ' if dry_run else ''}{update.describe()}")
        if not updates:
            typer.echo("Every possible match has a triage entry; nothing to change.")
        _print_outcomes(outcomes, dry_run)


@advisories_app.command("kev")
def advisories_kev(
    file: Path = typer.Argument(
        ..., metavar="FILE", help="CISA's KEV catalog (known_exploited_vulnerabilities.json)."
    ),
    register: str | None = RegisterOption,
    commit: bool = CommitOption,
) -> None:
    """Record, on each advisory naming a CVE of CISA's Known Exploited Vulnerabilities catalog,
    known_exploited (CVE, date added, due date, ransomware use): FW-002 then names it first."""
    with user_errors():
        root = find_register(register)
        catalog = parse_kev(_read(file), file.name)
        changed: list[tuple[str, list[dict[str, Any]]]] = []

        def drafts_of(snap: Snapshot) -> list[Draft]:
            changed.clear()
            return _kev_drafts(snap.register, catalog, changed)

        message = f"Record CISA KEV catalog {catalog.version}"
        outcomes = write_drafts(root, date.today(), commit, drafts_of, message)
        _print_kev(catalog, changed)
        _print_outcomes(outcomes)


def _kev_drafts(
    register: Register, catalog: Catalog, changed: list[tuple[str, list[dict[str, Any]]]]
) -> list[Draft]:
    """A draft for each advisory whose ``known_exploited`` the catalog changes (noted in
    ``changed``)."""
    drafts = []
    for record in register.of("advisory"):
        advisory: Advisory | None = record.model
        if advisory is None:
            continue
        entries = known_exploited(advisory, catalog)
        if entries == [as_record(k) for k in advisory.known_exploited]:
            continue
        changed.append((record.file, entries))
        doc = round_trip(record.file, register.texts[record.file])
        doc.set(("known_exploited",), entries, _advisory_order)
        message = f"Record known-exploited CVEs of advisory {advisory.id}"
        drafts.append(Draft(record.file, doc.text(), advisory.id, message, False))
    return drafts


def _print_kev(catalog: Catalog, changed: list[tuple[str, list[dict[str, Any]]]]) -> None:
    typer.echo(f"CISA KEV catalog {catalog.version}: {_plural(len(catalog.entries), 'CVE')}.")
    for rel, entries in changed:
        listed = ", ".join(
            f"{e['cve']} (due {e['due_date']})" if "due_date" in e else e["cve"] for e in entries
        )
        typer.echo(f"{rel}: known exploited {listed}")
    if not changed:
        typer.echo("No advisory changed.")


# --- advisories fetch ---------------------------------------------------------------------------


class TlpChoice(StrEnum):
    """The TLP labels ``advisories fetch`` accepts."""

    CLEAR = "clear"
    GREEN = "green"


FETCH_CACHE = "fetch.json"
"""The fetch's ETags, in the register's cache folder."""


@advisories_app.command("fetch")
def advisories_fetch(
    vendor: list[str] = typer.Option(
        [],
        "--vendor",
        metavar="ID",
        help="Fetch only this vendor's own feed (repeatable); the shared feeds of "
        "settings.advisory_feeds are read when no --vendor is given.",
    ),
    since: str | None = date_option(
        "--since",
        "Fetch what was published or updated on or after this date instead of since the last fetch",
        "365 days before today for a feed never fetched",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Fetch and verify; show what would change, write nothing."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Write nothing when a document was refused or a provider skipped."
    ),
    skip: list[str] = typer.Option(
        [],
        "--skip",
        metavar="DOCUMENT-ID",
        help="A document known to be bad (its tracking id): neither fetched nor reported "
        "(repeatable).",
    ),
    trust_on_first_use: bool = typer.Option(
        False,
        "--trust-on-first-use",
        help="For a feed without pinned keys, trust the key fingerprints its provider metadata "
        "lists, and record them in the register.",
    ),
    tlp: TlpChoice = typer.Option(
        TlpChoice.CLEAR,
        "--tlp",
        help="clear: only TLP:CLEAR (WHITE) documents; green: TLP:GREEN ones too.",
    ),
    received_on: str | None = date_option("--received-on", "Date the advisories were received"),
    parallel: int = typer.Option(
        4, "--parallel", min=1, max=16, metavar="N", help="At most N downloads at a time."
    ),
    timeout: float = typer.Option(
        30.0,
        "--timeout",
        min=0.1,
        max=600.0,
        metavar="SECONDS",
        help="Give up on a request that gets no answer for this long.",
    ),
    retries: int = typer.Option(
        2,
        "--retries",
        min=0,
        max=10,
        metavar="N",
        help="Retry a download that timed out, failed to connect or got HTTP 429/5xx N times, "
        "waiting 1 s, 2 s, 4 s ... in between.",
    ),
    max_size: float = typer.Option(
        10.0, "--max-size", min=0.01, metavar="MB", help="Refuse a document larger than this."
    ),
    allow_http: bool = typer.Option(
        False, "--allow-http", help="Allow plain http:// (always allowed to 127.0.0.1)."
    ),
    register: str | None = RegisterOption,
    commit: bool = CommitOption,
) -> None:
    """Fetch new advisories from the vendors' own CSAF providers (vendor advisory_feed) and the
    shared feeds of settings.advisory_feeds, verify them, and record them as advisories import
    does (matching, triage candidates, revisions).

    Each document's SHA-512 (else SHA-256) hash and OpenPGP signature are checked against the
    keys pinned in the register (advisory_keys, or the feed's keys); a document failing a check,
    on another host than the provider metadata, or not TLP:CLEAR is refused and never written.
    Each feed starts where its last fetch ended (the latest revision recorded from it). What
    verified is written in one write; exit 1 when anything was refused or a provider skipped.
    With settings.kev_feed set, CISA's KEV catalog is applied too, as advisories kev does."""
    since_date = parse_as_of(since, "--since") if since else None
    received = parse_as_of(received_on, "--received-on")
    today = date.today()
    with user_errors():
        root = find_register(register)
        loaded = load_register(root)
        vendors = {v.id: v for v in _valid(loaded, "vendor")}
        for vendor_id in vendor:
            if vendor_id not in vendors:
                raise UsageError(f"--vendor {vendor_id}: no such vendor in the register")
            if not vendors[vendor_id].advisory_feed:
                raise UsageError(
                    f"--vendor {vendor_id}: vendors/{vendor_id}.yaml has no advisory_feed"
                )
        if loaded.policy is None or loaded.policy.model is None:
            raise Refused(
                f"refused: {POLICY_FILE} is not valid, so its settings.advisory_feeds and "
                "kev_feed cannot be read; fix it first (iotpolicy check); nothing was fetched"
            )
        settings = _settings(loaded)
        sources = feed_sources(vendors.values(), settings, vendor)
        if not sources and not settings.kev_feed:
            typer.echo(
                "No feed to fetch: set advisory_feed on a vendor, or settings.advisory_feeds "
                "in policy.yaml."
            )
            return
        state = feed_state(_valid(loaded, "advisory"))
        etags = EtagStore(root / CACHE_FOLDER / FETCH_CACHE)
        options = FetchOptions(
            default_since=today - timedelta(days=365),
            since=since_date,
            ended=state.ended,
            recorded=state.recorded,
            skip=frozenset(filter(None, (slugify(s, "") for s in skip))),
            tlp=PUBLIC_TLP | ({"GREEN"} if tlp is TlpChoice.GREEN else set()),
            trust_on_first_use=trust_on_first_use,
            parallel=parallel,
            timeout=timeout,
            retries=retries,
            max_bytes=int(max_size * 1024 * 1024),
            allow_http=allow_http,
            etags=etags,
        )
        show = wants_progress(None, False, sys.stderr)
        with progress_bar(show, True, "Fetching advisories") as progress:
            result = fetch(sources, options, progress)
        catalog, kev_problem = _fetch_kev(settings.kev_feed, options)
        documents, refused = _parsed(result)
        skipped = [p for p in result.providers if p.skipped]
        _print_fetched(result, dry_run)
        trouble = len(refused) + len(skipped) + (kev_problem is not None)
        if strict and trouble:
            _print_refusals(refused, skipped, kev_problem)
            raise Refused(
                f"--strict: {_plural(len(refused), 'document')} refused, "
                f"{_plural(len(skipped), 'provider')} skipped; nothing was written"
            )
        reports: Reports = []
        unregistered: list[str] = []
        late: list[tuple[Document, str]] = []
        kev_changed: list[tuple[str, list[dict[str, Any]]]] = []

        def drafts_of(snap: Snapshot) -> list[Draft]:
            for found in (reports, unregistered, late, kev_changed):
                found.clear()
            names = _names(snap.register, "vendor")
            drafts = _trust_drafts(snap, result.providers)
            for fetched, document in documents:
                owner = fetched.source.vendor
                if owner is None and not _by_vendor(document, names, None):
                    unregistered.append(document.tracking_id)
                    continue
                try:
                    drafts += _advisory_drafts(
                        snap, document, owner, received, reports, fetched.feed
                    )
                except Refused as exc:
                    late.append((fetched, str(exc).removeprefix("refused: ")))
            if catalog is not None:
                drafts = _with_kev(snap.register, drafts, catalog, kev_changed)
            return drafts

        providers = sum(1 for p in result.providers if not p.skipped)
        message = f"Fetch advisories from {_plural(providers, 'provider')}"
        outcomes = write_drafts(root, today, commit, drafts_of, message, dry_run)
        refused += [(f.url, reason) for f, reason in late]
        for fetched, _ in late:
            result.distrust(fetched.listing)
        _print_reports(reports)
        if catalog is not None:
            _print_kev(catalog, kev_changed)
        _print_refusals(refused, skipped, kev_problem)
        if not dry_run:
            after = load_register(root) if outcomes else loaded
            ended = feed_state(_valid(after, "advisory")).ended
            etags.save(
                {
                    x.url: Validator(x.etag, x.last_modified, _iso(ended.get(x.feed)))
                    for x in result.listings
                    if (x.etag or x.last_modified) and _read_far_enough(x.feed, options)
                }
            )
        recorded = sum(1 for r in reports if not r[1].startswith("unchanged"))
        head = "Dry run, nothing written" if dry_run else "Fetched"
        typer.echo(
            f"{head}: {_plural(len(result.documents), 'document')} verified from "
            f"{_plural(providers, 'provider')}, {recorded} {'to record' if dry_run else 'recorded'}"
            + (f", {len(unregistered)} naming no registered vendor" if unregistered else "")
            + f"; {len(refused)} refused"
            + (f", {_plural(len(skipped), 'provider')} skipped" if skipped else "")
            + "."
        )
        _print_outcomes(outcomes, dry_run)
    raise typer.Exit(EXIT_FINDINGS if len(late) + trouble else EXIT_OK)


def _read_far_enough(feed: str, options: FetchOptions) -> bool:
    """Whether a listing's ETag holds for the next fetch: this one read at least as far back
    as the feed's fetches start (a later ``--since`` read less)."""
    start = options.ended.get(feed, options.default_since)
    return options.since is None or options.since <= start


def _shown(feed: str) -> str:
    """A feed as written in the register, as printed (a URL without credentials or query)."""
    return shown(feed) if "://" in feed else feed


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _parsed(
    result: FetchResult,
) -> tuple[list[tuple[Document, CsafAdvisory]], list[tuple[str, str]]]:
    """The verified documents read as CSAF (the newest revision of each advisory once, its own
    feed before a shared one), and the refusals: the fetch's, then documents that are not
    CSAF."""
    refused = [(r.what, f"{r.source.label}: {r.reason}") for r in result.refusals]
    best: dict[str, tuple[Document, CsafAdvisory]] = {}
    for fetched in result.documents:
        try:
            document = parse_csaf(fetched.data, shown(fetched.url))
        except CsafError as exc:
            refused.append((fetched.url, str(exc).removeprefix(f"{shown(fetched.url)}: ")))
            result.distrust(fetched.listing)
            continue
        seen = best.get(document.id)
        if seen is None or document.is_newer_than(seen[1].revision, seen[1].revised_on):
            best[document.id] = (fetched, document)
    return sorted(best.values(), key=lambda pair: pair[1].id), refused


def _fetch_kev(url: str | None, options: FetchOptions) -> tuple[Catalog | None, str | None]:
    """CISA's KEV catalog from ``url``, or why it could not be had."""
    if url is None:
        return None, None
    try:
        return parse_kev(download(url, options, MAX_KEV_BYTES), shown(url)), None
    except (FetchError, KevError) as exc:
        return None, f"KEV catalog not refreshed: {exc}"


def _with_kev(
    register: Register,
    drafts: list[Draft],
    catalog: Catalog,
    changed: list[tuple[str, list[dict[str, Any]]]],
) -> list[Draft]:
    """``drafts`` with the KEV catalog applied to every advisory, the drafted ones included."""
    after = register
    for draft in drafts:
        after = with_file(after, draft.file, draft.text)
    kev = {d.file: d for d in _kev_drafts(after, catalog, changed)}
    merged = [replace(d, text=kev.pop(d.file).text) if d.file in kev else d for d in drafts]
    return merged + list(kev.values())


def _trust_drafts(snap: Snapshot, providers: Sequence[ProviderResult]) -> list[Draft]:
    """The keys taken on first use, recorded: a vendor's ``advisory_keys``, a shared feed's
    ``{url, keys}`` in policy.yaml."""
    drafts: list[Draft] = []
    policy: RoundTrip | None = None
    for report in providers:
        source = report.source
        if not report.trusted:
            continue
        if source.vendor is not None:
            rel = f"vendors/{source.vendor}.yaml"
            snap.valid_file(rel)
            doc = round_trip(rel, snap.register.texts[rel])
            doc.set(("advisory_keys",), list(report.trusted), partial(model_order, Vendor))
            message = f"Trust the advisory keys of vendor {source.vendor} on first use"
            drafts.append(Draft(rel, doc.text(), source.vendor, message, False))
        elif source.entry is not None:
            snap.valid_file(POLICY_FILE)
            policy = policy or round_trip(POLICY_FILE, snap.register.texts[POLICY_FILE])
            entry = {"url": source.url, "keys": list(report.trusted)}
            policy.set(("settings", "advisory_feeds", source.entry), entry, _policy_order)
    if policy is not None:
        message = "Trust the keys of shared advisory feeds on first use"
        drafts.append(Draft(POLICY_FILE, policy.text(), "policy", message, False))
    return drafts


def _policy_order(path: tuple[str | int, ...]) -> Sequence[str]:
    return model_order(Policy, path)


def _print_fetched(result: FetchResult, dry_run: bool) -> None:
    """One line per provider: what it listed and what was new; keys offered, notes."""
    for report in result.providers:
        where = f"{report.source.label}: {report.feed or _shown(report.source.url)}"
        if report.skipped:
            continue
        since = f" since {report.since}" if report.since else ""
        unchanged = ", listing unchanged" if report.unchanged_listings else ""
        typer.echo(f"{where}: {report.listed} listed, {report.new} new{since}{unchanged}")
        if report.trusted:
            recorded = "would be recorded" if dry_run else "recorded"
            typer.echo(
                f"  trusted on first use: {', '.join(report.trusted)} ({recorded} in "
                f"{report.source.label.split(' ', 1)[0]}; check them with the vendor)"
            )
        for fingerprint in report.offered:
            typer.echo(
                f"  the provider also lists key {fingerprint}, which is not pinned: a new "
                "key? Verify it with the vendor and add it to the register to trust it"
            )
        for note in report.notes:
            typer.echo(f"  note: {note}")


def _print_refusals(
    refused: Sequence[tuple[str, str]],
    skipped: Sequence[ProviderResult],
    kev_problem: str | None,
) -> None:
    for report in skipped:
        typer.echo(
            f"skipped {report.source.label} ({report.source.url}): {report.skipped}", err=True
        )
    for what, reason in refused:
        typer.echo(f"refused {what}: {reason}", err=True)
    if kev_problem:
        typer.echo(kev_problem, err=True)

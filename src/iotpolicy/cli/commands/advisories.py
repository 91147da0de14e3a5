"""``iotpolicy advisories``: import CSAF advisories, list them, set their status, record triage
decisions, match them to devices again, record CISA's known-exploited CVEs. The drafting is
:mod:`iotpolicy.importers.advisories`; every write goes through
:func:`iotpolicy.writing.draft.write_drafts` (lock, reload, check the drafted files as ``check``
reads them, write all or nothing, ``--commit`` one commit)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from iotpolicy.cli.app import (
    CommitWrittenOption,
    RegisterOption,
    app,
    date_option,
    parse_as_of,
    print_outcomes,
    user_errors,
    write_output,
)
from iotpolicy.cli.completion import complete_device_id
from iotpolicy.cli.prompts import InteractiveOption, edit_with_prompts, with_fields
from iotpolicy.domain.affected import affects, known_exploited_label
from iotpolicy.domain.csaf import MAX_CSAF_BYTES, parse_csaf
from iotpolicy.domain.matching import DeviceMatch
from iotpolicy.domain.triage import (
    TriageUpdate,
    is_possible,
    record_matches,
)
from iotpolicy.engine import evaluate, select_rules
from iotpolicy.errors import UsageError
from iotpolicy.importers.advisories import advisory_drafts, advisory_order, kev_drafts, match_drafts
from iotpolicy.importers.common import record_names, valid_models
from iotpolicy.importers.kev import MAX_KEV_BYTES, parse_kev
from iotpolicy.inputs import read_input
from iotpolicy.models.enums import (
    TriageStatus,
)
from iotpolicy.register import find_register, load_register
from iotpolicy.wording import plural as _plural
from iotpolicy.writing.draft import Draft, Outcome, round_trip, write_drafts
from iotpolicy.writing.edit import record_triage, triage_target
from iotpolicy.writing.fields import TRIAGE_FIELDS, Values
from iotpolicy.writing.snapshot import Snapshot

advisories_app = typer.Typer(
    name="advisories",
    help=(
        "Vendor security advisories: import CSAF documents, list them, match them to devices, "
        "record per-device triage decisions and CISA's known-exploited CVEs."
    ),
    no_args_is_help=True,
)


app.add_typer(advisories_app, name="advisories")


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
    commit: bool = CommitWrittenOption,
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
        documents = [parse_csaf(read_input(path, MAX_CSAF_BYTES), path.name) for path in files]
        reports: list[tuple[str, str, list[DeviceMatch], tuple[str, ...]]] = []

        def drafts_of(snap: Snapshot) -> list[Draft]:
            reports.clear()
            drafts: list[Draft] = []
            for document in documents:
                drafts += advisory_drafts(snap, document, vendor, received, reports)
            return drafts

        message = f"Import advisories from {', '.join(f.name for f in files)}"
        outcomes = write_drafts(root, date.today(), commit, drafts_of, message)
        for rel, headline, matches, warnings in reports:
            typer.echo(f"{rel}: {headline}")
            for match in matches:
                if match.exact:
                    typer.echo(f"  matches {match.describe()}")
            for match in matches:
                if is_possible(match):
                    typer.echo(f"  candidate {match.describe()}")
            for match in matches:
                if not match.exact and not match.affected:
                    typer.echo(f"  similar {match.describe()}: no candidate")
            if not matches:
                typer.echo("  matches no registered device")
            for warning in warnings:
                typer.echo(f"  warning: {warning}")
        print_outcomes(outcomes)


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
        devices = valid_models(loaded, "device")
        vendors = record_names(loaded, "vendor")
        entries = []
        for advisory in sorted(valid_models(loaded, "advisory"), key=lambda a: a.id):
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
    commit: bool = CommitWrittenOption,
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
            doc.set(("status",), status.value, advisory_order)
            doc.set(("note",), " ".join(note.split()), advisory_order)
            message = f"Set advisory {advisory_id} {status.value}"
            return [Draft(rel, doc.text(), advisory_id, message, False)]

        outcomes = write_drafts(root, date.today(), commit, drafts_of)
        typer.echo(f"{outcomes[0].message}: {rel} written.")
        print_outcomes(outcomes)


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
    commit: bool = CommitWrittenOption,
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
        needed = {"justification"} if status is TriageStatus.NOT_AFFECTED else set()
        fields = [replace(f, required=True) if f.key in needed else f for f in TRIAGE_FIELDS]
        _, outcome = edit_with_prompts(
            words, None, fields, given, root, interactive, write,
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
    print_outcomes((outcome,))


@advisories_app.command("match")
def advisories_match(
    register: str | None = RegisterOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing."),
    commit: bool = CommitWrittenOption,
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
            drafts, found = match_drafts(snap.register)
            updates.extend(found)
            return drafts

        outcomes = write_drafts(
            root, date.today(), commit, drafts_of, "Match advisories to devices", dry_run
        )
        for update in updates:
            typer.echo(f"{'would ' if dry_run else ''}{update.describe()}")
        if not updates:
            typer.echo("Every possible match has a triage entry; nothing to change.")
        print_outcomes(outcomes, dry_run)


@advisories_app.command("kev")
def advisories_kev(
    file: Path = typer.Argument(
        ..., metavar="FILE", help="CISA's KEV catalog (known_exploited_vulnerabilities.json)."
    ),
    register: str | None = RegisterOption,
    commit: bool = CommitWrittenOption,
) -> None:
    """Record, on each advisory naming a CVE of CISA's Known Exploited Vulnerabilities catalog,
    known_exploited (CVE, date added, due date, ransomware use): FW-002 then names it first."""
    with user_errors():
        root = find_register(register)
        catalog = parse_kev(read_input(file, MAX_KEV_BYTES), file.name)
        changed: list[tuple[str, list[dict[str, Any]]]] = []

        def drafts_of(snap: Snapshot) -> list[Draft]:
            changed.clear()
            drafts, found = kev_drafts(snap.register, catalog)
            changed.extend(found)
            return drafts

        message = f"Record CISA KEV catalog {catalog.version}"
        outcomes = write_drafts(root, date.today(), commit, drafts_of, message)
        typer.echo(f"CISA KEV catalog {catalog.version}: {_plural(len(catalog.entries), 'CVE')}.")
        for rel, entries in changed:
            listed = ", ".join(
                f"{e['cve']} (due {e['due_date']})" if "due_date" in e else e["cve"]
                for e in entries
            )
            typer.echo(f"{rel}: known exploited {listed}")
        if not changed:
            typer.echo("No advisory changed.")
        print_outcomes(outcomes)

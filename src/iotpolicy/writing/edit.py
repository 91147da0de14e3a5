"""The editing commands' logic: the forms of the kinds ``add-*`` creates, ``add-*``,
``record-change``, ``retire`` and ``advisories triage``. Each drafts the one file it changes (and
the advisories whose triage it moves) and writes
through :func:`iotpolicy.writing.draft.write_drafts`.

No typer here: the CLI layer turns options into :data:`Values`, asks through the callbacks of
:func:`iotpolicy.writing.answers.fill` and prints the :class:`Outcome`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from iotpolicy.errors import UsageError
from iotpolicy.fsio import in_register
from iotpolicy.grammar.names import nearest
from iotpolicy.kinds import PEOPLE_FILE
from iotpolicy.models import Advisory, Device
from iotpolicy.models.enums import ChangeKind, Justification, Status, TriageStatus
from iotpolicy.register import (
    Record,
    schema_comment,
)
from iotpolicy.writing.answers import apply_defaults
from iotpolicy.writing.draft import Draft, Outcome, round_trip, write_draft
from iotpolicy.writing.fields import (
    CHANGE_META_FIELDS,
    DEVICE_FIELDS,
    SERVICE_EDIT_FIELDS,
    Ask,
    Field,
    Ref,
    Values,
)
from iotpolicy.writing.forms import CHANGE_FIELDS, DEVICE, Form, Path_, model_order
from iotpolicy.writing.snapshot import Refused, Snapshot
from iotpolicy.yamlio.load import parse_text
from iotpolicy.yamlio.nodes import Quoted
from iotpolicy.yamlio.roundtrip import RoundTrip, dump_new


def add_record(
    root: Path,
    kind: Form,
    values: Values,
    *,
    today: date,
    commit: bool = False,
    known_only: bool = False,
) -> Outcome:
    """Create a record of ``kind`` from ``values`` (a new file, or a new entry of people.yaml).
    ``known_only``: before the prompts, refuse on what the values given (the id among them)
    decide; a value still to be asked for is not given its default (see :func:`write_drafts`)."""

    def draft_of(snap: Snapshot) -> Draft:
        answers = dict(values)
        defaulted = [f for f in kind.fields if not (known_only and f.asked(answers))]
        apply_defaults(kind, defaulted, answers, snap)
        record_id = answers["id"]
        taken = snap.check(kind, kind.fields[0], record_id, answers, None)
        if taken:
            raise Refused(f"refused: {taken}; nothing was written")
        problems = [
            (fld.path, problem)
            for fld in kind.fields
            if fld.key in answers
            and (problem := snap.check(kind, fld, answers[fld.key], answers, None))
        ]
        record = build(kind, answers)
        if kind.name == "device" and answers.get("status") == "active":
            record["changes"] = [
                _change(
                    answers.get("commissioned_on") or snap.today,
                    ChangeKind.COMMISSIONING,
                    "In service when it was added to the register.",
                    None,
                )
            ]
        rel = kind.file(record_id)
        message = f"Add {kind.name} {record_id}"
        if kind.folder is not None:
            text = dump_new(record, schema_comment(rel))
            return Draft(
                rel,
                text,
                record_id,
                message,
                True,
                (),
                tuple(problems),
                gate=answers.get("status") == "active",
            )
        path = in_register(snap.register.root, PEOPLE_FILE)
        if not path.exists():
            return Draft(
                rel,
                dump_new([record], schema_comment(rel)),
                record_id,
                message,
                True,
                (0,),
                tuple(problems),
            )
        snap.valid_file(rel)
        text = snap.register.texts.get(rel) or path.read_text(encoding="utf-8")
        if not parse_text(text).data:  # "[]": the list starts here, under the file's comments
            header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
            return Draft(
                rel, dump_new([record], header), record_id, message, False, (0,), tuple(problems)
            )
        doc = round_trip(rel, text)
        doc.append((), record, kind.key_order)
        return Draft(
            rel, doc.text(), record_id, message, False, (len(doc.root) - 1,), tuple(problems)
        )

    return write_draft(root, today, commit, draft_of, known_only)


def build(kind: Form, values: Values) -> dict[str, Any]:
    """The record holding ``values``, keys in the field table's order."""
    record: dict[str, Any] = {}
    for fld in kind.fields:
        value = values.get(fld.key)
        if value is None or value == []:
            continue
        node = record
        for step in fld.path[:-1]:
            node = node.setdefault(step, {})
        node[fld.path[-1]] = value
    return record


def _change(
    when: date, kind: ChangeKind, summary: str | None, by: str | None, **extra: Any
) -> dict[str, Any]:
    """A ``changes`` entry in the model's key order."""
    entry = {"date": when, "kind": kind.value, "summary": summary, "by": by, **extra}
    return {k: v for k, v in entry.items() if v is not None}


_SERVICES_AT = 1 + [f.name for f in CHANGE_FIELDS].index("unused-services-disabled")


CHANGE_FIELDS_ALL: tuple[Field, ...] = (
    *CHANGE_META_FIELDS,
    *CHANGE_FIELDS[:_SERVICES_AT],
    *SERVICE_EDIT_FIELDS,
    *CHANGE_FIELDS[_SERVICES_AT:],
)
"""Every option of ``record-change`` besides the device id and the kind."""


_REQUIRED_FOR: dict[ChangeKind, tuple[str, ...]] = {
    ChangeKind.FIRMWARE_UPDATE: ("firmware_version",),
    ChangeKind.REPLACEMENT: ("serial",),
    ChangeKind.CONFIGURATION: ("summary",),
}


_RELOCATION_KEYS = ("site", "area", "segment", "ip", "mac", "hostname")


def change_fields(kind: ChangeKind) -> tuple[Field, ...]:
    """The options of ``record-change --kind KIND`` as that kind asks for them: the ones it
    needs are required; besides who and what, a commissioning asks for whatever the
    active-device rules need, a relocation for where to, a firmware update for the integrity
    check; device fields are otherwise only options."""
    needed = _REQUIRED_FOR.get(kind, ())
    asked = {
        ChangeKind.RELOCATION: _RELOCATION_KEYS,
        ChangeKind.FIRMWARE_UPDATE: ("integrity", "verified_by"),
    }.get(kind, ())

    def adapt(fld: Field) -> Field:
        if fld.key in needed:
            return replace(fld, required=True, ask=Ask.ALWAYS)
        if fld in CHANGE_META_FIELDS:
            return fld
        if kind is ChangeKind.COMMISSIONING:
            return replace(fld, required=False)
        return replace(fld, required=False, ask=Ask.ALWAYS if fld.key in asked else Ask.NEVER)

    return tuple(adapt(f) for f in CHANGE_FIELDS_ALL)


def change_prompt_values(kind: ChangeKind, device: Device) -> Values:
    """What the prompts of a change start from: for a commissioning, the device's current values
    and status active, so that exactly the facts the active-device rules need and the record
    lacks are asked for."""
    if kind is not ChangeKind.COMMISSIONING:
        return {}
    return {**current_values(device), "status": Status.ACTIVE.value}


def record_change(
    root: Path,
    device_id: str,
    kind: ChangeKind,
    values: Values,
    *,
    today: date,
    commit: bool = False,
    known_only: bool = False,
) -> Outcome:
    """Append a ``kind`` change to a device and update the fields it implies: a commissioning
    sets status active and ``commissioned_on`` (and is refused unless the device then meets
    every active-device rule); a firmware update sets ``firmware.version`` and ``updated_on``
    (with ``integrity``, the integrity record); a relocation its location and network; a
    replacement its serial number. Device fields given as options are set too.
    ``known_only``: before the prompts, refuse on what the device and the values given
    decide (see :func:`write_drafts`)."""
    if kind in (ChangeKind.RETIREMENT, ChangeKind.DISPOSAL):
        raise UsageError(f"record a {kind.value} with iotpolicy retire {device_id}")
    relocation = kind is ChangeKind.RELOCATION and not known_only
    if relocation and not any(k in values for k in _RELOCATION_KEYS):
        raise UsageError(
            "a relocation needs where to: --site, --area, --segment, --ip, --mac or --hostname"
        )
    when: date = values.get("date") or today
    given = {f.key: values[f.key] for f in CHANGE_FIELDS if f.key in values}

    def draft_of(snap: Snapshot) -> Draft:
        record = snap.device(device_id)
        device = record.model
        if device.status in (Status.RETIRED, Status.DISPOSED):
            raise Refused(
                f"{device_id} is {device.status.value}; its record no longer changes "
                "(nothing was written)"
            )
        if kind is ChangeKind.COMMISSIONING and device.status is not Status.PLANNED:
            raise Refused(
                f"{device_id} is already {device.status.value}; only a planned device is "
                "commissioned (nothing was written)"
            )
        effective = {**current_values(device), **given}
        problems: list[tuple[Path_, str]] = []
        for fld in CHANGE_FIELDS_ALL:
            if fld.key in values:
                problem = snap.check(DEVICE, fld, values[fld.key], effective, device.id)
                if problem:
                    where = fld.path if fld not in CHANGE_META_FIELDS else ("changes",)
                    problems.append((where, problem))
        if "segment" in given and "ip" not in given and effective.get("ip"):
            problem = snap.ip_problem(str(effective["ip"]), given["segment"], device.id)
            if problem:
                problems.append((("network", "ip"), f"{problem}; give its new address with --ip"))
        updates, extra, detail = _implied(device, kind, given, when, values.get("by"))
        doc = round_trip(record.file, snap.register.texts[record.file])
        for path, value in updates.items():
            doc.set(path, value, DEVICE.key_order)
        edited, unknown = _edit_services(
            doc, values.get("add_service", []), values.get("remove_service", [])
        )
        problems += [(("hardening", "services"), problem) for problem in unknown]
        summary = values.get("summary") or _summary(kind, given, detail)
        detail = "; ".join(part for part in (detail, edited) if part)
        entry = _change(when, kind, summary, values.get("by"), **extra)
        doc.append(("changes",), entry, DEVICE.key_order)
        message = f"Record {kind.value} on {device_id}" + (f" ({detail})" if detail else "")
        gate = kind is ChangeKind.COMMISSIONING
        return Draft(record.file, doc.text(), device_id, message, False, (), tuple(problems), gate)

    return write_draft(root, today, commit, draft_of, known_only)


def _edit_services(
    doc: RoundTrip, added: Sequence[dict[str, Any]], removed: Sequence[str]
) -> tuple[str, list[str]]:
    """Remove the services named in ``removed``, then add each of ``added`` (changing the one of
    the same name): what was added, changed and removed (``services: added snmp; changed https;
    removed telnet``), and a problem for each name to remove that the device does not have."""
    path = ("hardening", "services")
    current = doc.get(path)
    entries = list(current) if isinstance(current, list) else []
    before = {str(entry.get("name")): dict(entry) for entry in entries if isinstance(entry, dict)}
    problems: list[str] = []
    for name in removed:
        index = next((i for i, e in enumerate(entries) if e.get("name") == name), None)
        if index is None:
            have = ", ".join(before) or "none"
            problems.append(f"no service '{name}' to remove (its services: {have})")
            continue
        del entries[index]
        del current[index]
    for entry in added:
        index = next((i for i, e in enumerate(entries) if e.get("name") == entry["name"]), None)
        if index is None:
            doc.append(path, entry, DEVICE.key_order)
            current = doc.get(path)
            entries.append(entry)
        else:
            doc.set((*path, index), entry, DEVICE.key_order)
            entries[index] = entry
    after = {str(entry["name"]): dict(entry) for entry in entries}
    parts = [
        f"{verb} {', '.join(names)}"
        for verb, names in (
            ("added", [n for n in after if n not in before]),
            ("changed", [n for n in after if n in before and after[n] != before[n]]),
            ("removed", [n for n in before if n not in after]),
        )
        if names
    ]
    return (f"services: {'; '.join(parts)}" if parts else ""), problems


def current_values(device: Device) -> Values:
    """The device's current values by field key (for checks that combine fields)."""
    data = device.model_dump(mode="python")
    values: Values = {}
    for fld in DEVICE_FIELDS:
        node: Any = data
        for step in fld.path:
            node = node.get(step) if isinstance(node, dict) else None
        if node is not None and node != () and node != []:
            values[fld.key] = node
    return values


def _implied(
    device: Device, kind: ChangeKind, given: Values, when: date, by: str | None
) -> tuple[dict[Path_, Any], dict[str, Any], str]:
    """The fields to set, the extra keys of the change entry and the commit message's detail."""
    updates: dict[Path_, Any] = {f.path: given[f.key] for f in CHANGE_FIELDS if f.key in given}
    extra: dict[str, Any] = {}
    detail = ""
    match kind:
        case ChangeKind.COMMISSIONING:
            updates[("status",)] = Status.ACTIVE.value
            updates[("commissioned_on",)] = when
        case ChangeKind.FIRMWARE_UPDATE if "firmware_version" in given:
            old = device.firmware.version if device.firmware else None
            new = str(given["firmware_version"])
            updates[("firmware", "updated_on")] = when
            if "integrity" in given:
                updates.setdefault(("firmware", "integrity", "verified_on"), when)
                if by and "verified_by" not in given:
                    updates[("firmware", "integrity", "verified_by")] = by
            if old:
                extra["from_version"] = Quoted(old)
            extra["to_version"] = Quoted(new)
            detail = f"{old} -> {new}" if old else f"-> {new}"
        case ChangeKind.REPLACEMENT if "serial" in given:
            extra["serial"] = given["serial"]
            detail = f"serial {device.serial} -> {given['serial']}" if device.serial else ""
        case ChangeKind.RELOCATION:
            old_segment = device.network.segment if device.network else None
            if "segment" in given and given["segment"] != old_segment:
                detail = f"{old_segment or 'no segment'} -> {given['segment']}"
    return updates, extra, detail


def _summary(kind: ChangeKind, given: Values, detail: str) -> str:
    """The change's summary when none was given."""
    match kind:
        case ChangeKind.COMMISSIONING:
            return "Commissioned; hardened, approved and put into service."
        case ChangeKind.FIRMWARE_UPDATE if "firmware_version" in given:
            return f"Firmware updated ({detail})."
        case ChangeKind.REPLACEMENT if "serial" in given:
            return f"Hardware replaced; new serial {given['serial']}."
        case ChangeKind.RELOCATION:
            moved = ", ".join(f"{k} {given[k]}" for k in _RELOCATION_KEYS if k in given)
            return f"Moved ({moved})."
    return f"{kind.value.capitalize()}."


_CONFIRMATIONS = ("data_wiped", "credentials_revoked", "removed_from_network")
"""The facts LIF-002 needs confirmed before a device counts as retired."""


def retire(
    root: Path,
    device_id: str,
    values: Values,
    *,
    today: date,
    commit: bool = False,
    known_only: bool = False,
) -> Outcome:
    """Set a device retired or disposed, with its disposal record (date, by, and the three
    confirmations, which must all be yes) and a retirement or disposal change.
    ``known_only``: before the prompts, refuse on what the device and the values given
    decide (see :func:`write_drafts`)."""
    unconfirmed = [f"--{key.replace('_', '-')}" for key in _CONFIRMATIONS if not values.get(key)]
    if unconfirmed and not known_only:
        raise Refused(
            f"refused: a device is retired only once {', '.join(unconfirmed)} "
            f"{'is' if len(unconfirmed) == 1 else 'are'} done and confirmed (P35S 2.1, "
            "LIF-002); nothing was written"
        )
    status = Status(values.get("status") or Status.RETIRED.value)
    when: date = values.get("date") or today
    by: str | None = values.get("by")

    def draft_of(snap: Snapshot) -> Draft:
        record = snap.device(device_id)
        device = record.model
        if device.status is Status.DISPOSED or device.status is status:
            raise Refused(f"{device_id} is already {device.status.value} (nothing was written)")
        person = snap.reference_problem(Ref.PERSON, by) if by is not None else None
        if person:
            raise Refused(f"refused: --by: {person}; nothing was written")
        doc = round_trip(record.file, snap.register.texts[record.file])
        doc.set(("status",), status.value, DEVICE.key_order)
        disposal = {"date": when, **{key: True for key in _CONFIRMATIONS}}
        if by is not None:
            disposal["by"] = by
        if values.get("method"):
            disposal["method"] = values["method"]
        for key, value in disposal.items():
            doc.set(("disposal", key), value, DEVICE.key_order)
        disposed = status is Status.DISPOSED
        kind = ChangeKind.DISPOSAL if disposed else ChangeKind.RETIREMENT
        summary = (
            values.get("summary")
            or (
                ("Disposed of" + (f" ({values['method']})" if values.get("method") else ""))
                if disposed
                else "Taken out of service"
            )
            + "; data wiped, credentials revoked, removed from the network."
        )
        doc.append(("changes",), _change(when, kind, summary, by), DEVICE.key_order)
        message = f"{'Dispose of' if disposed else 'Retire'} device {device_id}"
        return Draft(record.file, doc.text(), device_id, message, False)

    return write_draft(root, today, commit, draft_of, known_only)


def triage_target(
    snap: Snapshot, advisory_id: str, device_id: str
) -> tuple[Record[Advisory], Device]:
    """The advisory record and the device a triage decision is about; UsageError or Refused
    when either is missing or cannot be read."""
    rel = f"advisories/{advisory_id}.yaml"
    record = next((r for r in snap.register.of("advisory") if r.file == rel), None)
    if record is None:
        close = nearest(advisory_id, snap.ids("advisory"))
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"no advisory '{advisory_id}' in the register ({rel}){hint}")
    if record.model is None:
        snap.valid_file(rel)
    return record, snap.device(device_id).model


def record_triage(
    root: Path,
    advisory_id: str,
    device_id: str,
    status: TriageStatus,
    values: Values,
    *,
    today: date,
    commit: bool = False,
) -> Outcome:
    """Record a person's decision on one device in one advisory's ``triage``: the entry of that
    device (a candidate, a lapsed or an earlier decision) is replaced in place, or appended. It
    is made for the device's firmware and the advisory's revision (``for_version``,
    ``for_revision``), so it lapses when either changes."""
    if status is TriageStatus.CANDIDATE:
        raise UsageError("record a decision: affected or not-affected")
    if status is TriageStatus.NOT_AFFECTED and not values.get("justification"):
        raise UsageError(
            "not-affected needs --justification: " + ", ".join(j.value for j in Justification)
        )
    if status is TriageStatus.AFFECTED and values.get("justification"):
        raise UsageError("--justification explains not-affected only")
    rel = f"advisories/{advisory_id}.yaml"

    def draft_of(snap: Snapshot) -> Draft:
        record, device = triage_target(snap, advisory_id, device_id)
        advisory: Advisory = record.model
        firmware = device.firmware.version if device.firmware else None
        entry: dict[str, Any] = {
            "device": device_id,
            "status": status.value,
            "justification": values.get("justification"),
            "note": values.get("note"),
            "by": values["by"],
            "on": values.get("on") or snap.today,
            "for_version": Quoted(firmware) if firmware else None,
            "for_revision": Quoted(advisory.revision) if advisory.revision else None,
        }
        entry = {k: v for k, v in entry.items() if v is not None}
        problem = snap.reference_problem(Ref.PERSON, values["by"])
        doc = round_trip(rel, snap.register.texts[rel])
        index = next(
            (i for i, e in enumerate(advisory.triage) if e.device.strip() == device_id), None
        )
        order = partial(model_order, Advisory)
        if index is None:
            doc.append(("triage",), entry, order)
            index = len(advisory.triage)
        else:
            doc.set(("triage", index), entry, order)
        problems = ((("triage", index, "by"), problem),) if problem else ()
        detail = f" ({values['justification']})" if values.get("justification") else ""
        message = f"Triage {device_id} in advisory {advisory_id}: {status.value}{detail}"
        return Draft(rel, doc.text(), advisory_id, message, False, (), problems)

    return write_draft(root, today, commit, draft_of)

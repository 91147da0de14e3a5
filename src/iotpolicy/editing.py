"""Changing the register safely: the logic behind ``add-*``, ``record-change`` and ``retire``.

Every write goes one way (:func:`_write`): under the register's lock, reload the register, draft
the new text of the one file the command changes, read that text exactly as ``check`` reads it
(the fast loader, the models, the REG rules) plus the command's own checks (references, an IP
inside its segment and not in use, a GM as approver ...), and write nothing if anything is wrong.
Otherwise the file is replaced atomically and, with ``--commit``, exactly that file is committed.
The caller gets the findings of ``check`` about the record it wrote.

No typer here: the CLI layer turns options into :data:`Values`, asks through the callbacks of
:func:`fill` and prints the :class:`Outcome`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property, partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from iotpolicy.engine import evaluate, select_rules
from iotpolicy.errors import RefusedError, UsageError
from iotpolicy.fields import (
    CHANGE_EXCLUDED,
    CHANGE_META_FIELDS,
    DEVICE_FIELDS,
    EXCEPTION_FIELDS,
    PERSON_FIELDS,
    SEGMENT_FIELDS,
    SERVICE_EDIT_FIELDS,
    VENDOR_FIELDS,
    Ask,
    Field,
    Ref,
    Values,
)
from iotpolicy.findings import Finding, Severity
from iotpolicy.gitlog import commit_files, plan_commit
from iotpolicy.models import Advisory, Device, Person, PolicyException, Segment, Vendor
from iotpolicy.models.base import is_slug
from iotpolicy.models.enums import ChangeKind, Justification, Status, TriageStatus
from iotpolicy.names import add_hint
from iotpolicy.register import (
    FOLDERS,
    PEOPLE_FILE,
    Record,
    Register,
    line_at,
    load_register,
    schema_comment,
    with_file,
)
from iotpolicy.rules import RULES, Context
from iotpolicy.rules.exceptions import UNSUPPRESSIBLE
from iotpolicy.triage import TriageUpdate, update_candidates
from iotpolicy.yamlio import (
    LDict,
    LList,
    Quoted,
    RoundTrip,
    YamlEditError,
    atomic_write_bytes,
    atomic_write_text,
    dump_new,
    parse_text,
    register_lock,
    value_at,
)

Path_ = tuple[str | int, ...]
_REG_RULES = ("REG-001", "REG-002", "REG-003", "REG-004")
_INDEXES = re.compile(r"\.[0-9]+")
_GATE_LINE = re.compile(r"^[^:]+:[0-9]+: (?!REG-)[A-Z]{2,4}-[0-9]{3}: ")
"""A problem line that is a rule's finding about a record going live (not a REG problem)."""
_SHOWN_CHOICES = 15
"""At most this many choices are listed in a prompt or a message."""


class Refused(RefusedError):
    """The command's result would be invalid: nothing was written. ``details`` holds one
    ``file:line: field: what`` line per problem."""


# --- record kinds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A kind of record the ``add-*`` commands create."""

    name: str
    """device, vendor, segment, person or exception."""
    fields: tuple[Field, ...]
    """Its field table, in the file's key order."""
    model: type[BaseModel]
    """Its pydantic model."""
    folder: str | None
    """Its folder, or None for people (entries of people.yaml)."""

    def file(self, record_id: str) -> str:
        """The file holding record ``record_id``, relative to the register."""
        return f"{self.folder}/{record_id}.yaml" if self.folder else PEOPLE_FILE

    def key_order(self, path: Path_) -> Sequence[str]:
        """Canonical key order of the mapping at ``path`` of a record: the field table's order,
        then the model's (for keys without an option, such as ``changes``)."""
        keys = tuple(path[1:] if self.folder is None else path)  # people.yaml: skip the index
        depth = len(keys)
        named = [
            f.path[depth] for f in self.fields if len(f.path) > depth and f.path[:depth] == keys
        ]
        return list(dict.fromkeys([*named, *model_order(self.model, keys)]))


def model_order(model: type[BaseModel], path: Path_) -> list[str]:
    """The fields, in order, of the model of the mapping at ``path`` inside a ``model`` record
    (list indexes are stepped through); none when ``path`` leads out of the model."""
    inner = _model_at(model, [k for k in path if isinstance(k, str)])
    return list(inner.model_fields) if inner is not None else []


def _model_at(model: type[BaseModel], keys: Sequence[str]) -> type[BaseModel] | None:
    """The model of the mapping reached through ``keys`` (list items are stepped through)."""
    current: type[BaseModel] | None = model
    for key in keys:
        if current is None or key not in current.model_fields:
            return None
        current = _inner_model(current.model_fields[key].annotation)
    return current


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``X | None`` or ``tuple[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


KINDS: dict[str, Kind] = {
    "device": Kind("device", DEVICE_FIELDS, Device, "devices"),
    "vendor": Kind("vendor", VENDOR_FIELDS, Vendor, "vendors"),
    "segment": Kind("segment", SEGMENT_FIELDS, Segment, "segments"),
    "person": Kind("person", PERSON_FIELDS, Person, None),
    "exception": Kind("exception", EXCEPTION_FIELDS, PolicyException, "exceptions"),
}
"""The kinds ``add-*`` creates."""
DEVICE = KINDS["device"]
CHANGE_FIELDS: tuple[Field, ...] = tuple(f for f in DEVICE_FIELDS if f.name not in CHANGE_EXCLUDED)
"""The device fields ``record-change`` takes as options (the change kind sets the others)."""


# --- what the register holds: choices and checks of answers -----------------------------------


class Snapshot:
    """The register as read at one moment, with the indexes the checks and prompts use. Give
    the register, or a function reading it on first use (answers given as options need it only
    for a default)."""

    def __init__(self, register: Register | Callable[[], Register], today: date) -> None:
        self._register = register
        self.today = today

    @cached_property
    def register(self) -> Register:
        """The register (read now if it was not yet)."""
        return self._register if isinstance(self._register, Register) else self._register()

    @cached_property
    def ctx(self) -> Context:
        """The rules' view of the register (valid records, people, GMs, settings)."""
        return Context(register=self.register, as_of=self.today, known_rules=frozenset(RULES))

    def ids(self, kind: str) -> set[str]:
        """Every id in use for ``kind`` (invalid records and unreadable files included)."""
        records = self.register.people if kind == "person" else self.register.of(kind)
        found = {r.raw_id for r in records if r.raw_id is not None}
        return found | self.register.unreadable.get(kind, set())

    def choices(self, fld: Field) -> list[str]:
        """What a prompt offers for ``fld``: its vocabulary or the ids it may name."""
        if fld.choices:
            return list(fld.choices)
        match fld.ref:
            case Ref.VENDOR:
                return sorted(self.ids("vendor"))
            case Ref.SEGMENT:
                return sorted(self.ids("segment"))
            case Ref.PERSON:
                return sorted(self.ctx.people)
            case Ref.GM:
                return sorted(self.ctx.gms)
            case Ref.FLOW_TARGET:
                return [*sorted(self.ids("segment")), "internet"]
            case Ref.RULE:
                return sorted(r for r in RULES if r.split("-")[0] not in UNSUPPRESSIBLE)
        if fld.key == "remote_access":
            return ["none", *self.ctx.settings.approved_remote_access]
        if fld.key == "remote_method":
            return list(self.ctx.settings.approved_remote_access)
        return []

    def default(self, kind: Kind | None, fld: Field) -> str | None:
        """The value of a field not given: its table default, today for a date of approval or
        of a change, the next free exception id."""
        if fld.default is not None:
            return fld.default
        if fld.key in ("approved_on", "date", "on"):
            return self.today.isoformat()
        if kind is not None and kind.name == "exception" and fld.key == "id":
            taken = self.ids("exception")
            number = 1
            while f"exc-{self.today.year}-{number:03d}" in taken:
                number += 1
            return f"exc-{self.today.year}-{number:03d}"
        return None

    def check(
        self, kind: Kind | None, fld: Field, value: Any, values: Values, own: str | None
    ) -> str | None:
        """What is wrong with ``value`` for ``fld`` given the other answers (``values``), or
        None. ``own``: the id of the record being changed (its own IP is not "in use")."""
        if fld.key == "id" and own is None and kind is not None:
            return self._new_id(kind, value)
        if fld.ref is not None:
            items = value if isinstance(value, list) else [value]
            for item in items:
                target = item["to"] if isinstance(item, dict) else item
                problem = self.reference_problem(fld.ref, target)
                if problem:
                    return problem
        checks: dict[str, Callable[[], str | None]] = {
            "ip": lambda: self.ip_problem(value, values.get("segment"), own),
            "remote_access": lambda: self._listed(value, ["none", *self._approved()]),
            "remote_method": lambda: self._listed(value, self._approved()),
            "expires_on": lambda: self._expiry(values.get("approved_on"), value),
        }
        return checks[fld.key]() if fld.key in checks else None

    def _approved(self) -> list[str]:
        return list(self.ctx.settings.approved_remote_access)

    def _new_id(self, kind: Kind, value: str) -> str | None:
        if value in self.ids(kind.name) or (
            kind.folder and (self.register.root / kind.file(value)).exists()
        ):
            return f"{kind.name} {value} already exists ({kind.file(value)})"
        return None

    def reference_problem(self, ref: Ref, value: str) -> str | None:
        """Why ``value`` does not name a record of the ``ref`` kind, or None."""
        match ref:
            case Ref.VENDOR | Ref.SEGMENT:
                known = self.ids(ref.value)
            case Ref.PERSON:
                known = self.ids("person")
            case Ref.GM:
                if value in self.ctx.gms:
                    return None
                gms = (
                    ", ".join(sorted(self.ctx.gms))
                    or "none yet: add one with iotpolicy add-person --role general-manager"
                )
                return f"'{value}' is not a general manager (general managers: {gms})"
            case Ref.RULE:
                if value not in RULES:
                    return f"'{value}' is not a rule id (see iotpolicy rules)"
                if value.split("-")[0] in UNSUPPRESSIBLE:
                    return f"{value} findings cannot be suppressed by an exception"
                return None
            case Ref.SUBJECT:
                known = set().union(*(self.ids(k) for k in (*FOLDERS, "person"))) | {"policy"}
                if value in known:
                    return None
                return f"'{value}' is not the id of a record in the register (or policy)"
            case Ref.FLOW_TARGET:
                known = self.ids("segment") | {"internet"}
        if value in known:
            return None
        problem = f"'{value}' is not a known {ref.value}; known: {_listing(sorted(known))}"
        if ref in (Ref.VENDOR, Ref.SEGMENT, Ref.PERSON):
            problem += f"; {add_hint(ref.value)}"
        return problem

    def ip_problem(self, value: str, segment_id: str | None, own: str | None) -> str | None:
        """Outside the segment's CIDR, or used by another planned or active device."""
        address = ipaddress.ip_address(value)
        segment = self.ctx.segments.get(segment_id) if segment_id else None
        if segment is not None:
            network = ipaddress.ip_network(segment.cidr.strip(), strict=False)
            if address not in network:
                return f"{value} is outside segment {segment.id} ({segment.cidr})"
        for record in self.ctx.devices:
            device = record.model
            ip = device.network.ip if device.network else None
            if (
                device.id == own
                or ip is None
                or device.status not in (Status.PLANNED, Status.ACTIVE)
            ):
                continue
            if ipaddress.ip_address(ip) == address:
                return f"{value} is already used by {device.id} ({record.file})"
        return None

    @staticmethod
    def _listed(value: str, allowed: list[str]) -> str | None:
        if value in allowed:
            return None
        return f"must be one of {', '.join(allowed)} (settings.approved_remote_access)"

    def _expiry(self, approved: date | None, expires: date) -> str | None:
        """Expiry after approval, within settings.exception_max_days, not already past."""
        limit = self.ctx.settings.exception_max_days
        if expires < self.today:
            return f"{expires} has already passed"
        if approved is None:
            return None
        if expires < approved:
            return f"{expires} is before the approval date {approved}"
        if (expires - approved).days > limit:
            return (
                f"{expires} is {(expires - approved).days} days after the approval; an exception "
                f"lasts at most {limit} days (settings.exception_max_days)"
            )
        return None

    def valid_file(self, rel: str) -> None:
        """Refuse to edit a file that does not read as valid (it is left untouched)."""
        problems = [p for p in self.register.problems if p.file == rel]
        if problems:
            raise Refused(
                f"{rel} is not valid; fix it first (nothing was written)",
                tuple(f"{rel}:{p.line}: {p.message} (REG-001)" for p in problems),
            )

    def device(self, device_id: str) -> Record[Device]:
        """The valid device record ``device_id``; UsageError or Refused when there is none."""
        rel = DEVICE.file(device_id) if is_slug(device_id) else None
        if rel is None or not (self.register.root / rel).is_file():
            raise UsageError(f"no device '{device_id}' in the register (devices/{device_id}.yaml)")
        self.valid_file(rel)
        record = next((r for r in self.register.of("device") if r.file == rel), None)
        if record is None or record.model is None:
            raise Refused(f"{rel} is not a valid device record; fix it first (nothing was written)")
        return record


def _listing(items: Sequence[str]) -> str:
    """``a, b, c`` (at most _SHOWN_CHOICES, then how many more)."""
    if not items:
        return "none"
    shown = ", ".join(items[:_SHOWN_CHOICES])
    more = len(items) - _SHOWN_CHOICES
    return f"{shown} and {more} more" if more > 0 else shown


# --- from options and prompts to values ------------------------------------------------------


def parse_options(fields: Iterable[Field], given: Mapping[str, Any]) -> Values:
    """The option values given (text, flags, repeated texts), parsed; a UsageError listing every
    bad one (the value itself is never repeated: it might be a secret typed in the wrong place)."""
    values: Values = {}
    problems: list[str] = []
    for fld in fields:
        raw = given.get(fld.key)
        if raw is None or raw == [] or raw == ():
            continue
        try:
            if fld.flag:
                values[fld.key] = bool(raw)
            elif fld.many:
                values[fld.key] = _many(fld, raw)
            else:
                values[fld.key] = fld.parse(str(raw))
        except ValueError as exc:
            problems.append(f"iotpolicy: {fld.option}: {_reason(exc)}")
    if problems:
        raise UsageError(
            f"bad option value{'s' if len(problems) > 1 else ''}; nothing was written",
            tuple(problems),
        )
    return values


def _many(fld: Field, raws: Iterable[str]) -> list[Any]:
    items: list[Any] = []
    for raw in raws:
        parsed = fld.parse(raw)
        items.extend(parsed if isinstance(parsed, list) else [parsed])
    return items


def _reason(exc: ValueError) -> str:
    return str(exc).removeprefix("Value error, ")


Prompt = Callable[[str, str, str | None], str]
"""Prompt callback: (label, hint shown after it, default or None) -> the typed answer."""
Tell = Callable[[str], None]
"""Message callback (problems with an answer, hints)."""


def fill(
    kind: Kind | None,
    fields: Sequence[Field],
    values: Values,
    snap: Snapshot,
    ask: Prompt,
    tell: Tell,
    own: str | None = None,
) -> dict[str, list[str]]:
    """Ask for every missing field that is to be asked, in table order, checking each answer as
    it is typed (its form, then against the register) and asking again until it is right. An
    empty answer skips an optional field and ends a list. Returns the answers as typed, by field
    key (to repeat them as options)."""
    typed: dict[str, list[str]] = {}
    for fld in fields:
        if fld.key in values or not fld.asked(values):
            continue
        options = snap.choices(fld)
        hint = f" ({_listing(options)})" if options and not fld.flag else ""
        if fld.flag:
            hint = " (yes/no)"
        optional = "" if fld.required else " (Enter to skip)"
        if fld.many:
            items: list[Any] = []
            while True:
                more = " (Enter when done)" if items or not fld.required else ""
                answer = ask(fld.label, f"{hint}{more}", "" if items or not fld.required else None)
                if not answer.strip():
                    if items or not fld.required:
                        break
                    tell(f"  {fld.label}: at least one is needed")
                    continue
                value = _checked(kind, fld, answer, values, snap, own, tell)
                if value is not None:
                    items.extend(value if isinstance(value, list) else [value])
                    typed.setdefault(fld.key, []).append(answer.strip())
            if items:
                values[fld.key] = items
            continue
        default = snap.default(kind, fld)
        if default is None and not fld.required:
            default = ""
        while True:
            answer = ask(fld.label, f"{hint}{optional if not default else ''}", default)
            if not answer.strip():
                if not fld.required:
                    break
                tell(f"  {fld.label} is required")
                continue
            value = _checked(kind, fld, answer, values, snap, own, tell)
            if value is not None:
                values[fld.key] = value
                typed[fld.key] = [answer.strip()]
                break
    return typed


def _checked(
    kind: Kind | None,
    fld: Field,
    answer: str,
    values: Values,
    snap: Snapshot,
    own: str | None,
    tell: Tell,
) -> Any:
    """The parsed, checked answer, or None after telling what is wrong."""
    try:
        value = fld.parse(answer)
    except ValueError as exc:
        tell(f"  {fld.label}: {_reason(exc)}")
        return None
    problem = snap.check(kind, fld, value, values, own)
    if problem:
        tell(f"  {fld.label}: {problem}")
        return None
    return value


def missing(fields: Iterable[Field], values: Values) -> list[str]:
    """Options of the required fields without a value."""
    return [f.option for f in fields if f.required and f.key not in values]


def apply_defaults(
    kind: Kind | None, fields: Iterable[Field], values: Values, snap: Snapshot
) -> None:
    """Fill in the default of every field not given (see :meth:`Snapshot.default`)."""
    for fld in fields:
        if fld.key not in values:
            default = snap.default(kind, fld)
            if default is not None:
                values[fld.key] = fld.parse(default)


# --- drafts and the one write path ------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """The new text of the one file a command changes, before any check."""

    file: str
    """Relative to the register, ``/``-separated."""
    text: str
    """Its complete new content."""
    subject: str
    """The id of the record written."""
    message: str
    """What was done, as a commit message (``Add device cam-gate-02``)."""
    created: bool
    """True when the file is new."""
    base: Path_ = ()
    """Where the record sits in the file (``(7,)`` for the eighth person of people.yaml)."""
    problems: tuple[tuple[Path_, str], ...] = ()
    """The command's own problems: (field path inside the record, what)."""
    gate: bool = False
    """Refuse when check would find an unsuppressed error about the record (it goes live)."""
    record: bool = True
    """False for a file that is not a register record (the review record, Markdown): it is
    written and committed with the others but not read as one."""


@dataclass(frozen=True)
class Outcome:
    """What a write did."""

    file: str
    """The file written, relative to the register."""
    subject: str
    """The record's id."""
    message: str
    """What was done (the commit message)."""
    created: bool
    """True when the file is new."""
    findings: tuple[Finding, ...]
    """The findings of ``check`` about the record after the write."""
    commit: str | None = None
    """The short hash of the commit made with ``--commit``."""
    also: tuple[Outcome, ...] = ()
    """The other files the same write changed (triage candidates in advisories)."""


def _write(
    root: Path,
    today: date,
    commit: bool,
    draft_of: Callable[[Snapshot], Draft],
    known_only: bool = False,
) -> Outcome:
    """Lock, reload, draft, check, then write and commit, or refuse having written nothing
    (``known_only``: see :func:`write_drafts`)."""
    first, *others = write_drafts(
        root, today, commit, lambda snap: [draft_of(snap)], known_only=known_only
    )
    return replace(first, also=tuple(others))


def _commit_message(message: str | None, drafts: Sequence[Draft]) -> str:
    """The command's own message (a draft's when it wrote one file), with one line per file in
    the body when several were written (``- Add device cam-10``)."""
    if len(drafts) == 1:
        return message or drafts[0].message
    body = "\n".join(f"- {draft.message}" for draft in drafts)
    return f"{message or drafts[0].message}\n\n{body}"


def write_drafts(
    root: Path,
    today: date,
    commit: bool,
    drafts_of: Callable[[Snapshot], Sequence[Draft]],
    message: str | None = None,
    dry_run: bool = False,
    known_only: bool = False,
) -> tuple[Outcome, ...]:
    """The one write path, for one file or several (imports): lock, reload, draft every file,
    check them together, then write them all and commit them in one commit (``message``, or the
    first draft's), or refuse having written nothing. ``dry_run``: check only, write nothing.
    ``known_only``: a dry run before the prompts, on the values known so far, refusing only on
    the problems no answer can remove (see :func:`_problems`)."""
    dry_run = dry_run or known_only
    with register_lock(root):
        snap = Snapshot(load_register(root), today)
        drafts = list(drafts_of(snap))
        if not drafts:
            return ()
        after = snap.register
        for draft in drafts:
            if draft.record:
                after = with_file(after, draft.file, draft.text)
        for draft in candidate_drafts(snap.register, after, drafts):
            drafts.append(draft)
            after = with_file(after, draft.file, draft.text)
        drafted = {d.file for d in drafts}
        result = evaluate(after, today, select_rules(), str(root))
        owns = [
            tuple(f for f in result.findings if f.file in drafted and f.subject == d.subject)
            for d in drafts
        ]
        problems = [
            problem
            for draft, own in zip(drafts, owns, strict=True)
            if draft.record
            for problem in _problems(snap, draft, result.findings, own, known_only)
        ]
        if problems:
            noun = "problem" if len(problems) == 1 else "problems"
            what = drafts[0].file if len(drafts) == 1 else f"{len(drafts)} files"
            why = f"{what} would not be valid"
            if all(_GATE_LINE.search(p) for p in problems):
                why = f"{drafts[0].subject} does not meet the rules for an active device yet"
            raise Refused(
                f"refused: {why} ({len(problems)} {noun}); nothing was written", tuple(problems)
            )
        plan = plan_commit(root, [root / d.file for d in drafts]) if commit and drafts else None
        if not dry_run:
            _write_all(root, drafts)
        sha = None
        if plan is not None and not dry_run:
            sha = commit_files(plan, _commit_message(message, drafts))
    return tuple(
        Outcome(d.file, d.subject, d.message, d.created, own, sha)
        for d, own in zip(drafts, owns, strict=True)
    )


def _write_all(root: Path, drafts: Sequence[Draft]) -> None:
    """Write every draft, each atomically; when one write fails (or is interrupted), the files
    already written get their old content back (new ones are removed): all of it or none."""
    done: list[tuple[Path, bytes | None]] = []
    try:
        for draft in drafts:
            path = root / draft.file
            old = path.read_bytes() if path.is_file() else None
            atomic_write_text(path, draft.text)  # a failed write leaves its file as it was
            done.append((path, old))
    except BaseException:
        for path, old in reversed(done):
            with contextlib.suppress(OSError):
                if old is None:
                    path.unlink(missing_ok=True)
                else:
                    atomic_write_bytes(path, old)
        raise


_MATCHED_FIELDS = ("vendor", "model", "part_number", "cpe", "status")


def _matched_facts(device: Device) -> tuple[Any, ...]:
    """What advisory matching reads of a device: a change to any of it re-runs the matching."""
    firmware = device.firmware.version if device.firmware else None
    return (*(getattr(device, name) for name in _MATCHED_FIELDS), firmware)


def candidate_drafts(before: Register, after: Register, drafts: Sequence[Draft]) -> list[Draft]:
    """The advisory files whose triage changes because ``drafts`` add a device or change what
    matching reads of one (vendor, model, part number, CPE, status, firmware): candidate
    entries for the new possible matches, stale candidates of those devices dropped (see
    :mod:`iotpolicy.triage`)."""
    drafted = {d.file for d in drafts if d.record and d.file.startswith("devices/")}
    if not drafted:
        return []
    old = {r.file: r.model for r in before.of("device") if r.file in drafted}
    changed = [
        r.model
        for r in after.of("device")
        if r.file in drafted
        and r.model is not None
        and (old.get(r.file) is None or _matched_facts(old[r.file]) != _matched_facts(r.model))
    ]
    if not changed:
        return []
    vendors = {r.model.id: r.model.name for r in after.of("vendor") if r.model is not None}
    result = []
    written = {d.file for d in drafts}
    for record in after.of("advisory"):
        advisory = record.model
        if advisory is None or record.file in written:
            continue
        mine = [d for d in changed if d.vendor == advisory.vendor]
        update = update_candidates(advisory, mine, vendors) if mine else None
        if update:
            text = triage_edit(record.file, after.texts[record.file], update)
            result.append(Draft(record.file, text, advisory.id, update.describe(), False))
    return result


def triage_edit(rel: str, text: str, update: TriageUpdate) -> str:
    """The advisory file ``rel`` with ``update`` applied, as a round-trip edit."""
    doc = round_trip(rel, text)
    entries = doc.get(("triage",)) or []
    for index in reversed(range(len(entries))):
        entry = entries[index]
        if (
            isinstance(entry, dict)
            and str(entry.get("device", "")).strip() in update.dropped
            and entry.get("status") == TriageStatus.CANDIDATE.value
        ):
            doc.remove(("triage", index))
    if update.dropped and not doc.get(("triage",)):
        doc.remove(("triage",))
    order = partial(model_order, Advisory)
    for entry in update.added:
        doc.append(("triage",), entry, order)
    return doc.text()


def _problems(
    snap: Snapshot,
    draft: Draft,
    after: Sequence[Finding],
    own: tuple[Finding, ...],
    known_only: bool = False,
) -> list[str]:
    """One ``file:line: what`` line per problem of the drafted file: the command's own checks,
    then what ``check``'s REG rules find in it that they did not find before (a credential
    always), then, for a record going live, every unsuppressed error about it.

    ``known_only``: the draft holds only the values known before the prompts, and the prompts
    ask only for values it lacks; so only a problem at a line holding a value stays whatever
    is answered. One reported at a mapping or at the record's first line (where a missing key
    is reported) may be answered away, and is left out."""
    data = parse_text(draft.text).data
    found: list[tuple[int, str]] = []
    fields_reported: set[str] = set()
    for path, message in draft.problems:
        dotted = ".".join(str(p) for p in path)
        fields_reported.add(dotted)
        found.append((line_at(data, (*draft.base, *path)), f"{dotted}: {message}"))
    seen: set[tuple[str, str, str]] = set()
    if not draft.created:
        before = evaluate(snap.register, snap.today, select_rules(_REG_RULES), "")
        seen = {(f.rule, f.subject, f.message) for f in before.findings if f.file == draft.file}
    for finding in after:
        if finding.rule not in _REG_RULES or finding.file != draft.file:
            continue
        if finding.rule != "REG-004" and (finding.rule, finding.subject, finding.message) in seen:
            continue
        where = _INDEXES.sub("", finding.message.split(":", 1)[0])
        if any(where == f or where.startswith(f"{f}.") for f in fields_reported):
            continue
        found.append((finding.line, f"{finding.message} ({finding.rule})"))
    if draft.gate:
        for finding in own:
            if (
                finding.severity is Severity.ERROR
                and finding.suppressed_by is None
                and not finding.rule.startswith("REG")
            ):
                found.append((finding.line, f"{finding.rule}: {finding.message}"))
    if known_only:
        record = value_at(data, draft.base)
        first = getattr(record, "line", None)
        found = [(line, m) for line, m in found if line != first and _holds(record, line)]
    return [f"{draft.file}:{line}: {message}" for line, message in sorted(set(found))]


def _holds(node: Any, line: int) -> bool:
    """True when a key or item of ``node`` (at any depth) at ``line`` holds a value: a scalar or
    a list, not a mapping."""
    if isinstance(node, LDict):
        children = [(node.key_lines[key], child) for key, child in node.items()]
    elif isinstance(node, LList):
        children = list(zip(node.item_lines, node, strict=True))
    else:
        return False
    return any(
        (at == line and not isinstance(child, LDict)) or _holds(child, line)
        for at, child in children
    )


# --- add-* -------------------------------------------------------------------------------------


def add_record(
    root: Path,
    kind: Kind,
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
        path = snap.register.root / PEOPLE_FILE
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

    return _write(root, today, commit, draft_of, known_only)


def build(kind: Kind, values: Values) -> dict[str, Any]:
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


def round_trip(rel: str, text: str) -> RoundTrip:
    """``text`` of the file ``rel`` loaded for editing; Refused when it cannot be edited safely."""
    try:
        return RoundTrip(text)
    except YamlEditError as exc:
        raise Refused(f"{rel} {exc}; edit it by hand (nothing was written)") from None


# --- record-change and retire -----------------------------------------------------------------


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

    return _write(root, today, commit, draft_of, known_only)


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

    return _write(root, today, commit, draft_of, known_only)


# --- advisories triage ------------------------------------------------------------------------


def triage_target(
    snap: Snapshot, advisory_id: str, device_id: str
) -> tuple[Record[Advisory], Device]:
    """The advisory record and the device a triage decision is about; UsageError or Refused
    when either is missing or cannot be read."""
    rel = f"advisories/{advisory_id}.yaml"
    record = next((r for r in snap.register.of("advisory") if r.file == rel), None)
    if record is None:
        raise UsageError(f"no advisory '{advisory_id}' in the register ({rel})")
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

    return _write(root, today, commit, draft_of)

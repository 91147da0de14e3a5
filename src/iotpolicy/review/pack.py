"""The review pack (9.1): why a review is due, what changed since the revision in force (from
git, or from the records' dates), the compliance state, and the questions of 9.1.2. No typer
here (:mod:`iotpolicy.review.decision` records the decision).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from iotpolicy import __version__
from iotpolicy.engine import context, evaluate, select_rules
from iotpolicy.errors import UsageError
from iotpolicy.findings import CheckResult, Finding, Severity, Summary
from iotpolicy.fsio import LOCK_FILE
from iotpolicy.gitlog import (
    GitError,
    RegisterState,
    read_blobs,
    read_log,
    register_state,
    repository_root,
    uncommitted_files,
)
from iotpolicy.grammar.dates import add_months, within
from iotpolicy.grammar.versions import Version
from iotpolicy.history import HistoryEntry, RecordChange, read_history
from iotpolicy.kinds import POLICY_FILE, kind_of_file
from iotpolicy.models import Policy, Revision
from iotpolicy.models.enums import ChangeKind, Status
from iotpolicy.models.enums import Trigger as TriggerKind
from iotpolicy.register import Register, load_register
from iotpolicy.reports import OUTPUT_FOLDER
from iotpolicy.rules.base import norm
from iotpolicy.trend import Trend, compute_trend
from iotpolicy.view import Context
from iotpolicy.yamlio.load import decode, parse_text


@dataclass(frozen=True, slots=True)
class Question:
    """One question of 9.1.2 and its answer."""

    key: str
    """What ``--answer KEY=TEXT`` names it by."""
    text: str
    answer: str | None = None


QUESTIONS: tuple[Question, ...] = (
    Question("effective", "Is the policy still effective (does it achieve its objectives)?"),
    Question("coverage", "Does the policy cover the device types in use?"),
    Question("risks", "Are there new risks or technologies the policy should address?"),
    Question("laws", "Are there new laws or regulations the policy should reflect?"),
)
"""The review checklist of policy clause 9.1.2, in order."""


@dataclass(frozen=True, slots=True)
class Item:
    """One change in the register since the revision in force."""

    id: str
    """The record's id."""
    detail: str
    """What changed (``4.5.2 -> 4.6.0``), or empty."""
    date: date | None
    """When: the commit's date (git), or the record's own date (``--no-git``)."""
    commit: str | None = None
    """The commit's abbreviated hash (git only)."""


CATEGORIES: tuple[tuple[str, str], ...] = (
    ("devices_added", "Devices added"),
    ("devices_retired", "Devices retired or removed"),
    ("devices_relocated", "Devices relocated"),
    ("firmware_updated", "Firmware updated"),
    ("vendors_added", "Vendors added"),
    ("vendors_reassessed", "Vendors re-assessed"),
    ("exceptions_granted", "Exceptions granted"),
    ("exceptions_expiring", "Exceptions expiring"),
    ("exceptions_expired", "Exceptions expired"),
    ("advisories", "Advisories recorded"),
    ("incidents", "Incidents and audit findings recorded"),
    ("device_types", "Device types new since the revision"),
)
"""Key and heading of each list of changes, in the pack's order."""


@dataclass
class Pack:
    """Everything the GM sees before approving a revision."""

    root: Path
    as_of: date
    policy: Policy
    revision: Revision
    """The revision in force."""
    pending: bool
    """True when the revision in force has no GM approval (it is approved in place)."""
    due: date
    due_state: str
    """overdue, due soon or not yet due."""
    triggers: tuple[Finding, ...]
    """POL-002 and POL-003 findings (the reasons a review is due)."""
    result: CheckResult
    """The check of every rule as of the as-of date."""
    state: RegisterState
    git: bool
    """False with ``--no-git``: changes come from the records' dates."""
    base_commit: str | None
    """Abbreviated hash of the commit that introduced the revision in force (git only)."""
    head_commit: str | None
    changes: dict[str, list[Item]]
    device_types_in_use: tuple[str, ...]
    gms: tuple[str, ...]
    proposed_minor: str
    proposed_major: str
    proposed_trigger: str
    uncommitted: tuple[str, ...] = ()
    trend: Trend | None = None
    """Compliance each month since the revision in force was approved (git only)."""
    trend_note: str | None = None
    """Why there is no trend (``--no-git``, no commit in the period, a shallow clone)."""
    people: tuple[str, ...] = ()
    """Ids of the people in people.yaml (who can be a reviewer)."""
    questions: tuple[Question, ...] = QUESTIONS
    decision: Decision | None = None

    @property
    def summary(self) -> Summary:
        """The check's counts."""
        return self.result.summary

    @property
    def open_errors(self) -> list[Finding]:
        """Unsuppressed errors now."""
        return [
            f
            for f in self.result.findings
            if f.severity is Severity.ERROR and f.suppressed_by is None
        ]

    @property
    def open_candidates(self) -> list[Finding]:
        """FW-003 now: possible advisory matches nobody has decided, and lapsed decisions."""
        return [f for f in self.result.findings if f.rule == "FW-003"]

    def change_lists(self) -> list[tuple[str, list[Item]]]:
        """(heading, items) of every category, in order."""
        return [(title, self.changes.get(key, [])) for key, title in CATEGORIES]


def policy_of(register: Register) -> Policy:
    record = register.policy
    if record is None or record.model is None:
        raise UsageError(
            f"{POLICY_FILE} is missing or not valid; run iotpolicy check and fix it first"
        )
    if not record.model.revisions:
        raise UsageError(
            f"{POLICY_FILE} has no revision; add revision 1.0 (see iotpolicy init) and review it"
        )
    return record.model


def is_pending(revision: Revision, ctx: Context) -> bool:
    """True when ``revision`` has no approval by a general manager (a fresh 1.0 from init)."""
    return not any(ctx.is_gm(a.by) for a in revision.approvals or ())


def next_versions(number: str) -> tuple[str, str]:
    """The next minor and the next major version after ``number`` (``1.4`` -> ``1.5``, ``2.0``)."""
    parts = [int(p) for p in re.findall(r"[0-9]+", number)] or [1]
    major = parts[0]
    minor = parts[1] if len(parts) > 1 else 0
    return f"{major}.{minor + 1}", f"{major + 1}.0"


def introducing_commit(root: Path, number: str) -> str | None:
    """The full hash of the first commit (oldest first) whose policy.yaml holds a revision
    numbered ``number`` as its last one, searched since the last commit whose policy.yaml did
    not: the commit that introduced the revision in force. None when no commit has it."""
    commits = [
        (c, f) for c in read_log(root) for f in c.files if f.path == POLICY_FILE and f.new_blob
    ]
    blobs = read_blobs(root, (f.new_blob for _, f in commits if f.new_blob))
    found: str | None = None
    for commit, change in reversed(commits):  # oldest first
        raw = blobs.get(change.new_blob or "")
        text = decode(raw)[0] if raw is not None else None
        data = parse_text(text).data if text is not None else None
        revisions = data.get("revisions") if isinstance(data, dict) else None
        last = revisions[-1] if isinstance(revisions, list) and revisions else None
        last_number = last.get("number") if isinstance(last, dict) else None
        if last_number is not None and Version(str(last_number)) == Version(number):
            found = found or commit.commit
        else:
            found = None
    return found


def build_pack(root: Path, as_of: date, *, no_git: bool = False) -> Pack:
    """The review pack of the register at ``root`` as of ``as_of``. Without ``no_git`` the
    register must be inside a git repository (UsageError with the ``--no-git`` hint)."""
    if not no_git and repository_root(root) is None:
        raise UsageError(
            "iotpolicy review needs the register's git history to show what changed since the "
            f"revision in force, and the register {root} is not inside a git repository; "
            "commit it to git (git init, git add, git commit), or run iotpolicy review --no-git "
            "to take the changes from the records' own dates since the last revision's date"
        )
    register = load_register(root)
    policy = policy_of(register)
    revision = policy.revisions[-1]
    result = evaluate(register, as_of, select_rules(), str(root))
    ctx = context(register, as_of)
    settings = ctx.settings
    due = add_months(revision.date, settings.review_interval_months)
    if as_of > due:
        due_state = "overdue"
    elif within(due, as_of, settings.review_warning_days):
        due_state = "due soon"
    else:
        due_state = "not yet due"
    triggers = tuple(
        sorted(
            (f for f in result.findings if f.rule in ("POL-002", "POL-003")),
            key=lambda f: (f.rule, f.sort_key),
        )
    )
    pending = is_pending(revision, ctx)
    state = register_state(root) if not no_git else RegisterState(False, None, False)
    base: str | None = None
    uncommitted: tuple[str, ...] = ()
    if no_git:
        changes = _changes_by_dates(ctx, revision.date)
    else:
        base = introducing_commit(root, revision.number)
        if base is None:
            raise UsageError(
                f"no commit of {POLICY_FILE} holds revision {revision.number} yet; commit the "
                "register first, or run iotpolicy review --no-git"
            )
        entries = read_history(root, since=base)
        changes = _changes_from_git(ctx, entries)
        uncommitted = tuple(
            rel
            for rel in uncommitted_files(root, ignore=(LOCK_FILE, OUTPUT_FOLDER))
            if kind_of_file(rel) is not None
        )
    trend: Trend | None = None
    trend_note: str | None = "No trend: not read from git (--no-git)."
    if not no_git:
        trend, trend_note = _trend(root, approved_on(revision), as_of)
    _add_exception_windows(ctx, revision.date, changes)
    changes["device_types"] = _new_types(ctx, revision.date, changes, git=not no_git)
    in_use = sorted(
        {d.model.type.strip() for d in ctx.devices if d.model.status is Status.ACTIVE},
        key=str.lower,
    )
    minor, major = next_versions(revision.number)
    return Pack(
        root=root,
        as_of=as_of,
        policy=policy,
        revision=revision,
        pending=pending,
        due=due,
        due_state=due_state,
        triggers=triggers,
        result=result,
        state=state,
        git=not no_git,
        base_commit=base[:12] if base else None,
        head_commit=state.short,
        changes=changes,
        device_types_in_use=tuple(in_use),
        gms=tuple(sorted(ctx.gms)),
        proposed_minor=revision.number if pending else minor,
        proposed_major=revision.number if pending else major,
        proposed_trigger=_proposed_trigger(triggers, pending),
        uncommitted=uncommitted,
        trend=trend,
        trend_note=trend_note,
        people=tuple(sorted(ctx.people)),
    )


def approved_on(revision: Revision) -> date:
    """The day ``revision`` was approved (its last approval), or its own date without one."""
    days = [a.date for a in revision.approvals or () if a.date is not None]
    return max(days, default=revision.date)


def _trend(root: Path, since: date, as_of: date) -> tuple[Trend | None, str | None]:
    """The monthly trend from ``since`` to ``as_of``, or one line saying why there is none."""
    try:
        return compute_trend(root, str(root), min(since, as_of), as_of, "month", __version__), None
    except GitError as exc:
        return None, f"No trend: {exc}."


_TRIGGER_OF = {"9.2.2": "new-device-type", "9.2.3": "advisory", "9.2.4": "incident"}


def _proposed_trigger(triggers: Sequence[Finding], pending: bool) -> str:
    """initial for a pending first revision, else the first POL-003 trigger's kind, else
    annual."""
    if pending:
        return TriggerKind.INITIAL.value
    for finding in triggers:
        for clause, kind in _TRIGGER_OF.items():
            if finding.rule == "POL-003" and finding.message.endswith(clause):
                if kind == "incident" and finding.message.startswith("audit"):
                    return TriggerKind.AUDIT.value
                return kind
    return TriggerKind.ANNUAL.value


def _changes_from_git(ctx: Context, entries: Sequence[HistoryEntry]) -> dict[str, list[Item]]:
    """The changes of each category from the history's field-level changes (oldest first)."""
    found: dict[str, list[Item]] = {key: [] for key, _ in CATEGORIES}
    for entry in reversed(entries):
        for record in entry.records:
            for key, detail in _classify(record):
                found[key].append(Item(record.id, detail, entry.day, entry.short))
    return found


def _classify(record: RecordChange) -> list[tuple[str, str]]:
    """(category, detail) of one record change."""
    fields = {c.field: c for c in record.fields}
    out: list[tuple[str, str]] = []
    if record.kind == "device":
        if record.action == "created":
            out.append(("devices_added", ""))
        elif record.action == "deleted":
            out.append(("devices_retired", "file deleted"))
        else:
            status = fields.get("status")
            if status and status.new in (Status.RETIRED.value, Status.DISPOSED.value):
                out.append(("devices_retired", str(status.new)))
            moved = [
                str(c)
                for name, c in fields.items()
                if name.startswith("location.") or name == "network.segment"
            ]
            if moved:
                out.append(("devices_relocated", "; ".join(moved)))
            firmware = fields.get("firmware.version")
            if firmware:
                out.append(("firmware_updated", f"{firmware.old or '?'} -> {firmware.new or '?'}"))
    elif record.kind == "vendor":
        if record.action == "created":
            out.append(("vendors_added", ""))
        elif "assessed_on" in fields:
            out.append(("vendors_reassessed", f"assessed on {fields['assessed_on'].new}"))
    elif record.kind == "exception" and record.action == "created":
        out.append(("exceptions_granted", ""))
    elif record.kind == "advisory" and record.action == "created":
        out.append(("advisories", ""))
    elif record.kind == "incident" and record.action == "created":
        out.append(("incidents", ""))
    return out


def _changes_by_dates(ctx: Context, since: date) -> dict[str, list[Item]]:
    """``--no-git``: the changes the records date after ``since`` (and on or before as-of)."""
    found: dict[str, list[Item]] = {key: [] for key, _ in CATEGORIES}

    def after(when: date | None) -> bool:
        return when is not None and since < when <= ctx.as_of

    kinds = {
        ChangeKind.RETIREMENT: "devices_retired",
        ChangeKind.DISPOSAL: "devices_retired",
        ChangeKind.RELOCATION: "devices_relocated",
        ChangeKind.FIRMWARE_UPDATE: "firmware_updated",
    }
    for record in ctx.devices:
        device = record.model
        if after(device.commissioned_on):
            found["devices_added"].append(Item(device.id, "commissioned", device.commissioned_on))
        for change in device.changes:
            key = kinds.get(change.kind)
            if key and after(change.date):
                detail = change.kind.value
                if change.kind is ChangeKind.FIRMWARE_UPDATE:
                    detail = f"{change.from_version or '?'} -> {change.to_version or '?'}"
                found[key].append(Item(device.id, detail, change.date))
    for other in ctx.valid("vendor"):
        if after(other.model.assessed_on):
            found["vendors_reassessed"].append(
                Item(other.model.id, "assessed", other.model.assessed_on)
            )
    for other in ctx.valid("exception"):
        if after(other.model.approved_on):
            found["exceptions_granted"].append(Item(other.model.id, "", other.model.approved_on))
    for other in ctx.valid("advisory"):
        if after(other.model.received_on):
            found["advisories"].append(Item(other.model.id, "", other.model.received_on))
    for other in ctx.valid("incident"):
        if after(other.model.date):
            found["incidents"].append(Item(other.model.id, "", other.model.date))
    for items in found.values():
        items.sort(key=lambda i: (i.date or date.min, i.id))
    return found


def _add_exception_windows(ctx: Context, since: date, found: dict[str, list[Item]]) -> None:
    """Exceptions that expired since the revision, and those expiring within
    settings.exception_warning_days of the as-of date (from the records)."""
    days = ctx.settings.exception_warning_days
    expired, expiring = [], []
    for record in ctx.valid("exception"):
        expires = record.model.expires_on
        if expires is None:
            continue
        if since < expires < ctx.as_of:
            expired.append(Item(record.model.id, "expired", expires))
        elif within(expires, ctx.as_of, days):
            expiring.append(Item(record.model.id, "expires", expires))
    found["exceptions_expired"] = sorted(expired, key=lambda i: (i.date or date.min, i.id))
    found["exceptions_expiring"] = sorted(expiring, key=lambda i: (i.date or date.min, i.id))


def _new_types(ctx: Context, since: date, found: dict[str, list[Item]], *, git: bool) -> list[Item]:
    """Device types of the devices added since the revision that no other device has (with git:
    the devices created since the revision's commit; without: commissioned after its date)."""
    added = {item.id: item for item in found["devices_added"]}
    by_id = {r.model.id: r.model for r in ctx.devices}
    known = {norm(d.type) for did, d in by_id.items() if did not in added}
    if not git:
        known |= {
            norm(d.type)
            for d in by_id.values()
            if d.commissioned_on is not None and d.commissioned_on <= since
        }
    first: dict[str, Item] = {}
    for did, item in added.items():
        device = by_id.get(did)
        if device is None or norm(device.type) in known:
            continue
        current = first.get(norm(device.type))
        if current is None or ((item.date or date.min), did) < (
            current.date or date.min,
            current.id,
        ):
            first[norm(device.type)] = Item(did, device.type.strip(), item.date, item.commit)
    return sorted(first.values(), key=lambda i: (i.detail.lower(), i.id))


@dataclass(frozen=True)
class Decision:
    """What the GM decided: the revision to write and the answers to 9.1.2."""

    version: str
    trigger: str
    summary: str
    reviewers: tuple[str, ...]
    approver: str
    on: date
    answers: dict[str, str] = field(default_factory=dict)

"""The General Manager's review (policy clause 9): the review pack, the new revision, its record.

:func:`build_pack` gathers what the GM reads before deciding: why a review is due (POL-002's due
date, POL-003's triggers, each with the record that caused it: the rules' own findings), what
changed in the register since the revision in force (from git, through
:func:`iotpolicy.history.read_history`, between the commit that introduced that revision and HEAD;
or, with ``no_git``, from the records' own dates), the compliance state now (``check``'s summary
and open errors) and the questions of 9.1.2. :func:`write_review` appends the approved revision
to policy.yaml (round trip) and writes ``reviews/<date>-v<version>.md``, both through
:func:`iotpolicy.editing.write_drafts` (one lock, one validation, one commit), then tags the commit
``policy-v<version>``. :func:`record_communication` adds the 9.4 record. No typer here.

A register fresh from ``iotpolicy init`` holds revision 1.0 *pending*: no approval by a GM and
nobody in ``reviewed_by``. A review then approves that revision in place (fills ``reviewed_by``,
``approvals`` and ``changes``) instead of appending 1.1 to an unapproved 1.0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from iotpolicy.dates import add_months, within
from iotpolicy.editing import Draft, Refused, Snapshot, model_order, round_trip, write_drafts
from iotpolicy.engine import evaluate, select_rules
from iotpolicy.errors import UsageError
from iotpolicy.findings import CheckResult, Finding, Severity, Summary
from iotpolicy.gitlog import (
    RegisterState,
    read_blobs,
    read_log,
    register_state,
    repository_root,
    tag_commit,
    tag_exists,
    uncommitted_files,
)
from iotpolicy.history import HistoryEntry, RecordChange, read_history
from iotpolicy.models import Policy, Revision
from iotpolicy.models.enums import ChangeKind, Status
from iotpolicy.models.enums import Trigger as TriggerKind
from iotpolicy.register import POLICY_FILE, Register, is_record_file, load_register
from iotpolicy.reports import OUTPUT_FOLDER
from iotpolicy.reports.templating import render_report
from iotpolicy.reports.views import ReportInput, common
from iotpolicy.rules import RULES, Context
from iotpolicy.rules.base import norm
from iotpolicy.versions import Version
from iotpolicy.yamlio import LOCK_FILE, Quoted, decode, parse_text

TEMPLATE = "review.md.j2"
"""The review pack's and review record's template (a register may override it)."""
REVIEWS_FOLDER = "reviews"
TAG_PREFIX = "policy-v"
_VERSION = re.compile(r"^[0-9]+(\.[0-9]+){1,2}$")


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


# --- the revision in force and where it came from ----------------------------------------------


def _policy(register: Register) -> Policy:
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


# --- the pack -----------------------------------------------------------------------------------


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
    policy = _policy(register)
    revision = policy.revisions[-1]
    result = evaluate(register, as_of, select_rules(), str(root))
    ctx = Context(register=register, as_of=as_of, known_rules=frozenset(RULES))
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
            if is_record_file(rel)
        )
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
        people=tuple(sorted(ctx.people)),
    )


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


# --- the pack and record as Markdown ----------------------------------------------------------


def render(pack: Pack, *, record: bool = False) -> str:
    """The review pack (or, with ``record``, the review record of the decision) as Markdown, from
    ``review.md.j2`` (a register's own override renders in the sandbox)."""
    data = ReportInput(load_register(pack.root), pack.result, pack.state)
    context: dict[str, Any] = {
        **common(data),
        "title": "Policy review record" if record else "Policy review pack",
        "record": record,
        "pack": pack,
        "decision": pack.decision,
        "questions": [
            Question(q.key, q.text, (pack.decision.answers.get(q.key) if pack.decision else None))
            for q in pack.questions
        ],
        "change_lists": pack.change_lists(),
        "open_errors": pack.open_errors,
        "candidates": pack.open_candidates,
        "summary": pack.summary,
    }
    folder = pack.root / "templates"
    return render_report(TEMPLATE, context, folder if folder.is_dir() else None)


# --- deciding and writing ---------------------------------------------------------------------


def version_problem(pack: Pack, version: str) -> str | None:
    """Why ``version`` cannot number the revision this review writes, or None when it can: not a
    version number, not greater than the one in force, or (for a pending revision) not that one.
    The interactive review re-asks with it; :func:`check_decision` refuses with it."""
    in_force = pack.revision.number
    number = version.strip().lstrip("vV")
    if not _VERSION.match(number):
        return f"'{version}' is not a version number like 1.1 or 2.0"
    if pack.pending:
        if Version(number) != Version(in_force):
            return (
                f"revision {in_force} in force is not yet approved by a general manager; "
                f"this review approves it, so the version is {in_force} (not {number})"
            )
    elif not Version(number) > Version(in_force):
        return (
            f"version {number} is not greater than {in_force}, the version in "
            f"force (next minor {pack.proposed_minor}, next major {pack.proposed_major})"
        )
    return None


def approver_problem(pack: Pack, approver: str) -> str | None:
    """Why ``approver`` cannot approve the revision (not a general manager, naming those who
    are), or None when they can."""
    if approver in pack.gms:
        return None
    gms = ", ".join(pack.gms) or (
        "none yet: add one with iotpolicy add-person --role general-manager"
    )
    return (
        f"'{approver}' is not a general manager and cannot approve the policy "
        f"(general managers: {gms})"
    )


def reviewers_problem(pack: Pack, reviewers: Sequence[str]) -> str | None:
    """Why ``reviewers`` cannot be recorded (none given, or ids not in people.yaml), or None."""
    if not reviewers:
        return "at least one reviewer is needed"
    unknown = [r for r in reviewers if r not in pack.people]
    if not unknown:
        return None
    return (
        f"not in people.yaml: {', '.join(unknown)} (reviewers are person ids: "
        f"{', '.join(pack.people) or 'none yet'})"
    )


def check_before_answers(pack: Pack, on: date) -> None:
    """Refuse (exit 1) what no answer to the review's questions changes: a review date ``on``
    before the revision in force, or (with git) uncommitted changes in the register."""
    if on < pack.revision.date:
        raise Refused(
            f"refused: the review date {on} is before revision {pack.revision.number} of "
            f"{pack.revision.date}; nothing was written"
        )
    if pack.git and pack.uncommitted:
        raise Refused(
            "refused: the register has uncommitted changes, so the review would not match its "
            "git history; commit or stash them first (nothing was written)",
            tuple(f"  {name}" for name in pack.uncommitted),
        )


def check_decision(pack: Pack, decision: Decision) -> None:
    """Refuse (exit 1) a version not greater than the one in force (or, for a pending revision,
    not that one), an approver who is not a GM, unknown reviewers, a missing answer, and what
    :func:`check_before_answers` refuses."""
    if not _VERSION.match(decision.version.strip().removeprefix("v")):
        raise UsageError(f"--version '{decision.version}' is not a version number like 1.1 or 2.0")
    problem = version_problem(pack, decision.version)
    if problem is not None:
        raise Refused(f"refused: {problem}; nothing was written")
    problem = approver_problem(pack, decision.approver) or reviewers_problem(
        pack, decision.reviewers
    )
    if problem is not None:
        raise Refused(f"refused: {problem}; nothing was written")
    if decision.trigger not in {t.value for t in TriggerKind}:
        raise UsageError(
            f"--trigger '{decision.trigger}' is not one of "
            + ", ".join(t.value for t in TriggerKind)
        )
    missing = [q.key for q in QUESTIONS if not (decision.answers.get(q.key) or "").strip()]
    if missing:
        raise UsageError(
            "the review answers every question of 9.1.2; missing: "
            + ", ".join(f"--answer {key}=TEXT" for key in missing)
        )
    check_before_answers(pack, decision.on)


def record_file(decision: Decision) -> str:
    """``reviews/<date>-v<version>.md``."""
    return f"{REVIEWS_FOLDER}/{decision.on.isoformat()}-v{decision.version.strip()}.md"


@dataclass(frozen=True)
class Written:
    """What a review wrote."""

    files: tuple[str, ...]
    commit: str | None
    tag: str | None
    in_place: bool


def write_review(
    pack: Pack, decision: Decision, *, commit: bool = False, today: date | None = None
) -> Written:
    """Check ``decision``, then write the revision into policy.yaml and the review record (and,
    with ``commit``, commit both and tag the commit); nothing is written when anything is wrong."""
    check_decision(pack, decision)
    root = pack.root
    rel = record_file(decision)
    if (root / rel).exists():
        raise Refused(f"refused: {rel} already exists (nothing was written)")
    tag = f"{TAG_PREFIX}{decision.version.strip()}"
    top = repository_root(root) if commit else None
    if commit and top is not None and tag_exists(top, tag):
        raise Refused(f"refused: the tag {tag} already exists (nothing was written)")
    pack.decision = decision
    text = render(pack, record=True)
    message = (
        f"Approve policy revision {decision.version} ({decision.trigger} review, "
        f"approved by {decision.approver})"
    )
    change = (
        f"Approve revision {decision.version} in place in {POLICY_FILE}"
        if pack.pending
        else f"Append revision {decision.version} to {POLICY_FILE}"
    )

    def drafts_of(snap: Snapshot) -> list[Draft]:
        current = snap.register.texts.get(POLICY_FILE)
        if current is None:
            raise Refused(f"{POLICY_FILE} cannot be read (nothing was written)")
        snap.valid_file(POLICY_FILE)
        policy_text = _revision_text(current, pack, decision, snap)
        return [
            Draft(POLICY_FILE, policy_text, "policy", change, False),
            Draft(
                rel,
                text,
                rel,
                f"Add the review record {rel}",
                not (root / rel).exists(),
                record=False,
            ),
        ]

    outcomes = write_drafts(root, today or decision.on, commit, drafts_of, message)
    sha = outcomes[0].commit
    if sha is not None and top is not None:
        tag_commit(top, tag, f"Policy {pack.policy.document} version {decision.version}: {message}")
    return Written((POLICY_FILE, rel), sha, tag if sha is not None else None, in_place=pack.pending)


def _order(path: tuple[str | int, ...]) -> Sequence[str]:
    """Canonical key order of the mapping at ``path`` of policy.yaml."""
    return model_order(Policy, path)


def _revision_text(text: str, pack: Pack, decision: Decision, snap: Snapshot) -> str:
    """policy.yaml with the new revision appended, or the pending one approved in place."""
    doc = round_trip(POLICY_FILE, text)
    revisions = doc.get(("revisions",))
    if not isinstance(revisions, list) or not revisions:
        raise Refused(f"{POLICY_FILE} has no revisions list (nothing was written)")
    index = len(revisions) - 1
    person = snap.ctx.people.get(decision.approver)
    approval = {
        "by": decision.approver,
        "title": (person.title if person and person.title else "General Manager"),
        "date": decision.on,
    }
    if pack.pending:
        doc.set(("revisions", index, "changes"), decision.summary, _order)
        doc.set(("revisions", index, "trigger"), decision.trigger, _order)
        doc.set(("revisions", index, "reviewed_by"), list(decision.reviewers), _order)
        doc.set(("revisions", index, "approvals"), [approval], _order)
        comments = getattr(getattr(doc.get(("revisions", index)), "ca", None), "items", {})
        for key in ("reviewed_by", "approvals"):
            node = doc.get(("revisions", index, key))
            if node is not None and hasattr(node, "fa"):
                node.fa.set_block_style()
            # A comment on the empty value (init's "awaiting the General Manager's approval")
            # is about to be false: it goes with the value.
            comments.pop(key, None)
        return doc.text()
    entry: dict[str, Any] = {
        "number": Quoted(decision.version.strip()),
        "date": decision.on,
        "trigger": decision.trigger,
        "changes": decision.summary,
        "reviewed_by": list(decision.reviewers),
    }
    if pack.revision.process_owner:
        entry["process_owner"] = pack.revision.process_owner
    entry["approvals"] = [approval]
    doc.append(("revisions",), entry, _order)
    return doc.text()


def record_communication(
    root: Path,
    on: date,
    channels: Iterable[str],
    audience: Iterable[str],
    *,
    commit: bool = False,
    replace: bool = False,
) -> tuple[str, str | None]:
    """Add the ``communicated`` record (9.4) to the revision in force; returns its number and
    the commit's short hash (with ``commit``)."""
    channels, audience = [c.strip() for c in channels], [a.strip() for a in audience]
    if not channels or not audience or not all(channels) or not all(audience):
        raise UsageError("give at least one --channel and one --audience (e.g. staff, vendors)")
    number: list[str] = []

    def drafts_of(snap: Snapshot) -> list[Draft]:
        snap.valid_file(POLICY_FILE)
        policy = _policy(snap.register)
        revision = policy.revisions[-1]
        number.append(revision.number)
        if is_pending(revision, snap.ctx):
            raise Refused(
                f"refused: revision {revision.number} is not approved by a general manager yet; "
                "approve it with iotpolicy review before communicating it (nothing was written)"
            )
        if on < revision.date:
            raise Refused(
                f"refused: {on} is before revision {revision.number} of {revision.date} "
                "(nothing was written)"
            )
        if revision.communicated is not None and not replace:
            raise Refused(
                f"refused: revision {revision.number} already has a communicated record; give "
                "--replace to replace it (nothing was written)"
            )
        doc = round_trip(POLICY_FILE, snap.register.texts[POLICY_FILE])
        index = len(policy.revisions) - 1
        record = {"on": on, "channels": channels, "audience": audience}
        doc.set(("revisions", index, "communicated"), record, _order)
        message = f"Record the communication of policy revision {revision.number}"
        return [Draft(POLICY_FILE, doc.text(), "policy", message, False)]

    outcomes = write_drafts(root, on, commit, drafts_of)
    return number[0], outcomes[0].commit

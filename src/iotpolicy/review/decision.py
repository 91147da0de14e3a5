"""The General Manager's decision: checks of the version, approver, reviewers and answers, then
the approved revision appended to policy.yaml (round trip) and ``reviews/<date>-v<version>.md``,
both through :func:`iotpolicy.writing.draft.write_drafts` (one lock, one validation, one commit),
the commit tagged ``policy-v<version>``; and the 9.4 communication record. No typer here."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from iotpolicy.errors import UsageError
from iotpolicy.gitlog import (
    repository_root,
    tag_commit,
    tag_exists,
)
from iotpolicy.grammar.versions import Version
from iotpolicy.kinds import POLICY_FILE
from iotpolicy.models import Policy
from iotpolicy.models.enums import Trigger as TriggerKind
from iotpolicy.review.markdown import render
from iotpolicy.review.pack import QUESTIONS, Decision, Pack, is_pending, policy_of
from iotpolicy.writing.draft import Draft, round_trip, write_drafts
from iotpolicy.writing.forms import model_order
from iotpolicy.writing.snapshot import Refused, Snapshot
from iotpolicy.yamlio.nodes import Quoted

REVIEWS_FOLDER = "reviews"


TAG_PREFIX = "policy-v"


_VERSION = re.compile(r"^[0-9]+(\.[0-9]+){1,2}$")


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
        policy = policy_of(snap.register)
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

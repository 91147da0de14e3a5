"""The write transaction every change of the register goes through: drafts of new file texts,
read exactly as ``check`` reads them (the fast loader, the models, the REG rules) plus the
command's own checks, then written atomically under the register's lock, all or nothing, and with
``--commit`` exactly those files committed (:func:`write_drafts`). Editing commands, importers and
the review all draft; none writes any other way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from iotpolicy.domain.triage import TriageUpdate, update_candidates
from iotpolicy.engine import evaluate, select_rules
from iotpolicy.findings import Finding, Severity
from iotpolicy.fsio import atomic_write_many, in_register, register_lock
from iotpolicy.gitlog import commit_files, plan_commit
from iotpolicy.models import Advisory, Device
from iotpolicy.models.enums import TriageStatus
from iotpolicy.register import (
    Register,
    collector_paused,
    line_at,
    load_register,
    with_files,
)
from iotpolicy.writing.forms import Path_, model_order
from iotpolicy.writing.snapshot import Refused, Snapshot
from iotpolicy.yamlio.load import parse_text
from iotpolicy.yamlio.nodes import LDict, LList, value_at
from iotpolicy.yamlio.roundtrip import RoundTrip, YamlEditError

_REG_RULES = ("REG-001", "REG-002", "REG-003", "REG-004")


_INDEXES = re.compile(r"\.[0-9]+")


_GATE_LINE = re.compile(r"^[^:]+:[0-9]+: (?!REG-)[A-Z]{2,4}-[0-9]{3}: ")
"""A problem line that is a rule's finding about a record going live (not a REG problem)."""


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


def write_draft(
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
    with register_lock(root), collector_paused():  # an import's drafts all stay alive
        snap = Snapshot(load_register(root), today)
        drafts = list(drafts_of(snap))
        if not drafts:
            return ()
        after = with_files(snap.register, {d.file: d.text for d in drafts if d.record})
        candidates = candidate_drafts(snap.register, after, drafts)
        if candidates:
            drafts += candidates
            after = with_files(after, {d.file: d.text for d in candidates})
        drafted = {d.file for d in drafts}
        result = evaluate(after, today, select_rules(), str(root))
        by_file: dict[str, list[Finding]] = {}
        about: dict[str, list[Finding]] = {}
        for finding in result.findings:
            by_file.setdefault(finding.file, []).append(finding)
            if finding.file in drafted:
                about.setdefault(finding.subject, []).append(finding)
        owns = [tuple(about.get(d.subject, ())) for d in drafts]
        before = _findings_before(snap, drafts)
        problems = [
            problem
            for draft, own in zip(drafts, owns, strict=True)
            if draft.record
            for problem in _problems(
                draft, by_file.get(draft.file, []), before.get(draft.file, set()), own, known_only
            )
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
        paths = [in_register(root, d.file) for d in drafts]  # no write through a link out
        plan = plan_commit(root, paths) if commit and drafts else None
        if not dry_run:
            atomic_write_many([(path, d.text) for path, d in zip(paths, drafts, strict=True)])
        sha = None
        if plan is not None and not dry_run:
            sha = commit_files(plan, _commit_message(message, drafts))
    return tuple(
        Outcome(d.file, d.subject, d.message, d.created, own, sha)
        for d, own in zip(drafts, owns, strict=True)
    )


_MATCHED_FIELDS = ("vendor", "model", "part_number", "cpe", "status")


def _matched_facts(device: Device) -> tuple[Any, ...]:
    """What advisory matching reads of a device: a change to any of it re-runs the matching."""
    firmware = device.firmware.version if device.firmware else None
    return (*(getattr(device, name) for name in _MATCHED_FIELDS), firmware)


def candidate_drafts(before: Register, after: Register, drafts: Sequence[Draft]) -> list[Draft]:
    """The advisory files whose triage changes because ``drafts`` add a device or change what
    matching reads of one (vendor, model, part number, CPE, status, firmware): candidate
    entries for the new possible matches, stale candidates of those devices dropped (see
    :mod:`iotpolicy.domain.triage`)."""
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


def _findings_before(snap: Snapshot, drafts: Sequence[Draft]) -> dict[str, set[tuple[str, ...]]]:
    """(rule, subject, message) of the REG findings about each file the drafts change, as the
    register is now (one evaluation for every draft: such findings are not the change's)."""
    changed = {d.file for d in drafts if d.record and not d.created}
    if not changed:
        return {}
    found: dict[str, set[tuple[str, ...]]] = {}
    for f in evaluate(snap.register, snap.today, select_rules(_REG_RULES), "").findings:
        if f.file in changed:
            found.setdefault(f.file, set()).add((f.rule, f.subject, f.message))
    return found


def _problems(
    draft: Draft,
    after: Sequence[Finding],
    seen: set[tuple[str, ...]],
    own: tuple[Finding, ...],
    known_only: bool = False,
) -> list[str]:
    """One ``file:line: what`` line per problem of the drafted file: the command's own checks,
    then what ``check``'s REG rules find in it (``after``: the findings in that file) that they
    did not find before (``seen``; a credential always), then, for a record going live, every
    unsuppressed error about it.

    ``known_only``: the draft holds only the values known before the prompts, and the prompts
    ask only for values it lacks; so only a problem at a line holding a value stays whatever
    is answered. One reported at a mapping or at the record's first line (where a missing key
    is reported) may be answered away, and is left out."""
    data = parse_text(draft.text).data
    found: list[tuple[int, str]] = []
    fields_reported: set[str] = set()
    for path, message in draft.problems:
        dotted = ".".join(str(p) for p in path)
        fields_reported.add(_INDEXES.sub("", dotted))
        found.append((line_at(data, (*draft.base, *path)), f"{dotted}: {message}"))
    for finding in after:
        if finding.rule not in _REG_RULES:
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


def round_trip(rel: str, text: str) -> RoundTrip:
    """``text`` of the file ``rel`` loaded for editing; Refused when it cannot be edited safely."""
    try:
        return RoundTrip(text)
    except YamlEditError as exc:
        raise Refused(f"{rel} {exc}; edit it by hand (nothing was written)") from None

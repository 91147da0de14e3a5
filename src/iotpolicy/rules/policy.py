"""POL: the policy document is approved, reviewed on time and when triggers fire, communicated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from iotpolicy.findings import Severity
from iotpolicy.grammar.dates import add_months, within
from iotpolicy.grammar.versions import Version
from iotpolicy.models import Policy, Revision
from iotpolicy.register import DeviceFacts, Record
from iotpolicy.rules.base import Failures, Violation, norm, present, rule
from iotpolicy.view import Context


def _policy(ctx: Context) -> Record[Policy] | None:
    """The valid policy record, or None."""
    record = ctx.register.policy
    if record is None or record.model is None:
        return None
    return record  # type: ignore[return-value]


def in_force(ctx: Context) -> tuple[Record[Policy], int, Revision] | None:
    """The policy record, the index and the revision in force (the last one), or None."""
    record = _policy(ctx)
    if record is None or not record.model.revisions:
        return None
    index = len(record.model.revisions) - 1
    return record, index, record.model.revisions[index]


@rule(
    "POL-001",
    "error",
    "The policy in force is approved by the General Manager",
    "4.1.2",
    "ISO 27001 5.2",
    scope="policy",
)
def pol_001(ctx: Context) -> Iterator[Violation]:
    """The revision in force (the last of ``revisions``) has no approval by a GM.

    Passes: ``approvals: [{by: anna-berg, title: General Manager, date: 2024-12-18}]`` where
    anna-berg holds the general-manager role. Fails: no approvals, or approved by a non-GM.
    """
    found = in_force(ctx)
    if found is None:
        return
    record, index, revision = found
    if not any(ctx.is_gm(approval.by) for approval in revision.approvals or ()):
        failures = Failures(record)
        failures.add(
            ("revisions", index, "approvals"),
            f"revision {revision.number} in force has no approval by a general manager; "
            f"approve it (iotpolicy review) before relying on it{_no_gm_hint(ctx)}",
        )
        yield failures.violation()  # type: ignore[misc]


@rule(
    "POL-002",
    "error / warning",
    "The policy is reviewed every year",
    "9.1.1",
    "ISO 27001 5.2, 9.3",
    scope="policy",
)
def pol_002(ctx: Context) -> Iterator[Violation]:
    """settings.review_interval_months (default 12) calendar months after the revision in force's
    ``date`` have passed (error), or that due date is within settings.review_warning_days
    (default 30; warning).

    Passes: revision dated 2025-01-01, as-of 2025-11-30 (due 2026-01-01, 32 days ahead).
    Fails: as-of 2026-01-02 (error), or 2025-12-02 (warning: due in 30 days).
    """
    found = in_force(ctx)
    if found is None:
        return
    record, index, revision = found
    due = add_months(revision.date, ctx.settings.review_interval_months)
    failures = Failures(record)
    if ctx.as_of > due:
        failures.add(
            ("revisions", index, "date"),
            f"policy review was due on {due} (revision {revision.number} of {revision.date}); "
            "run iotpolicy review",
        )
    elif within(due, ctx.as_of, ctx.settings.review_warning_days):
        failures.add(
            ("revisions", index, "date"),
            f"policy review is due on {due}; run iotpolicy review",
            Severity.WARNING,
        )
    if failures:
        yield failures.violation()  # type: ignore[misc]


@rule(
    "POL-003",
    "warning",
    "A review trigger has fired since the revision in force",
    "9.2",
    "ISO 27001 6.1, 10.1",
    across_devices=True,
    scope="policy",
)
def pol_003(ctx: Context) -> Iterator[Violation]:
    """Since the revision in force (dated after its ``date`` and on or before the as-of date): a
    device type appeared that no device commissioned on or before the revision date had (9.2.2;
    one finding per new type, its subject the earliest device of that type, ties by id; devices
    without ``commissioned_on`` ignored); an advisory was received (9.2.3; subject the advisory);
    an incident or audit finding occurred (9.2.4; subject the incident). One finding per cause.

    Passes: nothing new after the revision date. Fails: an incident dated the day after it.
    """
    found = in_force(ctx)
    if found is None:
        return
    _, _, revision = found
    start, end = revision.date, ctx.as_of
    known: set[str] = set()
    first_of_type: dict[str, DeviceFacts] = {}
    for device in ctx.device_facts:
        when = device.commissioned_on
        if device.id is None or when is None:
            continue
        if when <= start:
            known.add(norm(device.type))
        elif when <= end:
            current = first_of_type.get(norm(device.type))
            if current is None or (when, device.id) < (current.commissioned_on, current.id):
                first_of_type[norm(device.type)] = device
    for device_type, device in sorted(first_of_type.items()):
        if device_type not in known:
            yield Violation(
                device.subject,
                device.file,
                device.commissioned_line,
                f"new device type '{device.type}' since revision "
                f"{revision.number} (commissioned {device.commissioned_on}): "
                "review trigger 9.2.2",
            )
    for advisory in ctx.valid("advisory"):
        received = advisory.model.received_on
        if received is not None and start < received <= end:
            yield _trigger(
                advisory,
                ("received_on",),
                f"advisory received on {received}, after revision {revision.number}: "
                "review trigger 9.2.3",
            )
    for incident in ctx.valid("incident"):
        when = incident.model.date
        if start < when <= end:
            what = incident.model.kind.value.replace("-", " ")
            yield _trigger(
                incident,
                ("date",),
                f"{what} on {when}, after revision {revision.number}: review trigger 9.2.4",
            )


def _no_gm_hint(ctx: Context) -> str:
    """The step before any approval when people.yaml names no general manager."""
    if ctx.gms:
        return ""
    return "; first add the General Manager: iotpolicy add-person --role general-manager"


def _trigger(record: Record[Any], path: tuple[str, ...], message: str) -> Violation:
    failures = Failures(record)
    failures.add(path, message)
    return failures.violation()  # type: ignore[return-value]


@rule(
    "POL-004",
    "error",
    "The revision history is complete and ordered",
    "9.3.1",
    "ISO 27001 7.5.3",
    scope="policy",
)
def pol_004(ctx: Context) -> Iterator[Violation]:
    """The revision history is empty or malformed: version numbers do not increase, a date is
    earlier than the previous revision's, or a revision lacks ``changes``, ``reviewed_by`` or
    ``approvals``. With no revision at all, the other POL rules are skipped.

    Passes: 1.0 (2025-01-01) then 1.1 (2026-01-20), each complete.
    Fails: 1.1 followed by 1.0, or a revision without ``reviewed_by``.
    """
    record = _policy(ctx)
    if record is None:
        return
    failures = Failures(record)
    revisions = record.model.revisions
    if not revisions:
        failures.add(
            ("revisions",),
            "the revision history is empty; approve revision 1.0 with iotpolicy review"
            + _no_gm_hint(ctx),
        )
    for index, revision in enumerate(revisions):
        if index:
            previous = revisions[index - 1]
            if not Version(revision.number) > Version(previous.number):
                failures.add(
                    ("revisions", index, "number"),
                    f"revision {revision.number} does not increase on {previous.number}",
                )
            if revision.date < previous.date:
                failures.add(
                    ("revisions", index, "date"),
                    f"revision {revision.number} is dated before revision {previous.number}",
                )
        lacking = [
            name
            for name in ("changes", "reviewed_by", "approvals")
            if not present(getattr(revision, name))
        ]
        for name in lacking:
            message = f"revision {revision.number} lacks {name}"
            if name == lacking[-1] and index == len(revisions) - 1 and name != "changes":
                message += " (iotpolicy review records the review and the approval)"
            failures.add(("revisions", index, name), message)
    if failures:
        yield failures.violation()  # type: ignore[misc]


@rule(
    "POL-005",
    "warning",
    "The policy in force is communicated to staff and vendors",
    "9.4",
    "ISO 27001 7.4",
    scope="policy",
)
def pol_005(ctx: Context) -> Iterator[Violation]:
    """The revision in force has no ``communicated`` record reaching both ``staff`` and
    ``vendors`` (its ``audience``).

    Passes: ``communicated: {on: 2025-01-06, audience: [staff, vendors]}``.
    Fails: no ``communicated`` record, or one reaching staff only.
    """
    found = in_force(ctx)
    if found is None:
        return
    record, index, revision = found
    audience = {norm(a) for a in (revision.communicated.audience if revision.communicated else ())}
    missing = [who for who in ("staff", "vendors") if who not in audience]
    if missing:
        failures = Failures(record)
        failures.add(
            ("revisions", index, "communicated"),
            f"revision {revision.number} in force is not recorded as communicated to "
            f"{' and '.join(missing)} (iotpolicy record-communication)",
        )
        yield failures.violation()  # type: ignore[misc]

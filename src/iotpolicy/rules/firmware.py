"""FW: firmware integrity verified, no open vulnerability advisory affecting a device, every
possible match decided."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from iotpolicy.domain.advisories import open_advisories
from iotpolicy.domain.affected import affects, known_exploited_label, norm, undecided
from iotpolicy.models import Advisory
from iotpolicy.models.enums import AdvisoryKind, Status
from iotpolicy.register import Record
from iotpolicy.rules.base import Failures, Violation, present, rule
from iotpolicy.view import Context


@rule(
    "FW-001",
    "error",
    "Firmware version and integrity are recorded",
    "4.2.3",
    "NIST SI-7; ETSI EN 303 645 5.7; IEC 62443-3-3 SR 3.4",
)
def fw_001(ctx: Context) -> Iterator[Violation]:
    """An active device lacks ``firmware.version`` or ``firmware.integrity.verified_on``, or
    ``verified_on`` is before ``firmware.updated_on`` (the installed firmware was not verified).

    Passes: updated and verified on the same day. Fails: verified the day before the update.
    """
    for record in ctx.active_devices:
        firmware, failures = record.model.firmware, Failures(record)
        if not present(firmware and firmware.version):
            failures.add(("firmware", "version"), "firmware.version is missing")
        verified = firmware.integrity.verified_on if firmware and firmware.integrity else None
        if verified is None:
            failures.add(
                ("firmware", "integrity", "verified_on"),
                "firmware integrity verification (firmware.integrity.verified_on) is missing",
            )
        elif firmware and firmware.updated_on and verified < firmware.updated_on:
            failures.add(
                ("firmware", "integrity", "verified_on"),
                f"firmware verified on {verified}, before the update on {firmware.updated_on}",
            )
        if failures:
            yield failures.violation()  # type: ignore[misc]


@rule(
    "FW-002",
    "error",
    "No device is affected by an open vulnerability advisory",
    "9.2.3",
    "NIST SI-2, RA-5; NIS2 21(2)(e); ETSI EN 303 645 5.3",
)
def fw_002(ctx: Context) -> Iterator[Violation]:
    """An active device is affected by an ``open`` ``vulnerability`` advisory received on or before
    the as-of date (or with no ``received_on``): same vendor, same model (ignoring case and
    surrounding spaces), or a part number matching an ``affects`` entry's (``*``/``?``
    wildcards) or the same CPE, firmware version inside the entry's ``versions``, and no current
    ``triage`` decision of the advisory marks the device ``not-affected``; or a current decision
    marks it ``affected``. A decision is current while the device's firmware and the advisory's
    revision are those it was made for. A known-exploited advisory (CISA KEV) is named first.

    Passes: firmware 4.5.2 and an advisory for ``<4.5.2``. Fails: firmware 4.5.0 with that advisory.
    """
    by_vendor: dict[str, list[Advisory]] = {}
    for advisory in open_advisories(ctx, AdvisoryKind.VULNERABILITY):
        by_vendor.setdefault(norm(advisory.vendor), []).append(advisory)
    if not by_vendor:
        return
    for record in ctx.active_devices:
        mine = by_vendor.get(norm(record.model.vendor), [])
        found = [a for a in mine if affects(a, record.model)]
        if not found:
            continue
        found.sort(key=lambda a: a.id)
        failures = Failures(record)
        version = record.model.firmware.version if record.model.firmware else None
        exploited = known_exploited_label(found)
        failures.add(
            ("firmware", "version"),
            (f"{exploited}: " if exploited else "")
            + f"firmware {version or 'of unknown version'} is affected by open advisory "
            + ", ".join(a.id for a in found),
        )
        violation = failures.violation()
        if violation is not None:
            yield replace(violation, properties=_exposure(found, exploited))


def _exposure(found: list[Advisory], exploited: str | None) -> tuple[tuple[str, Any], ...]:
    """FW-002's properties for the machine formats: the advisories, their highest ``cvss``,
    whether any is known exploited, the earliest CISA due date, and the ``lead`` the message
    starts with (the known-exploited label)."""
    scores = [a.cvss for a in found if a.cvss is not None]
    dues = sorted(k.due_date for a in found for k in a.known_exploited if k.due_date)
    properties: list[tuple[str, Any]] = [("advisories", tuple(a.id for a in found))]
    if scores:
        properties.append(("cvss", max(scores)))
    properties.append(("knownExploited", exploited is not None))
    if dues:
        properties.append(("kevDueDate", dues[0].isoformat()))
    if exploited:
        properties.append(("lead", exploited))
    return tuple(properties)


@rule(
    "FW-003",
    "warning",
    "Every possible advisory match is decided",
    "9.2.3",
    "NIST RA-5, SI-2",
    across_devices=True,
)
def fw_003(ctx: Context) -> Iterator[Violation]:
    """An active device is still a ``candidate`` (or its decision has lapsed) in the ``triage`` of
    an ``open`` ``vulnerability`` advisory received on or before the as-of date (or with no
    ``received_on``): a possible match nobody has confirmed or dismissed. One finding per device
    and advisory, at the advisory's triage entry, naming the command that records the decision.

    Passes: a ``not-affected`` decision made for the installed firmware. Fails: a ``candidate``.
    """
    active = {f.id: f for f in ctx.device_facts if f.id and f.status == Status.ACTIVE}
    records: list[Record[Any]] = ctx.valid("advisory")
    open_ids = {a.id for a in open_advisories(ctx, AdvisoryKind.VULNERABILITY)}
    for record in records:
        advisory: Advisory = record.model
        if advisory.id not in open_ids:
            continue
        for index, entry in enumerate(advisory.triage):
            facts = active.get(entry.device.strip())
            if facts is None or advisory.triage_of(entry.device.strip()) is not entry:
                continue
            reason = undecided(entry, advisory, facts.firmware)
            if reason is None:
                continue
            command = (
                f"iotpolicy advisories triage {advisory.id} {facts.id} "
                "affected|not-affected --by PERSON"
            )
            yield Violation(
                subject=facts.subject,
                file=record.file,
                line=record.line("triage", index),
                message=f"{facts.id} {reason} in advisory {advisory.id}: decide with {command}",
            )

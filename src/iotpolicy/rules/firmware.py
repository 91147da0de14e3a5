"""FW: firmware integrity verified, no open vulnerability advisory affecting a device."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from iotpolicy.models import Advisory, Device
from iotpolicy.models.enums import AdvisoryKind, AdvisoryStatus
from iotpolicy.register import Record
from iotpolicy.rules.base import Context, Failures, Violation, norm, present, rule
from iotpolicy.versions import in_range


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


def matching_advisories(ctx: Context, device: Device, kind: AdvisoryKind) -> list[Advisory]:
    """Open advisories of ``kind`` received on or before as-of (or undated) that affect
    ``device``: same vendor, same model, its firmware version inside the range."""
    found: list[Advisory] = []
    version = device.firmware.version if device.firmware else None
    for advisory in _open_advisories(ctx, kind):
        if norm(advisory.vendor) != norm(device.vendor) or not norm(device.model):
            continue
        if any(
            norm(affected.model) == norm(device.model) and in_range(version, affected.versions)
            for affected in advisory.affects
        ):
            found.append(advisory)
    return found


def _open_advisories(ctx: Context, kind: AdvisoryKind) -> Iterator[Advisory]:
    records: list[Record[Any]] = ctx.valid("advisory")
    for record in records:
        advisory: Advisory = record.model
        if advisory.kind is not kind or advisory.status is not AdvisoryStatus.OPEN:
            continue
        if advisory.received_on is None or advisory.received_on <= ctx.as_of:
            yield advisory


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
    surrounding spaces), firmware version inside the advisory's ``versions`` range.

    Passes: firmware 4.5.2 and an advisory for ``<4.5.2``. Fails: firmware 4.5.0 with that advisory.
    """
    for record in ctx.active_devices:
        advisories = matching_advisories(ctx, record.model, AdvisoryKind.VULNERABILITY)
        if advisories:
            failures = Failures(record)
            version = record.model.firmware.version if record.model.firmware else None
            failures.add(
                ("firmware", "version"),
                f"firmware {version or 'of unknown version'} is affected by open advisory "
                + ", ".join(sorted(a.id for a in advisories)),
            )
            yield failures.violation()  # type: ignore[misc]

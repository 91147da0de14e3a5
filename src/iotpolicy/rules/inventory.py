"""INV: every active device is fully inventoried and its changes documented (4.2)."""

from __future__ import annotations

from collections.abc import Iterator

from iotpolicy.grammar.versions import same_version
from iotpolicy.models.enums import ChangeKind
from iotpolicy.rules.base import Failures, Violation, present, rule
from iotpolicy.view import Context


@rule(
    "INV-001",
    "error",
    "Active devices are fully inventoried",
    "4.2.1, 4.2.2",
    "NIST PE-20, CM-8; IEC 62443-3-3 SR 7.8",
)
def inv_001(ctx: Context) -> Iterator[Violation]:
    """An active device lacks ``commissioned_on``, ``location.site``, ``owner``, or at least one
    ``documentation`` entry.

    Passes: all four given. Fails: an active camera with no ``owner``.
    """
    for record in ctx.active_devices:
        device, failures = record.model, Failures(record)
        if device.commissioned_on is None:
            failures.add(("commissioned_on",), "commissioned_on is missing")
        if not present(device.location and device.location.site):
            failures.add(("location", "site"), "location.site is missing")
        if not present(device.owner):
            failures.add(("owner",), "owner is missing")
        if not any(present(doc) for doc in device.documentation):
            failures.add(("documentation",), "no documentation entry")
        if failures:
            yield failures.violation()  # type: ignore[misc]


@rule(
    "INV-002",
    "error",
    "Device changes are documented",
    "4.2.3",
    "ISO 27002 8.32, NIST CM-3",
)
def inv_002(ctx: Context) -> Iterator[Violation]:
    """An active device has no ``commissioning`` change, or the last ``firmware-update`` change
    (in list order) has a ``to_version`` different from ``firmware.version`` (versions compared as
    versions: ``V4.5`` equals ``4.5``): a change that was not documented.

    Passes: the last firmware-update says ``to_version: "4.5.2"`` and ``firmware.version: "4.5.2"``.
    Fails: ``firmware.version: "4.6.0"`` with no firmware-update change to 4.6.0.
    """
    for record in ctx.active_devices:
        device, failures = record.model, Failures(record)
        if not any(change.kind is ChangeKind.COMMISSIONING for change in device.changes):
            failures.add(("changes",), "no commissioning change is recorded")
        updates = [
            (index, change)
            for index, change in enumerate(device.changes)
            if change.kind is ChangeKind.FIRMWARE_UPDATE
        ]
        if updates:
            index, last = updates[-1]
            installed = device.firmware.version if device.firmware else None
            if not same_version(last.to_version, installed):
                failures.add(
                    ("changes", index, "to_version"),
                    f"firmware.version '{installed or 'unknown'}' differs from the last "
                    f"firmware-update's to_version '{last.to_version or 'unknown'}' "
                    "(an undocumented change)",
                )
        if failures:
            yield failures.violation()  # type: ignore[misc]

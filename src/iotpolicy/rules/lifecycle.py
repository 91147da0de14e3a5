"""LIF: devices within vendor support, and retired devices disposed of securely."""

from __future__ import annotations

from collections.abc import Iterator

from iotpolicy.domain.advisories import matching_advisories
from iotpolicy.findings import Severity
from iotpolicy.grammar.dates import within
from iotpolicy.models.enums import AdvisoryKind, Status
from iotpolicy.rules.base import Failures, Violation, present, rule
from iotpolicy.view import Context


@rule(
    "LIF-001",
    "error / warning",
    "Devices are within vendor support",
    "9.2.3",
    "NIST SA-22; ISO 27002 8.8",
)
def lif_001(ctx: Context) -> Iterator[Violation]:
    """An active device's ``end_of_support`` has passed (error), falls within
    settings.end_of_support_warning_days (default 180; warning), or is unknown (warning). An
    ``open`` ``end-of-life`` advisory matching the device (vendor, model, version range) counts as
    passed (error, one finding).

    Passes: end of support 181 days after the as-of date.
    Fails: end of support yesterday (error), in 180 days (warning), or not recorded (warning).
    """
    days = ctx.settings.end_of_support_warning_days
    for record in ctx.active_devices:
        device, failures = record.model, Failures(record)
        notices = matching_advisories(ctx, device, AdvisoryKind.END_OF_LIFE)
        end = device.end_of_support
        if notices:
            failures.add(
                ("end_of_support",),
                "end of life announced by open advisory "
                + ", ".join(sorted(a.id for a in notices)),
            )
        if end is not None and ctx.as_of > end:
            failures.add(("end_of_support",), f"end of support passed on {end}")
        elif end is not None and within(end, ctx.as_of, days):
            failures.add(
                ("end_of_support",),
                f"end of support on {end}, within {days} days",
                Severity.WARNING,
            )
        elif end is None and not notices:
            failures.add(("end_of_support",), "end of support is unknown", Severity.WARNING)
        if failures:
            yield failures.violation()  # type: ignore[misc]


@rule(
    "LIF-002",
    "error",
    "Retired devices are disposed of securely",
    "2.1, 4.2.3",
    "ISO 27002 7.14; NIST MP-6",
    scope="retired-devices",
)
def lif_002(ctx: Context) -> Iterator[Violation]:
    """A ``retired`` or ``disposed`` device lacks a ``disposal`` record with ``date``, ``by``, and
    ``data_wiped``, ``credentials_revoked``, ``removed_from_network`` all true.

    Passes: a complete disposal record. Fails: ``data_wiped: false``, or no disposal record.
    """
    for record in ctx.devices:
        device, failures = record.model, Failures(record)
        if device.status not in (Status.RETIRED, Status.DISPOSED):
            continue
        disposal = device.disposal
        if disposal is None:
            failures.add(("disposal",), f"{device.status.value} device has no disposal record")
        else:
            if disposal.date is None:
                failures.add(("disposal", "date"), "disposal.date is missing")
            if not present(disposal.by):
                failures.add(("disposal", "by"), "disposal.by is missing")
            for flag in ("data_wiped", "credentials_revoked", "removed_from_network"):
                if getattr(disposal, flag) is not True:
                    failures.add(("disposal", flag), f"disposal.{flag} is not true")
        if failures:
            yield failures.violation()  # type: ignore[misc]

"""MON and PRV: device events are logged; personal data is processed lawfully."""

from __future__ import annotations

from collections.abc import Iterator

from iotpolicy.rules.base import Failures, Violation, present, rule
from iotpolicy.view import Context


@rule(
    "MON-001",
    "error",
    "Device events are logged centrally",
    "3.3",
    "NIST AU-2, SI-4, PE-20; IEC 62443-3-3 SR 6.1",
)
def mon_001(ctx: Context) -> Iterator[Violation]:
    """An active device has ``monitoring.logging`` not true, or no ``monitoring.destination``.

    Passes: ``monitoring: {logging: true, destination: syslog.mgmt.acme.internal}``.
    Fails: ``logging: false``, or logging with no destination.
    """
    for record in ctx.active_devices:
        monitoring, failures = record.model.monitoring, Failures(record)
        if not (monitoring and monitoring.logging is True):
            failures.add(("monitoring", "logging"), "event logging is not enabled")
        if not present(monitoring and monitoring.destination):
            failures.add(("monitoring", "destination"), "no log destination")
        if failures:
            yield failures.violation()  # type: ignore[misc]


@rule(
    "PRV-001",
    "error",
    "Devices recording people have a DPIA and a retention period",
    "P17S",
    "GDPR Art. 32, 35; ETSI EN 303 645 5.8",
)
def prv_001(ctx: Context) -> Iterator[Violation]:
    """An active device with ``personal_data.processes: true`` lacks a ``dpia`` reference or
    ``retention_days``.

    Passes: a camera with ``dpia: DPIA-2024-03`` and ``retention_days: 30``.
    Fails: a camera that processes personal data with ``dpia: null``.
    """
    for record in ctx.active_devices:
        data, failures = record.model.personal_data, Failures(record)
        if not (data and data.processes is True):
            continue
        if not present(data.dpia):
            failures.add(
                ("personal_data", "dpia"), "processes personal data without a DPIA reference"
            )
        if data.retention_days is None:
            failures.add(
                ("personal_data", "retention_days"),
                "processes personal data without a retention period (retention_days)",
            )
        if failures:
            yield failures.violation()  # type: ignore[misc]

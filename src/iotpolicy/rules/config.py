"""CFG: hardened configuration, no insecure services, configuration backups."""

from __future__ import annotations

from collections.abc import Iterator

from iotpolicy.grammar.dates import older_than
from iotpolicy.models.enums import Category
from iotpolicy.rules.base import Failures, Violation, norm, present, rule
from iotpolicy.view import Context


@rule(
    "CFG-001",
    "error",
    "Unused services are disabled, enabled ones justified",
    "3.1",
    "NIST CM-7; ETSI EN 303 645 5.6",
)
def cfg_001(ctx: Context) -> Iterator[Violation]:
    """An active device's ``hardening.unused_services_disabled`` is not true, or an enabled service
    (``hardening.services``) has no ``justification``.

    Passes: ``unused_services_disabled: true`` and every service justified.
    Fails: a service ``{name: https, port: 443}`` without a justification.
    """
    for record in ctx.active_devices:
        hardening, failures = record.model.hardening, Failures(record)
        if not (hardening and hardening.unused_services_disabled is True):
            failures.add(
                ("hardening", "unused_services_disabled"),
                "unused services are not recorded as disabled",
            )
        for index, service in enumerate(hardening.services if hardening else ()):
            if not present(service.justification):
                failures.add(
                    ("hardening", "services", index),
                    f"service '{service.name}' has no justification",
                )
        if failures:
            yield failures.violation()  # type: ignore[misc]


@rule(
    "CFG-002",
    "error",
    "No insecure service is enabled",
    "3.1, 5.31",
    "NIST CM-7; ISO 27002 8.9",
)
def cfg_002(ctx: Context) -> Iterator[Violation]:
    """An active device enables a service named in settings.insecure_services (default telnet,
    ftp, tftp, http, snmpv1, snmpv2c, upnp, smbv1).

    Passes: services ``https`` and ``ssh``. Fails: a service named ``telnet``.
    """
    insecure = {norm(name) for name in ctx.settings.insecure_services}
    for record in ctx.active_devices:
        hardening, failures = record.model.hardening, Failures(record)
        for index, service in enumerate(hardening.services if hardening else ()):
            if norm(service.name) in insecure:
                failures.add(
                    ("hardening", "services", index, "name"),
                    f"insecure service '{service.name}' is enabled",
                )
        if failures:
            yield failures.violation()  # type: ignore[misc]


@rule(
    "CFG-003",
    "warning",
    "OT configurations are backed up",
    "DORA 10(1)",
    "ISO 27002 8.13; IEC 62443-3-3 SR 7.3",
)
def cfg_003(ctx: Context) -> Iterator[Violation]:
    """An active ``ot`` device has no ``backup.last_config_backup``, or it is older than
    settings.backup_max_age_days (default 90): as-of - backup date > 90 days.

    Passes: a backup exactly 90 days before the as-of date. Fails: one 91 days before.
    """
    limit = ctx.settings.backup_max_age_days
    for record in ctx.active_devices:
        device, failures = record.model, Failures(record)
        if device.category is not Category.OT:
            continue
        last = device.backup.last_config_backup if device.backup else None
        if last is None:
            failures.add(("backup", "last_config_backup"), "no configuration backup is recorded")
        elif older_than(last, ctx.as_of, limit):
            failures.add(
                ("backup", "last_config_backup"),
                f"last configuration backup {last} is older than {limit} days",
            )
        if failures:
            yield failures.violation()  # type: ignore[misc]

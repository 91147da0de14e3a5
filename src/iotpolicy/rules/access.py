"""ACC: network access approved, default credentials changed, least privilege, remote access."""

from __future__ import annotations

from collections.abc import Iterator

from iotpolicy.models.enums import AccountRole
from iotpolicy.rules.base import Failures, Violation, norm, rule
from iotpolicy.view import Context


@rule(
    "ACC-001",
    "error",
    "Network access is approved by the General Manager",
    "4.1.4",
    "NIST AC-3, AC-6",
)
def acc_001(ctx: Context) -> Iterator[Violation]:
    """An active device's network access was not approved by a GM (``network.access_approved_by``
    is missing or not a person with the general-manager role), ``network.access_approved_on`` is
    missing, or it is after ``commissioned_on``.

    Passes: approved by the GM on 2024-03-01, commissioned 2024-03-12.
    Fails: approved by the operations manager, or approved after commissioning.
    """
    for record in ctx.active_devices:
        device, failures = record.model, Failures(record)
        network = device.network
        approver = network.access_approved_by if network else None
        if not ctx.is_gm(approver):
            failures.add(
                ("network", "access_approved_by"),
                "network access was not approved by a general manager"
                if approver
                else "network.access_approved_by is missing",
            )
        approved_on = network.access_approved_on if network else None
        if approved_on is None:
            failures.add(("network", "access_approved_on"), "network.access_approved_on is missing")
        elif device.commissioned_on and approved_on > device.commissioned_on:
            failures.add(
                ("network", "access_approved_on"),
                f"network access approved on {approved_on}, after commissioning on "
                f"{device.commissioned_on}",
            )
        if failures:
            yield failures.violation()  # type: ignore[misc]


@rule(
    "ACC-002",
    "error",
    "Default credentials are changed before commissioning",
    "3.1, 5.31",
    "ISO 27002 5.17; ETSI EN 303 645 5.1-1; IEC 62443-3-3 SR 1.5",
)
def acc_002(ctx: Context) -> Iterator[Violation]:
    """An active device's ``hardening.default_credentials_changed`` is not true, or
    ``credentials_changed_on`` is missing or after ``commissioned_on``.

    Passes: ``default_credentials_changed: true``, changed 2024-03-10, commissioned 2024-03-12.
    Fails: ``default_credentials_changed: false``, or no ``credentials_changed_on``.
    """
    for record in ctx.active_devices:
        device, failures = record.model, Failures(record)
        hardening = device.hardening
        if not (hardening and hardening.default_credentials_changed is True):
            failures.add(
                ("hardening", "default_credentials_changed"),
                "default credentials are not recorded as changed",
            )
        changed_on = hardening.credentials_changed_on if hardening else None
        if changed_on is None:
            failures.add(
                ("hardening", "credentials_changed_on"),
                "hardening.credentials_changed_on is missing",
            )
        elif device.commissioned_on and changed_on > device.commissioned_on:
            failures.add(
                ("hardening", "credentials_changed_on"),
                f"credentials changed on {changed_on}, after commissioning on "
                f"{device.commissioned_on}",
            )
        if failures:
            yield failures.violation()  # type: ignore[misc]


@rule(
    "ACC-003",
    "warning",
    "No shared accounts, few administrators",
    "P4S",
    "NIST AC-6, AC-2; IEC 62443-3-3 SR 1.1",
)
def acc_003(ctx: Context) -> Iterator[Violation]:
    """An active device has a shared account, or more admin accounts than
    settings.max_admin_accounts (default 2).

    Passes: two personal admin accounts. Fails: an account with ``shared: true``, or three admins.
    """
    limit = ctx.settings.max_admin_accounts
    for record in ctx.active_devices:
        device, failures = record.model, Failures(record)
        accounts = device.access.accounts if device.access else ()
        for index, account in enumerate(accounts):
            if account.shared is True:
                failures.add(
                    ("access", "accounts", index, "shared"),
                    f"account '{account.name or index + 1}' is shared",
                )
        admins = sum(account.role is AccountRole.ADMIN for account in accounts)
        if admins > limit:
            failures.add(
                ("access", "accounts"), f"{admins} admin accounts (at most {limit} allowed)"
            )
        if failures:
            yield failures.violation()  # type: ignore[misc]


@rule(
    "ACC-004",
    "error",
    "Remote access uses an approved method",
    "P9S",
    "NIST AC-17; IEC 62443-3-3 SR 1.13",
)
def acc_004(ctx: Context) -> Iterator[Violation]:
    """An active device's ``access.remote_access`` is missing, or is neither ``none`` nor one of
    settings.approved_remote_access (default ``vpn``, ``jump-host``).

    Passes: ``remote_access: jump-host``. Fails: ``remote_access: direct-internet``.
    """
    approved = {norm(method) for method in ctx.settings.approved_remote_access} | {"none"}
    for record in ctx.active_devices:
        device, failures = record.model, Failures(record)
        method = device.access.remote_access if device.access else None
        if not norm(method):
            failures.add(("access", "remote_access"), "access.remote_access is missing")
        elif norm(method) not in approved:
            failures.add(
                ("access", "remote_access"),
                f"remote access '{method}' is not an approved method "
                f"({', '.join(sorted(approved))})",
            )
        if failures:
            yield failures.violation()  # type: ignore[misc]

"""VEN: vendors are bound by security clauses, assessed, and maintain devices safely."""

from __future__ import annotations

from collections.abc import Iterator

from iotpolicy.grammar.dates import add_months
from iotpolicy.rules.base import Failures, Violation, norm, present, rule
from iotpolicy.view import Context


@rule(
    "VEN-001",
    "error",
    "Vendors have a security contact and security clauses",
    "3.4",
    "ISO 27002 5.20; NIS2 21(2)(d)",
    scope="vendors",
)
def ven_001(ctx: Context) -> Iterator[Violation]:
    """A vendor lacks a ``security_contact``, or an ``agreement`` with ``signed_on`` and
    ``security_clauses: true``.

    Passes: a signed agreement with ``security_clauses: true`` and a security contact.
    Fails: ``security_clauses: false``, or no agreement.
    """
    for record in ctx.valid("vendor"):
        vendor, failures = record.model, Failures(record)
        if not present(vendor.security_contact):
            failures.add(("security_contact",), "no security contact")
        agreement = vendor.agreement
        if agreement is None:
            failures.add(("agreement",), "no agreement")
        else:
            if agreement.signed_on is None:
                failures.add(("agreement", "signed_on"), "agreement has no signed_on date")
            if agreement.security_clauses is not True:
                failures.add(("agreement", "security_clauses"), "agreement has no security clauses")
        if failures:
            yield failures.violation()  # type: ignore[misc]


@rule(
    "VEN-002",
    "warning",
    "Vendors are assessed by the General Manager",
    "4.1.3",
    "ISO 27002 5.22; NIS2 21(2)(d)",
    scope="vendors",
)
def ven_002(ctx: Context) -> Iterator[Violation]:
    """A vendor was never assessed (no ``assessed_on``), was assessed more than
    settings.vendor_assessment_max_age_months (default 12) calendar months ago, or ``assessed_by``
    is not a GM.

    Passes: assessed by the GM exactly 12 months before the as-of date.
    Fails: assessed 12 months and a day before, or assessed by the operations manager.
    """
    months = ctx.settings.vendor_assessment_max_age_months
    for record in ctx.valid("vendor"):
        vendor, failures = record.model, Failures(record)
        if vendor.assessed_on is None:
            failures.add(("assessed_on",), "vendor was never assessed")
        elif ctx.as_of > add_months(vendor.assessed_on, months):
            failures.add(
                ("assessed_on",),
                f"last assessed on {vendor.assessed_on}, more than {months} months ago",
            )
        if not ctx.is_gm(vendor.assessed_by):
            failures.add(
                ("assessed_by",),
                "assessed_by is not a general manager"
                if vendor.assessed_by
                else "assessed_by is missing",
            )
        if failures:
            yield failures.violation()  # type: ignore[misc]


@rule(
    "VEN-003",
    "error",
    "Vendor remote maintenance is approved and supervised",
    "3.4, P9S",
    "NIST MA-4; IEC 62443-3-3 SR 1.13",
    scope="vendors",
)
def ven_003(ctx: Context) -> Iterator[Violation]:
    """A vendor's remote maintenance is allowed but its ``method`` is not one of
    settings.approved_remote_access, or it is not ``supervised``.

    Passes: ``{allowed: true, method: jump-host, supervised: true}``.
    Fails: ``{allowed: true, method: teamviewer, supervised: false}``.
    """
    approved = {norm(method) for method in ctx.settings.approved_remote_access}
    for record in ctx.valid("vendor"):
        remote, failures = record.model.remote_maintenance, Failures(record)
        if not (remote and remote.allowed is True):
            continue
        if norm(remote.method) not in approved:
            failures.add(
                ("remote_maintenance", "method"),
                f"remote maintenance method '{remote.method or 'unknown'}' is not approved "
                f"({', '.join(sorted(approved))})",
            )
        if remote.supervised is not True:
            failures.add(
                ("remote_maintenance", "supervised"), "remote maintenance is not supervised"
            )
        if failures:
            yield failures.violation()  # type: ignore[misc]

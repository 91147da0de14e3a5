"""EXC: exceptions are approved, time-limited and current; which exceptions suppress findings."""

from __future__ import annotations

from collections.abc import Iterator

from iotpolicy.findings import Severity
from iotpolicy.grammar.dates import within
from iotpolicy.rules.base import Failures, Violation, rule
from iotpolicy.view import Context


@rule(
    "EXC-001",
    "error / warning",
    "Exceptions are approved, limited and current",
    "ISO 27001 6.1.3",
    "ISO 27001 6.1.3",
    scope="exceptions",
)
def exc_001(ctx: Context) -> Iterator[Violation]:
    """An exception is not approved by a GM, lacks ``approved_on`` or ``expires_on``, lasts longer
    than settings.exception_max_days (default 365), or has expired (error); it expires within
    settings.exception_warning_days (default 30; warning). An invalid exception suppresses nothing.

    Passes: approved by the GM for 365 days, expiring 31 days after the as-of date.
    Fails: expired yesterday (error), expiring in 30 days (warning), lasting 366 days (error).
    """
    settings = ctx.settings
    for record in ctx.valid("exception"):
        exception, failures = record.model, Failures(record)
        if not ctx.is_gm(exception.approved_by):
            failures.add(
                ("approved_by",),
                "not approved by a general manager"
                if exception.approved_by
                else "approved_by is missing",
            )
        approved, expires = exception.approved_on, exception.expires_on
        if approved is None:
            failures.add(("approved_on",), "approved_on is missing")
        if expires is None:
            failures.add(("expires_on",), "expires_on is missing")
        if approved and expires and (expires - approved).days > settings.exception_max_days:
            failures.add(
                ("expires_on",),
                f"lasts {(expires - approved).days} days, longer than the "
                f"{settings.exception_max_days} allowed",
            )
        if expires and ctx.as_of > expires:
            failures.add(("expires_on",), f"expired on {expires}")
        elif expires and within(expires, ctx.as_of, settings.exception_warning_days):
            failures.add(("expires_on",), f"expires on {expires}", Severity.WARNING)
        if failures:
            yield failures.violation()  # type: ignore[misc]

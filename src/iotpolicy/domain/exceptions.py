"""Which exceptions are valid on a date, and which findings no exception can suppress: the engine
applies them, EXC-001 reports the invalid ones, reports and OSCAL list them."""

from __future__ import annotations

from iotpolicy.models import PolicyException
from iotpolicy.view import Context

UNSUPPRESSIBLE = ("REG", "EXC")
"""Rule families no exception can suppress."""


def is_valid_exception(ctx: Context, exception: PolicyException) -> bool:
    """Approved by a GM, approved_on <= as-of <= expires_on, lasting at most
    settings.exception_max_days; a missing date makes it invalid."""
    approved, expires = exception.approved_on, exception.expires_on
    if approved is None or expires is None or not ctx.is_gm(exception.approved_by):
        return False
    if (expires - approved).days > ctx.settings.exception_max_days:
        return False
    return approved <= ctx.as_of <= expires


def valid_exceptions(ctx: Context) -> list[PolicyException]:
    """The exceptions valid on the as-of date, by id."""
    found = [r.model for r in ctx.valid("exception") if is_valid_exception(ctx, r.model)]
    return sorted(found, key=lambda e: e.id)

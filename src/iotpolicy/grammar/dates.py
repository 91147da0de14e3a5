"""Dates as the register and the options write them (``YYYY-MM-DD``), and the date arithmetic
of controls.md: calendar months, "older than", "within"."""

from __future__ import annotations

import calendar
import re
from datetime import date

from iotpolicy.errors import UsageError

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_iso(text: str) -> date:
    """``YYYY-MM-DD`` as a date. The ValueError says how to write a date when the text is shaped
    otherwise, and that it is not a real calendar date when it is shaped right (``2025-13-01``)."""
    if not _ISO_DATE.fullmatch(text):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError("is not a real calendar date") from None


def option_date(option: str, text: str) -> date:
    """The value of a date option (``--as-of`` ...): a UsageError naming the option says how to
    write a date, or that the date is not a real one."""
    value = text.strip()
    try:
        return parse_iso(value)
    except ValueError as exc:
        if not _ISO_DATE.fullmatch(value):
            raise UsageError(f"{option} '{value}' is not a date; write it as YYYY-MM-DD") from None
        raise UsageError(f"{option} '{value}' {exc}") from None


def add_months(start: date, months: int) -> date:
    """``start`` + ``months`` calendar months, the day clamped to the month's end."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def older_than(when: date, as_of: date, days: int) -> bool:
    """True when as-of - ``when`` > ``days``."""
    return (as_of - when).days > days


def within(when: date, as_of: date, days: int) -> bool:
    """True when the future date ``when`` is within ``days``: 0 <= when - as-of <= days."""
    return 0 <= (when - as_of).days <= days

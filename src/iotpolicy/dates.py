"""Date arithmetic of controls.md: calendar months, "older than", "within"."""

from __future__ import annotations

import calendar
from datetime import date


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

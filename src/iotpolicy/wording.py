"""How a count reads in messages and reports: ``1 warning``, ``2 warnings``, ``0 errors``."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``count`` and ``noun``, in the plural unless ``count`` is 1 (``nouns``, else ``noun`` with
    an s)."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"

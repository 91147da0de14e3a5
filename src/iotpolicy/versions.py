"""Version comparison and version ranges, as controls.md defines them.

A leading ``v``/``V`` is dropped; parts split on ``.``, ``-`` and ``_`` compare numerically when
numeric (ASCII digits only), as (case-insensitive) text otherwise, a number below a text, and a
prefix below the longer version: ``4.10`` > ``4.9``, ``V4.5`` == ``4.5``, ``4.5`` < ``4.5.1``.
"""

from __future__ import annotations

import re
from functools import total_ordering

_SPLIT = re.compile(r"[._-]")
_TERM = re.compile(r"^(<=|>=|==|<|>)?\s*(\S.*)$")


@total_ordering
class Version:
    """A parsed version, ordered as controls.md says."""

    __slots__ = ("parts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        stripped = text.strip()
        if stripped[:1] in ("v", "V"):
            stripped = stripped[1:]
        self.parts: tuple[tuple[int, int | str], ...] = tuple(
            (0, int(part)) if part.isascii() and part.isdigit() else (1, part.lower())
            for part in _SPLIT.split(stripped)
            if part != ""
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.parts == other.parts

    def __hash__(self) -> int:
        return hash(self.parts)

    def __lt__(self, other: Version) -> bool:
        for mine, theirs in zip(self.parts, other.parts, strict=False):
            if mine != theirs:
                return mine < theirs
        return len(self.parts) < len(other.parts)

    def __repr__(self) -> str:
        return f"Version({self.text!r})"


def same_version(a: str | None, b: str | None) -> bool:
    """True when both are unknown, or both known and equal as versions."""
    if a is None or b is None:
        return a is None and b is None
    return Version(a) == Version(b)


def in_range(version: str | None, expression: str) -> bool:
    """True when ``version`` satisfies ``expression``: terms joined by commas, all of which must
    hold; ``*`` matches every version, an unknown one included; anything else never matches an
    unknown version, and a malformed term never matches."""
    expression = expression.strip()
    if expression == "*":
        return True
    if version is None or not version.strip():
        return False
    current = Version(version)
    for term in expression.split(","):
        match = _TERM.match(term.strip())
        if match is None:
            return False
        operator, bound = match.group(1) or "==", Version(match.group(2))
        if not bound.parts:
            return False
        holds = {
            "<": current < bound,
            "<=": current <= bound,
            "==": current == bound,
            ">=": current >= bound,
            ">": current > bound,
        }[operator]
        if not holds:
            return False
    return True

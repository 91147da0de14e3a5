"""Version comparison and version ranges, as controls.md (*Versions*) defines them.

A leading ``v``/``V`` is dropped; the rest splits into parts at ``.``, ``-``, ``_``, spaces and
every boundary between an ASCII digit and an ASCII letter (``V16 Update 4`` -> 16 update 4,
``1.0.212N`` -> 1 0 212 n). Parts of ASCII digits compare as numbers, the others as text ignoring
case, with ``upd``/``update``, ``sp``/``servicepack`` (also ``service pack``) and
``hf``/``hotfix`` (also ``hot fix``) one word each; a number is below a text at the same place,
and a prefix is below the longer version: ``4.10`` > ``4.9``, ``V4.5`` == ``4.5``,
``V16`` < ``V16 Update 4`` < ``V17``, ``V4.8`` < ``V4.8 HF4`` < ``V4.9``, ``4.8`` < ``4.8a``.

A range is terms joined by commas, all of which must hold; a term is an operator (``<``, ``<=``,
``==``, ``>=``, ``>``) and a version, a bare version meaning ``==``; ``*`` alone matches every
version, an unknown one included. A version in a range holds none of ``<>=!|,``:
:func:`range_problem` names what is wrong with a range that does not read this way.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from functools import lru_cache, total_ordering

_SEPARATORS = re.compile(r"[._\-\s]+")
_BOUNDARY = re.compile(r"(?<=[0-9])(?=[A-Za-z])|(?<=[A-Za-z])(?=[0-9])")
_SYNONYMS = {"upd": "update", "servicepack": "sp", "hotfix": "hf"}
_PAIRS = {("service", "pack"): "sp", ("hot", "fix"): "hf"}
FORBIDDEN = "<>=!|,"
"""Characters a version inside a range never holds."""

Part = tuple[int, int | str]


@lru_cache(maxsize=65536)
def _parts(text: str) -> tuple[Part, ...]:
    stripped = text.strip()
    if stripped[:1] in ("v", "V") and stripped[1:].strip():
        stripped = stripped[1:]
    words: list[str] = []
    for chunk in _SEPARATORS.split(stripped):
        words.extend(w for w in _BOUNDARY.split(chunk) if w)
    parts: list[Part] = []
    for word in words:
        if word.isascii() and word.isdigit():
            parts.append((0, int(word)))
            continue
        lower = word.lower()
        if parts and (parts[-1][1], lower) in _PAIRS:
            parts[-1] = (1, _PAIRS[(str(parts[-1][1]), lower)])
            continue
        parts.append((1, _SYNONYMS.get(lower, lower)))
    return tuple(parts)


@total_ordering
class Version:
    """A parsed version, ordered as controls.md says."""

    __slots__ = ("parts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.parts: tuple[Part, ...] = _parts(text)

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


_COMPARE: dict[str, Callable[[Version, Version], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
}
"""The register's operators, the two-character ones first (the order they are tried in)."""


class RangeSyntaxError(ValueError):
    """A register range that does not read as controls.md says."""


@lru_cache(maxsize=16384)
def parse_range(expression: str) -> tuple[tuple[str, Version], ...] | None:
    """The (operator, version) terms of a register range; None for ``*``. Raises
    RangeSyntaxError naming the problem (never repeating the text)."""
    expression = expression.strip()
    if expression == "*":
        return None
    if not expression:
        raise RangeSyntaxError("the range is empty: write * for every version")
    terms: list[tuple[str, Version]] = []
    for number, term in enumerate(expression.split(","), 1):
        term = term.strip()
        written = next((op for op in _COMPARE if term.startswith(op)), "")
        version = term[len(written) :].strip()
        where = f"term {number}" if "," in expression else "the range"
        if not version:
            after = f" after {written}" if written else ""
            raise RangeSyntaxError(f"{where} has no version{after}")
        bad = next((c for c in version if c in FORBIDDEN), None)
        if bad is not None:
            raise RangeSyntaxError(
                f"{where} holds {bad!r} inside a version; write terms joined by commas, each "
                "an operator <, <=, ==, >=, > and a version, e.g. >=2.0,<2.1"
            )
        parsed = Version(version)
        if not parsed.parts:
            raise RangeSyntaxError(f"{where} has no version")
        terms.append((written or "==", parsed))
    return tuple(terms)


def range_problem(expression: str) -> str | None:
    """What is wrong with a register range, or None when it reads as controls.md says."""
    try:
        parse_range(expression)
    except RangeSyntaxError as exc:
        return str(exc)
    return None


def in_range(version: str | None, expression: str) -> bool:
    """True when ``version`` satisfies ``expression``: terms joined by commas, all of which must
    hold; ``*`` matches every version, an unknown one included; anything else never matches an
    unknown version, and a malformed range (a REG-001 finding) never matches."""
    try:
        terms = parse_range(expression)
    except RangeSyntaxError:
        return False
    if terms is None:
        return True
    if version is None or not version.strip():
        return False
    current = Version(version)
    return all(_COMPARE[op](current, bound) for op, bound in terms)

"""Unit tests of the date arithmetic and version comparison that controls.md defines.

Dates ("Conventions"): a date *has passed* when as-of > date; *older than N days*: as-of - date > N;
*within N days*: 0 <= date - as-of <= N; *N months* are calendar months with the day clamped to the
month's end. Versions: drop a leading v/V, split on ``.``, ``-``, ``_``, numeric parts as numbers,
text parts as text, a numeric part below a text part, a prefix below the longer version; ranges are
comma-joined terms that must all hold, a bare version meaning ``==``, ``*`` matching every version
(an unknown one included) and any other range never matching an unknown version.
"""

from __future__ import annotations

from datetime import date

import pytest

from iotpolicy.dates import add_months, older_than, within
from iotpolicy.versions import Version, in_range, same_version

# ---------------------------------------------------------------------------------------------
# dates.add_months
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        # the catalogue's own example
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        # leap years: February has 29 days
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        # clamped to 30-day months
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 8, 31), 1, date(2025, 9, 30)),
        (date(2025, 5, 31), 6, date(2025, 11, 30)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        # no clamping needed: the day is kept
        (date(2025, 1, 28), 1, date(2025, 2, 28)),
        (date(2025, 1, 15), 1, date(2025, 2, 15)),
        (date(2025, 2, 28), 1, date(2025, 3, 28)),
        (date(2025, 11, 25), 12, date(2026, 11, 25)),
        # year wrap
        (date(2025, 12, 15), 1, date(2026, 1, 15)),
        (date(2025, 11, 30), 2, date(2026, 1, 30)),
        (date(2025, 12, 31), 2, date(2026, 2, 28)),
        (date(2025, 1, 1), 12, date(2026, 1, 1)),
        (date(2025, 1, 1), 24, date(2027, 1, 1)),
        (date(2025, 7, 31), 18, date(2027, 1, 31)),
        (date(2025, 12, 31), 12, date(2026, 12, 31)),
        # zero and negative months
        (date(2025, 3, 31), 0, date(2025, 3, 31)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
        (date(2025, 1, 15), -1, date(2024, 12, 15)),
        (date(2025, 1, 31), -13, date(2023, 12, 31)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_add_months_is_not_a_fixed_number_of_days() -> None:
    """12 calendar months are 365 or 366 days, never a constant."""
    assert (add_months(date(2025, 3, 1), 12) - date(2025, 3, 1)).days == 365
    assert (add_months(date(2027, 3, 1), 12) - date(2027, 3, 1)).days == 366


# ---------------------------------------------------------------------------------------------
# dates.older_than: as-of - date > N
# ---------------------------------------------------------------------------------------------

AS_OF = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("when", "days", "expected"),
    [
        (date(2026, 8, 27), 90, False),  # exactly 90 days old: not older than 90
        (date(2026, 8, 26), 90, True),  # 91 days old
        (date(2026, 8, 28), 90, False),  # 89 days old
        (AS_OF, 0, False),  # today is not older than 0 days
        (date(2026, 11, 24), 0, True),  # yesterday is
        (date(2026, 12, 1), 0, False),  # a future date is never old
        (date(2026, 12, 1), 90, False),
    ],
)
def test_older_than(when: date, days: int, expected: bool) -> None:
    assert older_than(when, AS_OF, days) is expected


# ---------------------------------------------------------------------------------------------
# dates.within: 0 <= date - as-of <= N
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "days", "expected"),
    [
        (AS_OF, 30, True),  # the as-of date itself is within (0 days ahead)
        (AS_OF, 0, True),
        (date(2026, 12, 25), 30, True),  # 30 days ahead
        (date(2026, 12, 26), 30, False),  # 31 days ahead
        (date(2026, 11, 26), 0, False),
        (date(2026, 11, 24), 30, False),  # a date that has passed is not within
        (date(2027, 5, 24), 180, True),  # 180 days ahead
        (date(2027, 5, 25), 180, False),  # 181 days ahead
    ],
)
def test_within(when: date, days: int, expected: bool) -> None:
    assert within(when, AS_OF, days) is expected


# ---------------------------------------------------------------------------------------------
# versions.Version
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("4.9", "4.10"),  # numeric parts compare as numbers
        ("4.5", "4.5.1"),  # a prefix is lower than the longer version
        ("4.5.2", "4.5.10"),
        ("4.5.2", "4.6"),
        ("9", "10"),
        ("1.9", "1.10"),
        ("1.0", "1.1"),
        ("1.1", "2.0"),
        ("4.5", "4.5.0"),  # 4.5 is a prefix of 4.5.0
        ("4.5.9", "4.5.a"),  # a numeric part is below a text part
        ("4.5.100", "4.5.beta"),
        ("4.5.1", "4.5-rc1"),
        ("4.5.alpha", "4.5.beta"),  # text parts as text
        ("4.5.rc1", "4.5.rc2"),
        ("4.5.2", "V4.5.10"),
        ("v4.9", "4.10"),
        ("4.5.0", "4.5.0-1"),
    ],
)
def test_version_order(lower: str, higher: str) -> None:
    assert Version(lower) < Version(higher)
    assert Version(higher) > Version(lower)
    assert Version(lower) != Version(higher)
    assert not Version(higher) < Version(lower)
    assert Version(lower) <= Version(higher)
    assert Version(higher) >= Version(lower)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("V4.5", "4.5"),  # a leading V is dropped
        ("v4.5", "4.5"),
        ("v4.5", "V4.5"),
        ("4.5.2", "4-5-2"),  # ., - and _ all separate parts
        ("4.5.2", "4_5_2"),
        ("4.5-2", "4_5.2"),
        ("04.05", "4.5"),  # numeric parts as numbers
        ("4.10", "4.010"),
        (" 4.5 ", "4.5"),
        ("4.5.RC1", "4.5.rc1"),  # current behaviour: text parts compare ignoring case
    ],
)
def test_version_equal(a: str, b: str) -> None:
    assert Version(a) == Version(b)
    assert hash(Version(a)) == hash(Version(b))
    assert not Version(a) < Version(b)
    assert not Version(b) < Version(a)


def test_version_is_not_equal_to_text() -> None:
    assert Version("4.5") != "4.5"


def test_sorting_versions() -> None:
    texts = ["4.10", "4.9", "V4.5", "4.5.1", "4.5.a", "4.5.0", "10", "4.5.b"]
    ordered = [v.text for v in sorted(Version(t) for t in texts)]
    assert ordered == ["V4.5", "4.5.0", "4.5.1", "4.5.a", "4.5.b", "4.9", "4.10", "10"]


# ---------------------------------------------------------------------------------------------
# versions.same_version
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("4.5.2", "4.5.2", True),
        ("V4.5.2", "4.5.2", True),
        ("4.5", "4.5.0", False),
        ("4.10", "4.1", False),
        ("4.10", "4.9", False),
        (None, None, True),  # both unknown
        (None, "4.5", False),
        ("4.5", None, False),
    ],
)
def test_same_version(a: str | None, b: str | None, expected: bool) -> None:
    assert same_version(a, b) is expected


# ---------------------------------------------------------------------------------------------
# versions.in_range
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "expression", "expected"),
    [
        # <
        ("4.5.1", "<4.5.2", True),
        ("4.5.2", "<4.5.2", False),
        ("4.5.10", "<4.5.2", False),  # 4.5.10 > 4.5.2
        ("4.5", "<4.5.2", True),  # a prefix is lower
        ("V4.5.1", "<4.5.2", True),
        ("4.5.1", "<V4.5.2", True),
        # <=
        ("4.5.2", "<=4.5.2", True),
        ("4.5.3", "<=4.5.2", False),
        # ==, and a bare version meaning ==
        ("4.5.2", "==4.5.2", True),
        ("v4.5.2", "==4.5.2", True),
        ("4.5.2", "4.5.2", True),
        ("4.5.2", "V4.5.2", True),
        ("4.5.2.0", "4.5.2", False),
        ("4.5.3", "4.5.2", False),
        # >= and >
        ("4.0", ">=4.0", True),
        ("3.9", ">=4.0", False),
        ("4.10", ">4.9", True),
        ("4.9", ">4.9", False),
        ("4.9", ">4.10", False),
        # terms joined by commas, all of which must hold
        ("4.0", ">=4.0,<4.5.2", True),
        ("4.5.1", ">=4.0,<4.5.2", True),
        ("4.5.2", ">=4.0,<4.5.2", False),
        ("3.9", ">=4.0,<4.5.2", False),
        ("4.5.1", ">= 4.0 , < 4.5.2", True),  # spaces around terms and operators
        ("4.5.1", ">=4.0,<4.5.2,!=4.5.1", False),  # an unknown operator never matches
        # text parts: numbers below text
        ("4.5.rc1", ">4.5.9", True),
        ("4.5.rc1", "<4.5.9", False),
        # *
        ("4.5.2", "*", True),
        ("anything", "*", True),
        ("4.5.2", " * ", True),
    ],
)
def test_in_range(version: str, expression: str, expected: bool) -> None:
    assert in_range(version, expression) is expected


@pytest.mark.parametrize("unknown", [None, "", "   "])
def test_star_matches_an_unknown_version(unknown: str | None) -> None:
    assert in_range(unknown, "*") is True


@pytest.mark.parametrize("unknown", [None, "", "   "])
@pytest.mark.parametrize(
    "expression", ["<4.5.2", "<=4.5.2", "==4.5.2", ">=0", ">0", "4.5.2", ">=4.0,<4.5.2"]
)
def test_other_ranges_never_match_an_unknown_version(unknown: str | None, expression: str) -> None:
    assert in_range(unknown, expression) is False


@pytest.mark.parametrize("expression", ["", ",", "<", "<4.5.2,", ">=4.0,,<5"])
def test_malformed_ranges_never_match(expression: str) -> None:
    """Current behaviour (controls.md does not say): an empty or malformed term never matches."""
    assert in_range("4.5.1", expression) is False


@pytest.mark.parametrize("text", ["4.5.²", "4.5.①", "4.5.٣", "4.5.²0"])
def test_non_ascii_digits_are_text_not_a_crash(text: str) -> None:
    """Regression: ``str.isdigit`` accepts ``²`` and ``①``, which ``int`` rejects; such a part
    (a typo in a register) is compared as text instead of raising, so check never crashes."""
    version = Version(text)
    assert version.parts == ((0, 4), (0, 5), (1, text.split(".")[-1]))
    assert Version("4.5.999") < version  # a numeric part is below a text part
    assert in_range(text, "<5") is True
    assert in_range(text, ">=4.5.0,<4.6") is True  # 4.5.0 < 4.5.<text> < 4.6
    assert same_version(text, text) is True

"""Unit tests of the date arithmetic and version comparison that controls.md defines.

Dates ("Conventions"): a date *has passed* when as-of > date; *older than N days*: as-of - date > N;
*within N days*: 0 <= date - as-of <= N; *N months* are calendar months with the day clamped to the
month's end. Versions: drop a leading v/V, split on ``.``, ``-``, ``_``, spaces and digit/letter
boundaries, numeric parts as numbers, text parts as text (``upd``/``update``,
``sp``/``servicepack``, ``hf``/``hotfix`` one word), a numeric part below a text part, a prefix
below the longer version; ranges are comma-joined terms that must all hold, a bare version meaning
``==``, ``*`` matching every version (an unknown one included) and any other range never matching
an unknown version; a range whose version holds ``<>=!|,`` does not read (REG-001), never matches.
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest

from iotpolicy.grammar.dates import add_months, older_than, within
from iotpolicy.grammar.versions import Version, in_range, range_problem, same_version

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


# The grammar of controls.md (*Versions*): every example of the spec and the vendor forms.


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("V16 Update 4", (16, "update", 4)),
        ("1.0.212N", (1, 0, 212, "n")),
        ("3.4.4 Build 16102416", (3, 4, 4, "build", 16102416)),
        ("V4.8 SP2 HF9", (4, 8, "sp", 2, "hf", 9)),
        ("V4.8 HF4", (4, 8, "hf", 4)),
        ("V14 SP1 Update 14", (14, "sp", 1, "update", 14)),
        ("V19_Update_2", (19, "update", 2)),
        ("V15.1 Upd4", (15, 1, "update", 4)),  # upd is update; a digit/letter boundary splits
        ("V4.8 ServicePack 2", (4, 8, "sp", 2)),
        ("3.1 Service Pack 1A", (3, 1, "sp", 1, "a")),  # the two-word spelling too
        ("V5.1 HotFix 4", (5, 1, "hf", 4)),
        ("V2016.05RS09", (2016, 5, "rs", 9)),
        ("v20D29", (20, "d", 29)),
        ("4.5.²0", (4, 5, "²0")),  # only ASCII digits and letters have a boundary
        ("V", ("v",)),  # a lone revision letter (Mitsubishi's <=V) is not dropped to nothing
        ("V 4.83", (4, 83)),
    ],
)
def test_version_parts(text: str, parts: tuple[int | str, ...]) -> None:
    assert tuple(value for _, value in Version(text).parts) == parts


@pytest.mark.parametrize(
    "chain",
    [
        ["V16", "V16 Update 4", "V16 Update 5", "V17"],  # a prefix is lower
        ["V4.8", "V4.8 HF4", "V4.9"],
        ["4.9", "4.10"],
        ["4.5", "4.5.1"],
        ["V14", "V14 SP1", "V14 SP1 Update 13", "V14 SP1 Update 14", "V14 SP2", "V15"],
        ["V4.8", "V4.8 SP2", "V4.8 SP2 HF9", "V4.8 SP2 HF10", "V4.8 SP3"],
        ["3.4.4", "3.4.4 Build 16102415", "3.4.4 Build 16102416", "3.4.5"],
        ["1.0.212", "1.0.212N", "1.0.213"],
        ["4.8", "4.8a", "4.8b", "4.9"],  # 4.8 is a prefix of 4.8a
        ["4.8.1", "4.8a"],  # at the third part a number is below a text
        ["V16.1", "V16 Update 4"],  # likewise: 1 (a number) below update (a text)
        ["1.0.0", "1.0.0 Beta 4"],  # a prefix is lower: no pre-release ordering
    ],
)
def test_version_chains(chain: list[str]) -> None:
    versions = [Version(text) for text in chain]
    assert versions == sorted(versions)
    assert all(a < b and not b < a and a != b for a, b in pairwise(versions))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("V26.1.8", "V26.01.08"),
        ("V15.1 Upd 4", "V15.1 Update 4"),
        ("V15.1 Upd4", "v15.1 update 4"),
        ("V4.8 SP2", "V4.8 servicepack 2"),
        ("V4.8 SP2", "V4.8 Service Pack 2"),
        ("V4.8 HF4", "V4.8 Hotfix 4"),
        ("V4.8 HF4", "V4.8 hot fix 4"),
        ("V16 UPDATE 4", "v16 update 4"),
        ("V19_Update_2", "V19 Update 2"),
        ("V19-Update-2", "19.update.2"),
        ("1.0.212N", "1.0.212 n"),
        ("V 4.83", "4.83"),
    ],
)
def test_spellings_of_one_version(a: str, b: str) -> None:
    assert Version(a) == Version(b)
    assert hash(Version(a)) == hash(Version(b))


@pytest.mark.parametrize(
    ("version", "expression", "expected"),
    [
        ("V16 Update 3", "<V16 Update 4", True),
        ("V16", "<V16 Update 4", True),
        ("V16 Update 4", "<V16 Update 4", False),
        ("V17", "<V16 Update 4", False),
        ("V4.8", "<V4.8 HF4", True),
        ("V4.8 HF3", "<V4.8 HF4", True),
        ("V4.8 Hotfix 4", "<V4.8 HF4", False),
        ("V4.9", "<V4.8 HF4", False),
        ("V14 SP1 Update 13", "<V14 SP1 Update 14", True),
        ("V14 SP2", "<V14 SP1 Update 14", False),
        ("3.4.4 Build 16102416", "<=3.4.4 Build 16102416", True),
        ("3.4.5", "<=3.4.4 Build 16102416", False),
        ("V1.0.212", "<V1.0.212N", True),
        ("V1.0.212N", "<V1.0.212N", False),
        ("V2.0.5", ">=V2.0,<V2.1", True),
        ("V3.0", ">=V2.0,<V2.1", False),
        ("V26.01.08", "==V26.1.8", True),
    ],
)
def test_in_range_with_vendor_versions(version: str, expression: str, expected: bool) -> None:
    assert in_range(version, expression) is expected


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        (">=V2.0<V2.1", "the range holds '<' inside a version"),  # CISA's vers:all/ without |
        (">=2.0|<2.3", "the range holds '|' inside a version"),
        ("!=4.5.1", "the range holds '!' inside a version"),
        (">=4.0,<4.5.2,!=4.5.1", "term 3 holds '!' inside a version"),
        (">==2.0", "the range holds '=' inside a version"),
        ("", "the range is empty"),
        ("  ", "the range is empty"),
        ("<", "the range has no version after <"),
        (">=4.0,,<5", "term 2 has no version"),
        ("<4.5.2,", "term 2 has no version"),
        (".", "the range has no version"),
    ],
)
def test_ranges_that_do_not_read(expression: str, problem: str) -> None:
    found = range_problem(expression)
    assert found is not None and found.startswith(problem)
    assert in_range("2.0.5", expression) is False  # never a silent match


@pytest.mark.parametrize(
    "expression",
    ["*", "<4.5.2", ">=V2.0,<V2.1", "==V16 Update 4", "<=3.4.4 Build 16102416", "4.5", "<=V"],
)
def test_ranges_that_read(expression: str) -> None:
    assert range_problem(expression) is None


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

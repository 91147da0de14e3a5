"""The two read paths agree: what ``check`` reads and what the editing commands edit.

``check`` reads a file with the fast libyaml reader (:func:`iotpolicy.yamlio.load.read_file`:
LDict / LList / PlainStr / str data with lines, and the problems found); the editing commands load
it with ruamel's round-trip loader (:class:`iotpolicy.yamlio.roundtrip.RoundTrip`). Over every
file of the example register and of the hostile suite (tests/data/hostile/, described in its
expected.yaml):

- a file the fast path accepts reads the same through both: the same mappings, keys and lists,
  every scalar read the same by the models (null, or what it is as a boolean, an integer, a date
  and text: unquoted ``true`` is a boolean, quoted it is only text; ``0755`` is 755 and the text
  "0755"), and every mapping, key, list and list item on the same line; and a key added through
  the round-trip loader changes no other line and reads back as the fast path read it before;
- a file the fast path refuses (aliases, tags, duplicate keys, a YAML 1.1 directive, control
  characters, bytes that are not UTF-8, conflict markers, deep nesting ...) is refused by the
  editing commands too, as the tool's user-facing error naming each problem, no traceback, and
  ruamel is never given its text.

Inline cases pin the scalars YAML 1.1 and 1.2 read differently (``yes``, ``017``, ``1_000``,
``12:30:00``, merge keys ...), the null spellings, numbers ruamel would otherwise respell
(``+12``, ``.NaN``) and dates not in the calendar: both paths read each the same way, and an edit
elsewhere in the file writes it back exactly as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from iotpolicy.models.base import to_bool, to_date, to_int, to_text
from iotpolicy.models.enums import ChangeKind
from iotpolicy.writing.edit import record_change, retire
from iotpolicy.writing.snapshot import Refused
from iotpolicy.yamlio import load as yamlio_load
from iotpolicy.yamlio import roundtrip as yamlio_roundtrip
from iotpolicy.yamlio.load import parse_text, read_file
from iotpolicy.yamlio.nodes import LDict, LList
from iotpolicy.yamlio.roundtrip import RoundTrip
from tests.conftest import Run
from tests.support.paths import TESTS

TESTS = TESTS
REGISTER = TESTS.parent / "register"
HOSTILE = TESTS / "data" / "hostile"
TODAY = dt.date(2026, 11, 25)

REGISTER_FILES = sorted(
    p
    for p in REGISTER.rglob("*")
    if p.suffix in (".yaml", ".json") and not any(part.startswith(".") for part in p.parts)
)
"""Every record file of the example register, and its editor schemas (JSON is YAML 1.2); not
what is hidden (a check cache)."""
HOSTILE_FILES = sorted(p for p in HOSTILE.iterdir() if p.is_file())
"""Every file of the hostile suite, its expected.yaml too."""
FILES = REGISTER_FILES + HOSTILE_FILES
ACCEPTED = [p for p in FILES if not read_file(p).problems]
REFUSED = [p for p in FILES if read_file(p).problems]


def _name(path: Path) -> str:
    return str(path.relative_to(REGISTER.parent if path.is_relative_to(REGISTER) else TESTS))


# --- one plain representation for both paths: what the models read ----------------------------

READINGS: dict[str, Callable[[Any], Any]] = {
    "bool": to_bool,
    "int": to_int,
    "date": to_date,
    "text": to_text,
}
"""The models' scalar types: each reads a scalar as its value or refuses it (ValueError)."""


def meaning(value: Any) -> dict[str, Any] | None:
    """What the models read a scalar as: None for null, else {type: value} for every scalar type
    that accepts it (``true`` unquoted: a boolean and the text "true"; ``0755``: the integer
    755 and the text "0755"; ``2026-01-05``: a date and text ...)."""
    if value is None:
        return None
    readings: dict[str, Any] = {}
    for kind, read in READINGS.items():
        with contextlib.suppress(ValueError):
            readings[kind] = read(value)
    return readings


def view(node: Any) -> Any:
    """Either path's document as plain Python (ruamel's CommentedMap / CommentedSeq are a dict and
    a list; its scalars may be PlainStr, quoted ScalarStrings, or numbers and dates if it resolved
    them): dicts, lists and the :func:`meaning` of each scalar."""
    if isinstance(node, dict):
        return {
            (str(key) if isinstance(key, str) else ("not text", meaning(key))): view(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [view(item) for item in node]
    return meaning(node)


# --- lines --------------------------------------------------------------------------------------


def fast_lines(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[str, tuple[Any, ...], int]]:
    """(what, path, 1-based line) of every mapping, key, list and list item."""
    if isinstance(node, LDict):
        yield "mapping", path, node.line
        for key, value in node.items():
            yield "key", (*path, key), node.key_lines[key]
            yield from fast_lines(value, (*path, key))
    elif isinstance(node, LList):
        yield "list", path, node.line
        for index, item in enumerate(node):
            yield "item", (*path, index), node.item_lines[index]
            yield from fast_lines(item, (*path, index))


def rt_lines(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[str, tuple[Any, ...], int]]:
    """The same from ruamel's line and column marks (0-based there)."""
    if isinstance(node, CommentedMap):
        yield "mapping", path, node.lc.line + 1
        for key, value in node.items():
            yield "key", (*path, str(key)), node.lc.key(key)[0] + 1
            yield from rt_lines(value, (*path, str(key)))
    elif isinstance(node, CommentedSeq):
        yield "list", path, node.lc.line + 1
        for index, item in enumerate(node):
            yield "item", (*path, index), node.lc.item(index)[0] + 1
            yield from rt_lines(item, (*path, index))


def assert_same_document(text: str) -> tuple[Any, RoundTrip]:
    """Both paths read ``text`` (accepted by the fast path) the same; returns both readings."""
    fast = parse_text(text)
    assert fast.problems == ()
    doc = RoundTrip(text)
    assert view(doc.root) == view(fast.data)
    assert list(rt_lines(doc.root)) == list(fast_lines(fast.data))
    return fast.data, doc


def assert_an_edit_keeps_the_rest(text: str) -> None:
    """A key added through the round-trip loader (an item, to a list) is the only change: no
    line of ``text`` is lost or rewritten, and the fast path reads the rest as before."""
    data = parse_text(text).data
    before = view(data)
    doc = RoundTrip(text)
    if isinstance(data, dict):
        doc.set(("zz-added",), "added", lambda _path: [])
        expected: Any = {**before, "zz-added": meaning("added")}
    elif isinstance(data, list):
        doc.append((), "added", lambda _path: [])
        expected = [*before, meaning("added")]
    else:
        return
    edited = doc.text()
    lost = difflib.ndiff(text.splitlines(), edited.splitlines())
    assert [line for line in lost if line.startswith("- ")] == []
    after = parse_text(edited)
    assert after.problems == ()
    assert view(after.data) == expected


# --- every file of the example register and of the hostile suite ------------------------------


def test_every_file_is_compared() -> None:
    """The example register reads without a problem; the hostile suite has files on both
    sides; and every hostile file is one expected.yaml describes."""
    assert len(REGISTER_FILES) > 60
    assert [p for p in REFUSED if p in REGISTER_FILES] == []
    assert {p.name for p in HOSTILE_FILES} == {"expected.yaml"} | set(
        yaml.safe_load((HOSTILE / "expected.yaml").read_text(encoding="utf-8"))
    )
    assert len([p for p in ACCEPTED if p in HOSTILE_FILES]) >= 5
    assert len(REFUSED) >= 15


@pytest.mark.parametrize("path", ACCEPTED, ids=_name)
def test_both_paths_read_an_accepted_file_the_same(path: Path) -> None:
    parsed = read_file(path)
    assert parsed.text is not None
    assert_same_document(parsed.text)
    if path.suffix == ".yaml":  # the schemas are JSON, written whole by iotpolicy schema
        assert_an_edit_keeps_the_rest(parsed.text)


@pytest.mark.parametrize("path", REFUSED, ids=_name)
def test_a_refused_file_is_refused_for_editing_before_ruamel_reads_it(
    path: Path,
    make_register: Callable[..., Path],
    cli: Callable[..., Run],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problems = read_file(path).problems
    root = make_register()
    rel = f"devices/{path.stem}.yaml"
    shutil.copyfile(path, root / rel)

    def never(*_args: Any) -> None:
        raise AssertionError(f"ruamel was given {path.name}, which the fast path refuses")

    monkeypatch.setattr(yamlio_roundtrip, "_writer", never)  # RoundTrip's first step
    wanted = {f"{rel}:{p.line}: {p.message} (REG-001)" for p in problems}
    confirmed = {"data_wiped": True, "credentials_revoked": True, "removed_from_network": True}
    for attempt in (
        lambda: record_change(
            root,
            path.stem,
            ChangeKind.CONFIGURATION,
            {"summary": "Checked.", "by": "anna-berg"},
            today=TODAY,
        ),
        lambda: retire(root, path.stem, {"by": "anna-berg", **confirmed}, today=TODAY),
    ):
        with pytest.raises(Refused) as refused:
            attempt()
        assert str(refused.value) == f"{rel} is not valid; fix it first (nothing was written)"
        assert wanted <= set(refused.value.details)
    run = cli(
        "record-change", path.stem, "--register", str(root), "--kind", "configuration",
        "--summary", "Checked.", "--by", "anna-berg",
    )  # fmt: skip
    assert run.exit_code == 1
    assert "Traceback" not in run.stdout + run.stderr
    assert all(line in run.stderr for line in wanted)
    assert (root / rel).read_bytes() == path.read_bytes()


# --- YAML 1.2 scalars, inline ---------------------------------------------------------------

BOOL, INT, DATE = "bool", "int", "date"
SCALARS: list[tuple[str, dict[str, Any] | None]] = [
    # YAML 1.1's booleans are text in YAML 1.2; only true and false are booleans (the models
    # take them in any case, unquoted).
    ("yes", {}),
    ("no", {}),
    ("NO", {}),
    ("Yes", {}),
    ("on", {}),
    ("off", {}),
    ("y", {}),
    ("n", {}),
    ("true", {BOOL: True}),
    ("False", {BOOL: False}),
    ("TRUE", {BOOL: True}),
    ("tRuE", {BOOL: True}),  # text in YAML 1.2's core schema; the models' choice
    ('"true"', {}),
    # Integers are decimal: 017 and 0755 are 17 and 755 (octal in YAML 1.1); YAML 1.2's 0o17 and
    # 0x1F are not whole numbers to the models; no underscores, no binary.
    ("017", {INT: 17}),
    ("0755", {INT: 755}),
    ("'0755'", {}),
    ("+12", {INT: 12}),
    ("-0", {INT: 0}),
    ("+4791234567", {INT: 4791234567}),
    ("0o17", {}),
    ("0x1F", {}),
    ("+0x1F", {}),
    ("0b101", {}),
    ("1_000", {}),
    # Sexagesimal numbers (YAML 1.1) are gone.
    ("12:30:00", {}),
    ("190:20:30", {}),
    # Null.
    ("", None),
    ("~", None),
    ("null", None),
    ("Null", None),
    ("NULL", None),
    ("nULL", {}),
    ("'null'", {}),
    # Floats are text to the models (a version 4.10 stays "4.10").
    (".NaN", {}),
    (".nan", {}),
    (".inf", {}),
    ("-.Inf", {}),
    ("1e3", {}),
    (".5e3", {}),
    ("4.10", {}),
    ("1_0.5", {}),
    # Dates: YYYY-MM-DD, quoted or not; no impossible date, no other form.
    ("2026-01-05", {DATE: dt.date(2026, 1, 5)}),
    ('"2026-01-05"', {DATE: dt.date(2026, 1, 5)}),
    ("'2026-01-05'", {DATE: dt.date(2026, 1, 5)}),
    ("2024-02-30", {}),
    ("2026-13-01", {}),
    ("2026-1-5", {}),
    ("2026-01-05T10:00:00", {}),
    ("2026-01-05 10:00:00Z", {}),
    # YAML 1.1's value and merge indicators are text.
    ("=", {}),
    ("<<", {}),
]


@pytest.mark.parametrize(("written", "readings"), SCALARS, ids=[w or "empty" for w, _ in SCALARS])
def test_both_paths_read_a_scalar_as_yaml_1_2_does(
    written: str, readings: dict[str, Any] | None
) -> None:
    text = f"id: x\nvalue: {written}\nnote: old\n"
    fast, doc = assert_same_document(text)
    wanted = None if readings is None else {**readings, "text": written.strip("'\"")}
    assert meaning(fast["value"]) == wanted
    doc.set(("note",), "new", lambda _path: ["id", "value", "note"])
    edited = doc.text()
    assert edited == text.replace("note: old", "note: new")  # written back as it was
    again = parse_text(edited).data["value"]
    assert (type(again), again) == (type(fast["value"]), fast["value"])


@pytest.mark.parametrize(
    "text",
    [
        "id: x\n<<: {name: Y}\n",  # a YAML 1.1 merge key is an ordinary key in YAML 1.2
        "id: x\n<<: [{name: Y}]\n",
        "id: x\n1: a\ntrue: b\n2026-01-05: c\n",  # keys are text: 1 and true do not collide
        "- 017\n- [0o17, {k: 1_000}]\n-\n  - 'yes'\n  - |\n    literal\n  - >-\n    folded\n"
        "    text\n",
        "\ufeffid: x\r\nname: 'It''s'\r\nlist:\r\n  - +12\r\n  - .NaN\r\n",
    ],
    ids=["merge-key", "merge-list", "keys", "nested", "bom-crlf"],
)
def test_both_paths_read_a_structure_the_same(text: str) -> None:
    decoded, problem = yamlio_load.decode(text.encode("utf-8"))
    assert problem is None and decoded is not None
    assert_same_document(decoded)
    assert_an_edit_keeps_the_rest(decoded)

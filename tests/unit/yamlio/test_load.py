"""The loader's safety (yamlio) and what it means for ``check``: every hostile or broken file
becomes REG-001 findings with a file and a line, never a traceback, never a hang, and never hides
the other files. Also the YAML 1.2 scalar semantics as the models apply them.

Unit tests call :func:`iotpolicy.yamlio.load.parse_text` / :func:`read_file`; the CLI tests build
the baseline register with one file replaced (raw text or bytes) and read ``check --format json``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from iotpolicy.models import Device, Policy
from iotpolicy.models.base import to_bool, to_date, to_int, to_text
from iotpolicy.yamlio.load import MAX_DEPTH, MAX_FILE_BYTES, decode, parse_text, read_file
from iotpolicy.yamlio.nodes import LDict, LList, PlainStr
from tests.conftest import Run
from tests.support.baseline import baseline

AS_OF = "2026-11-25"
ALIAS = "aliases (*name) are not allowed in the register: write the value out"
SENSOR = "devices/sensor-02.yaml"
SENSOR_TEXT = (
    "id: sensor-02\nname: Planned humidity sensor\ncategory: ot\ntype: sensor\nstatus: planned\n"
)
FAST = 2.0
"""Seconds within which a hostile file must be dealt with (generous: the real time is ~10 ms)."""

BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def problems(text: str) -> list[tuple[int, str]]:
    """(line, message) of every problem ``parse_text`` finds."""
    return [(p.line, p.message) for p in parse_text(text).problems]


def baseline_text(rel: str) -> str:
    """A baseline file as the register fixture writes it."""
    return yaml.safe_dump(baseline()[rel], sort_keys=False, allow_unicode=True)


@pytest.fixture
def findings(
    cli: Callable[..., Run], make_register: Callable[..., Path]
) -> Callable[..., list[dict[str, Any]]]:
    """Build the baseline with edits (and an optional setup on the folder), run check --format
    json, return the findings (optionally only those of ``rule``)."""

    def run(
        edits: dict[str, Any],
        rule: str | None = None,
        setup: Callable[[Path], None] | None = None,
    ) -> list[dict[str, Any]]:
        root = make_register(edits)
        if setup is not None:
            setup(root)
        result = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "json")
        assert result.exit_code in (0, 1), result.stderr
        found: list[dict[str, Any]] = result.json["findings"]
        return [f for f in found if rule is None or f["rule"] == rule]

    return run


def where(found: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """(file, subject, line) of each finding, to compare briefly."""
    return [(f["file"], f["subject"], f["line"]) for f in found]


# --- Line-aware plain data ------------------------------------------------------------------------


def test_data_keeps_lines_and_tells_plain_from_quoted() -> None:
    parsed = parse_text('# header\nid: x\nports:\n  - 514\n  - "515"\nnested:\n  key:\n')
    data = parsed.data
    assert parsed.problems == ()
    assert isinstance(data, LDict)
    assert data.line == 2
    assert data.key_lines == {"id": 2, "ports": 3, "nested": 6}
    assert isinstance(data["ports"], LList)
    assert data["ports"].item_lines == [4, 5]
    assert data["ports"] == ["514", "515"]
    assert isinstance(data["ports"][0], PlainStr)
    assert not isinstance(data["ports"][1], PlainStr)
    assert data["nested"] == {"key": None}
    assert data["nested"].key_lines == {"key": 7}


@pytest.mark.parametrize(
    "written", ["true", "4.10", "0o14", "1_000", "2024-01-01", "0x1F", ".inf", "yes", "on", "1e3"]
)
def test_no_scalar_is_resolved_by_the_loader(written: str) -> None:
    value = parse_text(f"a: {written}\n").data["a"]
    assert isinstance(value, str)
    assert value == written


@pytest.mark.parametrize("written", ["true", "FALSE", "False", "0755", "-3", "+12", "514"])
def test_plain_scalars_that_could_be_booleans_or_integers_stay_marked_plain(written: str) -> None:
    assert type(parse_text(f"a: {written}\n").data["a"]) is PlainStr
    assert type(parse_text(f"a: '{written}'\n").data["a"]) is str


@pytest.mark.parametrize("written", ["4.10", "yes", "on", "2024-01-01", "camera", "tcp", "-x"])
def test_other_plain_scalars_are_plain_text(written: str) -> None:
    assert type(parse_text(f"a: {written}\n").data["a"]) is str


@pytest.mark.parametrize("written", ["", "~", "null", "Null", "NULL"])
def test_plain_nulls_are_none(written: str) -> None:
    assert parse_text(f"a: {written}\n").data == {"a": None}


def test_quoted_null_is_text() -> None:
    assert parse_text('a: "null"\n').data == {"a": "null"}


# --- Anchors and aliases --------------------------------------------------------------------------


def test_billion_laughs_is_refused_fast_with_one_problem_per_alias_line() -> None:
    start = time.perf_counter()
    parsed = parse_text(BILLION_LAUGHS)
    assert time.perf_counter() - start < FAST
    assert [(p.line, p.message) for p in parsed.problems] == [
        (line, ALIAS) for line in range(2, 10)
    ]
    # Nothing was expanded: every alias became None.
    assert parsed.data["b"] == [None] * 9
    assert parsed.data["i"] == [None] * 9


def test_billion_laughs_in_a_device_file_is_reported_per_line_and_fast(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    start = time.perf_counter()
    found = findings({SENSOR: SENSOR_TEXT + BILLION_LAUGHS})
    assert time.perf_counter() - start < 10 * FAST
    reg = [f for f in found if f["rule"] == "REG-001"]
    aliases = [f for f in reg if f["message"] == ALIAS]
    assert where(aliases) == [(SENSOR, "sensor-02", line) for line in range(7, 15)]
    assert all(f["severity"] == "error" for f in reg)
    # The other REG-001 findings are the unknown keys a..i, one each.
    assert sorted(f["line"] for f in reg if f not in aliases) == list(range(6, 15))


def test_aliases_are_refused_at_each_alias_line() -> None:
    assert problems("a: &x 1\nb: *x\nc:\n  - *x\n  - 2\n") == [(2, ALIAS), (4, ALIAS)]


def test_an_alias_and_its_lines_in_a_flow_sequence_count_once_per_line() -> None:
    assert problems("a: &x 1\nb: [*x, *x, *x]\n") == [(2, ALIAS)]


def test_merge_keys_are_refused_as_aliases() -> None:
    assert problems("base: &b {k: 1}\nother:\n  <<: *b\n  j: 2\n") == [(3, ALIAS)]


def test_an_anchor_without_alias_is_accepted() -> None:
    # Judgment call of the loader: an anchor alone expands nothing, so it is harmless.
    parsed = parse_text("a: &x 1\nb: 2\n")
    assert parsed.problems == ()
    assert parsed.data == {"a": "1", "b": "2"}


def test_an_undefined_alias_is_invalid_yaml() -> None:
    assert problems("a: 1\nb: *nope\n") == [(2, "invalid YAML: found undefined alias")]


# --- Tags -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!!python/object:os.system {}", "tag:yaml.org,2002:python/object:os.system"),
        (
            "!!python/object/apply:os.system ['true']",
            "tag:yaml.org,2002:python/object/apply:os.system",
        ),
        ("!!python/name:os.system ''", "tag:yaml.org,2002:python/name:os.system"),
        ("!!str 4.10", "tag:yaml.org,2002:str"),
        ("!!bool true", "tag:yaml.org,2002:bool"),
        ("!!int 514", "tag:yaml.org,2002:int"),
        ("!!binary aGVsbG8=", "tag:yaml.org,2002:binary"),
        ("!!set {a, b}", "tag:yaml.org,2002:set"),
        ("!!map {a: 1}", "tag:yaml.org,2002:map"),
        ("!!seq [1]", "tag:yaml.org,2002:seq"),
        ("!local thing", "!local"),
        ("!<tag:example.com,2024:x> 1", "tag:example.com,2024:x"),
    ],
)
def test_every_explicit_tag_is_refused_at_its_line(value: str, tag: str) -> None:
    parsed = parse_text(f"id: x\nfield: {value}\n")
    assert [(p.line, p.message) for p in parsed.problems] == [
        (2, f"tag {tag!r} is not allowed: only plain data is register data")
    ]
    assert parsed.data == {"id": "x", "field": None}


def test_python_tags_are_never_constructed(tmp_path: Path) -> None:
    target = tmp_path / "created-by-yaml"
    text = (
        f"a: !!python/object/apply:os.mkdir ['{target}']\n"
        f"b: !!python/object/new:os.mkdir ['{target}']\n"
    )
    assert [line for line, _ in problems(text)] == [1, 2]
    assert not target.exists()


def test_a_tag_declared_by_a_tag_directive_is_refused() -> None:
    text = "%TAG !e! tag:example.com,2000:\n---\na: !e!thing 1\n"
    assert problems(text) == [
        (3, "tag 'tag:example.com,2000:thing' is not allowed: only plain data is register data")
    ]


def test_a_tagged_device_file_gets_only_reg_findings(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    """A refused value is not a false value: the record counts as failing its model, so no other
    rule evaluates it (controls.md, Conventions)."""
    text = baseline_text("devices/plc-01.yaml").replace(
        "  default_credentials_changed: true", "  default_credentials_changed: !!bool true"
    )
    found = findings({"devices/plc-01.yaml": text})
    assert [(f["rule"], f["subject"], f["line"], f["message"]) for f in found] == [
        (
            "REG-001",
            "plc-01",
            21,
            "tag 'tag:yaml.org,2002:bool' is not allowed: only plain data is register data",
        )
    ]


def test_an_aliased_device_file_gets_only_reg_findings(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    text = (
        baseline_text("devices/plc-01.yaml")
        .replace("owner: ole-hansen", "owner: &o ole-hansen")
        .replace("    verified_by: ole-hansen", "    verified_by: *o")
    )
    found = findings({"devices/plc-01.yaml": text})
    assert [(f["rule"], f["line"], f["message"]) for f in found] == [("REG-001", 41, ALIAS)]


# --- Keys -----------------------------------------------------------------------------------------


def test_duplicate_keys_are_refused_at_the_repeated_key() -> None:
    parsed = parse_text("id: x\nname: first\nnested:\n  a: 1\n  a: 2\nname: second\n")
    assert [(p.line, p.message) for p in parsed.problems] == [
        (5, "duplicate key 'a'"),
        (6, "duplicate key 'name'"),
    ]
    assert parsed.data["name"] == "first"


def test_a_duplicate_key_in_one_person_does_not_invalidate_the_others(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    """Ole's entry is refused (REG-001 only); Anna stays a valid GM, so no approval rule fires."""
    people = (
        "- id: anna-berg\n  name: Anna Berg\n  roles: [general-manager]\n"
        "- id: ole-hansen\n  name: Ole Hansen\n  name: Ole H.\n  roles: [operations-manager]\n"
    )
    found = findings({"people.yaml": people})
    assert [(f["rule"], f["file"], f["line"], f["message"]) for f in found] == [
        ("REG-001", "people.yaml", 6, "duplicate key 'name'")
    ]


def test_a_duplicate_key_in_the_gm_entry_invalidates_that_person_only(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    """A refused person counts as failing its model; references to the id still resolve."""
    people = (
        "- id: anna-berg\n  name: Anna Berg\n  roles: [general-manager]\n  roles: [staff]\n"
        "- id: ole-hansen\n  name: Ole Hansen\n  roles: [operations-manager]\n"
    )
    found = findings({"people.yaml": people})
    assert ("REG-001", 4) in [(f["rule"], f["line"]) for f in found]
    assert not [f for f in found if f["rule"] == "REG-003"]


@pytest.mark.parametrize("key", ["? [a, b]\n: 1\n", "? {a: 1}\n: 1\n"])
def test_a_key_must_be_plain_text(key: str) -> None:
    assert problems("id: x\n" + key) == [(2, "a key must be plain text")]


def test_a_number_or_boolean_written_as_key_is_text() -> None:
    assert parse_text("1: a\ntrue: b\n").data == {"1": "a", "true": "b"}


# --- Documents, directives, empty files -----------------------------------------------------------


def test_several_documents_are_refused_at_the_second() -> None:
    assert problems("a: 1\n---\nb: 2\n") == [(2, "invalid YAML: but found another document")]


def test_document_markers_around_one_document_are_accepted() -> None:
    parsed = parse_text("---\na: 1\n...\n")
    assert parsed.problems == ()
    assert parsed.data == {"a": "1"}


@pytest.mark.parametrize("version", ["1.1", "1.0", "1.3"])
def test_a_yaml_directive_other_than_1_2_is_refused(version: str) -> None:
    parsed = parse_text(f"# file\n%YAML {version}\n---\nenabled: yes\n")
    assert [(p.line, p.message) for p in parsed.problems] == [
        (2, f"YAML {version} directive: use YAML 1.2")
    ]
    assert parsed.data is None


def test_a_yaml_1_2_directive_is_accepted() -> None:
    assert parse_text("%YAML 1.2\n---\na: 1\n").data == {"a": "1"}


@pytest.mark.parametrize(
    "text", ["", "\n\n", "# only a comment\n", "---\n", "---\n...\n", "~\n", "null\n", "--- null\n"]
)
def test_an_empty_file_is_one_problem_at_line_1(text: str) -> None:
    parsed = parse_text(text)
    assert parsed.data is None
    assert [(p.line, p.message) for p in parsed.problems] == [(1, "file is empty")]


def test_invalid_yaml_reports_the_offending_line() -> None:
    assert problems("a: 1\nb: 2\n c: 3\n") == [
        (3, "invalid YAML: mapping values are not allowed in this context")
    ]


# --- Text-level refusals --------------------------------------------------------------------------


def test_conflict_markers_are_refused_one_per_marker_line() -> None:
    text = "id: x\n<<<<<<< HEAD\nname: ours\n=======\nname: theirs\n>>>>>>> feature\n"
    assert problems(text) == [
        (2, "unresolved git merge conflict marker"),
        (4, "unresolved git merge conflict marker"),
        (6, "unresolved git merge conflict marker"),
    ]


def test_seven_equals_inside_text_is_not_a_conflict_marker() -> None:
    assert problems("notes: see =======\n") == []


@pytest.mark.parametrize(
    ("char", "code"),
    [
        ("\x00", "0000"),
        ("\x07", "0007"),
        ("\x1b", "001B"),
        ("\x7f", "007F"),
        ("\x85", "0085"),
        ("\x9b", "009B"),
        ("\u2028", "2028"),
        ("\u2029", "2029"),
        ("\ufeff", "FEFF"),
    ],
)
def test_control_characters_are_refused_at_their_line(char: str, code: str) -> None:
    parsed = parse_text(f"id: x\nname: a{char}b\n")
    assert parsed.data is None
    assert [(p.line, p.message) for p in parsed.problems] == [
        (2, f"control character U+{code} in text")
    ]


def test_tabs_and_crlf_line_ends_are_not_control_characters() -> None:
    parsed = parse_text("id: x\r\nnotes: a\tb\r\nname: y\r\n")
    assert parsed.problems == ()
    assert parsed.data == {"id": "x", "notes": "a\tb", "name": "y"}
    assert parsed.data.key_lines == {"id": 1, "notes": 2, "name": 3}


def test_a_lone_carriage_return_is_refused() -> None:
    assert problems("id: x\nname: a\rb\n") == [(2, "control character U+000D in text")]


# --- Encodings ------------------------------------------------------------------------------------


def test_latin_1_bytes_are_refused_at_their_line() -> None:
    text, problem = decode(b"id: x\nname: Caf\xe9\n")
    assert text is None
    assert problem is not None
    assert (problem.line, problem.message) == (2, "file is not valid UTF-8 (byte 0xe9)")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf_16_is_refused(encoding: str) -> None:
    text, problem = decode("id: x\nname: y\n".encode(encoding))
    assert text is None
    assert problem is not None
    assert (problem.line, problem.message) == (
        1,
        "file is UTF-16 encoded; register files must be UTF-8",
    )


def test_a_utf8_bom_is_dropped_and_crlf_kept_for_the_parser() -> None:
    assert decode(b"\xef\xbb\xbfid: x\r\n") == ("id: x\r\n", None)


def test_utf8_non_ascii_text_is_read() -> None:
    raw = "name: Café Ødegård 日本\n".encode()
    text, problem = decode(raw)
    assert problem is None
    assert text is not None
    assert parse_text(text).data == {"name": "Café Ødegård 日本"}


# --- Depth and size -------------------------------------------------------------------------------


def test_nesting_up_to_the_limit_is_accepted() -> None:
    depth = MAX_DEPTH - 1  # the record mapping is level 0, its value level 1
    parsed = parse_text("a: " + "[" * depth + "]" * depth + "\n")
    assert parsed.problems == ()


def test_nesting_beyond_the_limit_is_refused() -> None:
    depth = MAX_DEPTH + 8
    assert problems("id: x\na: " + "[" * depth + "]" * depth + "\n") == [
        (2, f"nesting deeper than {MAX_DEPTH} levels")
    ]


def test_deep_nesting_in_a_device_file_is_reported_at_its_line(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    found = findings({SENSOR: SENSOR_TEXT + "notes: " + "[" * 40 + "]" * 40 + "\n"}, "REG-001")
    assert (SENSOR, "sensor-02", 6) in where(found)
    assert f"nesting deeper than {MAX_DEPTH} levels" in [f["message"] for f in found]


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_absurd_nesting_is_refused_fast_without_recursion_error(depth: int) -> None:
    start = time.perf_counter()
    found = problems("a: " + "[" * depth + "]" * depth + "\n")
    assert time.perf_counter() - start < FAST
    assert len(found) == 1
    assert found[0][0] == 1
    assert found[0][1].startswith(("invalid YAML", "nesting deeper"))


def test_absurd_block_nesting_is_refused_fast() -> None:
    text = "".join(f"{' ' * i}k{i}:\n" for i in range(3_000))
    start = time.perf_counter()
    found = problems(text)
    assert time.perf_counter() - start < FAST
    assert len(found) == 1


def test_a_file_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"notes: " + b"a" * (3 * 1024 * 1024) + b"\n")
    start = time.perf_counter()
    parsed = read_file(path)
    assert time.perf_counter() - start < FAST
    assert parsed.data is None and parsed.text is None
    assert [(p.line, p.message) for p in parsed.problems] == [(1, "file is larger than 2 MiB")]


def test_a_file_at_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "edge.yaml"
    head = b"notes: "
    path.write_bytes(head + b"a" * (MAX_FILE_BYTES - len(head) - 1) + b"\n")
    parsed = read_file(path)
    assert parsed.problems == ()
    assert len(parsed.data["notes"]) == MAX_FILE_BYTES - len(head) - 1


def test_an_unreadable_path_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    parsed = read_file(tmp_path / "missing.yaml")
    assert parsed.data is None
    assert [p.line for p in parsed.problems] == [1]
    assert parsed.problems[0].message.startswith("cannot read file")


# --- Through the CLI: each hostile file is REG-001 findings with file and line --------------------


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (SENSOR_TEXT + "notes: !!python/object/apply:os.system ['true']\n", 6, "tag "),
        (SENSOR_TEXT + "name: Again\n", 6, "duplicate key 'name'"),
        (SENSOR_TEXT + "---\nid: other\n", 6, "invalid YAML: but found another document"),
        ("%YAML 1.1\n---\n" + SENSOR_TEXT, 1, "YAML 1.1 directive: use YAML 1.2"),
        ("", 1, "file is empty"),
        ("# nothing yet\n", 1, "file is empty"),
        ("---\n", 1, "file is empty"),
        ("null\n", 1, "file is empty"),
        ("- id: sensor-02\n- name: x\n", 1, "the file holds a list; a device record is a mapping"),
        ("sensor-02\n", 1, "the file holds a single value; a device record is a mapping"),
        (SENSOR_TEXT + "<<<<<<< HEAD\nnotes: a\n", 6, "unresolved git merge conflict marker"),
        (SENSOR_TEXT + "notes: a\x00b\n", 6, "control character U+0000 in text"),
        (SENSOR_TEXT + "notes: a\x85b\n", 6, "control character U+0085 in text"),
        (SENSOR_TEXT.encode() + b"notes: Caf\xe9\n", 6, "file is not valid UTF-8 (byte 0xe9)"),
        (SENSOR_TEXT.encode("utf-16"), 1, "file is UTF-16 encoded; register files must be UTF-8"),
    ],
    ids=[
        "python-tag",
        "duplicate-key",
        "two-documents",
        "yaml-1.1",
        "empty",
        "comment-only",
        "document-marker-only",
        "null-only",
        "top-level-list",
        "top-level-scalar",
        "conflict-marker",
        "nul",
        "nel-u0085",
        "latin-1",
        "utf-16",
    ],
)
def test_a_hostile_device_file_is_one_reg_001_finding(
    findings: Callable[..., list[dict[str, Any]]], content: str | bytes, line: int, message: str
) -> None:
    found = findings({SENSOR: content})
    assert len(found) == 1, found
    finding = found[0]
    assert (finding["rule"], finding["severity"], finding["file"], finding["line"]) == (
        "REG-001",
        "error",
        SENSOR,
        line,
    )
    assert finding["subject"] == "sensor-02"
    assert message in finding["message"]


def test_a_bom_and_crlf_file_is_accepted(findings: Callable[..., list[dict[str, Any]]]) -> None:
    raw = b"\xef\xbb\xbf" + baseline_text("devices/plc-01.yaml").replace("\n", "\r\n").encode()
    assert findings({"devices/plc-01.yaml": raw}) == []


def test_lines_are_right_in_a_bom_and_crlf_file(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    text = baseline_text("devices/plc-01.yaml").replace(
        "  segment: ot-line1", "  segmnet: ot-line1"
    )
    raw = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()
    found = findings({"devices/plc-01.yaml": raw}, "REG-001")
    assert where(found) == [("devices/plc-01.yaml", "plc-01", 15)]


def test_a_3_mb_file_is_refused_quickly(
    cli: Callable[..., Run], make_register: Callable[..., Path]
) -> None:
    root = make_register()
    big = SENSOR_TEXT + "notes: " + "x" * (3 * 1024 * 1024) + "\n"
    (root / SENSOR).write_text(big, encoding="utf-8")
    start = time.perf_counter()
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "json")
    assert time.perf_counter() - start < 10 * FAST
    assert run.exit_code == 1
    assert [(f["rule"], f["file"], f["line"], f["message"]) for f in run.json["findings"]] == [
        ("REG-001", SENSOR, 1, "file is larger than 2 MiB")
    ]
    assert run.json["summary"]["devices"] == 3


def test_a_yml_file_is_reported_and_not_read(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    found = findings({"devices/sensor-03.yml": SENSOR_TEXT.replace("sensor-02", "sensor-03")})
    assert [(f["rule"], f["subject"], f["file"], f["line"], f["message"]) for f in found] == [
        (
            "REG-001",
            "sensor-03",
            "devices/sensor-03.yml",
            1,
            "record files must end in .yaml; this file is not read",
        )
    ]


def test_other_files_in_record_folders_are_ignored(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    edits = {"devices/README.md": "# Devices\n", "devices/.template.yaml": "id: {{ id }}\n"}
    assert findings(edits) == []


def _symlink(link: Path, target: Path) -> None:
    try:
        link.symlink_to(target)
    except (OSError, NotImplementedError):  # pragma: no cover - platforms without symlinks
        pytest.skip("symbolic links are not available here")


def test_a_symlink_out_of_the_register_is_reported_and_not_read(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    def setup(root: Path) -> None:
        outside = root.parent / "outside.yaml"
        outside.write_text("id: evil\npassword: hunter2\n", encoding="utf-8")
        _symlink(root / "devices" / "evil.yaml", outside)

    found = findings({}, setup=setup)
    assert [(f["rule"], f["subject"], f["file"], f["line"], f["message"]) for f in found] == [
        (
            "REG-001",
            "evil",
            "devices/evil.yaml",
            1,
            "symbolic link to a file outside the register; not read",
        )
    ]


def test_a_symlink_inside_the_register_is_read(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    def setup(root: Path) -> None:
        _symlink(root / "devices" / "sensor-copy.yaml", root / "devices" / "sensor-02.yaml")

    found = findings({}, setup=setup)
    assert [(f["rule"], f["file"], f["line"]) for f in found] == [
        ("REG-002", "devices/sensor-copy.yaml", 1)
    ]
    assert "is already used in devices/sensor-02.yaml" in found[0]["message"]


def test_a_folder_named_like_a_record_is_skipped(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    def setup(root: Path) -> None:
        (root / "devices" / "folder.yaml").mkdir()

    assert findings({}, setup=setup) == []


# --- One broken file never stops the others -------------------------------------------------------


def test_a_broken_file_does_not_stop_the_others_from_being_checked(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    edits: dict[str, Any] = {
        "devices/plc-02.yaml": "id: plc-02\nname: [unclosed\n",
        "devices/cam-01.yaml": {"network.segmnet": "iot-cams", "owner": "nobody"},
        "segments/lab.yaml": b"id: lab\nname: Laborat\xf3rio\n",
        "vendors/acme.yaml": BILLION_LAUGHS,
        "incidents/inc-01.yaml": SENSOR_TEXT.encode("utf-16"),
        "devices/plc-01.yaml": {"network.segment": "~delete"},
    }
    found = findings(edits)
    assert sorted((f["rule"], f["file"], f["line"]) for f in found if f["rule"] != "REG-001") == [
        ("REG-003", "devices/cam-01.yaml", 9),
        ("SEG-001", "devices/plc-01.yaml", 14),
    ]
    reg_001 = {(f["file"], f["line"]) for f in found if f["rule"] == "REG-001"}
    assert ("devices/cam-01.yaml", 20) in reg_001
    assert ("devices/plc-02.yaml", 3) in reg_001
    assert ("segments/lab.yaml", 2) in reg_001
    assert ("incidents/inc-01.yaml", 1) in reg_001
    assert {line for file, line in reg_001 if file == "vendors/acme.yaml"} >= set(range(2, 10))


def test_a_broken_file_does_not_hide_other_rules_findings(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    edits: dict[str, Any] = {
        SENSOR: "<<<<<<< HEAD\n" + SENSOR_TEXT,
        "devices/cam-01.yaml": {"network.segment": "~delete"},
    }
    found = findings(edits)
    assert [(f["rule"], f["file"]) for f in found] == [
        ("SEG-001", "devices/cam-01.yaml"),
        ("REG-001", SENSOR),
    ]


def test_a_broken_policy_or_people_file_still_lets_devices_be_read(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    found = findings({"policy.yaml": "document: [\n", "devices/cam-01.yaml": {"colour": "grey"}})
    files = {(f["rule"], f["file"]) for f in found}
    assert ("REG-001", "policy.yaml") in files
    assert ("REG-001", "devices/cam-01.yaml") in files


def test_a_record_failing_its_model_still_resolves_references(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    """controls.md Conventions: its id still resolves references, so no REG-003 cascade."""
    edits: dict[str, Any] = {
        "vendors/siemens.yaml": {"name": "~delete"},
        "segments/ot-line1.yaml": {"zone": "scada"},
        "people.yaml": {"1.roles": "~delete"},
        SENSOR: {"colour": "grey"},
        "incidents/inc-01.yaml": {
            "id": "inc-01",
            "date": "2026-02-01",
            "kind": "incident",
            "devices": ["sensor-02"],
            "summary": "Sensor missing",
        },
    }
    found = findings(edits)
    assert not [f for f in found if f["rule"] == "REG-003"]
    assert sorted(where([f for f in found if f["rule"] == "REG-001"])) == [
        (SENSOR, "sensor-02", 6),
        ("people.yaml", "ole-hansen", 6),
        ("segments/ot-line1.yaml", "ot-line1", 3),
        ("vendors/siemens.yaml", "siemens", 1),
    ]


def test_a_record_failing_its_model_gets_reg_findings_only(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    # Without a segment plc-01 would get SEG-001; with an unknown key it gets REG-001 only.
    found = findings({"devices/plc-01.yaml": {"network.segment": "~delete", "colour": "grey"}})
    assert [(f["rule"], f["file"]) for f in found] == [("REG-001", "devices/plc-01.yaml")]


def test_a_file_with_no_usable_id_uses_its_stem_as_subject(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    found = findings({SENSOR: {"id": "Sensor 02", "colour": "grey"}}, "REG-001")
    assert where(found) == [(SENSOR, "sensor-02", 6)]


# --- YAML 1.2 scalar semantics, through the models ------------------------------------------------


def device(extra: str) -> Device:
    """A device model validated from loader output (raises ValidationError when invalid)."""
    parsed = parse_text(SENSOR_TEXT + extra)
    assert parsed.problems == ()
    return Device.model_validate(parsed.data)


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("firmware:\n  version: 4.10\n", "4.10"),
        ("firmware:\n  version: '4.10'\n", "4.10"),
        ("firmware:\n  version: 4.5.2\n", "4.5.2"),
        ("firmware:\n  version: 1.0\n", "1.0"),
        ("firmware:\n  version: 1e3\n", "1e3"),
        ("firmware:\n  version: 0x1F\n", "0x1F"),
        ("firmware:\n  version: .inf\n", ".inf"),
        ("firmware:\n  version: true\n", "true"),
        ("firmware:\n  version: 2024-01-01\n", "2024-01-01"),
    ],
)
def test_text_fields_keep_the_characters_written(yaml_text: str, expected: str) -> None:
    model = device(yaml_text)
    assert model.firmware is not None
    assert model.firmware.version == expected


def test_serial_keeps_leading_zeros() -> None:
    assert device("serial: 00123\n").serial == "00123"
    assert device("serial: 0o14\n").serial == "0o14"


def test_revision_number_keeps_its_text() -> None:
    text = "document: P35S\ntitle: T\nrevisions:\n  - number: 1.0\n    date: 2025-01-01\n"
    text += "  - number: 1.10\n    date: 2026-01-01\n"
    policy = Policy.model_validate(parse_text(text).data)
    assert [r.number for r in policy.revisions] == ["1.0", "1.10"]


@pytest.mark.parametrize(
    ("written", "value"),
    [("true", True), ("True", True), ("TRUE", True), ("false", False), ("FALSE", False)],
)
def test_true_and_false_in_any_case_are_booleans(written: str, value: bool) -> None:
    model = device(f"monitoring:\n  logging: {written}\n")
    assert model.monitoring is not None
    assert model.monitoring.logging is value


@pytest.mark.parametrize(
    "written", ["on", "off", "yes", "no", "y", "n", "On", "YES", "1", "0", "'true'", '"false"']
)
def test_other_boolean_spellings_are_refused(written: str) -> None:
    with pytest.raises(ValueError, match="must be true or false"):
        device(f"monitoring:\n  logging: {written}\n")


@pytest.mark.parametrize(("written", "value"), [("514", 514), ("0", 0), ("+120", 120)])
def test_integers_are_plain_decimals(written: str, value: int) -> None:
    assert to_int(PlainStr(written)) == value


@pytest.mark.parametrize("written", ["0x1F", "0o14", "1_000", "1e3", "5.0", "twelve", ""])
def test_other_integer_spellings_are_refused(written: str) -> None:
    with pytest.raises(ValueError, match="must be a whole number"):
        to_int(PlainStr(written))


def test_a_quoted_number_is_not_an_integer() -> None:
    # Current behaviour: an integer must be written plain; "120" in quotes is text.
    with pytest.raises(ValueError, match="must be a whole number"):
        to_int("120")


@pytest.mark.parametrize("written", ["2025-03-14", "'2025-03-14'"])
def test_dates_quoted_or_not(written: str) -> None:
    assert str(device(f"end_of_support: {written}\n").end_of_support) == "2025-03-14"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("2024-02-30", "is not a real calendar date"),
        ("2025-13-01", "is not a real calendar date"),
        ("2025-03-14T10:00:00", "must be a date written YYYY-MM-DD"),
        ("2025-03-14 10:00:00", "must be a date written YYYY-MM-DD"),
        ("2025-3-14", "must be a date written YYYY-MM-DD"),
        ("14.03.2025", "must be a date written YYYY-MM-DD"),
        ("20250314", "must be a date written YYYY-MM-DD"),
    ],
)
def test_other_date_forms_are_refused(written: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        to_date(PlainStr(written))


def test_scalar_helpers_accept_python_values() -> None:
    assert to_bool(True) is True
    assert to_text(4.1) == "4.1"
    assert to_int(514) == 514
    with pytest.raises(ValueError):
        to_int(True)


def test_on_is_not_a_boolean_through_the_cli(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    text = baseline_text("devices/plc-01.yaml").replace("  logging: true", "  logging: on")
    found = findings({"devices/plc-01.yaml": text})
    assert [(f["rule"], f["line"], f["message"]) for f in found] == [
        ("REG-001", 43, "monitoring.logging: must be true or false")
    ]


def test_version_4_10_is_not_4_1_through_the_cli(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    """Unquoted 4.10 stays "4.10": the last firmware change matches it (INV-002), and an advisory
    for versions below 4.9 does not affect it (FW-002), as it would if it were read as 4.1."""
    text = baseline_text("devices/plc-01.yaml").replace("4.5.2", "4.10")
    assert "  version: 4.10\n" in text and "  to_version: 4.10\n" in text
    advisory = {
        "id": "ssa-410",
        "vendor": "siemens",
        "kind": "vulnerability",
        "received_on": "2026-01-05",
        "affects": [{"model": "SIMATIC S7-1200", "versions": "<4.9"}],
        "status": "open",
    }
    found = findings({"devices/plc-01.yaml": text, "advisories/ssa-410.yaml": advisory})
    assert [f["rule"] for f in found if f["file"] == "devices/plc-01.yaml"] == []


def test_the_check_does_not_use_yaml_1_1_booleans_for_unquoted_text(
    findings: Callable[..., list[dict[str, Any]]],
) -> None:
    """A text field holding yes/no/on/off keeps the word (e.g. a serial or a name)."""
    text = SENSOR_TEXT.replace("name: Planned humidity sensor", "name: no") + "serial: yes\n"
    assert findings({SENSOR: text}) == []

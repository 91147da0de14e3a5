"""The round-trip writer: an edit changes exactly the lines it must, and keeps every comment,
key order, quoting style, blank line and indentation of the rest; new files are written in the
example register's style."""

from __future__ import annotations

import difflib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iotpolicy.register import schema_comment
from iotpolicy.writing.forms import DEVICE, FORMS
from iotpolicy.yamlio.load import parse_text
from iotpolicy.yamlio.merge import merge_edit
from iotpolicy.yamlio.nodes import Quoted
from iotpolicy.yamlio.roundtrip import RoundTrip, YamlEditError, dump_new, guess_indent
from tests.support.paths import REPO

ROOT = REPO
EXAMPLE = ROOT / "register"
ORDER = DEVICE.key_order


def changed(old: str, new: str) -> tuple[list[str], list[str]]:
    """(removed lines, added lines) of a line diff."""
    removed, added = [], []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


@pytest.mark.parametrize("path", sorted(EXAMPLE.rglob("*.yaml")), ids=lambda p: p.name)
def test_an_unchanged_document_is_written_back_byte_for_byte(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert RoundTrip(text).text() == text


COMMENTED = """\
# Header comment: kept.
id: cam-1            # the id, aligned comment
name: 'Camera one'
category: iot
type: camera
status: active
owner: ole-hansen
network:
    segment: iot-main      # four-space indentation here
    ip: 10.30.1.5
firmware:
  version: "4.5"   # quoted, stays quoted
  updated_on: 2024-01-01

# Comment that introduces the change history.
changes:
  - date: 2024-01-01
    kind: commissioning
    # a comment inside the last change

# Comment that introduces personal data.
personal_data:
  processes: false
  dpia: null
  retention_days: ~
"""


def test_edits_change_only_their_lines_and_keep_every_comment() -> None:
    doc = RoundTrip(COMMENTED)
    doc.set(("firmware", "version"), Quoted("4.6"), ORDER)
    doc.set(("firmware", "updated_on"), date(2026, 11, 20), ORDER)
    doc.set(("firmware", "integrity", "method"), "sha256", ORDER)
    doc.append(("changes",), {"date": date(2026, 11, 20), "kind": "firmware-update"}, ORDER)
    doc.set(("personal_data", "dpia"), "DPIA-7", ORDER)
    new = doc.text()
    removed, added = changed(COMMENTED, new)
    assert removed == [
        '  version: "4.5"   # quoted, stays quoted',
        "  updated_on: 2024-01-01",
        "  dpia: null",
    ]
    assert added == [
        '  version: "4.6"   # quoted, stays quoted',
        "  updated_on: 2026-11-20",
        "  integrity:",
        "    method: sha256",
        "  - date: 2026-11-20",
        "    kind: firmware-update",
        "  dpia: DPIA-7",
    ]
    lines = new.splitlines()
    # New lines sit before the blank line and comment that introduce the next key.
    at = lines.index("    method: sha256")
    assert lines[at + 1 : at + 3] == ["", "# Comment that introduces the change history."]
    at = lines.index("    kind: firmware-update")
    assert lines[at - 2] == "    # a comment inside the last change"
    assert lines[at + 1 : at + 3] == ["", "# Comment that introduces personal data."]
    assert "retention_days: ~" in new and "name: 'Camera one'" in new
    assert "    segment: iot-main      # four-space indentation here" in new


def test_an_edit_inside_a_block_with_its_own_indentation_keeps_the_file_valid() -> None:
    doc = RoundTrip(COMMENTED)
    doc.set(("network", "mac"), Quoted("00:1b:1b:00:00:01"), ORDER)
    new = doc.text()
    assert parse_text(new).problems == ()
    data = parse_text(new).data
    assert data["network"] == {"segment": "iot-main", "ip": "10.30.1.5", "mac": "00:1b:1b:00:00:01"}
    assert "# Header comment: kept." in new and "# the id, aligned comment" in new


def test_a_new_key_goes_to_its_place_in_the_canonical_order() -> None:
    doc = RoundTrip(COMMENTED)
    doc.set(("serial",), Quoted("00123"), ORDER)
    doc.set(("commissioned_on",), date(2024, 1, 1), ORDER)
    lines = doc.text().splitlines()
    assert lines[lines.index("status: active") - 1] == 'serial: "00123"'
    assert lines[lines.index("owner: ole-hansen") + 1] == "commissioned_on: 2024-01-01"


def test_quoting_style_of_a_replaced_value_is_kept() -> None:
    doc = RoundTrip(COMMENTED)
    doc.set(("name",), "Camera 1", ORDER)
    assert "name: 'Camera 1'" in doc.text()


def test_crlf_files_stay_crlf_and_a_missing_final_newline_is_added() -> None:
    text = "id: cam-1\r\nname: Camera\r\nstatus: planned"
    doc = RoundTrip(text)
    doc.set(("status",), "active", ORDER)
    assert doc.text() == "id: cam-1\r\nname: Camera\r\nstatus: active\r\n"


def test_people_yaml_gets_a_new_entry_at_the_margin() -> None:
    text = (EXAMPLE / "people.yaml").read_text(encoding="utf-8")
    doc = RoundTrip(text)
    order = FORMS["person"].key_order
    doc.append((), {"id": "new-one", "name": "New One", "roles": ["staff"]}, order)
    removed, added = changed(text, doc.text())
    assert removed == []
    assert added == ["- id: new-one", "  name: New One", "  roles: [staff]"]


def test_indentation_is_read_from_the_file() -> None:
    assert guess_indent("a:\n  - x\n") == (2, 4, 2)
    assert guess_indent("a:\n- x\nb:\n  c: 1\n") == (2, 2, 0)
    assert guess_indent("- id: x\n  roles: [a]\n") == (2, 2, 0)
    assert guess_indent("a:\n    b: 1\n") == (4, 4, 2)


def test_a_value_used_twice_is_written_twice_never_as_an_alias() -> None:
    doc = RoundTrip("id: x\nname: X\n")
    when = date(2026, 1, 1)
    doc.set(("commissioned_on",), when, ORDER)
    doc.set(("firmware", "updated_on"), when, ORDER)
    assert "&" not in doc.text() and "*" not in doc.text()
    assert parse_text(doc.text()).problems == ()


def test_new_files_follow_the_example_register_style() -> None:
    record = {
        "id": "cam-9",
        "name": "Gate camera",
        "serial": Quoted("00123"),
        "commissioned_on": date(2026, 1, 2),
        "network": {"mac": Quoted("ac:cc:8e:00:00:01"), "ip": "10.30.1.9"},
        "firmware": {"version": Quoted("11.2")},
        "roles": ["general-manager", "staff"],
        "documentation": ["IOT-DOC-005 Axis camera hardening checklist"],
        "notes": "yes",
        "justification": ("word " * 40).strip(),
    }
    text = dump_new(record, schema_comment("devices/cam-9.yaml"))
    assert text.splitlines()[:6] == [
        "# yaml-language-server: $schema=../schemas/device.schema.json",
        "id: cam-9",
        "name: Gate camera",
        'serial: "00123"',
        "commissioned_on: 2026-01-02",
        "network:",
    ]
    assert '  mac: "ac:cc:8e:00:00:01"' in text
    assert '  version: "11.2"' in text
    assert "roles: [general-manager, staff]" in text
    assert "documentation:\n  - IOT-DOC-005 Axis camera hardening checklist\n" in text
    assert 'notes: "yes"' in text  # YAML 1.1 readers would see a boolean
    assert "justification: >-\n" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    assert parse_text(text).problems == ()


def test_merge_keeps_original_lines_where_the_rendering_differs() -> None:
    original = "a: null\nb:   2\nc: 3\n"
    base = "a:\nb: 2\nc: 3\n"
    edited = "a:\nb: 2\nc: 4\n"
    assert merge_edit(original, base, edited) == "a: null\nb:   2\nc: 4\n"
    # An edit touching a line the rendering changed takes the edited rendering of that line.
    assert merge_edit(original, base, "a:\nb: 5\nc: 3\n") == "a: null\nb: 5\nc: 3\n"


_SCALARS = st.one_of(
    st.text(
        alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(min_value=0, max_value=10**6),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(
    serial=_SCALARS,
    summary=st.text(min_size=1, max_size=200).map(str.strip).filter(bool),
)
def test_record_change_edits_change_only_their_lines_for_any_value(
    serial: object, summary: str
) -> None:
    """Property: whatever the values, an edit of the commented example device touches only the
    lines it must, every comment survives, and the result reads back to the values written."""
    text = (EXAMPLE / "devices" / "cam-gate-02.yaml").read_text(encoding="utf-8")
    doc = RoundTrip(text)
    doc.set(("serial",), Quoted(str(serial)), ORDER)
    doc.append(
        ("changes",),
        {"date": date(2026, 11, 25), "kind": "configuration", "summary": summary},
        ORDER,
    )
    new = doc.text()
    parsed = parse_text(new)
    if parsed.problems:  # control characters and the like are refused by the loader
        assert any("control character" in p.message for p in parsed.problems)
        return
    assert parsed.data["serial"] == str(serial)
    # Exactly as given (a carriage return is written as the escape \r), or with line ends
    # normalised when the text is written as a block.
    assert parsed.data["changes"][-1]["summary"] in (summary, summary.replace("\r\n", "\n"))
    removed, _ = changed(text, new)
    assert removed == ['serial: "ACCC8E6F12B7"']
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            assert line in new.splitlines()


def test_directives_and_document_markers_are_kept() -> None:
    text = "%YAML 1.2\n---\n# c\nid: x\nname: X   # n\nchanges: []\n...\n# after the end\n"
    doc = RoundTrip(text)
    doc.set(("status",), "planned", ORDER)
    doc.append(("changes",), {"date": date(2026, 1, 1), "kind": "configuration"}, ORDER)
    assert doc.text() == (
        "%YAML 1.2\n---\n# c\nid: x\nname: X   # n\nstatus: planned\n"
        "changes:\n  - date: 2026-01-01\n    kind: configuration\n...\n# after the end\n"
    )


@pytest.mark.parametrize(
    "text",
    ["a: &x 1\nb: *x\n", "a: !!python/object:os.system 1\n", "a: 1\na: 2\n", "a: \x85\n"],
    ids=["alias", "tag", "duplicate", "control"],
)
def test_the_round_trip_loader_refuses_what_check_refuses(text: str) -> None:
    with pytest.raises(YamlEditError, match="cannot be edited safely"):
        RoundTrip(text)

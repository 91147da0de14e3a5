"""Property-based tests of the writer: for generated records, write -> load gives the
same record, and write -> load -> write gives the same bytes."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from iotpolicy.models import Device, Vendor
from iotpolicy.register import schema_comment
from iotpolicy.yamlio.load import parse_text
from iotpolicy.yamlio.roundtrip import dump_new

# Text a register may hold: printable, no control characters (the loader refuses those).
TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\x85"),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip() == s and s != "")
TRICKY = st.sampled_from(["true", "no", "on", "00123", "4.10", "1.0", "2025-01-01", "null", "~"])
SLUG = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True)
WORD = st.from_regex(r"[a-z0-9][a-z0-9-]{0,12}", fullmatch=True)
DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@st.composite
def devices(draw: st.DrawFn) -> Device:
    """A device with a random mix of optional blocks and awkward values."""
    data: dict[str, Any] = {
        "id": draw(SLUG),
        "name": draw(st.one_of(TEXT, TRICKY)),
        "category": draw(st.sampled_from(["iot", "ot"])),
        "type": draw(WORD),
        "status": draw(st.sampled_from(["planned", "active", "retired", "disposed"])),
    }
    if draw(st.booleans()):
        data["serial"] = draw(st.one_of(TEXT, TRICKY))
    if draw(st.booleans()):
        data["commissioned_on"] = draw(DATES)
    if draw(st.booleans()):
        data["firmware"] = {"version": draw(st.one_of(TRICKY, TEXT)), "updated_on": draw(DATES)}
    if draw(st.booleans()):
        data["hardening"] = {
            "default_credentials_changed": draw(st.booleans()),
            "services": [
                {"name": draw(WORD), "port": draw(st.integers(0, 65535)), "justification": j}
                for j in draw(st.lists(TEXT, max_size=3))
            ],
        }
    if draw(st.booleans()):
        data["documentation"] = draw(st.lists(TEXT, min_size=1, max_size=3))
    if draw(st.booleans()):
        data["changes"] = [
            {"date": draw(DATES), "kind": "commissioning", "summary": draw(TEXT)},
        ]
    return Device.model_validate(data)


def _write(model: Device | Vendor, rel: str) -> str:
    data = model.model_dump(mode="python", exclude_none=True, exclude_defaults=True)
    return dump_new(_plain(data), schema_comment(rel))


def _plain(value: Any) -> Any:
    """Enums as their values; everything else as it is."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return getattr(value, "value", value)


def _read(text: str) -> Device:
    parsed = parse_text(text)
    assert parsed.problems == (), parsed.problems
    return Device.model_validate(parsed.data)


@settings(max_examples=150, deadline=None)
@given(devices())
def test_write_then_load_gives_the_same_record(device: Device) -> None:
    assert _read(_write(device, f"devices/{device.id}.yaml")) == device


@settings(max_examples=150, deadline=None)
@given(devices())
def test_a_second_write_is_byte_identical(device: Device) -> None:
    first = _write(device, f"devices/{device.id}.yaml")
    second = _write(_read(first), f"devices/{device.id}.yaml")
    assert second == first

"""New files are written without ruamel's emitter when their data is of the common simple kinds:
the text must be exactly what ruamel writes, for any data, and the fast path must be the one
taken for ordinary records."""

from __future__ import annotations

import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from iotpolicy.yamlio.load import parse_text
from iotpolicy.yamlio.nodes import Quoted
from iotpolicy.yamlio.roundtrip import _dump, _new_file_writer, _node, _simple_text, dump_new
from tests.support.paths import REPO

KEYS = st.sampled_from(["id", "name", "on", "yes", "null", "a-b", "x_1", "port", "Key", "1st"])
TEXT = st.text(
    alphabet=st.sampled_from([*list("aZ09 .-_:/,()&+@#'\"\\!?%=~*[]{}|>"), "é", "\t", "\n"]),
    max_size=12,
) | st.sampled_from(["1.0", "0o17", "0x1F", "1_000", "true", "No", "~", "2024-01-01", "1:20"])
SCALARS = (
    TEXT
    | TEXT.map(Quoted)
    | st.integers(-5, 10**12)
    | st.floats(-1e20, 1e20, allow_nan=False)
    | st.integers(0, 100).map(lambda n: n / 10)
    | st.booleans()
    | st.none()
    | st.dates(datetime.date(1990, 1, 1), datetime.date(2040, 1, 1))
    | st.text(alphabet="ab ", min_size=80, max_size=120)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


def ruamel_text(data: Any) -> str:
    """What ruamel writes for a new file's data."""
    return str(_dump(_new_file_writer(2, 4, 2), _node(data)))


@settings(max_examples=1500, deadline=None)
@given(st.dictionaries(KEYS, VALUES, min_size=1, max_size=6))
def test_the_fast_text_is_ruamels_text(data: dict[str, Any]) -> None:
    """Whenever the fast writer answers, its text is byte for byte ruamel's."""
    fast = _simple_text(data)
    if fast is not None:
        assert fast == ruamel_text(data)


def test_ordinary_records_take_the_fast_path() -> None:
    """Every device of the example register, written as a new file, comes out as ruamel writes
    it, and most of them without ruamel."""
    files = sorted((REPO / "register" / "devices").rglob("*.yaml"))
    fast = 0
    for path in files:
        data = parse_text(path.read_text(encoding="utf-8")).data
        plain = _plain_data(data)
        text = _simple_text(plain)
        if text is not None:
            fast += 1
            assert text == ruamel_text(plain), path.name
        assert dump_new(plain, "# header") == "# header\n" + ruamel_text(plain)
    assert len(files) > 20 and fast >= len(files) * 0.8


def _plain_data(value: Any) -> Any:
    """The loader's nodes as plain Python data (str, int, bool, date, None, dict, list)."""
    if isinstance(value, dict):
        return {str(k): _plain_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_data(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


WORDS = st.from_regex(
    r"[A-Za-z0-9<=>*][A-Za-z0-9.()/,;'!?%=<>~*&+@_:#-]{0,8}( [A-Za-z0-9.:'!?-]{1,6}){0,3}",
    fullmatch=True,
)
SIMPLE = st.recursive(
    WORDS
    | WORDS.map(Quoted)
    | st.integers(0, 99999)
    | st.integers(0, 100).map(lambda n: n / 10)
    | st.booleans()
    | st.none(),
    lambda inner: (
        st.lists(inner, min_size=1, max_size=4)
        | st.dictionaries(st.sampled_from(["id", "name", "ip", "port", "roles"]), inner, min_size=1)
    ),
    max_leaves=10,
)


@settings(max_examples=1500, deadline=None)
@given(st.dictionaries(st.sampled_from(["id", "model", "network", "services"]), SIMPLE, min_size=1))
def test_the_fast_text_is_ruamels_text_for_record_like_data(data: dict[str, Any]) -> None:
    """The same, on data shaped like records (words, short lists, nested mappings), where the
    fast writer answers most of the time."""
    fast = _simple_text(data)
    if fast is not None:
        assert fast == ruamel_text(data)

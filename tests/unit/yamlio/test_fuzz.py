"""Property-based fuzzing of the loader and the model layer (hypothesis).

Whatever bytes a register file holds, reading it gives data and/or problems with valid line
numbers, never an exception; validation and every rule then run without raising. The long-running
version of this test is fuzz/fuzz_loader.py.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iotpolicy.engine import evaluate, select_rules
from iotpolicy.register import load_register
from iotpolicy.yamlio.load import read_file
from tests.support.paths import REPO

EXAMPLE = REPO / "register"
SEEDS = [p.read_bytes() for p in sorted(EXAMPLE.glob("devices/*.yaml"))[:5]]
TOKENS = [
    b"\n",
    b": ",
    b"- ",
    b"  ",
    b"&a ",
    b"*a",
    b"!!python/object ",
    b"? ",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b"'",
    b'"',
    b"#",
    b"---\n",
    b"...\n",
    b"%YAML 1.1\n",
    b"<<<<<<< HEAD\n",
    b"\t",
    b"\r",
    b"\x00",
    b"\xc2\x85",
    b"\xff",
    b"\xef\xbb\xbf",
    b"id: x\n",
    b"status: active\n",
    b"yes",
    b"2024-02-30",
    b"4.10",
    b"password: hunter2\n",
    b"|\n",
    b">-\n",
    b"~",
    b"null",
]


@st.composite
def yaml_like(draw: st.DrawFn) -> bytes:
    """A seed device file with random splices of YAML-ish tokens and random bytes."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data)))
        piece = draw(st.one_of(st.sampled_from(TOKENS), st.binary(max_size=8)))
        cut = draw(st.integers(0, 12))
        data[at : at + cut] = piece
    return bytes(data)


def check_one_file(data: bytes, folder: Path | None = None) -> None:
    """The property: reading never raises, lines are in range, and a check of a register holding
    the file completes."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "policy.yaml").write_bytes((EXAMPLE / "policy.yaml").read_bytes())
        (root / "devices").mkdir()
        path = root / "devices" / "fuzzed.yaml"
        path.write_bytes(data)
        parsed = read_file(path)
        last_line = data.count(b"\n") + 1
        for problem in parsed.problems:
            assert 1 <= problem.line <= last_line, problem
        result = evaluate(load_register(root), date(2026, 11, 25), select_rules(), "r")
        for finding in result.findings:
            assert finding.line >= 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_like())
def test_the_loader_never_raises(data: bytes) -> None:
    check_one_file(data)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data: bytes) -> None:
    check_one_file(data)

"""Property-based fuzzing (hypothesis) of the loader and the model layer, of secret recognition,
of slugs and of the spreadsheet reader.

Whatever bytes a register file holds, reading it gives data and/or problems with valid line
numbers, never an exception, and no text it gives (value or key) holds a control character, even
one written as an escape; validation and every rule then run without raising, and no line of
``check``'s text output is a CI workflow command. Whatever links a register holds, a path
reached through ``in_register`` stays inside it. A credential in
any recognised form, with any value, is REG-004 and appears in no output format. Any text made a
slug is a slug (never a name Windows reserves). Whatever bytes a spreadsheet holds (zip headers
claiming huge sizes included), reading it gives rows or one SheetError. The long-running version
of these tests is fuzz/fuzz_loader.py.
"""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iotpolicy.engine import evaluate, select_rules
from iotpolicy.formats import FORMATS, render
from iotpolicy.fsio import OutsideRegister, in_register
from iotpolicy.grammar.names import slugify
from iotpolicy.importers.spreadsheet import SheetError, read_sheet
from iotpolicy.models.base import is_slug
from iotpolicy.register import load_register
from iotpolicy.yamlio.load import _CONTROL_IN_VALUE, read_file
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
    b"pass: hunter2\n",
    b"pin=4711 ",
    b"notes: key: 7f3a9c\n",
    b"Kennwort\xef\xbc\x9a Sommer2024",
    b"admin:Pa55w0rd ",
    b"https://:pw@h.example/ ",
    b"the WPA2 key is Sommer2024! ",
    b"ghp_R7aQ2mLxT9vKp3ZsW8nYc4Hd6Jf1Ub0Ee5Gi",
    b"AKIAZQ7XWV91KLMPQ3ZS",
    b"-----BEGIN PUBLIC KEY-----\n",
    b"-----END PUBLIC KEY-----\n",
    b"id: con\n",
    b"id: nul.backup\n",
    b"id: plc-01.\n",
    b"|\n",
    b">-\n",
    b'"\\e]0;TITLE\\a"',
    b'"\\x9b31m\\0"',
    b'"\\u2028\\r"',
    b'"\\N\\_\\L\\P"',
    b'"\\e": ',
    b'"vpn\\n::error file=README.md,line=1::INJECTED"',
    b"\n::add-mask::x\n",
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
        if parsed.data is not None:
            assert not [text for text in _texts(parsed.data) if _CONTROL_IN_VALUE.search(text)]
        result = evaluate(load_register(root), date(2026, 11, 25), select_rules(), "r")
        for finding in result.findings:
            assert finding.line >= 1
        shown = render("text", result)
        assert not [line for line in shown.splitlines() if line.lstrip().startswith("::")]


def _texts(node: object) -> list[str]:
    """Every key and text in parsed data."""
    if isinstance(node, dict):
        return [t for key, value in node.items() for t in (str(key), *_texts(value))]
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return [node] if isinstance(node, str) else []


LINK_TARGETS = ["..", "../..", "/", "inside", "inside/deeper", "loop", "../register/inside"]
"""Where a fuzzed link points (relative to the folder holding it), outside and inside."""


@st.composite
def linked_tree(draw: st.DrawFn) -> tuple[list[tuple[str, str]], str]:
    """Links to create (path, target) under a register, and a path to reach inside it."""
    names = st.sampled_from(["a", "b", "templates", "schemas", ".iotpolicy-cache", "loop"])
    links = draw(st.lists(st.tuples(names, st.sampled_from(LINK_TARGETS)), max_size=4))
    rel = "/".join(
        draw(st.lists(st.sampled_from(["a", "b", "inside", "deeper", "x"]), min_size=1, max_size=4))
    )
    return links, rel


def check_links(links: list[tuple[str, str]], rel: str) -> None:
    """The property: ``in_register`` refuses, or gives a path that resolves inside."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "register"
        (root / "inside" / "deeper").mkdir(parents=True)
        for name, target in links:
            with contextlib.suppress(FileExistsError):
                (root / name).symlink_to(target)
        try:
            path = in_register(root, rel)
        except OutsideRegister:
            return
        with contextlib.suppress(RuntimeError):  # a loop past the last link checked
            assert path.resolve().is_relative_to(root.resolve()), (links, rel)


@settings(max_examples=150, deadline=None)
@given(linked_tree())
def test_a_path_inside_the_register_never_leads_out(
    tree: tuple[list[tuple[str, str]], str],
) -> None:
    check_links(*tree)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_like())
def test_the_loader_never_raises(data: bytes) -> None:
    check_one_file(data)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data: bytes) -> None:
    check_one_file(data)


# --- Secrets, slugs, spreadsheets ----------------------------------------------------------------

SENSOR = (
    "id: sensor-02\nname: Planned humidity sensor\ncategory: ot\ntype: sensor\nstatus: planned\n"
)
FORMS = [
    "password: {}",
    "pass: {}",
    "pin: {}",
    "aws_access_key_id: {}",
    "notes: service pw={}",
    "notes: Vendor key: {}",
    "notes: Kennwort: {}",
    "notes: password：{}",
    "notes: login admin:{}",
    "notes: https://:{}@feeds.example.com/",
    "notes: the WPA2 key is {}",
    "notes: Das Passwort lautet {}",
    "notes: Authorization: Bearer {}",
    "# token = {}",
    "notes: fine  # wifi_psk={}",
    '"password={}": true',
]
"""Credential forms REG-004 recognises whatever the value (``{}``)."""
SECRETS = st.from_regex(r"[A-Za-z]{4,8}[0-9]{2,4}[!#%&*_-]?[A-Za-z0-9]{2,6}", fullmatch=True)
"""Password-like values of eight characters or more: letters and digits, maybe a symbol."""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FORMS), SECRETS)
def test_a_credential_is_reg_004_and_in_no_output(form: str, secret: str) -> None:
    check_secret(form, secret)


def check_secret(form: str, secret: str) -> None:
    """The property: the credential is found, and no format of the check's output holds it."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "policy.yaml").write_bytes((EXAMPLE / "policy.yaml").read_bytes())
        (root / "devices").mkdir()
        line = form.format(secret)
        (root / "devices" / "sensor-02.yaml").write_text(SENSOR + line + "\n", "utf-8")
        result = evaluate(load_register(root), date(2026, 11, 25), select_rules(), "r")
        assert "REG-004" in {f.rule for f in result.findings}, line
        for name in FORMATS:
            assert secret not in render(name, result), (name, line)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80) | st.sampled_from(["CON", "nul", "Aux.backup", "LPT1", "com9."]))
def test_any_text_made_a_slug_is_a_slug(text: str) -> None:
    assert is_slug(slugify(text))


def _sample_xlsx() -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "name", "notes"])
    sheet.append(["cam-01", "Camera", "x"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


SAMPLE_XLSX = _sample_xlsx()


@st.composite
def sheet_like(draw: st.DrawFn) -> tuple[str, bytes]:
    """A workbook or CSV with random splices: random bytes, or 4-byte sizes turned huge."""
    name = draw(st.sampled_from(["x.xlsx", "x.csv"]))
    data = bytearray(SAMPLE_XLSX if name == "x.xlsx" else b"id,name\ncam-01,Camera\n")
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        piece = draw(st.one_of(st.binary(max_size=8), st.just(b"\xff\xff\xff\x7f")))
        data[at : at + len(piece)] = piece
    return name, bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheet_like())
def test_a_spreadsheet_reads_or_gives_one_sheet_error(sheet: tuple[str, bytes]) -> None:
    read_sheet_or_refuse(sheet)


def read_sheet_or_refuse(sheet: tuple[str, bytes]) -> None:
    """The property: a spreadsheet gives rows or a SheetError, nothing else."""
    name, data = sheet
    with contextlib.suppress(SheetError):
        read_sheet(name, data)

"""No value from the register, a file name, a scan, an advisory or git can print a line that a CI
runner reads as a workflow command (``::error``, ``::add-mask::``, the older ``##[``): the runner
trims leading white space, so an indented line counts too. Everything printed goes through
:func:`iotpolicy.grammar.escaping.terminal`; the formats meant to hold commands (``--format
github``) escape their values as the Actions toolkit does."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iotpolicy.grammar.escaping import no_commands, terminal
from tests.conftest import Run, edited_baseline, write_register
from tests.support.baseline import AS_OF
from tests.support.gitrepo import GitRepo

Cli = Callable[..., Run]
INJECTED = "::error file=README.md,line=1::INJECTED"
MASK = "::add-mask::hunter2"
COMMAND = re.compile(r"^\s*(::|##\[)", re.MULTILINE)
"""A line a runner reads as a command (Python's ``\\s`` is Unicode white space, as .NET trims)."""


def commands(text: str) -> list[str]:
    """The lines of ``text`` that a CI runner would run as workflow commands."""
    return [line for line in text.splitlines() if COMMAND.match(line)]


def everything(run: Run) -> str:
    return run.stdout + "\n" + run.stderr


PAYLOADS = [
    f"vpn\n{INJECTED}",
    f"vpn\r\n{MASK}",
    f"vpn\u2028{INJECTED}",
    "x\n  ##[error]legacy",
    *(f"{'word ' * n}{INJECTED}" for n in range(0, 40, 3)),  # wherever the table wraps
]


def test_check_text_table_prints_no_command(cli: Cli, tmp_path: Path) -> None:
    """References and texts the messages quote, in devices of every width."""
    edits: dict[str, object] = {}
    for n, payload in enumerate(PAYLOADS):
        device = edited_baseline({})["devices/cam-01.yaml"]
        device = json.loads(json.dumps(device))
        device.update(id=f"cam-{n + 10}", name=f"Camera {n}")
        device["network"] = {**device["network"], "segment": payload, "ip": f"10.30.1.{n + 50}"}
        edits[f"devices/cam-{n + 10}.yaml"] = device
    root = write_register(tmp_path / "register", edited_baseline(edits))
    (root / "devices" / f"cam-\n{INJECTED}.yaml").write_text("id: x\n", encoding="utf-8")
    for width in ("80", "120", "200"):
        run = cli("check", "--register", str(root), "--as-of", AS_OF, env={"COLUMNS": width})
        assert run.exit_code == 1
        assert "INJECTED" in run.stdout  # quoted, and harmless
        assert commands(everything(run)) == []


def test_history_prints_no_command_from_commit_subjects_authors_or_files(
    cli: Cli, tmp_path: Path
) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("register", "2026-01-01T09:00:00+00:00", edited_baseline({}))
    repo.commit(
        MASK,
        "2026-01-02T09:00:00+00:00",
        {"devices/cam-01.yaml": {**edited_baseline({})["devices/cam-01.yaml"], "notes": "x"}},
        name="\x1b]0;TITLE\x07::error::author",
    )
    repo.commit(
        f"  {INJECTED}", "2026-01-03T09:00:00+00:00", {f"::warning::{'file'}.txt": "hello\n"}
    )
    for fmt in ("text", "json"):
        run = cli("history", "--register", str(repo.register), "--format", fmt)
        assert run.exit_code == 0, run.stderr
        assert "add-mask" in run.stdout and "INJECTED" in run.stdout
        assert commands(everything(run)) == []
        assert "\x1b" not in run.stdout and "\x07" not in run.stdout


def test_reconcile_prints_no_command_from_a_hostname(cli: Cli, tmp_path: Path) -> None:
    root = write_register(tmp_path / "register", edited_baseline({}))
    scan = tmp_path / "scan.xml"
    scan.write_text(
        '<?xml version="1.0"?><nmaprun scanner="nmap" args="nmap 10.30.1.0/24">'
        '<host><status state="up"/><address addr="10.30.1.99" addrtype="ipv4"/>'
        '<hostnames><hostname name="cam&#10;::error file=README.md,line=1::INJECTED&#13;x"'
        ' type="PTR"/></hostnames></host></nmaprun>',
        encoding="utf-8",
    )
    for fmt in ("text", "markdown", "json"):
        run = cli("reconcile", str(scan), "--register", str(root), "--format", fmt)
        assert run.exit_code == 1, run.stderr
        assert "INJECTED" in run.stdout
        assert commands(everything(run)) == []
        assert "\r" not in run.stdout


def test_advisories_list_and_editing_commands_print_no_command(cli: Cli, tmp_path: Path) -> None:
    root = write_register(tmp_path / "register", edited_baseline({}))
    run = cli("add-vendor", "--register", str(root), "--id", "moxa", "--name", f"Moxa\n{INJECTED}")
    assert commands(everything(run)) == []
    csaf = tmp_path / "advisory.json"
    document = json.loads(
        (Path(__file__).parents[1] / "data" / "csaf" / "ssa-979901.json").read_text("utf-8")
    )
    document["document"]["title"] = f"Title\x1b]0;pwned\x07 {INJECTED}"
    document["document"]["notes"] = [
        {"category": "summary", "text": f"line one\n{MASK}", "title": "Summary"}
    ]
    csaf.write_text(json.dumps(document), encoding="utf-8")
    run = cli("advisories", "import", str(csaf), "--register", str(root))
    assert run.exit_code in (0, 1), run.stderr
    assert commands(everything(run)) == []
    record = (root / "advisories" / "ssa-979901.yaml").read_text("utf-8")
    assert "\x1b" not in record and "\\x1b]0;pwned\\x07" in json.loads(json.dumps(record))
    run = cli("advisories", "list", "--register", str(root))
    assert run.exit_code == 0, run.stderr
    assert "INJECTED" in run.stdout
    assert commands(everything(run)) == []
    assert cli("check", "--register", str(root), "--as-of", AS_OF, "--no-cache").exit_code in (0, 1)


def test_an_error_message_prints_no_command(cli: Cli, tmp_path: Path) -> None:
    run = cli("check", "--register", str(tmp_path / f"nowhere\n{INJECTED}"))
    assert run.exit_code == 2
    assert "INJECTED" in run.stderr
    assert commands(everything(run)) == []


@given(st.text(alphabet=st.sampled_from(list(":#[ \t\n\r\u2028\u3000\x0b\x1bab")), max_size=40))
def test_no_printed_line_is_ever_a_command(text: str) -> None:
    assert commands(terminal(text)) == []
    assert commands(terminal(text, one_line=True)) == []
    assert "\n" not in terminal(text, one_line=True)


@given(st.text(alphabet=st.sampled_from(list(":#[ \t\n\u3000\u00a0ab\x1b")), max_size=40))
def test_no_line_of_an_output_is_ever_a_command(text: str) -> None:
    """Output with colour codes (``\x1b`` kept) and line feeds only, as a terminal table."""
    assert commands(no_commands(text)) == []


@pytest.mark.parametrize("text", ["a :: b", "::", "x\n::", " ##[x"])
def test_text_reads_the_same_but_for_the_first_character(text: str) -> None:
    shown = terminal(text)
    assert shown.replace("\\x3a", ":").replace("\\x23", "#") == text

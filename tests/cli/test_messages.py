"""What a user reads when something is wrong: internal errors, bad dates, YAML tabs, a missing
register, and tables written to a pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DELETE, Run
from tests.support.baseline import AS_OF

Cli = Callable[..., Run]

# A command run in a fresh interpreter whose register lookup fails with a KeyError raised inside
# iotpolicy.domain.csaf (the function is compiled there), the key holding a credential read from a
# file.
BROKEN = """
import sys, types
import iotpolicy.domain.csaf
import iotpolicy.cli.commands.check as check

def broken(*args, key, **kwargs):
    facts = {}
    return facts[key]

check.find_register = types.FunctionType(broken.__code__, vars(iotpolicy.domain.csaf))
with open(sys.argv[1], encoding="utf-8") as handle:
    check.find_register.__kwdefaults__ = {"key": handle.read()}
sys.argv = ["iotpolicy", *sys.argv[2:]]
from iotpolicy.cli import main
main()
"""
LINE = "iotpolicy: internal error: KeyError in iotpolicy.domain.csaf; please report it"


def _broken(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    secret = tmp_path / "key.txt"
    secret.write_text("password: hunter2", encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if k != "IOTPOLICY_DEBUG"} | env
    return subprocess.run(
        [sys.executable, "-c", BROKEN, str(secret), *args],
        capture_output=True,
        text=True,
        env=environment,
    )


def test_an_internal_error_names_the_exception_and_the_module(tmp_path: Path) -> None:
    done = _broken(tmp_path, "check")
    assert done.returncode == 2
    assert done.stderr == f"{LINE} (run with --debug for the traceback)\n"
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("args", "env"),
    [(("--debug", "check"), {}), (("check",), {"IOTPOLICY_DEBUG": "1"})],
    ids=["--debug", "IOTPOLICY_DEBUG"],
)
def test_debug_prints_the_traceback_with_credentials_redacted(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    done = _broken(tmp_path, *args, **env)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert any("iotpolicy/cli/commands/check.py" in line for line in lines)
    assert "(redacted)" in lines  # the exception line: KeyError: 'password: hunter2'
    assert "hunter2" not in done.stderr
    assert lines[-1] == LINE


# --- dates -------------------------------------------------------------------------------------


def _date_commands(root: Path, value: str) -> list[tuple[str, list[str]]]:
    """(option, command line) for every date option outside the record fields."""
    reg = ["--register", str(root)]
    return [
        ("--as-of", ["check", *reg, "--as-of", value]),
        ("--as-of", ["report", *reg, "--as-of", value, "-o", str(root / "out")]),
        ("--as-of", ["export", "oscal", *reg, "--as-of", value]),
        ("--date", ["review", *reg, "--no-git", "--dry-run", "--date", value]),
        ("--as-of", ["review", *reg, "--no-git", "--dry-run", "--as-of", value]),
        (
            "--on",
            ["record-communication", *reg, "--on", value, "--channel", "x", "--audience", "y"],
        ),
        ("--received-on", ["advisories", "import", *reg, "--received-on", value, "x.json"]),
        ("--since", ["history", *reg, "--since", value]),
    ]


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("2025-13-01", "is not a real calendar date"),
        ("2025-02-29", "is not a real calendar date"),
        ("2025-1-01", "is not a date; write it as YYYY-MM-DD"),
    ],
)
def test_every_date_option_says_what_is_wrong_with_the_date(
    cli: Cli, make_register: Callable[..., Path], value: str, says: str
) -> None:
    root = make_register()
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    for option, args in _date_commands(root, value):
        run = cli(*args)
        assert (run.exit_code, run.stderr) == (2, f"iotpolicy: {option} '{value}' {says}\n"), args
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_a_record_date_field_says_it_is_not_a_real_date(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    run = cli("record-change", "plc-01", "--kind", "configuration", "--summary", "New rules.",
              "--date", "2025-13-01", "--register", str(root), "--no-interactive")  # fmt: skip
    assert run.exit_code == 2
    assert "iotpolicy: --date: is not a real calendar date" in run.stderr.splitlines()


def test_no_pydantic_prefix_reaches_a_user(
    cli: Cli, make_register: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_register({"devices/plc-01.yaml": {"network.ip": "10.20.1.300"}})
    check = cli("check", "--register", str(root), "--as-of", AS_OF)
    assert "network.ip: must be an IPv4 or IPv6 address" in check.stdout
    sheet = tmp_path / "devices.csv"
    sheet.write_text("id,name,IP address\ncam-09,Camera 9,not-an-ip\n", encoding="utf-8")
    imported = cli("import", "devices", str(sheet), "--register", str(make_register()))
    assert imported.exit_code != 0
    assert "must be an IPv4 or IPv6 address" in imported.stderr + imported.stdout
    for text in (check.stdout, check.stderr, imported.stdout, imported.stderr):
        assert "Value error" not in text


@pytest.mark.parametrize(
    "args",
    [
        ("check", "--format", "foo"),
        ("advisories", "list", "--format", "foo"),
        ("advisories", "triage", "ssa-1", "plc-01", "foo", "--by", "ole-hansen"),
        ("record-change", "plc-01", "--kind", "foo"),
    ],
)
def test_a_bad_choice_is_plain_words(
    cli: Cli, make_register: Callable[..., Path], args: tuple[str, ...]
) -> None:
    run = cli(*args, "--register", str(make_register()), env={"COLUMNS": "200"})
    assert run.exit_code == 2
    assert "'foo' is not one of" in run.stderr and "Value error" not in run.stderr


# --- loading -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("id: cam-01\nnetwork:\n\tsegment: iot-cams\n", "line 3, column 1"),
        ("id: cam-01\ndocumentation:\n  -\tdocs/a.pdf\n", "line 3, column 4"),
    ],
)
def test_a_tab_says_yaml_indents_with_spaces(
    cli: Cli, make_register: Callable[..., Path], text: str, where: str
) -> None:
    root = make_register({"devices/cam-01.yaml": text})
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "json")
    (finding,) = [f for f in run.json["findings"] if f["file"] == "devices/cam-01.yaml"]
    assert finding["rule"] == "REG-001"
    assert finding["line"] == 3
    assert finding["message"] == f"invalid YAML: a tab at {where}: YAML indents with spaces"


def test_no_register_found_suggests_init(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("IOTPOLICY_REGISTER", raising=False)
    run = cli("check")
    assert run.exit_code == 2
    assert run.stderr.startswith("iotpolicy: no register found")
    assert run.stderr.rstrip().endswith("or start one with iotpolicy init PATH)")
    other = cli("check", "--register", str(tmp_path))
    assert "(iotpolicy init PATH starts one)" in other.stderr


# --- output to a pipe ------------------------------------------------------------------------


def test_tables_written_to_a_pipe_have_no_trailing_spaces(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register(
        {"devices/cam-01.yaml": DELETE, "devices/sensor-02.yaml": DELETE,
         "devices/plc-01.yaml": {"access.accounts.0.shared": True,
                                 "network.access_approved_by": DELETE}}
    )  # fmt: skip
    check = cli("check", "--register", str(root), "--as-of", AS_OF)
    rules = cli("rules")
    for run in (check, rules):
        assert run.stdout.count("\n") > 3
        assert [line for line in run.stdout.splitlines() if line != line.rstrip()] == []
    assert check.stdout.splitlines()[-1].startswith("1 error, 1 warning, 0 suppressed; 1 device ")
    assert "ACC-003   plc-01    account 'ole-admin' is shared" in check.stdout


def test_ctrl_c_that_a_library_turns_into_its_own_error_still_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pydantic's serializer reports a Ctrl-C that lands inside it as a serialization error: that
    is still an interruption (exit 130, quietly), not an internal error."""
    import signal
    import time

    from iotpolicy import cli

    def command(standalone_mode: bool) -> None:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except KeyboardInterrupt:
            raise RuntimeError("Error calling function: KeyboardInterrupt") from None

    previous = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(cli, "load_commands", lambda argv: command)
    monkeypatch.setattr(cli, "_interrupted", [])
    monkeypatch.setattr(sys, "argv", ["iotpolicy", "check"])
    try:
        with pytest.raises(SystemExit) as ended:
            cli.main()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert ended.value.code == 130
    assert capsys.readouterr().err == ""

"""Shell completion: rule ids for ``--rule``, record ids from the register for the commands that
take them. The callbacks are tested directly and through typer's completion protocol."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from iotpolicy.cli import load_commands
from iotpolicy.cli.app import RegisterOption
from iotpolicy.cli.completion import (
    complete_device_id,
    complete_exception_id,
    complete_record_id,
    complete_rule_id,
    complete_segment_id,
    complete_vendor_id,
)
from tests.conftest import DELETE

app = load_commands()


def context(register: str | None = None, parent: typer.Context | None = None) -> typer.Context:
    """A context of iotpolicy's command, built with typer's API as typer builds the ones it hands
    to completion callbacks."""
    ctx = typer.Context(typer.main.get_command(app), parent=parent)
    ctx.params = {"register": register} if register else {}
    return ctx


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No IOTPOLICY_REGISTER, and a working directory where discovery finds nothing."""
    monkeypatch.delenv("IOTPOLICY_REGISTER", raising=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)


@pytest.mark.usefixtures("no_env")
def test_ids_come_from_the_register_named_on_the_command_line(
    make_register: Callable[..., Path],
) -> None:
    root = make_register({"devices/cam-02.yaml": {"id": "cam-02"}})
    ctx = context(str(root))
    assert complete_device_id(ctx, "") == ["cam-01", "cam-02", "plc-01", "sensor-02"]
    assert complete_device_id(ctx, "cam") == ["cam-01", "cam-02"]
    assert complete_vendor_id(ctx, "") == ["axis", "siemens"]
    assert complete_segment_id(ctx, "o") == ["office", "ot-line1"]
    assert complete_exception_id(ctx, "") == []
    assert complete_record_id(ctx, "") == [
        "axis",
        "cam-01",
        "cam-02",
        "iot-cams",
        "mgmt",
        "office",
        "ot-line1",
        "plc-01",
        "sensor-02",
        "siemens",
    ]


def test_ids_come_from_the_environment_or_discovery(
    make_register: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_register()
    monkeypatch.setenv("IOTPOLICY_REGISTER", str(root))
    assert complete_vendor_id(context(), "") == ["axis", "siemens"]
    monkeypatch.delenv("IOTPOLICY_REGISTER")
    monkeypatch.chdir(root / "devices")
    assert complete_device_id(context(), "p") == ["plc-01"]
    parent = context()
    child = context(parent=parent)
    parent.params = {"register": str(root)}
    monkeypatch.chdir(root.parent)
    assert complete_segment_id(child, "mg") == ["mgmt"]


@pytest.mark.usefixtures("no_env")
def test_completion_never_raises(make_register: Callable[..., Path], tmp_path: Path) -> None:
    assert complete_device_id(context(), "") == []  # no register anywhere
    assert complete_device_id(context(str(tmp_path / "missing")), "") == []
    not_a_register = tmp_path / "file.txt"
    not_a_register.write_text("x", encoding="utf-8")
    assert complete_vendor_id(context(str(not_a_register)), "") == []
    root = make_register({"vendors/axis.yaml": DELETE, "vendors/siemens.yaml": DELETE})
    assert complete_vendor_id(context(str(root)), "") == []  # no vendors folder
    assert complete_device_id(None, "") == []  # type: ignore[arg-type]


def test_rule_ids_complete_with_their_titles() -> None:
    assert complete_rule_id("SEG-00") == [
        ("SEG-001", "Active devices are assigned a network segment"),
        ("SEG-002", "Devices sit in a zone of their category"),
        ("SEG-003", "Device addresses fit their segment and are unique"),
        ("SEG-004", "Flows between zones are concrete and allowed"),
    ]
    assert [rule for rule, _ in complete_rule_id("po")] == [
        "POL-001",
        "POL-002",
        "POL-003",
        "POL-004",
        "POL-005",
    ]
    assert len(complete_rule_id("")) == 33


def test_check_rule_completes_through_the_installed_command(tmp_path: Path) -> None:
    """The shell's side of ``--install-completion``: the program called back with the words."""
    script = Path(sys.executable).parent / "iotpolicy"
    env = {**os.environ, "_IOTPOLICY_COMPLETE": "complete_bash"}
    env |= {"COMP_WORDS": "iotpolicy check --rule VEN", "COMP_CWORD": "3"}
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["VEN-001", "VEN-002", "VEN-003"]


def test_record_ids_complete_through_typer(make_register: Callable[..., Path]) -> None:
    """A command taking a device id (as ``history ID`` and ``record-change ID`` do) completes it,
    with the register taken from ``--register`` earlier on the line."""
    demo = typer.Typer()

    @demo.command()
    def show(
        device: str = typer.Argument(..., autocompletion=complete_device_id),
        register: str | None = RegisterOption,
        vendor: str | None = typer.Option(None, autocompletion=complete_vendor_id),
    ) -> None:
        """Show one device."""

    @demo.command()
    def other() -> None:
        """A second command, so that ``show`` is a subcommand."""

    root = make_register()
    runner = CliRunner()

    def complete(words: str) -> list[str]:
        env = {"_DEMO_COMPLETE": "complete_bash", "COMP_WORDS": words}
        env["COMP_CWORD"] = str(len(words.split()) - (0 if words.endswith(" ") else 1))
        result = runner.invoke(demo, [], prog_name="demo", env=env)
        return result.stdout.split()

    assert complete(f"demo show --register {root} p") == ["plc-01"]
    assert complete(f"demo show --register {root} ") == ["cam-01", "plc-01", "sensor-02"]
    assert complete(f"demo show plc-01 --register {root} --vendor s") == ["siemens"]


def test_install_completion_is_offered() -> None:
    """typer's --install-completion / --show-completion stay on the root command."""
    run = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert run.exit_code == 0
    assert "--install-completion" in run.stdout and "--show-completion" in run.stdout

"""Control characters written as YAML escapes (``"vpn\\e]0;TITLE\\a"``) are refused as the raw
bytes are: ``check`` names the field (REG-001) without the text, the editing commands refuse to
write them, and an export never meets one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import Run, edited_baseline, write_register
from tests.support.baseline import AS_OF

Cli = Callable[..., Run]
ESCAPED = '"vpn\\e]0;TITLE\\a\\e[8mHIDDEN\\x9b31m\\0"'


def _register(tmp_path: Path) -> Path:
    edits = {"devices/cam-01.yaml": {"access.remote_access": "PLACEHOLDER"}}
    root = write_register(tmp_path / "register", edited_baseline(edits))
    path = root / "devices" / "cam-01.yaml"
    path.write_text(path.read_text("utf-8").replace("PLACEHOLDER", ESCAPED), encoding="utf-8")
    return root


def test_check_names_the_field_and_never_the_text(cli: Cli, tmp_path: Path) -> None:
    run = cli("check", "--register", str(_register(tmp_path)), "--as-of", AS_OF, "-f", "json")
    assert run.exit_code == 1
    [finding] = [f for f in run.json["findings"] if f["file"] == "devices/cam-01.yaml"]
    assert finding["rule"] == "REG-001"
    assert finding["message"].startswith("access.remote_access: control character U+001B")
    assert "HIDDEN" not in run.stdout and "TITLE" not in run.stdout


def test_export_xlsx_refuses_in_one_line(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "devices.xlsx"
    root = _register(tmp_path)
    run = cli("export", "devices", "--register", str(root), "--format", "xlsx", "-o", str(out))
    assert run.exit_code == 1
    assert run.stderr.splitlines() == [
        "iotpolicy: refused: 1 device file not valid (devices/cam-01.yaml); fix them first "
        "(iotpolicy check); nothing was written"
    ]
    assert not out.exists()


def test_an_editing_command_does_not_write_a_control_character(cli: Cli, tmp_path: Path) -> None:
    root = write_register(tmp_path / "register", edited_baseline({}))
    run = cli("add-vendor", "--register", str(root), "--id", "moxa", "--name", "Moxa\x1b[8m")
    assert run.exit_code == 1
    assert "name: control character U+001B in the value" in run.stderr
    assert not (root / "vendors" / "moxa.yaml").exists()

"""``check --progress``: a bar on a terminal for large registers, never in CI or machine output."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from iotpolicy.cli.app import PROGRESS_THRESHOLD, wants_progress
from tests.conftest import Run
from tests.support.paths import REPO

EXAMPLE = REPO / "register"
BAR = b"Reading the register"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run_on_terminal(args: list[str], tmp_path: Path, **env: str) -> tuple[int, bytes]:
    """Run the CLI with stderr on a pseudo-terminal; (exit code, what the terminal showed)."""
    master, slave = os.openpty()
    environment = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS")}
    environment.update(TERM="xterm-256color", COLUMNS="100", **env)
    with (tmp_path / "stdout").open("wb") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "iotpolicy", *args],
            stdout=stdout,
            stderr=slave,
            env=environment,
        )
        os.close(slave)
        shown = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal is gone: the process has ended
                break
            if not chunk:
                break
            shown += chunk
        os.close(master)
        return process.wait(), shown


def copy_example(tmp_path: Path, extra_devices: int = 0) -> Path:
    root = tmp_path / "register"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".iotpolicy-cache"))
    template = (root / "devices" / "plc-line1-01.yaml").read_text(encoding="utf-8")
    for n in range(extra_devices):
        device = template.replace("plc-line1-01", f"plc-extra-{n:05d}").replace(
            "status: active", "status: planned"
        )
        (root / "devices" / f"plc-extra-{n:05d}.yaml").write_text(device, encoding="utf-8")
    return root


def check_args(root: Path, *extra: str) -> list[str]:
    return ["check", "--register", str(root), "--as-of", "2026-11-25", "--no-cache", *extra]


def test_the_bar_appears_on_a_terminal_when_asked(tmp_path: Path) -> None:
    code, shown = run_on_terminal(check_args(copy_example(tmp_path), "--progress"), tmp_path)
    assert code == 1
    assert BAR in shown


def test_a_small_register_shows_no_bar_by_default(tmp_path: Path) -> None:
    code, shown = run_on_terminal(check_args(copy_example(tmp_path)), tmp_path)
    assert code == 1
    assert BAR not in shown


def test_a_large_register_shows_the_bar_by_default_but_not_in_ci_or_json(tmp_path: Path) -> None:
    root = copy_example(tmp_path, extra_devices=PROGRESS_THRESHOLD - 20)
    _, shown = run_on_terminal(check_args(root), tmp_path)
    assert BAR in shown
    assert b"/" + str(PROGRESS_THRESHOLD + 13).encode() in shown  # n of all device files
    _, shown = run_on_terminal(check_args(root), tmp_path, CI="true")
    assert BAR not in shown
    _, shown = run_on_terminal(check_args(root, "--format", "json"), tmp_path)
    assert BAR not in shown


def test_never_when_stderr_is_not_a_terminal(cli: Callable[..., Run], tmp_path: Path) -> None:
    done = cli(*check_args(copy_example(tmp_path), "--progress", "--format", "json"))
    assert done.exit_code == 1
    assert "Reading" not in done.stderr
    assert done.json["summary"]["devices"] == 33


@pytest.mark.parametrize(
    ("choice", "machine", "ci", "expected"),
    [
        (None, False, "", True),
        (None, True, "", False),
        (None, False, "true", False),
        (True, True, "true", True),
        (False, False, "", False),
    ],
)
def test_the_decision(
    choice: bool | None, machine: bool, ci: str, expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", ci)
    if not ci:
        monkeypatch.delenv("CI")
    assert wants_progress(choice, machine, Terminal()) is expected
    assert wants_progress(True, machine, io.StringIO()) is False

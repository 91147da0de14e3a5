"""The prompts of every interactive command, through the real CLI: Ctrl-C and Ctrl-D on a terminal
(a pseudo-terminal), answers piped in that run out, refusals known before the first prompt, and
the answers kept as a command line when a refusal comes after them."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Run

Cli = Callable[..., Run]
CTRL_C, CTRL_D = b"\x03", b"\x04"


def files_of(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (but the lock file) and its bytes; empty when it does not exist."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".iotpolicy.lock"
    }


def prompting(root: Path, tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    """Each interactive command, run on the register ``root``: its arguments and the label of
    its first prompt."""
    register = ["--register", str(root)]
    return {
        "add-device": (["add-device", *register], "Device id"),
        "add-vendor": (["add-vendor", *register], "Vendor id"),
        "add-segment": (["add-segment", *register], "Segment id"),
        "add-person": (["add-person", *register], "Person id"),
        "add-exception": (["add-exception", *register], "Exception id"),
        "retire": (["retire", "plc-01", *register], "Done by"),
        "record-change": (
            ["record-change", "sensor-02", "--kind", "configuration", *register],
            "Done by",
        ),
        "init": (["init", str(tmp_path / "new-register")], "Organisation"),
        "review": (["review", "--no-git", "--date", "2026-01-10", *register], "New version"),
    }


COMMANDS = (
    "add-device",
    "add-vendor",
    "add-segment",
    "add-person",
    "add-exception",
    "retire",
    "record-change",
    "init",
    "review",
)


# --- answers piped in that run out: a usage error naming the prompt ---------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_piped_answers_that_run_out_are_a_usage_error_naming_the_prompt(
    cli: Cli, make_register: Callable[..., Path], tmp_path: Path, command: str
) -> None:
    root = make_register()
    before = files_of(root)
    args, label = prompting(root, tmp_path)[command]
    run = cli(*args, "--interactive", input="")
    assert (run.exit_code, run.stderr) == (2, f"iotpolicy: input ended at '{label}'\n")
    assert files_of(root) == before
    assert not (tmp_path / "new-register").exists()


def test_the_label_named_is_the_prompt_where_the_answers_ran_out(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    run = cli("add-device", "--register", str(root), "--interactive", input="cam-09\nYard cam\n")
    assert (run.exit_code, run.stderr) == (2, "iotpolicy: input ended at 'Category'\n")
    assert run.stdout.endswith("Category (iot, ot): \n")  # the prompt's line is ended
    assert not (root / "devices/cam-09.yaml").exists()


# --- Ctrl-C and Ctrl-D on a terminal: exit 130, quietly, nothing written -----------------------


def on_a_terminal(args: list[str], label: str, key: bytes, timeout: float = 120) -> tuple[int, str]:
    """Run the console script on a pseudo-terminal, press ``key`` at the prompt ``label`` (once it
    waits for the answer) and return the exit code and everything the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the terminal is its standard input, output and error
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # as in a shell (not ignored, as in CI jobs)
        os.execv(sys.executable, [sys.executable, "-m", "iotpolicy", *args])
    shown, pressed = b"", False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not pressed and label.encode() in shown and shown.endswith(b": "):
                time.sleep(0.3)  # as a person would: the prompt is reading by then
                os.write(fd, key)
                pressed = True
            if select.select([fd], [], [], 0.05)[0]:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:  # EIO: the child has ended and the terminal is gone
                    break
                if not chunk:
                    break
                shown += chunk
        else:
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"the command did not end: {shown.decode(errors='replace')}")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert pressed, shown
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


@pytest.mark.parametrize(
    ("command", "key"),
    [
        ("add-device", CTRL_C),
        ("add-device", CTRL_D),
        ("add-exception", CTRL_D),
        ("retire", CTRL_C),
        ("record-change", CTRL_D),
        ("init", CTRL_C),
        ("review", CTRL_D),
    ],
    ids=lambda value: {CTRL_C: "ctrl-c", CTRL_D: "ctrl-d"}.get(value, value),
)
def test_ctrl_c_or_ctrl_d_at_a_prompt_ends_quietly_with_130_writing_nothing(
    make_register: Callable[..., Path], tmp_path: Path, command: str, key: bytes
) -> None:
    root = make_register()
    before = files_of(root)
    args, label = prompting(root, tmp_path)[command]
    code, shown = on_a_terminal(args, label, key)
    assert code == 130, shown
    after_prompt = shown[shown.rindex(label) :]
    assert "iotpolicy" not in after_prompt and "Abort" not in after_prompt, after_prompt
    assert "Traceback" not in shown
    assert files_of(root) == before
    assert not (tmp_path / "new-register").exists()

"""The prompts of every interactive command, through the real CLI: Ctrl-C and Ctrl-D on a terminal
(a pseudo-terminal), answers piped in that run out, refusals known before the first prompt, and
the answers kept as a command line when a refusal comes after them."""

from __future__ import annotations

import os
import pty
import select
import shlex
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from iotpolicy.yamlio.load import parse_text
from tests.cli.test_edit_change import COMMISSIONING_FACTS
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
        "review": (["review", "--no-git", *register], "New version"),
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


# --- refusals known before the first prompt come before it --------------------------------------


KNOWN_REFUSALS = {
    "commissioning into a zone not of its category": (
        {"devices/sensor-02.yaml": {"network": {"segment": "office", "ip": "10.40.0.9"}}},
        ["record-change", "sensor-02", "--kind", "commissioning"],
        1,
        [
            "devices/sensor-02.yaml:8: SEG-002: ot device in segment 'office' of zone "
            "'corporate' (expected zone 'ot')",
            "iotpolicy: refused: sensor-02 does not meet the rules for an active device yet "
            "(1 problem); nothing was written",
        ],
    ),
    "a change to a retired device": (
        {"devices/sensor-02.yaml": {"status": "retired"}},
        ["record-change", "sensor-02", "--kind", "configuration"],
        1,
        ["iotpolicy: sensor-02 is retired; its record no longer changes (nothing was written)"],
    ),
    "an id that exists": (
        {},
        ["add-device", "--id", "cam-01"],
        1,
        [
            "iotpolicy: refused: device cam-01 already exists (devices/cam-01.yaml); nothing was "
            "written"
        ],
    ),
    "an address in use": (
        {},
        ["add-device", "--id", "cam-09", "--segment", "iot-cams", "--ip", "10.30.1.21"],
        1,
        [
            "devices/cam-09.yaml:5: network.ip: 10.30.1.21 is already used by cam-01 "
            "(devices/cam-01.yaml)",
            "iotpolicy: refused: devices/cam-09.yaml would not be valid (1 problem); nothing was "
            "written",
        ],
    ),
    "an unknown person retiring": (
        {},
        ["retire", "plc-01", "--by", "nobody"],
        1,
        [
            "iotpolicy: refused: --by: 'nobody' is not a known person; known: anna-berg, "
            "ole-hansen; add it with iotpolicy add-person; nothing was written"
        ],
    ),
    "a review dated before the revision in force": (
        {},
        ["review", "--no-git", "--date", "2026-01-10"],
        1,
        [
            "iotpolicy: refused: the review date 2026-01-10 is before revision 1.1 of "
            "2026-06-01; nothing was written"
        ],
    ),
    "a review approved by someone not a general manager": (
        {},
        ["review", "--no-git", "--approver", "ole-hansen"],
        1,
        [
            "iotpolicy: refused: 'ole-hansen' is not a general manager and cannot approve the "
            "policy (general managers: anna-berg); nothing was written"
        ],
    ),
}


@pytest.mark.parametrize(
    ("edits", "args", "code", "expected"), KNOWN_REFUSALS.values(), ids=KNOWN_REFUSALS.keys()
)
def test_a_refusal_no_answer_can_change_comes_before_the_first_prompt(
    cli: Cli,
    make_register: Callable[..., Path],
    edits: dict[str, object],
    args: list[str],
    code: int,
    expected: list[str],
) -> None:
    root = make_register(edits)
    before = files_of(root)
    run = cli(*args, "--register", str(root), "--interactive", input="")
    assert (run.exit_code, run.stdout, run.stderr.splitlines()) == (code, "", expected)
    assert files_of(root) == before


def test_init_refuses_a_folder_holding_a_register_before_asking(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    run = cli("init", str(root), "--interactive", input="")
    assert (run.exit_code, run.stdout) == (2, "")
    assert run.stderr == (
        f"iotpolicy: {root} already holds a register (policy.yaml); nothing was written\n"
    )


def test_a_problem_an_answer_can_remove_is_still_asked_about(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    """A commissioning of a device that lacks facts is not refused before the prompts: they ask
    for those facts."""
    root = make_register()
    run = cli("record-change", "sensor-02", "--register", str(root), "--kind", "commissioning",
              "--interactive", input="")  # fmt: skip
    assert (run.exit_code, run.stderr) == (2, "iotpolicy: input ended at 'Done by'\n")


# --- a refusal after the answers keeps them as a command line ------------------------------------


def kept(stderr: str) -> list[str]:
    """The command line of the refusal's answers-kept line, as words."""
    prefix = "Your answers as options, to run it again: "
    lines = [line for line in stderr.splitlines() if line.startswith(prefix)]
    assert len(lines) == 1, stderr
    return shlex.split(lines[0].removeprefix(prefix))


def test_a_refused_commissioning_prints_the_answers_as_a_command_that_runs(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    answers = ["ole-hansen", "Installed in hall B", "siemens", "SIMATIC HS-2", *[""] * 60]
    run = cli("record-change", "sensor-02", "--register", str(root), "--kind", "commissioning",
              "--date", "2026-11-20", "--interactive", input="\n".join(answers))  # fmt: skip
    assert run.exit_code == 1
    assert run.stderr.splitlines()[-1].startswith("iotpolicy: refused: sensor-02 does not meet")
    words = kept(run.stderr)
    assert words == [
        "iotpolicy", "record-change", "sensor-02", "--kind", "commissioning",
        "--register", str(root), "--date", "2026-11-20", "--by", "ole-hansen",
        "--summary", "Installed in hall B", "--vendor", "siemens", "--model", "SIMATIC HS-2",
    ]  # fmt: skip
    again = cli(*words[1:], *COMMISSIONING_FACTS, "--no-interactive")
    assert again.exit_code == 0, again.stderr
    data = parse_text((root / "devices/sensor-02.yaml").read_text(encoding="utf-8")).data
    assert (data["status"], data["vendor"], data["model"]) == ("active", "siemens", "SIMATIC HS-2")
    assert data["changes"][-1]["summary"] == "Installed in hall B"


def test_a_refused_active_device_prints_every_answer_and_option_as_a_command(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    answers = ["cam-09", "Yard camera", "iot", "camera", "axis", "", "", "active", *[""] * 60]
    run = cli("add-device", "--register", str(root), "--interactive", "--no-logging",
              input="\n".join(answers))  # fmt: skip
    assert run.exit_code == 1
    assert kept(run.stderr) == [
        "iotpolicy", "add-device", "--register", str(root), "--id", "cam-09",
        "--name", "Yard camera", "--category", "iot", "--type", "camera", "--vendor", "axis",
        "--status", "active", "--no-logging",
    ]  # fmt: skip
    assert not (root / "devices/cam-09.yaml").exists()


def test_the_answers_kept_never_repeat_a_value_that_looks_like_a_credential(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    before = files_of(root)
    answers = ["", "", "Gateways added; their login is admin/admin", "ole-hansen", "",
               "Yes.", "Yes.", "None.", "None."]  # fmt: skip
    run = cli("review", "--register", str(root), "--no-git", "--date", "2026-11-20",
              "--interactive", input="\n".join(answers) + "\n")  # fmt: skip
    assert run.exit_code == 1
    assert "admin/admin" not in run.stderr
    line = next(line for line in run.stderr.splitlines() if line.startswith("Your answers"))
    assert line.startswith(
        "Your answers as options, to run it again (--summary left out: it looks like a "
        "credential): iotpolicy review "
    )
    words = shlex.split(line.split(": ", 1)[1])
    assert "--summary" not in words
    assert words[words.index("--reviewer") + 1] == "ole-hansen"
    assert words[words.index("--approver") + 1] == "anna-berg"
    assert "--answer" in words and "laws=None." in words
    assert files_of(root) == before

"""Interrupted writes with real processes and real signals: Ctrl-C and kill at any moment of a
write leave the old file or the new one, never a temporary file or a held lock.

test_edit_safety.py injects a failure at the rename in-process; here a process running
``record-change`` is killed with SIGKILL (no clean-up code runs) or interrupted with SIGINT
(Ctrl-C) at seeded moments spread over its run, and at moments known to be inside the write
window. After each interruption the device file must parse, be one of the complete versions the
writer produced (no lost or half change), check must find no REG-001 in it, the lock must be free
and any temporary file left behind must be invisible to the loader.

To keep the suite fast, the killed processes are forked from a *zygote*: one Python process that
imports iotpolicy once, then forks a child per round. To hit the write window reliably, the zygote
pauses :data:`PAUSE` seconds once a temporary file is created (as when ``open`` blocks in the
kernel) and before a file is synced (written and flushed, not renamed yet), and tells the test
when each pause begins; some rounds aim at those pauses (the aimed one lasts until the signal
comes, up to :data:`AIMED_PAUSE` seconds, so a loaded machine cannot make the test miss it), the
others land where their seeded delay puts them.
"""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from iotpolicy.fsio import register_lock
from iotpolicy.yamlio.load import parse_text
from tests.conftest import Run
from tests.support.paths import REPO

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX signals and fork")

Cli = Callable[..., Run]
EXAMPLE = REPO / "register"
DEVICE = "plc-line1-01"
REL = f"devices/{DEVICE}.yaml"
PAUSE = 0.05
"""Seconds the zygote's children pause on creating and on syncing a temporary file: the write
window made wide."""
AIMED_PAUSE = 20.0
"""Seconds a child waits at the pause a round aims at: the signal ends it long before."""

ZYGOTE = r'''
import json, os, signal, stat, sys, time, traceback
from contextlib import contextmanager

# Started from a shell without job control SIGINT would be ignored; Ctrl-C must reach us.
signal.signal(signal.SIGINT, signal.default_int_handler)
from typer.testing import CliRunner
from iotpolicy.writing import draft as editing
from iotpolicy.cli import load_commands, main

app = load_commands(["record-change"])
DEVICE, PAUSE, AIMED_PAUSE = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
PROTO = 1  # where the protocol lines go (the pipe to the test)
AIM, AIM_TIMES, PAUSES = "", 0, {}  # the pause this child is aimed at (its AIM_TIMES-th one)
real_open, real_fsync, real_lock = os.open, os.fsync, editing.register_lock


def say(text):
    os.write(PROTO, f"{text}\n".encode())


def pause(what):
    """Pause, telling the test when the pause begins and when a signal ends it; the pause the
    test aims at lasts until its signal comes."""
    PAUSES[what] = PAUSES.get(what, 0) + 1
    aimed = what == AIM and PAUSES[what] == AIM_TIMES
    try:  # the pause begins when it is announced: a signal right after the line is inside it
        say(what)
        time.sleep(AIMED_PAUSE if aimed else PAUSE)
    except BaseException:
        say(f"interrupted-in-{what}")
        raise


def slow_open(file, flags, *args, **kwargs):
    """Pause once a temporary file is created: as when open() blocks in the kernel and a
    Ctrl-C arriving meanwhile is raised the moment it returns."""
    fd = real_open(file, flags, *args, **kwargs)
    if os.fspath(file).endswith(".tmp"):
        pause("created")
    return fd


def slow_fsync(fd):
    """Pause before syncing a file (not a folder): the temporary file is written, not renamed."""
    if stat.S_ISREG(os.fstat(fd).st_mode):
        pause("fsync")
    real_fsync(fd)


@contextmanager
def noted_lock(root, timeout=None):
    with real_lock(root, timeout):
        say("locked")
        yield


os.open, os.fsync = slow_open, slow_fsync
editing.register_lock = noted_lock


def change(root, summary):
    return ["record-change", DEVICE, "--register", root, "--kind", "configuration",
            "--summary", summary]


def loop(root, tag):
    """record-change after record-change, in-process, until killed."""
    runner = CliRunner()
    for n in range(500):
        result = runner.invoke(app, change(root, f"{tag} change {n}"))
        if result.exit_code:
            say(f"failed {result.exit_code} {result.output!r} {result.exception!r}")
            return 1
        say("wrote")
    return 0


def run_main(root, tag, out, err):
    """The console script's main() once, its stdout and stderr to files."""
    global PROTO
    PROTO = os.dup(1)
    for fd, name, flags in ((0, os.devnull, os.O_RDONLY), (1, out, os.O_WRONLY | os.O_CREAT),
                            (2, err, os.O_WRONLY | os.O_CREAT)):
        os.dup2(os.open(name, flags, 0o644), fd)
    sys.argv = ["iotpolicy", *change(root, tag)]
    try:
        main()
        code = 0
    except SystemExit as exc:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a late Ctrl-C is not main()'s doing
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except BaseException:  # what the interpreter would print for what main() let through
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    return code


say("ready")
while True:
    line = sys.stdin.readline()
    if not line:
        break
    mode, AIM, times, *args = json.loads(line)
    AIM_TIMES = int(times)
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            code = loop(*args) if mode == "loop" else run_main(*args)
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    say(f"pid {pid}")
    sys.stdin.readline()  # reaped only when the test says so: its pid stays valid until then
    _, status = os.waitpid(pid, 0)
    say(f"exit {os.waitstatus_to_exitcode(status)}")
'''


class Zygote:
    """The zygote process and its protocol: each round forks one child and reports its lines."""

    def __init__(self, workdir: Path) -> None:
        self.stderr = (workdir / "zygote.err").open("w+b")
        self.process = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE, DEVICE, str(PAUSE), str(AIMED_PAUSE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            bufsize=0,
        )
        self.buffer = b""
        assert self.line(timeout=60) == "ready"

    def line(self, timeout: float = 120.0) -> str:
        """The next protocol line; fails (with the zygote's stderr) when none comes."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            ready = remaining > 0 and select.select([fd], [], [], remaining)[0]
            chunk = os.read(fd, 65536) if ready else b""
            if not chunk:
                self.stderr.seek(0)
                pytest.fail(f"the zygote went silent: {self.stderr.read().decode()[-3000:]}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def send(self, *words: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps([str(w) for w in words]).encode() + b"\n")

    def start(
        self, mode: str, *words: object, aim: str = "", times: int = 1
    ) -> tuple[int, list[str]]:
        """Fork a child running ``mode`` with ``words``, aimed at its ``times``-th ``aim`` pause
        (``created`` or ``fsync``; none when empty); its pid and the lines seen before the pid."""
        self.send(mode, aim, times, *words)
        seen: list[str] = []
        while not (line := self.line()).startswith("pid "):
            seen.append(line)
        return int(line.split()[1]), seen

    def until(self, wanted: str, seen: list[str], times: int = 1) -> None:
        """Read lines into ``seen`` until it holds ``wanted`` ``times`` times."""
        while seen.count(wanted) < times:
            seen.append(line := self.line())
            assert not line.startswith("failed"), line

    def reap(self, seen: list[str]) -> int:
        """Let the zygote reap the child; its exit code (negative: the signal that ended it)."""
        self.send("reap")
        while not (line := self.line()).startswith("exit "):
            seen.append(line)
        return int(line.split()[1])

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.stderr.close()


@pytest.fixture(scope="module")
def zygote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zygote]:
    process = Zygote(tmp_path_factory.mktemp("zygote"))
    yield process
    process.close()


@pytest.fixture
def register(tmp_path: Path) -> Path:
    """A copy of the example register (without its check cache, lock and temporary files)."""
    root = tmp_path / "register"
    shutil.copytree(
        EXAMPLE,
        root,
        ignore=shutil.ignore_patterns(".iotpolicy-cache", ".iotpolicy.lock", ".*.tmp"),
    )
    return root


def temporaries(root: Path) -> set[str]:
    """Temporary files of the atomic writer in the device folder."""
    return {p.name for p in (root / "devices").iterdir() if p.name.endswith(".tmp")}


def changes(root: Path) -> tuple[str, list[Any]]:
    """The device file's text and its change entries (the file must parse without problems)."""
    text = (root / REL).read_text(encoding="utf-8")
    parsed = parse_text(text)
    assert parsed.problems == (), parsed.problems
    entries = parsed.data["changes"]
    assert isinstance(entries, list)
    return text, entries


def added(entries: list[Any], before: int) -> list[str]:
    """Summaries of the configuration changes after the first ``before`` entries, each complete."""
    summaries = []
    for entry in entries[before:]:
        assert isinstance(entry, dict), entry
        assert set(entry) == {"date", "kind", "summary"}, entry
        assert entry["kind"] == "configuration", entry
        summaries.append(entry["summary"])
    return summaries


def assert_lock_free(root: Path) -> None:
    """The register's lock can be taken: a dead process holds no lock (RegisterLocked else)."""
    with register_lock(root, timeout=5.0):
        pass


def assert_checked_clean(cli: Cli, root: Path) -> None:
    """check reads the device as a valid record and never reads a temporary file."""
    run = cli("check", "--register", str(root), "--format", "json")
    assert run.exit_code in (0, 1), run.stderr
    findings = run.json["findings"]
    assert [f for f in findings if f["rule"] == "REG-001" and f["file"] == REL] == []
    assert [f for f in findings if ".tmp" in (f["file"] or "")] == []


def record_change(root: Path, summary: str) -> list[str]:
    """The arguments of a configuration change to the device."""
    change = ["record-change", DEVICE, "--register", str(root)]
    return [*change, "--kind", "configuration", "--summary", summary]


def real_record_change(root: Path, summary: str) -> subprocess.CompletedProcess[str]:
    """The installed CLI, run as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "iotpolicy", *record_change(root, summary)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,  # generous: a real fsync can stall for long on a busy disk
    )


def test_sigkill_at_any_moment_leaves_a_complete_file_and_a_free_lock(
    zygote: Zygote, register: Path, cli: Cli
) -> None:
    """28 processes doing record-change after record-change on one device are SIGKILLed: 14 after
    seeded delays, 7 just after a temporary file is created, 7 while one is synced. No kill loses
    or halves a change, none leaves the lock held."""
    original, entries = changes(register)
    count = len(entries)
    expected: list[str] = []
    rng = random.Random(20240611)
    left: set[str] = set()
    hits = 0
    for round_ in range(28):
        tag = f"kill{round_}"
        aim = {1: "created", 3: "fsync"}.get(round_ % 4, "")  # the 1st or 2nd write's window
        times = round_ // 4 % 2 + 1
        pid, seen = zygote.start("loop", register, tag, aim=aim, times=times)
        if aim:
            zygote.until(aim, seen, times=times)
        else:
            time.sleep(rng.uniform(0.0, 0.3))
        os.kill(pid, signal.SIGKILL)
        assert zygote.reap(seen) == -signal.SIGKILL
        assert not [line for line in seen if line.startswith("failed")], seen

        text, entries = changes(register)
        assert text.startswith(original)  # nothing but appended changes, whole ones
        wrote = seen.count("wrote")
        mine = added(entries, count + len(expected))
        # The kill may land after the rename but before the child said so.
        assert mine in [[f"{tag} change {n}" for n in range(k)] for k in (wrote, wrote + 1)]
        expected += mine
        assert added(entries, count) == expected

        now = temporaries(register)
        assert left <= now and len(now - left) <= 1
        hits += len(now - left)
        left = now
        assert all(name.startswith(f".{DEVICE}.yaml.") for name in left)  # the loader skips them
        assert_lock_free(register)
        assert_checked_clean(cli, register)

    print(f"\n28 SIGKILLs, {hits} inside the write window; {len(left)} temporary files left")
    assert hits >= 7  # the window was hit (14 kills aim at it)
    assert len(left) == hits  # nothing removes a killed writer's temporary file: they pile up
    done = real_record_change(register, "after the kills")
    assert done.returncode == 0, done.stderr
    assert added(changes(register)[1], count) == [*expected, "after the kills"]
    assert_checked_clean(cli, register)


def test_ctrl_c_at_any_moment_of_the_command_is_clean(
    zygote: Zygote, register: Path, tmp_path: Path
) -> None:
    """16 runs of the console script's main() get SIGINT once the command holds the lock: 8 after
    seeded delays, 4 just after the temporary file is created, 4 while it is synced. Each exits 0
    (done) or 130 (not done, or done just before), silently, with the file whole and no temporary
    file left."""
    _, entries = changes(register)
    count = len(entries)
    expected: list[str] = []
    rng = random.Random(11)
    outcomes: dict[str, int] = {}
    for round_ in range(16):
        tag = f"ctrl-c {round_}"
        out, err = tmp_path / f"out{round_}", tmp_path / f"err{round_}"
        aim = {1: "created", 3: "fsync"}.get(round_ % 4, "")
        pid, seen = zygote.start("main", register, tag, out, err, aim=aim)
        zygote.until("locked", seen)
        if aim:
            zygote.until(aim, seen)
        else:
            time.sleep(rng.uniform(0.0, 0.16))
        os.kill(pid, signal.SIGINT)
        code = zygote.reap(seen)
        stdout, stderr = out.read_text(), err.read_text()

        assert "Traceback" not in stderr and len(stderr.splitlines()) <= 1, stderr
        assert code in (0, 130), (code, stderr)
        mine = added(changes(register)[1], count + len(expected))
        assert mine in ([], [tag])
        if code == 0:
            assert mine == [tag] and "written" in stdout
        window = [line for line in seen if line.startswith("interrupted-in-")]
        if window:
            assert code == 130 and mine == [] and stdout == ""
        expected += mine
        assert temporaries(register) == set()
        assert_lock_free(register)
        what = window[0] if window else f"exit {code}, {'written' if mine else 'unchanged'}"
        outcomes[what] = outcomes.get(what, 0) + 1

    print(f"\n16 Ctrl-Cs: {outcomes}; stderr always empty")
    assert outcomes.get("interrupted-in-created", 0) >= 1
    assert outcomes.get("interrupted-in-fsync", 0) >= 1
    assert added(changes(register)[1], count) == expected


WRAPPER = r"""
import faulthandler, os, signal, stat, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)
faulthandler.register(signal.SIGUSR1)  # the test asks for the stack when the process hangs
SYNCING, INTERRUPT_AT = sys.argv.pop(1), sys.argv.pop(1)
real_fsync = os.fsync


def slow_fsync(fd):
    if SYNCING and stat.S_ISREG(os.fstat(fd).st_mode):
        open(SYNCING, "w").close()  # tell the test: the temporary file is written, not renamed
        time.sleep(600)
    real_fsync(fd)


class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == INTERRUPT_AT:
            os.kill(os.getpid(), signal.SIGINT)
        return None


os.fsync = slow_fsync
sys.meta_path.insert(0, Interrupt())
# What the console script does.
from iotpolicy.cli import main
sys.exit(main())
"""


def wrapped_cli(root: Path, syncing: Path | None, interrupt_at: str = "") -> subprocess.Popen[str]:
    """The console script in a process which, given ``syncing``, creates that file and then
    waits for ten minutes before syncing a file, or which gets Ctrl-C when it starts importing
    the module ``interrupt_at``."""
    changed = record_change(root, "Interrupted.")
    return subprocess.Popen(
        [sys.executable, "-c", WRAPPER, str(syncing or ""), interrupt_at, *changed],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def outcome(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``process``; fails with its stack when it does not end."""
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGUSR1)
        time.sleep(1)
        process.kill()
        stdout, stderr = process.communicate()
        pytest.fail(f"the process did not end:\n{stdout}\n{stderr}")
    return process.returncode, stdout, stderr


def test_ctrl_c_in_the_write_window_of_the_real_cli(register: Path, tmp_path: Path) -> None:
    """The real console script is interrupted while its temporary file is being synced: it
    exits 130 without a word, the old file is intact and the temporary file is gone."""
    path = register / REL
    before = path.read_bytes()
    syncing = tmp_path / "syncing"
    process = wrapped_cli(register, syncing)
    try:
        deadline = time.monotonic() + 120
        while not syncing.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the write never began: {outcome(process, 0.1)}")
            time.sleep(0.005)
        assert len(temporaries(register)) == 1
        process.send_signal(signal.SIGINT)
        assert outcome(process) == (130, "", "")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert path.read_bytes() == before
    assert temporaries(register) == set()
    assert_lock_free(register)
    assert real_record_change(register, "After Ctrl-C.").returncode == 0


def test_ctrl_c_while_the_command_module_is_imported_prints_no_traceback(register: Path) -> None:
    process = wrapped_cli(register, None, interrupt_at="iotpolicy.cli.commands.edit")
    code, _, stderr = outcome(process)
    assert (register / REL).read_bytes() == (EXAMPLE / REL).read_bytes()
    assert "Traceback" not in stderr, stderr
    assert code == 130

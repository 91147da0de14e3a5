"""``history`` of one record and the ``changes`` report read git history in one pass over
``git log``, whatever the number of commits: every git process the CLI starts is recorded (by a
``git`` first on PATH), and the git commands are the same for a repository of 3 commits and one
of 12. Every git process comes from GitPython."""

from __future__ import annotations

import copy
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run, edited_baseline
from tests.support.gitrepo import GitCalls, GitRepo
from tests.support.paths import REPO

DEVICES = 30
WATCHED = "plc-05"


def register_files() -> dict[str, Any]:
    """The baseline register with 27 more PLCs (copies of plc-01): 30 device files."""
    files = edited_baseline({})
    for number in range(2, DEVICES - 1):
        device = copy.deepcopy(files["devices/plc-01.yaml"])
        device["id"] = f"plc-{number:02d}"
        device["network"]["ip"] = f"10.20.1.{10 + number}"
        device["network"]["mac"] = f"00:1b:1b:12:34:{number:02x}"
        files[f"devices/plc-{number:02d}.yaml"] = device
    return files


def build(top: Path, commits: int) -> GitRepo:
    """A repository whose first commit adds the register; each later one bumps the firmware of
    two PLCs, ``WATCHED`` among them every third commit."""
    repo = GitRepo(top)
    files = register_files()
    repo.commit("Register", "2026-01-01T09:00:00+01:00", files)
    for number in range(1, commits):
        ids = {f"plc-{2 + number % 27:02d}", f"plc-{2 + (number * 7) % 27:02d}"}
        if number % 3 == 0:
            ids.add(WATCHED)
        for rid in ids:
            files[f"devices/{rid}.yaml"]["firmware"]["version"] = f"4.6.{number}"
        repo.commit(f"Firmware bump {number}", f"2026-02-{number:02d}T10:00:00+01:00", files)
    return repo


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[int, GitRepo]:
    """Two repositories of the same register: 3 commits and 12 commits."""
    return {n: build(tmp_path_factory.mktemp(f"passes{n}"), n) for n in (3, 12)}


@pytest.fixture
def spawned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitCalls:
    """The argument lists of every git process started from now on (GitPython's included: a
    ``git`` first on PATH records them)."""
    return GitCalls(tmp_path / "recorder", monkeypatch)


def git_commands(calls: GitCalls) -> list[list[str]]:
    """The git invocations among ``calls``, without git's own options (``-c k=v``)."""
    return calls.commands()


def log_passes(commands: list[list[str]]) -> list[list[str]]:
    """The ``git log`` invocations that walk the history (not limited to one commit)."""
    return [c for c in commands if c[0] == "log" and "-1" not in c and "--max-count=1" not in c]


def test_history_of_one_record_is_one_log_pass(
    cli: Callable[..., Run], repos: dict[int, GitRepo], spawned: GitCalls
) -> None:
    commands: dict[int, list[list[str]]] = {}
    for n, repo in repos.items():
        spawned.clear()
        run = cli("history", WATCHED, "--register", str(repo.register), "--format", "json")
        assert run.exit_code == 0, run.stderr
        commands[n] = git_commands(spawned)
        commits = run.json["commits"]
        bumps = [c for c in commits if c["message"].startswith("Firmware bump")]
        assert [c["message"] for c in bumps] == [
            f"Firmware bump {k}" for k in range(n - 1, 0, -1) if k % 3 == 0
        ]
        for commit in bumps:
            (record,) = commit["records"]
            assert record["id"] == WATCHED
            assert record["fields"][0]["field"] == "firmware.version"
            assert record["fields"][0]["new"] == f"4.6.{commit['message'].split()[-1]}"
        assert commits[-1]["records"][0]["action"] == "created"
    assert len(log_passes(commands[12])) == 1
    assert [c for c in commands[12] if c[0] == "log"] == log_passes(commands[12])
    assert commands[3] == commands[12], "git commands must not depend on the number of commits"
    assert len(commands[12]) <= 5


def test_changes_report_is_one_log_pass(
    cli: Callable[..., Run], repos: dict[int, GitRepo], spawned: GitCalls, tmp_path: Path
) -> None:
    commands: dict[int, list[list[str]]] = {}
    for n, repo in repos.items():
        out = tmp_path / f"reports{n}"
        spawned.clear()
        run = cli(
            "report",
            "changes",
            "--register",
            str(repo.register),
            "--output-dir",
            str(out),
            "--as-of",
            "2026-11-25",
        )
        assert run.exit_code == 0, run.stderr
        commands[n] = git_commands(spawned)
        text = (out / "changes.md").read_text(encoding="utf-8")
        assert f"Firmware bump {n - 1}" in text
        assert "firmware.version" in text
        assert f"4.6.{n - 1}" in text
    assert len(log_passes(commands[12])) == 1, commands[12]
    others = [c for c in commands[12] if c[0] == "log" and c not in log_passes(commands[12])]
    assert all("-1" in c for c in others), others  # the footer's last commit: one commit only
    assert commands[3] == commands[12], "git commands must not depend on the number of commits"
    assert len(commands[12]) <= 8


def test_every_git_process_is_started_by_gitpython(
    cli: Callable[..., Run],
    repos: dict[int, GitRepo],
    spawned: GitCalls,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reading (history, report) and writing (a committed edit) start git only through
    GitPython, which holds its own ``Popen``: ``subprocess`` sees no git process at all. Every
    read takes no optional lock and starts no fsmonitor."""
    fresh = GitRepo(tmp_path / "fresh")  # built by the test's own subprocess calls
    fresh.commit("Register", "2026-01-01T09:00:00+01:00", edited_baseline({}))
    direct: list[list[str]] = []

    class Recording(subprocess.Popen):  # type: ignore[type-arg]
        def __init__(self, args: Any, *rest: Any, **kwargs: Any) -> None:
            direct.append([str(a) for a in args] if isinstance(args, list | tuple) else [str(args)])
            super().__init__(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", Recording)
    for name, value in (("NAME", "Ole Hansen"), ("EMAIL", "ole.hansen@example.com")):
        monkeypatch.setenv(f"GIT_AUTHOR_{name}", value)
        monkeypatch.setenv(f"GIT_COMMITTER_{name}", value)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    register = str(repos[3].register)
    spawned.clear()
    assert cli("history", WATCHED, "--register", register).exit_code == 0
    out = str(tmp_path / "out")
    assert cli("report", "changes", "--register", register, "-o", out).exit_code == 0
    edit = ("add-vendor", "--register", str(fresh.register), "--id", "moxa", "--name", "Moxa")
    run = cli(*edit, "--commit")
    assert run.exit_code == 0, run.stderr
    started = {command[0] for command in git_commands(spawned)}
    assert {"log", "cat-file", "status", "add", "commit"} <= started
    assert [call for call in direct if Path(call[0]).name == "git"] == []
    for call, command in zip(spawned, git_commands(spawned), strict=True):
        own = call[1 : len(call) - len(command)]  # git's options before the subcommand
        reading = command[0] not in ("add", "commit")
        assert (own == ["--no-optional-locks", "-c", "core.fsmonitor=false"]) is reading, call


def test_no_module_runs_a_process_of_its_own() -> None:
    """git is reached through GitPython only: no module of the package imports subprocess."""
    package = REPO / "src/iotpolicy"
    modules = sorted(package.rglob("*.py"))
    assert len(modules) > 20
    using = [m.relative_to(package).as_posix() for m in modules if "subprocess" in m.read_text()]
    assert using == []


@pytest.mark.usefixtures("outside_ci")
def test_a_warm_check_outside_any_repository_starts_no_git(
    tmp_path: Path, spawned: GitCalls
) -> None:
    """Whether the check cache is tracked by git is asked only inside a repository: outside
    one, a check neither starts GitPython (whose import runs ``git version``) nor git."""
    import sys

    from tests.conftest import write_register
    from tests.support.baseline import AS_OF, baseline

    root = write_register(tmp_path / "plain" / "register", baseline())
    command = [sys.executable, "-m", "iotpolicy", "check", "--register", str(root)]
    command += ["--as-of", AS_OF.isoformat(), "--format", "json"]
    for _ in range(2):  # the first writes the cache, the second reads it
        subprocess.run(command, capture_output=True, check=False, env=os.environ.copy())
    assert (root / ".iotpolicy-cache").is_dir()
    assert git_commands(spawned) == []

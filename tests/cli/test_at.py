"""``check --at REV`` / ``--at-date DATE`` read the register from git objects: the output is
byte-identical to checking a fresh checkout of that commit (every format, as of the same date),
apart from the JSON's ``at`` and ``tool``; nothing of the working tree, index or cache is touched;
bad revisions, dates and shallow clones are one line and exit 2."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from iotpolicy import __version__
from iotpolicy.formats import FORMATS
from tests.conftest import Run
from tests.support.gitrepo import GitCalls
from tests.support.history import History, build_history, fresh_checkouts, shallow_clone


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return build_history(tmp_path_factory.mktemp("at") / "repo")


@pytest.fixture(scope="module")
def checkouts(history: History, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A fresh clone of each commit, checked out (the reference ``check --at`` must match)."""
    return fresh_checkouts(history, tmp_path_factory.mktemp("checkouts"))


@pytest.fixture
def spawned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitCalls:
    """Every git process started from now on."""
    return GitCalls(tmp_path / "recorder", monkeypatch)


@pytest.fixture(autouse=True)
def no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITLAB_CI", "IOTPOLICY_REGISTER"):
        monkeypatch.delenv(name, raising=False)


def run_in(cli: Callable[..., Run], folder: Path, *args: str) -> Run:
    """``iotpolicy ARGS`` run with ``folder`` as the working directory."""
    previous = Path.cwd()
    try:
        os.chdir(folder)
        return cli(*args)
    finally:
        os.chdir(previous)


def without_at(text: str, commit: str) -> str:
    """The JSON text without its ``at`` and ``tool`` lines (checked to be there)."""
    lines = text.splitlines(keepends=True)
    at, tool = f'  "at": "{commit}",\n', f'  "tool": "{__version__}",\n'
    assert lines.count(at) == 1 and lines.count(tool) == 1
    return "".join(line for line in lines if line not in (at, tool))


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_is_byte_identical_to_a_checkout(
    fmt: str, history: History, checkouts: dict[str, Path], cli: Callable[..., Run]
) -> None:
    for commit, checkout in checkouts.items():
        for as_of in ("2026-06-30", "2026-11-25"):
            common = ("check", "--register", "register", "--as-of", as_of, "--format", fmt)
            fresh = run_in(cli, checkout, *common, "--no-cache")
            at = run_in(cli, history.repo.top, *common, "--at", commit)
            assert (at.exit_code, at.stderr) == (fresh.exit_code, fresh.stderr)
            expected = fresh.stdout
            got = without_at(at.stdout, commit) if fmt == "json" else at.stdout
            assert got == expected, (fmt, commit, as_of)
    assert (
        "REG-001"
        in run_in(
            cli, history.repo.top, "check", "--register", "register", "--at", "policy-v1.1"
        ).stdout
    )


def test_as_of_defaults_to_the_committer_date_in_utc(
    history: History, checkouts: dict[str, Path], cli: Callable[..., Run]
) -> None:
    for commit, day in zip(history.commits, history.dates, strict=True):
        at = run_in(
            cli, history.repo.top, "check", "--at", commit, "-f", "json", "--register", "register"
        )
        document = json.loads(at.stdout)
        assert (document["as_of"], document["at"], document["tool"]) == (day, commit, __version__)
        fresh = run_in(
            cli,
            checkouts[commit],
            "check",
            "--as-of",
            day,
            "-f",
            "json",
            "--register",
            "register",
            "--no-cache",
        )
        assert without_at(at.stdout, commit) == fresh.stdout


def test_without_at_the_document_has_no_at_nor_tool(
    history: History, cli: Callable[..., Run]
) -> None:
    document = run_in(cli, history.repo.top, "check", "-f", "json", "--register", "register").json
    assert "at" not in document and "tool" not in document


def test_at_date_picks_the_last_first_parent_commit_on_or_before(
    history: History, cli: Callable[..., Run]
) -> None:
    cases = {"2026-02-10": 0, "2026-05-19": 0, "2026-05-20": 1, "2026-08-31": 2, "2027-01-01": 2}
    for day, number in cases.items():
        args = ("check", "--register", "register", "--at-date", day, "-f", "json")
        document = run_in(cli, history.repo.top, *args).json
        assert document["at"] == history.commits[number], day
        assert document["as_of"] == history.dates[number]


def test_a_tag_names_its_commit(history: History, cli: Callable[..., Run]) -> None:
    args = ("check", "--register", "register", "--at", "policy-v1.1", "-f", "json")
    assert run_in(cli, history.repo.top, *args).json["at"] == history.commits[1]


def test_nothing_of_the_working_tree_index_or_cache_is_touched(
    history: History, cli: Callable[..., Run]
) -> None:
    top = history.repo.top
    shutil.rmtree(top / "register" / ".iotpolicy-cache", ignore_errors=True)
    index = top / ".git" / "index"
    before = index.stat().st_mtime_ns
    run_in(cli, top, "check", "--register", "register", "--at", history.commits[0])
    assert index.stat().st_mtime_ns == before
    assert not (top / "register" / ".iotpolicy-cache").exists()
    assert history.repo.git("status", "--porcelain") == ""


def test_reads_are_batched(history: History, cli: Callable[..., Run], spawned: GitCalls) -> None:
    run_in(cli, history.repo.top, "check", "--register", "register", "--at", history.commits[1])
    assert [c[0] for c in spawned.commands()] == ["log", "ls-tree", "cat-file"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--at", "no-such-rev"), "'no-such-rev' is not a commit, tag or branch"),
        (("--at", ""), "--at needs a revision"),
        (("--at-date", "2025-12-31"), "no commit of the current branch on or before 2025-12-31"),
        (("--at-date", "2026-13-01"), "--at-date"),
        (("--at", "HEAD", "--at-date", "2026-05-01"), "give --at or --at-date, not both"),
        (("--at-date", "2026-01-06"), "did not exist in"),
    ],
)
def test_bad_revisions_and_dates_are_one_line(
    args: tuple[str, ...], words: str, history: History, cli: Callable[..., Run]
) -> None:
    result = run_in(cli, history.repo.top, "check", "--register", "register", *args)
    assert result.exit_code == 2
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_the_commit_before_the_register_existed(history: History, cli: Callable[..., Run]) -> None:
    result = run_in(
        cli, history.repo.top, "check", "--register", "register", "--at", history.before
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"iotpolicy: the register folder (register) did not exist in {history.before}"
    )


def test_a_shallow_clone_says_how_to_fetch_the_history(
    history: History, tmp_path: Path, cli: Callable[..., Run]
) -> None:
    shallow = shallow_clone(history, tmp_path / "shallow")
    for args in (("--at", history.commits[0]), ("--at-date", "2026-03-01")):
        result = run_in(cli, shallow, "check", "--register", "register", *args)
        assert result.exit_code == 2, args
        assert "git fetch --unshallow" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1

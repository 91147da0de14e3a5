"""``report --at REV`` / ``--at-date DATE``: every report (its history and trend too) renders
from the register as it was in that commit, byte for byte what rendering a fresh checkout of it
with the same as-of date writes, without touching the working tree, the index or the cache; bad
revisions are one line and exit 2, with nothing written."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from iotpolicy.reports import REPORTS
from tests.cli.test_at import run_in
from tests.conftest import Run
from tests.support.gitrepo import GitCalls
from tests.support.history import History, build_history, fresh_checkouts


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return build_history(tmp_path_factory.mktemp("report-at") / "repo")


@pytest.fixture(scope="module")
def checkouts(history: History, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return fresh_checkouts(history, tmp_path_factory.mktemp("checkouts"))


@pytest.fixture(autouse=True)
def no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITLAB_CI", "IOTPOLICY_REGISTER"):
        monkeypatch.delenv(name, raising=False)


def written(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_every_report_is_byte_identical_to_a_checkout(
    history: History, checkouts: dict[str, Path], cli: Callable[..., Run], tmp_path: Path
) -> None:
    trends = set()
    for number, (commit, checkout) in enumerate(checkouts.items()):
        for as_of in ("2026-06-30", "2026-11-25"):
            common = ("report", "--register", "register", "--as-of", as_of, "--from", "2026-01-01")
            fresh_out, at_out = (
                tmp_path / f"fresh-{number}-{as_of}",
                tmp_path / f"at-{number}-{as_of}",
            )
            fresh = run_in(cli, checkout, *common, "-o", str(fresh_out))
            at = run_in(cli, history.repo.top, *common, "--at", commit, "-o", str(at_out))
            assert (at.exit_code, at.stderr) == (fresh.exit_code, fresh.stderr) == (0, "")
            expected = written(fresh_out)
            assert sorted(expected) == sorted(
                [".markdownlint.yaml", "index.md"] + [f"{name}.md" for name in REPORTS]
            )
            assert written(at_out) == expected, (commit, as_of)
            footer = expected["trend.md"].decode().splitlines()[-1]
            assert f"from register commit `{commit[:12]}`" in footer
            trends.add(expected["trend.md"])
            changes = expected["changes.md"].decode()
            assert f"{len(history.commits[: number + 1])} commit" in changes
    assert len(trends) == 6  # each commit and date its own trend


def test_at_date_reports_as_of_the_commit_date(
    history: History, checkouts: dict[str, Path], cli: Callable[..., Run], tmp_path: Path
) -> None:
    commit, day = history.commits[1], history.dates[1]
    at = run_in(
        cli, history.repo.top, "report", "--register", "register", "--at-date", "2026-07-01",
        "-o", str(tmp_path / "at"),
    )  # fmt: skip
    fresh = run_in(
        cli, checkouts[commit], "report", "--register", "register", "--as-of", day,
        "-o", str(tmp_path / "fresh"),
    )  # fmt: skip
    assert at.exit_code == fresh.exit_code == 0
    assert written(tmp_path / "at") == written(tmp_path / "fresh")
    assert f"as of {day}" in (tmp_path / "at" / "compliance.md").read_text(encoding="utf-8")


def test_nothing_of_the_working_tree_index_or_cache_is_touched(
    history: History, cli: Callable[..., Run], tmp_path: Path
) -> None:
    top = history.repo.top
    shutil.rmtree(top / "register" / ".iotpolicy-cache", ignore_errors=True)
    before = (top / ".git" / "index").stat().st_mtime_ns
    args = ("report", "--register", "register", "--at", history.commits[0])
    assert run_in(cli, top, *args, "-o", str(tmp_path / "out")).exit_code == 0
    assert (top / ".git" / "index").stat().st_mtime_ns == before
    assert not (top / "register" / ".iotpolicy-cache").exists()
    assert history.repo.git("status", "--porcelain") == ""


def test_git_reads_are_batched(
    history: History, cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fixed sequence of git processes, whatever the number of files."""
    spawned = GitCalls(tmp_path / "recorder", monkeypatch)
    args = ("report", "--register", "register", "--at", history.commits[2], "--as-of", "2026-11-25")
    assert run_in(cli, history.repo.top, *args, "-o", str(tmp_path / "out")).exit_code == 0
    assert [c[0] for c in spawned.commands()] == [
        *("log", "ls-tree", "cat-file"),  # the commit and its register
        *("log", "log", "cat-file"),  # the footer's commit, the history for the changes report
        *("log", "rev-parse"),  # the first-parent history (shallow or not)
        *["ls-tree"] * 4,  # each distinct commit of the points (January's, without the register)
        "cat-file",  # the versions those hold that were not read yet
    ]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--at", "no-such-rev"), "'no-such-rev' is not a commit, tag or branch"),
        (("--at", ""), "--at needs a revision"),
        (("--at-date", "2025-12-31"), "no commit of the current branch on or before 2025-12-31"),
        (("--at", "HEAD", "--at-date", "2026-05-01"), "give --at or --at-date, not both"),
        (("--at-date", "2026-01-06"), "the register folder (register) did not exist in"),
    ],
)
def test_bad_revisions_are_one_line_and_nothing_is_written(
    args: tuple[str, ...], words: str, history: History, cli: Callable[..., Run], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run_in(
        cli, history.repo.top, "report", "--register", "register", *args, "-o", str(out)
    )
    assert result.exit_code == 2 and result.stdout == ""
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()

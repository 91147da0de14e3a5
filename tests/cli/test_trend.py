"""``iotpolicy trend``: one point per period end, the last first-parent commit on or before it
checked as of that end (each point agrees with ``check --at COMMIT --as-of END``), repeated
periods marked, a broken file counted as REG-001 while the run goes on, events between points,
JSON/CSV/text, batched git reads, bad input; and the CI files ``init`` writes fetch the history."""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import yaml

from iotpolicy import __version__
from tests.conftest import Run
from tests.support.gitrepo import GitCalls
from tests.support.history import History, build_history, shallow_clone


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return build_history(tmp_path_factory.mktemp("trend") / "repo")


@pytest.fixture
def trend(history: History, cli: Callable[..., Run]) -> Callable[..., Run]:
    """``iotpolicy trend ARGS`` in the repository's top folder."""

    def run(*args: str) -> Run:
        previous = Path.cwd()
        os.chdir(history.repo.top)
        try:
            return cli("trend", "--register", "register", *args)
        finally:
            os.chdir(previous)

    return run


def test_each_point_is_check_at_its_commit_as_of_the_period_end(
    history: History, trend: Callable[..., Run]
) -> None:
    result = trend("--from", "2026-01-01", "--to", "2026-10-15", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = result.json
    assert document["tool"] == __version__ and "today's rules" in document["note"]
    points = document["points"]
    # January's commit (the README's) holds no register: the points start in February.
    ends = [p["end"] for p in points]
    assert ends == [
        "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30",
        "2026-07-31", "2026-08-31", "2026-09-30", "2026-10-15",
    ]  # fmt: skip
    c1, c2, c3 = history.commits
    assert [p["commit"] for p in points] == [c1, c1, c1, c2, c2, c2, c3, c3, c3]
    repeated = [False, True, True, False, True, True, False, True, True]
    assert [p["repeated"] for p in points] == repeated
    for point in points:
        args = ("--at", point["commit"], "--as-of", point["end"], "-f", "json")
        check = trend_check(history, *args)
        summary = check["summary"]
        assert (point["errors"], point["warnings"], point["suppressed"]) == (
            summary["errors"],
            summary["warnings"],
            summary["suppressed"],
        )
        open_ = [f for f in check["findings"] if f["suppressed_by"] is None]
        families = Counter(f["rule"].split("-")[0] for f in open_)
        assert {k: v for k, v in point["families"].items() if v} == dict(families)


def trend_check(history: History, *args: str) -> dict[str, object]:
    """``check`` of the history's register through the real CLI (JSON)."""
    from typer.testing import CliRunner

    from tests.conftest import app

    previous = Path.cwd()
    os.chdir(history.repo.top)
    try:
        result = CliRunner().invoke(app, ["check", "--register", "register", *args])
    finally:
        os.chdir(previous)
    assert result.exit_code in (0, 1), result.stderr
    import json

    document: dict[str, object] = json.loads(result.stdout)
    return document


def test_a_broken_file_counts_as_reg_001_and_the_run_goes_on(
    history: History, trend: Callable[..., Run]
) -> None:
    points = trend("--from", "2026-05-01", "--to", "2026-09-30", "-f", "json").json["points"]
    by_commit = {p["commit"]: p for p in points}
    assert by_commit[history.commits[1]]["families"]["REG"] >= 1
    assert (
        by_commit[history.commits[2]]["families"]["REG"]
        < by_commit[history.commits[1]]["families"]["REG"]
    )


def test_events_between_points(history: History, trend: Callable[..., Run]) -> None:
    points = trend("--from", "2026-02-01", "--to", "2026-09-30", "-f", "json").json["points"]
    events = {p["end"]: p["events"] for p in points}
    assert "plc-02" in events["2026-05-31"]["devices_added"]
    assert events["2026-08-31"]["devices_retired"] == ["sensor-02"]
    assert not any(events["2026-03-31"].values())


def test_weeks_end_on_sunday_and_the_last_point_is_clamped(trend: Callable[..., Run]) -> None:
    points = trend("--from", "2026-05-01", "--to", "2026-06-03", "--every", "week", "-f", "json")
    ends = [date.fromisoformat(p["end"]) for p in points.json["points"]]
    assert all(day.weekday() == 6 for day in ends[:-1])
    assert ends[-1] == date(2026, 6, 3) and ends[0] == date(2026, 5, 3)


def test_quarters_end_on_the_calendar(trend: Callable[..., Run]) -> None:
    points = trend("--from", "2026-02-01", "--to", "2026-12-31", "--every", "quarter", "-f", "json")
    ends = [p["end"] for p in points.json["points"]]
    assert ends == ["2026-03-31", "2026-06-30", "2026-09-30", "2026-12-31"]


def test_csv_has_a_row_per_point_matching_the_json(trend: Callable[..., Run]) -> None:
    args = ("--from", "2026-02-01", "--to", "2026-09-30")
    points = trend(*args, "-f", "json").json["points"]
    rows = list(csv.DictReader(io.StringIO(trend(*args, "-f", "csv").stdout)))
    assert [r["commit"] for r in rows] == [p["commit"] for p in points]
    assert [int(r["errors"]) for r in rows] == [p["errors"] for p in points]
    assert [int(r["family REG"]) for r in rows] == [p["families"]["REG"] for p in points]
    assert [r["repeated"] == "yes" for r in rows] == [p["repeated"] for p in points]


def test_text_table_marks_repeated_periods(history: History, trend: Callable[..., Run]) -> None:
    result = trend("--from", "2026-02-01", "--to", "2026-04-30")
    lines = result.stdout.splitlines()
    rows = [line for line in lines if line.lstrip().startswith("2026-")]
    assert len(rows) == 3 and history.commits[0][:12] in rows[0]
    assert " = " not in rows[0] and all(" = " in row for row in rows[1:])
    assert "today's rules" in result.stdout and "▁" not in result.stdout  # no terminal


def test_reads_are_batched(
    history: History, trend: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spawned = GitCalls(tmp_path / "recorder", monkeypatch)
    trend("--from", "2026-01-01", "--to", "2026-12-31", "--every", "week")
    commands = Counter(c[0] for c in spawned.commands())
    assert commands["ls-tree"] == 4  # one per distinct commit (the README's too), 53 points
    assert commands["cat-file"] == 1
    assert commands["log"] == 1 and sum(commands.values()) == 7  # and rev-parse (shallow?)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--from", "2026-05-01", "--to", "2026-04-01"), "is after --to"),
        (("--to", "2025-12-31"), "no commit of the current branch on or before 2025-12-31"),
        (("--every", "day"), "day"),
        (("--from", "2026-02-30"), "--from"),
    ],
)
def test_bad_input_is_one_line(
    args: tuple[str, ...], words: str, trend: Callable[..., Run]
) -> None:
    result = trend(*args)
    assert result.exit_code == 2 and words in result.stderr and "Traceback" not in result.stderr


def test_a_shallow_clone_says_how_to_fetch_the_history(
    history: History, tmp_path: Path, cli: Callable[..., Run]
) -> None:

    shallow = shallow_clone(history, tmp_path / "shallow")
    os.chdir(shallow)
    try:
        result = cli(
            "trend", "--register", "register", "--from", "2026-01-01", "--to", "2026-10-01"
        )
    finally:
        os.chdir(history.repo.top)
    assert result.exit_code == 2 and "git fetch --unshallow" in result.stderr


def test_the_ci_files_init_writes_fetch_the_whole_history(
    tmp_path: Path, cli: Callable[..., Run]
) -> None:
    assert cli("init", str(tmp_path / "new")).exit_code == 0
    workflow = yaml.safe_load((tmp_path / "new/.github/workflows/iotpolicy.yml").read_text())
    checkout = workflow["jobs"]["check"]["steps"][0]
    assert checkout["uses"].startswith("actions/checkout") and checkout["with"]["fetch-depth"] == 0
    gitlab = yaml.safe_load((tmp_path / "new/.gitlab-ci.yml").read_text())
    assert gitlab["iotpolicy"]["variables"]["GIT_DEPTH"] == 0

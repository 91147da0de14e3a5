"""``report trend``: the Mermaid chart's series and the table are ``trend``'s points, the events
of each period are those of the scripted history, the report is markdownlint-clean and its chart
parses with Mermaid; listed in the index; no git, no commit in the period, a shallow clone; and
the review pack's trend since the revision in force."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_at import run_in
from tests.conftest import Run, edited_baseline, write_register
from tests.support.history import History, build_history, shallow_clone
from tests.support.paths import REPO

NODE = REPO / "tests" / "node"
MARKDOWNLINT = NODE / "node_modules" / ".bin" / "markdownlint"
SPAN = ("--from", "2026-02-01", "--to", "2026-11-25")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> History:
    return build_history(tmp_path_factory.mktemp("report-trend") / "repo")


@pytest.fixture
def report(history: History, cli: Callable[..., Run], tmp_path: Path) -> Callable[..., str]:
    """The text of ``trend.md`` written by ``report trend ARGS`` in the history's repository."""

    def run(*args: str) -> str:
        out = tmp_path / "out"
        args = ("report", "trend", "--register", "register", "--as-of", "2026-11-25", *args)
        result = run_in(cli, history.repo.top, *args, "-o", str(out))
        assert result.exit_code == 0, result.stderr
        return (out / "trend.md").read_text(encoding="utf-8")

    return run


def trend_json(history: History, cli: Callable[..., Run], *args: str) -> dict[str, Any]:
    result = run_in(cli, history.repo.top, "trend", "--register", "register", *args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = result.json
    return document


def chart(text: str) -> dict[str, list[str]]:
    """The x axis and each line of the (first) Mermaid xychart, by name."""
    block = text.split("```mermaid\n", 1)[1].split("\n```\n", 1)[0]
    assert "\nxychart-beta\n" in block
    found = {}
    for name, values in re.findall(r'^  (?:x-axis|line) "([^"]+)" \[(.*)\]$', block, re.M):
        found[name] = [v.strip().strip('"') for v in values.split(",")]
    return found


def table(text: str, header: str) -> list[list[str]]:
    """The rows of the table whose header row starts with ``header``."""
    lines = text.split(f"\n{header}", 1)[1].splitlines()[2:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def test_the_chart_and_the_table_are_trends_points(
    history: History, report: Callable[..., str], cli: Callable[..., Run]
) -> None:
    text = report(*SPAN)
    points = trend_json(history, cli, *SPAN)["points"]
    assert len(points) == 10
    series = chart(text)
    assert series["Period end"] == [p["end"] for p in points]
    assert series["Errors"] == [str(p["errors"]) for p in points]
    assert series["Warnings"] == [str(p["warnings"]) for p in points]
    # The scripted history: nothing open before May, then the new PLC's findings and a broken
    # file; from September the retired device and the uncommunicated revision.
    assert series["Errors"] == ["0", "0", "0", "8", "8", "8", "8", "8", "8", "8"]
    assert series["Warnings"] == ["0"] * 6 + ["1"] * 4
    top = int(re.search(r'y-axis "Open findings" 0 --> (\d+)', text).group(1))  # type: ignore[union-attr]
    assert top == max(max(p["errors"], p["warnings"]) for p in points)
    rows = table(text, "| Period end | Commit |")
    assert [r[0] for r in rows] == [p["end"] for p in points]
    for row, point in zip(rows, points, strict=True):
        marked = row[1].endswith(" (repeated)")
        assert (row[1].removesuffix(" (repeated)"), marked) == (
            point["commit"][:12],
            point["repeated"],
        )
        counts = [point[k] for k in ("errors", "warnings", "suppressed", "active_devices")]
        assert row[2:] == [str(c) for c in counts]
    assert "(repeated): no commit in that period" in text


def test_the_events_of_each_period(
    history: History, report: Callable[..., str], cli: Callable[..., Run]
) -> None:
    rows = table(report(*SPAN), "| Period end | Event |")
    assert rows == [
        ["2026-05-31", "Advisories received", "ssa-000001"],
        ["2026-05-31", "Incidents recorded", "inc-2026-001"],
        ["2026-05-31", "Devices added", "plc-02"],
        ["2026-08-31", "Revisions approved", "1.2"],
        ["2026-08-31", "Devices retired", "sensor-02"],
    ]
    points = trend_json(history, cli, *SPAN)["points"]
    listed = {(p["end"], i) for p in points for ids in p["events"].values() for i in ids}
    assert listed == {(row[0], row[2]) for row in rows}


def test_weeks_end_on_sunday(report: Callable[..., str]) -> None:
    ends = chart(report("--from", "2026-05-01", "--to", "2026-06-03", "--every", "week"))
    days = [date.fromisoformat(d) for d in ends["Period end"]]
    assert all(d.weekday() == 6 for d in days[:-1]) and days[-1] == date(2026, 6, 3)


def test_the_default_period_is_the_year_up_to_the_report_date(report: Callable[..., str]) -> None:
    text = report()
    assert "from 2025-12-01 to 2026-11-25" in text
    assert chart(text)["Period end"][0] == "2026-02-28"  # the register's first month


def test_the_rules_that_moved_most(report: Callable[..., str]) -> None:
    rows = table(report(*SPAN), "| Rule | First point |")
    assert rows[0] == ["REG-002", "0", "2", "+2"]
    changes = [abs(int(r[3])) for r in rows]
    assert changes == sorted(changes, reverse=True) and all(changes)


def test_the_index_lists_it(history: History, cli: Callable[..., Run], tmp_path: Path) -> None:
    args = ("report", "--register", "register", "--as-of", "2026-11-25", "-o", str(tmp_path))
    assert run_in(cli, history.repo.top, *args).exit_code == 0
    index = (tmp_path / "index.md").read_text(encoding="utf-8")
    assert "- [Compliance over time](trend.md): " in index


def test_outside_git_the_report_says_so(cli: Callable[..., Run], tmp_path: Path) -> None:
    root = write_register(tmp_path / "register", edited_baseline({}))
    args = ("report", "trend", "--register", str(root), "--as-of", "2026-11-25")
    assert cli(*args, "-o", str(tmp_path / "out")).exit_code == 0
    text = (tmp_path / "out" / "trend.md").read_text(encoding="utf-8")
    assert "The register is not in a git repository, so it has no history to chart." in text
    assert "```mermaid" not in text


def test_no_commit_in_the_period(history: History, cli: Callable[..., Run], tmp_path: Path) -> None:
    """Asked for by name, it is exit 2 with one line, as for trend; among all reports its page
    says why."""
    base = ("report", "--register", "register", "--to", "2025-12-31", "-o", str(tmp_path))
    alone = run_in(cli, history.repo.top, *base, "trend")
    assert alone.exit_code == 2 and alone.stdout == ""
    assert alone.stderr.strip() == (
        "iotpolicy: no commit of the current branch on or before 2025-12-31"
    )
    every = run_in(cli, history.repo.top, *base)
    assert every.exit_code == 0, every.stderr
    text = (tmp_path / "trend.md").read_text(encoding="utf-8")
    assert "No trend to chart: no commit of the current branch on or before 2025-12-31." in text


def test_bad_periods_are_one_line(
    history: History, cli: Callable[..., Run], tmp_path: Path
) -> None:
    for args, words in (
        (("--from", "2026-05-01", "--to", "2026-04-01"), "--from 2026-05-01 is after --to"),
        (("--every", "day"), "day"),
        (("--to", "2026-02-30"), "--to"),
    ):
        result = run_in(
            cli, history.repo.top, "report", "trend", "--register", "register", *args,
            "-o", str(tmp_path / "out"),
        )  # fmt: skip
        assert result.exit_code == 2 and words in result.stderr, args
        assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


def test_a_shallow_clone(history: History, cli: Callable[..., Run], tmp_path: Path) -> None:
    shallow = shallow_clone(history, tmp_path / "shallow")
    base = ("report", "--register", "register", "--from", "2026-01-01", "-o", str(tmp_path / "o"))
    alone = run_in(cli, shallow, *base, "trend")
    assert alone.exit_code == 2 and "git fetch --unshallow" in alone.stderr
    assert len(alone.stderr.strip().splitlines()) == 1
    assert run_in(cli, shallow, *base).exit_code == 0
    assert "git fetch --unshallow" in (tmp_path / "o" / "trend.md").read_text(encoding="utf-8")


def review_pack(history: History, cli: Callable[..., Run], *args: str) -> str:
    args = ("review", "--register", "register", "--date", "2026-11-25", "--dry-run", *args)
    result = run_in(cli, history.repo.top, *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_the_review_pack_shows_the_trend_since_the_revision_in_force(
    history: History, cli: Callable[..., Run]
) -> None:
    pack = review_pack(history, cli)
    section = pack.split("### Compliance since revision 1.2\n", 1)[1].split("\n## ", 1)[0]
    assert "since revision 1.2 was approved on 2026-08-28" in section
    points = trend_json(history, cli, "--from", "2026-08-28", "--to", "2026-11-25")["points"]
    series = chart(section)
    assert series["Period end"] == ["2026-08-31", "2026-09-30", "2026-10-31", "2026-11-25"]
    assert series["Period end"] == [p["end"] for p in points]
    assert series["Errors"] == [str(p["errors"]) for p in points]
    assert series["Warnings"] == [str(p["warnings"]) for p in points]
    rows = table(section, "| Period end | Commit |")
    assert [r[1] for r in rows] == [history.commits[2][:12]] + [
        f"{history.commits[2][:12]} (repeated)"
    ] * 3


def test_without_git_the_review_pack_says_so_in_one_line(
    history: History, cli: Callable[..., Run]
) -> None:
    pack = review_pack(history, cli, "--no-git")
    section = pack.split("### Compliance since revision 1.2\n", 1)[1].split("\n## ", 1)[0]
    assert section.strip() == "No trend: not read from git (--no-git)."


@pytest.mark.skipif(
    not MARKDOWNLINT.exists() and not os.environ.get("CI"),
    reason="markdownlint and mermaid are not installed (npm ci --prefix tests/node)",
)
def test_markdownlint_clean_and_the_charts_parse_with_mermaid(
    history: History, cli: Callable[..., Run], tmp_path: Path
) -> None:
    from tests.unit.reports.test_report_consumers import markdownlint, mermaid_parse

    out = tmp_path / "out"
    args = ("report", "--register", "register", "--as-of", "2026-11-25", *SPAN, "-o", str(out))
    assert run_in(cli, history.repo.top, *args).exit_code == 0
    weekly = tmp_path / "weekly"
    args = ("report", "trend", "--register", "register", "--every", "week", "-o", str(weekly))
    assert run_in(cli, history.repo.top, *args, "--as-of", "2026-11-25").exit_code == 0
    pack = tmp_path / "pack.md"
    pack.write_text(review_pack(history, cli), encoding="utf-8")
    clone = tmp_path / "clone"  # the review record, written in a clone of the history
    subprocess.run(["git", "clone", "-q", str(history.repo.top), str(clone)], check=True)
    answers = [f"--answer={key}=yes" for key in ("effective", "coverage", "risks", "laws")]
    args = ("review", "--register", "register", "--date", "2026-11-25", "--summary", "Yearly.")
    args += ("--reviewer", "ole-hansen", "--approver", "anna-berg", *answers)
    assert run_in(cli, clone, *args).exit_code == 0
    record = clone / "register" / "reviews" / "2026-11-25-v1.3.md"
    files = [*sorted(out.glob("*.md")), weekly / "trend.md", pack, record]
    done = markdownlint(*files, config=out / ".markdownlint.yaml")
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
    records = mermaid_parse(out / "trend.md", weekly / "trend.md", pack, record)
    assert [(Path(r["file"]).name, r["ok"], r["type"]) for r in records] == [
        ("trend.md", True, "xychart"),
        ("trend.md", True, "xychart"),
        ("pack.md", True, "xychart"),
        ("2026-11-25-v1.3.md", True, "xychart"),
    ]


def test_the_readme_shows_this_trend(report: Callable[..., str]) -> None:
    """The README's chart and table are the report's own text for the scripted history."""
    from tests.project.test_readme_shows import between

    text = report("--from", "2026-02-01")
    shown = between("trend.md of the scripted history")
    assert shown.startswith("```mermaid\n") and shown.endswith(" |")
    assert f"\n{shown}\n\n(repeated): no commit in that period" in text

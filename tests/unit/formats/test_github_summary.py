"""Under GitHub Actions: the job summary ``check`` appends to ``$GITHUB_STEP_SUMMARY`` (counts,
every finding linked to its line, suppressions, under GitHub's 1 MiB), and the notice saying how
many annotations GitHub will hide."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from iotpolicy.findings import CheckResult, Finding, Severity
from iotpolicy.formats.summary import MAX_BYTES, render_summary
from tests.conftest import Run, edited_baseline, write_register
from tests.unit.formats.test_ci_formats import EXCEPTION, MIXED, PREFIX, git_init

AS_OF = "2026-11-25"
FLOWS = [
    {"to": "mgmt", "service": f"svc{i}", "port": 1000 + i, "protocol": "tcp"} for i in range(21)
]
"""21 flows without a purpose: 21 SEG-004 errors on ot-line1."""
GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/plant",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
}


def repo_with(tmp_path: Path, edits: dict[str, Any]) -> Path:
    repo = tmp_path / "repo"
    git_init(repo)
    return write_register(repo / PREFIX, edited_baseline(edits))


def test_a_notice_says_how_many_annotations_github_hides(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = repo_with(tmp_path, {**MIXED, "segments/ot-line1.yaml": {"flows": FLOWS}})
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "github")
    lines = run.stdout.splitlines()
    assert lines[0] == (
        "::notice title=iotpolicy%3A annotations hidden::GitHub shows 10 annotations of each kind "
        "per step and hides the other 12 (12 of 22 errors). Every finding is in the job summary "
        "of this run, in code scanning (the SARIF upload) and in the log above."
    )
    assert sum(line.startswith("::error ") for line in lines) == 22  # 21 SEG-004 and SEG-001
    assert len(lines) == 1 + 22 + 1 + 1  # the notice, errors, the warning, the suppressed one
    few = repo_with(tmp_path / "few", MIXED)
    quiet = cli("check", "--register", str(few), "--as-of", AS_OF, "--format", "github")
    assert "annotations hidden" not in quiet.stdout


def test_check_appends_a_job_summary_with_links_and_suppressions(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = repo_with(tmp_path, MIXED)
    summary = tmp_path / "step-summary.md"
    summary.write_text("## An earlier step\n\n", encoding="utf-8")
    env = {**GITHUB, "GITHUB_STEP_SUMMARY": str(summary)}
    run = cli("check", "--register", str(root), "--as-of", AS_OF, env=env)
    assert run.exit_code == 1
    assert "::error file=" in run.stdout  # the text report and the annotations as before
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## An earlier step\n\n## iotpolicy check of compliance/register\n")
    assert (
        "**Not compliant:** 1 error, 1 warning, 1 suppressed; 3 device files checked as of "
        "2026-11-25." in text
    )
    json_findings = cli("check", "--register", str(root), "--as-of", AS_OF, "-f", "json").json
    lines = {(f["rule"], f["subject"]): f["line"] for f in json_findings["findings"]}
    blob = f"https://github.com/acme/plant/blob/{GITHUB['GITHUB_SHA']}/{PREFIX}/devices"
    seg = lines[("SEG-001", "plc-01")]
    assert (
        f"| error | SEG-001 | plc-01 | [{PREFIX}/devices/plc-01.yaml:{seg}]"
        f"({blob}/plc-01.yaml#L{seg}) | active device has no network segment |"
    ) in text
    assert "### Open findings (2)" in text and "### Suppressed by exceptions (1)" in text
    mon = lines[("MON-001", "cam-01")]
    assert (
        f"| MON-001 | cam-01 | [{PREFIX}/devices/cam-01.yaml:{mon}]({blob}/cam-01.yaml#L{mon}) "
        f"| exc-1 | event logging is not enabled |"
    ) in text
    assert "left out" not in text
    # A second check appends a second summary; --format sarif (a file for code scanning) none.
    cli("check", "--register", str(root), "--as-of", AS_OF, "-f", "github", env=env)
    sarif = cli("check", "--register", str(root), "--as-of", AS_OF, "-f", "sarif", env=env)
    assert sarif.exit_code == 1
    assert summary.read_text(encoding="utf-8").count("## iotpolicy check of") == 2


def test_without_the_repository_variables_the_summary_names_file_and_line(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = repo_with(tmp_path, MIXED)
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_SHA": ""}
    cli("check", "--register", str(root), "--as-of", AS_OF, env=env)
    text = summary.read_text(encoding="utf-8")
    assert f"| error | SEG-001 | plc-01 | {PREFIX}/devices/plc-01.yaml:" in text
    assert "](" not in text


def test_a_summary_that_cannot_be_written_does_not_fail_the_check(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = repo_with(tmp_path, {"exceptions/exc-1.yaml": EXCEPTION})
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path)}  # a folder
    run = cli("check", "--register", str(root), "--as-of", AS_OF, env=env)
    assert run.exit_code == 0
    [line] = run.stderr.splitlines()
    assert line.startswith(f"iotpolicy: job summary not written to {tmp_path}: ")


def big_result(count: int, message: str) -> CheckResult:
    findings = tuple(
        Finding(
            "SEG-004",
            Severity.ERROR if i % 3 else Severity.WARNING,
            f"seg-{i:05d}",
            f"segments/seg-{i:05d}.yaml",
            7,
            message,
            suppressed_by="exc-1" if i % 10 == 0 else None,
        )
        for i in range(count)
    )
    return CheckResult("register", dt.date(2026, 11, 25), findings, 0, ("SEG-004",), {}, "register")


def test_the_summary_stays_under_one_mib_and_says_how_many_rows_it_left_out() -> None:
    result = big_result(6000, "flow to 'mgmt' has no purpose; " * 8)
    url = "https://github.com/acme/plant/blob/0123456789abcdef/"
    text = render_summary(result, url)
    size = len(text.encode("utf-8"))
    assert MAX_BYTES - 2000 < size <= MAX_BYTES < 1024 * 1024
    rows = [line for line in text.splitlines() if line.startswith("| ") and "](" in line]
    [note] = [line for line in text.splitlines() if "left out" in line]
    left = int(note.split(" ")[0])
    assert len(rows) + left == 6000
    assert note.endswith(
        "left out to keep this summary under GitHub's 1 MiB limit: the SARIF report (code "
        "scanning) and `iotpolicy check` list every finding."
    )
    assert "### Open findings (5400)" in text and "### Suppressed by exceptions (600)" in text
    # What the step's summary file already holds counts against the limit.
    smaller = render_summary(result, url, used=500_000)
    assert len(smaller.encode("utf-8")) <= MAX_BYTES - 500_000
    assert re.search(r"^\d+ rows left out", smaller, re.MULTILINE)
    small = render_summary(big_result(3, "x"), url)
    assert "left out" not in small

"""``iotpolicy review`` over a scripted year of git history, and ``record-communication``."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from iotpolicy.review.pack import QUESTIONS
from tests.conftest import DELETE, Run
from tests.support.baseline import baseline
from tests.support.gitrepo import GitRepo

Cli = Callable[..., Run]
AS_OF = "2026-01-10"
ANSWERS = (
    "--answer",
    "effective=Yes; no incident in the year.",
    "--answer",
    "coverage=Gateways added to the device rules.",
    "--answer",
    "risks=Edge gateways with cloud links.",
    "--answer",
    "laws=NIS2 transposition noted.",
)
DECIDE = (
    "--trigger",
    "annual",
    "--summary",
    "Annual review; gateways covered.",
    "--reviewer",
    "ole-hansen",
    "--approver",
    "anna-berg",
    "--date",
    AS_OF,
    "--as-of",
    AS_OF,
    *ANSWERS,
)


def _start() -> dict[str, Any]:
    """The baseline register with revision 1.0 of 2025-01-01 only."""
    files = baseline()
    files["policy.yaml"]["revisions"] = files["policy.yaml"]["revisions"][:1]
    return files


def _device(files: dict[str, Any], device_id: str, **changes: Any) -> dict[str, Any]:
    device = copy.deepcopy(files["devices/plc-01.yaml"])
    device.update(id=device_id, **changes)
    device["network"] = {**device["network"], "ip": changes.get("ip", "10.20.1.50")}
    device.pop("ip", None)
    return device


@pytest.fixture
def year(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """A register at revision 1.0 (2025-01-01) and a year of commits after it."""
    for name, value in (
        GitRepo(tmp_path / "probe")
        .env("2025-01-01T09:00:00+00:00", "Ole Hansen", "ole.hansen@example.com")
        .items()
    ):
        if name.startswith("GIT_"):
            monkeypatch.setenv(name, value)
    repo = GitRepo(tmp_path / "repo")
    files = _start()
    repo.commit("Register at revision 1.0", "2025-01-01T09:00:00+00:00", files)
    repo.commit(
        "Add plc-02 and cam-02",
        "2025-03-01T09:00:00+00:00",
        {
            "devices/plc-02.yaml": _device(
                files, "plc-02", commissioned_on="2025-03-01", ip="10.20.1.11"
            ),
            "devices/cam-02.yaml": _device(
                files, "cam-02", type="camera", commissioned_on="2025-03-02", ip="10.20.1.12"
            ),
        },
    )
    plc = copy.deepcopy(files["devices/plc-01.yaml"])
    plc["firmware"]["version"] = "4.6.0"
    plc["changes"].append(
        {
            "date": "2025-05-10",
            "kind": "firmware-update",
            "by": "ole-hansen",
            "from_version": "4.5.2",
            "to_version": "4.6.0",
        }
    )
    repo.commit(
        "Firmware 4.6.0 on plc-01", "2025-05-10T09:00:00+00:00", {"devices/plc-01.yaml": plc}
    )
    repo.commit(
        "Add the edge gateway",
        "2025-06-15T09:00:00+00:00",
        {
            "devices/gw-01.yaml": _device(
                files, "gw-01", type="gateway", commissioned_on="2025-06-15", ip="10.20.1.13"
            )
        },
    )
    repo.commit(
        "Advisory SSA-2025-001",
        "2025-08-20T09:00:00+00:00",
        {
            "advisories/ssa-2025-001.yaml": {
                "id": "ssa-2025-001",
                "vendor": "siemens",
                "kind": "vulnerability",
                "title": "S7-1200 denial of service",
                "received_on": "2025-08-20",
                "affects": [{"model": "SIMATIC S7-1200", "versions": "<4.6"}],
                "status": "mitigated",
            }
        },
    )
    repo.commit(
        "Exception for the old camera",
        "2025-09-01T09:00:00+00:00",
        {
            "exceptions/exc-2025-001.yaml": {
                "id": "exc-2025-001",
                "rule": "MON-001",
                "subjects": ["cam-01"],
                "justification": "Logging added at the next firmware.",
                "approved_by": "anna-berg",
                "approved_on": "2025-09-01",
                "expires_on": "2025-12-31",
            }
        },
    )
    return repo


def _lists(text: str) -> dict[str, list[str]]:
    """Heading -> the item lines under it, from the pack's "What changed" section."""
    section = text.split("## What changed", 1)[1].split("## Compliance now", 1)[0]
    found: dict[str, list[str]] = {}
    current = ""
    for line in section.splitlines():
        if line.startswith("### "):
            current = line[4:].rsplit(" (", 1)[0]
            found[current] = []
        elif line.startswith("- ") and current:
            found[current].append(line[2:])
    return found


def test_dry_run_lists_exactly_the_year(cli: Cli, year: GitRepo) -> None:
    before = year.git("status", "--porcelain")
    run = cli("review", "--register", str(year.register), "--dry-run", "--as-of", AS_OF)
    assert run.exit_code == 0, run.stderr
    text = run.stdout
    lists = _lists(text)
    ids = {
        title: [item.split(":")[0].split(" (")[0] for item in items]
        for title, items in lists.items()
    }
    assert ids == {
        "Devices added": ["cam-02", "plc-02", "gw-01"],
        "Devices retired or removed": [],
        "Devices relocated": [],
        "Firmware updated": ["plc-01"],
        "Vendors added": [],
        "Vendors re-assessed": [],
        "Exceptions granted": ["exc-2025-001"],
        "Exceptions expiring": [],
        "Exceptions expired": ["exc-2025-001"],
        "Advisories recorded": ["ssa-2025-001"],
        "Incidents and audit findings recorded": [],
        "Device types new since the revision": ["gw-01"],
    }
    assert "4.5.2 -&gt; 4.6.0" in lists["Firmware updated"][0]
    assert lists["Device types new since the revision"][0].startswith("gw-01: gateway")
    why = text.split("## Why a review is due", 1)[1].split("## What changed", 1)[0]
    assert "due on 2026-01-01" in why and "**overdue**" in why
    rows = [line for line in why.splitlines() if line.startswith("| POL-")]
    assert [row.split(" | ")[0:3] for row in rows] == [
        ["| POL-002", "error", "policy"],
        ["| POL-003", "warning", "ssa-2025-001"],
        ["| POL-003", "warning", "gw-01"],
    ]
    assert "Is the policy still effective" in text and "Not answered yet" in text
    assert "Proposed version: 1.1 (or 2.0" in text
    assert year.git("status", "--porcelain") == before  # nothing written
    assert not (year.register / "reviews").exists()


def test_output_writes_the_pack(cli: Cli, year: GitRepo, tmp_path: Path) -> None:
    out = tmp_path / "pack.md"
    run = cli("review", "--register", str(year.register), "--dry-run", "--as-of", AS_OF,
              "--output", str(out))  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert run.stdout == ""
    assert "## What changed since revision 1.0" in out.read_text(encoding="utf-8")


def test_review_commits_tags_and_clears_the_triggers(cli: Cli, year: GitRepo) -> None:
    reg = str(year.register)
    assert cli("check", "--register", reg, "--as-of", AS_OF, "--rule", "POL-002",
               "--rule", "POL-003").exit_code == 1  # fmt: skip
    original = (year.register / "policy.yaml").read_text(encoding="utf-8")
    run = cli("review", "--register", reg, "--version", "1.1", "--commit", *DECIDE)
    assert run.exit_code == 0, run.stderr
    assert "tagged policy-v1.1" in run.stdout
    text = (year.register / "policy.yaml").read_text(encoding="utf-8")
    assert text.startswith(original)  # appended; everything before kept as it was
    data = yaml.safe_load(text)
    new = data["revisions"][-1]
    assert new["number"] == "1.1"
    assert str(new["date"]) == AS_OF
    assert new["reviewed_by"] == ["ole-hansen"]
    assert new["approvals"][0]["by"] == "anna-berg"
    assert new["process_owner"] == "ole-hansen"
    shown = year.git("show", "policy-v1.1:register/policy.yaml")
    assert 'number: "1.1"' in shown
    assert 'number: "1.1"' not in year.git("show", "policy-v1.1~1:register/policy.yaml")
    assert year.git("log", "-1", "--format=%b", "policy-v1.1").strip().splitlines() == [
        "- Append revision 1.1 to policy.yaml",
        f"- Add the review record reviews/{AS_OF}-v1.1.md",
    ]
    files = year.git("show", "--name-only", "--format=%s", "policy-v1.1").split()
    assert "register/policy.yaml" in files
    assert f"register/reviews/{AS_OF}-v1.1.md" in files
    record = (year.register / f"reviews/{AS_OF}-v1.1.md").read_text(encoding="utf-8")
    assert "NIS2 transposition noted." in record
    assert "| Approved by | anna-berg |" in record
    assert "- gw-01: gateway" in record
    assert year.git("status", "--porcelain", "--untracked-files=no") == ""
    after = cli("check", "--register", reg, "--as-of", AS_OF, "--rule", "POL-002",
                "--rule", "POL-003", "--rule", "POL-001", "--rule", "POL-004")  # fmt: skip
    assert after.exit_code == 0, after.stdout
    assert "POL-00" not in after.stdout


def test_refuses_an_approver_who_is_not_a_gm(cli: Cli, year: GitRepo) -> None:
    args = [a if a != "anna-berg" else "ole-hansen" for a in DECIDE]
    run = cli("review", "--register", str(year.register), *args)
    assert run.exit_code == 1
    assert "'ole-hansen' is not a general manager" in run.stderr
    assert "general managers: anna-berg" in run.stderr
    assert not (year.register / "reviews").exists()


@pytest.mark.parametrize("version", ["1.0", "0.9", "v1.0"])
def test_refuses_a_version_not_greater(cli: Cli, year: GitRepo, version: str) -> None:
    run = cli("review", "--register", str(year.register), "--version", version, *DECIDE)
    assert run.exit_code == 1
    assert "is not greater than 1.0" in run.stderr
    assert year.git("status", "--porcelain") == ""


def test_accepts_a_major_version(cli: Cli, year: GitRepo) -> None:
    run = cli("review", "--register", str(year.register), "--version", "2.0", *DECIDE)
    assert run.exit_code == 0, run.stderr
    assert (year.register / f"reviews/{AS_OF}-v2.0.md").is_file()
    assert "Not committed" in run.stdout


def test_refuses_a_dirty_register(cli: Cli, year: GitRepo) -> None:
    """Only uncommitted record files count: a note beside them does not change the review."""
    (year.register / "notes.txt").write_text("draft\n", encoding="utf-8")
    (year.register / "devices/cam-99.yaml").write_text("id: cam-99\n", encoding="utf-8")
    path = year.register / "devices/gw-01.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "notes: x\n", encoding="utf-8")
    run = cli("review", "--register", str(year.register), "--commit", *DECIDE)
    assert run.exit_code == 1
    assert "devices/gw-01.yaml" in run.stderr and "devices/cam-99.yaml" in run.stderr
    assert "notes.txt" not in run.stderr
    assert "uncommitted changes" in run.stderr
    assert not (year.register / "reviews").exists()


def test_a_file_that_is_no_record_does_not_block_the_review(cli: Cli, year: GitRepo) -> None:
    (year.register / "notes.txt").write_text("draft\n", encoding="utf-8")
    run = cli("review", "--register", str(year.register), "--commit", *DECIDE)
    assert run.exit_code == 0, run.stderr
    assert (year.register / "notes.txt").read_text(encoding="utf-8") == "draft\n"


def test_no_git_needs_the_option(cli: Cli, make_register: Callable[..., Path]) -> None:
    root = make_register({"policy.yaml": _start()["policy.yaml"]})
    run = cli("review", "--register", str(root), "--dry-run", "--as-of", AS_OF)
    assert run.exit_code == 2
    assert "not inside a git repository" in run.stderr and "--no-git" in run.stderr
    run = cli("review", "--register", str(root), "--dry-run", "--as-of", AS_OF, "--no-git")
    assert run.exit_code == 0, run.stderr
    assert "Not read from git" in run.stdout
    run = cli("review", "--register", str(root), "--no-git", "--version", "1.1", *DECIDE)
    assert run.exit_code == 0, run.stderr
    assert yaml.safe_load((root / "policy.yaml").read_text())["revisions"][-1]["number"] == "1.1"


def test_record_communication_makes_pol_005_pass(cli: Cli, year: GitRepo) -> None:
    reg = str(year.register)
    assert cli("review", "--register", reg, "--commit", *DECIDE).exit_code == 0
    pol5 = ("check", "--register", reg, "--as-of", AS_OF, "--rule", "POL-005")
    assert "POL-005" in cli(*pol5).stdout
    run = cli("record-communication", "--register", reg, "--on", "2026-01-12",
              "--channel", "email", "--channel", "printed-at-sites",
              "--audience", "staff", "--audience", "vendors", "--commit")  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert "POL-005" not in cli(*pol5).stdout
    again = cli("record-communication", "--register", reg, "--on", "2026-01-12",
                "--channel", "email", "--audience", "staff")  # fmt: skip
    assert again.exit_code == 1 and "--replace" in again.stderr
    revision = yaml.safe_load((year.register / "policy.yaml").read_text())["revisions"][-1]
    assert revision["communicated"]["channels"] == ["email", "printed-at-sites"]


def test_init_then_review_approves_1_0_in_place(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = date.today().isoformat()
    for name, value in (
        GitRepo(tmp_path / "probe")
        .env(f"{today}T09:00:00+00:00", "Anna Berg", "anna.berg@example.com")
        .items()
    ):
        if name.startswith("GIT_"):
            monkeypatch.setenv(name, value)
    target = tmp_path / "reg"
    run = cli("init", str(target), "--organization", "Acme", "--general-manager", "Anna Berg",
              "--operations-manager", "Ole Hansen", "--commit")  # fmt: skip
    assert run.exit_code == 0, run.stdout + run.stderr
    subprocess.run(["git", "add", "-A"], cwd=target, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "rest"], cwd=target, check=False)
    people = yaml.safe_load((target / "people.yaml").read_text())
    gm = next(p["id"] for p in people if "general-manager" in p.get("roles", []))
    scaffold = (target / "policy.yaml").read_text()
    assert "approvals: []  # awaiting the General Manager's approval" in scaffold
    pack = cli("review", "--register", str(target), "--dry-run", "--as-of", today)
    assert pack.exit_code == 0, pack.stderr
    assert "approves it in place" in pack.stdout
    refused = cli("review", "--register", str(target), "--version", "1.1", "--reviewer", gm,
                  "--approver", gm, "--date", today, *ANSWERS)  # fmt: skip
    assert refused.exit_code == 1 and "not yet approved" in refused.stderr
    run = cli("review", "--register", str(target), "--reviewer", gm, "--approver", gm,
              "--date", today, "--commit", *ANSWERS)  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert "approved in place" in run.stdout
    revisions = yaml.safe_load((target / "policy.yaml").read_text())["revisions"]
    assert len(revisions) == 1
    assert revisions[0]["number"] == "1.0"
    assert revisions[0]["approvals"][0]["by"] == gm
    assert revisions[0]["reviewed_by"] == [gm]
    text = (target / "policy.yaml").read_text()
    assert "awaiting" not in text and "awaits" not in text  # no comment the approval made false
    assert "# who reviewed it" not in text  # nor a comment about the empty list it filled
    kept = [line for line in scaffold.splitlines() if "#" in line and "reviewed" not in line
            and "approval" not in line]  # fmt: skip
    assert kept and all(line in text.splitlines() for line in kept)  # every other comment stays
    body = subprocess.run(["git", "log", "-1", "--format=%b"], cwd=target, capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    assert body.strip().splitlines() == [
        "- Approve revision 1.0 in place in policy.yaml",
        f"- Add the review record reviews/{today}-v1.0.md",
    ]
    check = cli("check", "--register", str(target), "--as-of", today,
                "--rule", "POL-001", "--rule", "POL-004")  # fmt: skip
    assert check.exit_code == 0, check.stdout
    show = subprocess.run(["git", "show", "policy-v1.0:policy.yaml"], cwd=target,
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert "approvals:" in show.stdout


# --- interactive: every value asked for on a terminal (or with --interactive) ---------------------

ANSWER_TEXTS = {
    "effective": "Yes; no incident in the year.",
    "coverage": "Gateways added to the device rules.",
    "risks": "Edge gateways with cloud links.",
    "laws": "NIS2 transposition noted.",
}


def _dialogue(stdout: str) -> list[str]:
    """The prompts with the answers typed (echoed by the runner), after the pack and before the
    outcome."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Generated by iotpolicy"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Revision "))
    return [line for line in lines[start + 1 : end] if line]


def test_interactive_review_asks_everything_re_asks_refused_answers_and_commits(
    cli: Cli, year: GitRepo
) -> None:
    before = (year.register / "policy.yaml").read_text(encoding="utf-8")
    head = year.git("rev-parse", "HEAD").strip()
    lines = [
        "1.0",  # not greater than the version in force: refused, asked again
        "1.1",
        "annual",
        "Annual review; gateways covered.",
        "ole-hansen, nobody",  # an unknown person: refused, asked again
        "ole-hansen, anna-berg",
        "ole-hansen",  # not a general manager: refused with the GMs named, asked again
        "anna-berg",
        *ANSWER_TEXTS.values(),
    ]
    run = cli("review", "--register", str(year.register), "--interactive", "--date", AS_OF,
              "--as-of", AS_OF, "--commit", input="\n".join(lines) + "\n")  # fmt: skip
    assert run.exit_code == 0, run.stderr
    out = run.stdout
    # the pack first, then the questions
    assert out.index("## What changed since revision 1.0") < out.index("New version")
    assert _dialogue(out) == [
        "New version (minor 1.1, major 2.0) [1.1]: 1.0",
        "New version (minor 1.1, major 2.0) [1.1]: 1.1",
        "Trigger [advisory]: annual",
        "Summary of the changes: Annual review; gateways covered.",
        "Reviewers (person ids, separated by commas): ole-hansen, nobody",
        "Reviewers (person ids, separated by commas): ole-hansen, anna-berg",
        "Approving general manager (anna-berg) [anna-berg]: ole-hansen",
        "Approving general manager (anna-berg) [anna-berg]: anna-berg",
        *(f"{q.text}: {ANSWER_TEXTS[q.key]}" for q in QUESTIONS),
    ]
    assert run.stderr.splitlines() == [
        "  version 1.0 is not greater than 1.0, the version in force (next minor 1.1, "
        "next major 2.0)",
        "  not in people.yaml: nobody (reviewers are person ids: anna-berg, ole-hansen)",
        "  'ole-hansen' is not a general manager and cannot approve the policy "
        "(general managers: anna-berg)",
    ]
    assert "Revision 1.1 appended in policy.yaml." in out
    assert "tagged policy-v1.1" in out
    # policy.yaml: the old text kept, the new revision appended with every answer
    text = (year.register / "policy.yaml").read_text(encoding="utf-8")
    assert text.startswith(before)
    revisions = yaml.safe_load(text)["revisions"]
    assert len(revisions) == 2
    new = revisions[-1]
    assert new["number"] == "1.1"
    assert str(new["date"]) == AS_OF
    assert new["trigger"] == "annual"
    assert new["changes"] == "Annual review; gateways covered."
    assert new["reviewed_by"] == ["ole-hansen", "anna-berg"]
    assert [(a["by"], str(a["date"])) for a in new["approvals"]] == [("anna-berg", AS_OF)]
    # the review record holds the decision and the four answers
    record = (year.register / f"reviews/{AS_OF}-v1.1.md").read_text(encoding="utf-8")
    assert "| New version | 1.1 |" in record
    assert "| Trigger | annual |" in record
    assert "| Reviewed by | ole-hansen, anna-berg |" in record
    assert "| Approved by | anna-berg |" in record
    for answer in ANSWER_TEXTS.values():
        assert answer in record
    assert "Not answered yet" not in record
    # one commit on top of the old HEAD, with exactly the two files, tagged policy-v1.1
    assert year.git("rev-parse", "HEAD~1").strip() == head
    assert year.git("rev-parse", "policy-v1.1^{commit}") == year.git("rev-parse", "HEAD")
    assert year.git("cat-file", "-t", "policy-v1.1").strip() == "tag"  # annotated
    shown = year.git("show", "--name-only", "--format=%s%n%an <%ae>", "HEAD").split("\n")
    assert shown[:2] == [
        "Approve policy revision 1.1 (annual review, approved by anna-berg)",
        "Ole Hansen <ole.hansen@example.com>",
    ]
    assert sorted(line for line in shown[2:] if line) == [
        "register/policy.yaml",
        f"register/reviews/{AS_OF}-v1.1.md",
    ]
    assert year.git("show", "policy-v1.1:register/policy.yaml") == text
    assert year.git("status", "--porcelain", "--untracked-files=no") == ""


def test_interactive_asks_only_what_the_options_left_out(cli: Cli, year: GitRepo) -> None:
    run = cli("review", "--register", str(year.register), "--interactive", "--version", "2.0",
              "--approver", "anna-berg", "--date", AS_OF, "--as-of", AS_OF,
              "--answer", f"effective={ANSWER_TEXTS['effective']}",
              "--answer", f"laws={ANSWER_TEXTS['laws']}",
              input="\nMajor revision.\nole-hansen\nCovered.\nNone new.\n")  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert _dialogue(run.stdout) == [  # no version, approver, effective or laws asked
        "Trigger [advisory]: ",  # Enter takes the proposed trigger
        "Summary of the changes: Major revision.",
        "Reviewers (person ids, separated by commas): ole-hansen",
        "Does the policy cover the device types in use?: Covered.",
        "Are there new risks or technologies the policy should address?: None new.",
    ]
    new = yaml.safe_load((year.register / "policy.yaml").read_text())["revisions"][-1]
    assert (new["number"], new["trigger"], new["changes"]) == ("2.0", "advisory", "Major revision.")
    assert new["reviewed_by"] == ["ole-hansen"]
    record = (year.register / f"reviews/{AS_OF}-v2.0.md").read_text(encoding="utf-8")
    for answer in (ANSWER_TEXTS["effective"], ANSWER_TEXTS["laws"], "Covered.", "None new."):
        assert answer in record
    assert "Not committed" in run.stdout
    assert year.git("tag", "--list") == ""


def test_without_a_terminal_missing_values_are_a_usage_error(cli: Cli, year: GitRepo) -> None:
    run = cli("review", "--register", str(year.register), "--version", "1.1", "--date", AS_OF,
              "--as-of", AS_OF, "--answer", f"risks={ANSWER_TEXTS['risks']}")  # fmt: skip
    assert run.exit_code == 2
    assert run.stderr.startswith(
        "iotpolicy: missing --summary, --reviewer, --approver, --answer effective=TEXT, "
        "--answer coverage=TEXT, --answer laws=TEXT: give them as options, or run on a terminal"
    )
    assert year.git("status", "--porcelain") == ""


def test_interactive_end_of_input_writes_nothing(cli: Cli, year: GitRepo) -> None:
    run = cli("review", "--register", str(year.register), "--interactive", "--date", AS_OF,
              "--as-of", AS_OF, "--commit", input="1.1\nannual\nSummary.\n")  # fmt: skip
    assert run.exit_code != 0
    assert "Traceback" not in run.stdout + run.stderr
    assert year.git("status", "--porcelain") == ""
    assert not (year.register / "reviews").exists()
    assert year.git("tag", "--list") == ""


def test_interactive_pending_revision_re_asks_for_its_own_number(cli: Cli, year: GitRepo) -> None:
    """A revision without a GM's approval is approved in place: another number is refused."""
    policy = yaml.safe_load((year.register / "policy.yaml").read_text(encoding="utf-8"))
    policy["revisions"][0].pop("approvals")
    year.commit("Revision 1.0 not approved yet", "2025-10-01T09:00:00+00:00",
                {"policy.yaml": policy})  # fmt: skip
    lines = ["1.1", "1.0", "", "Initial approval.", "ole-hansen", "anna-berg",
             *ANSWER_TEXTS.values()]  # fmt: skip
    run = cli("review", "--register", str(year.register), "--interactive", "--date", AS_OF,
              "--as-of", AS_OF, input="\n".join(lines) + "\n")  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert run.stderr.splitlines() == [
        "  revision 1.0 in force is not yet approved by a general manager; this review "
        "approves it, so the version is 1.0 (not 1.1)"
    ]
    assert _dialogue(run.stdout)[:3] == [
        "New version [1.0]: 1.1",
        "New version [1.0]: 1.0",
        "Trigger [initial]: ",
    ]
    assert "Revision 1.0 approved in place in policy.yaml." in run.stdout
    revisions = yaml.safe_load((year.register / "policy.yaml").read_text())["revisions"]
    assert len(revisions) == 1
    assert revisions[0]["trigger"] == "initial"  # Enter took the proposed trigger
    assert revisions[0]["approvals"][0]["by"] == "anna-berg"


def test_on_a_terminal_review_asks_without_the_option(year: GitRepo) -> None:
    """Without --interactive, prompting follows standard input being a terminal (a pty here)."""
    env = {k: v for k, v in os.environ.items() if k != "IOTPOLICY_INTERACTIVE"}
    args = [sys.executable, "-m", "iotpolicy", "review", "--register", str(year.register),
            "--version", "1.1", "--trigger", "annual", "--summary", "Annual review.",
            "--date", AS_OF, "--as-of", AS_OF, *ANSWERS]  # fmt: skip
    pty = pytest.importorskip("pty")  # POSIX only
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(args, stdin=slave, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, text=True)  # fmt: skip
        os.close(slave)
        os.write(master, b"ole-hansen\nole-hansen\nanna-berg\n")
        try:
            stdout, stderr = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    finally:
        os.close(master)
    assert proc.returncode == 0, stderr
    assert stdout.count("Reviewers (person ids, separated by commas): ") == 1
    assert stdout.count("Approving general manager (anna-berg) [anna-berg]: ") == 2
    assert "'ole-hansen' is not a general manager" in stderr
    new = yaml.safe_load((year.register / "policy.yaml").read_text())["revisions"][-1]
    assert (new["number"], new["reviewed_by"]) == ("1.1", ["ole-hansen"])
    assert new["approvals"][0]["by"] == "anna-berg"


# --- the pack as a user reads it --------------------------------------------------------------


def _on_a_terminal(args: list[str]) -> str:
    """Standard output of ``iotpolicy ARGS`` run with a terminal (a pty) as standard output,
    without colour codes."""
    pty = pytest.importorskip("pty")  # POSIX only
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "iotpolicy", *args], stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=subprocess.PIPE, env=env)  # fmt: skip
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode("utf-8"))


def test_the_pack_is_rendered_on_a_terminal_and_markdown_in_a_pipe(cli: Cli, year: GitRepo) -> None:
    args = ["review", "--register", str(year.register), "--dry-run", "--as-of", AS_OF]
    piped = cli(*args).stdout
    assert "plc-01: 4.5.2 -&gt; 4.6.0" in piped and "**overdue**" in piped  # Markdown as written
    shown = _on_a_terminal(args)
    assert "plc-01: 4.5.2 -> 4.6.0" in shown
    assert "overdue" in shown and "Policy review pack" in shown
    for markup in ("&gt;", "**", "\\_", "## ", "|---|"):
        assert markup not in shown, markup


def test_the_pack_counts_in_words(cli: Cli, make_register: Callable[..., Path]) -> None:
    root = make_register(
        {"devices/cam-01.yaml": DELETE, "devices/sensor-02.yaml": DELETE,
         "devices/plc-01.yaml": {"access.accounts.0.shared": True,
                                 "network.access_approved_by": DELETE}}
    )  # fmt: skip
    run = cli("review", "--register", str(root), "--no-git", "--dry-run", "--as-of", AS_OF)
    assert run.exit_code == 0, run.stderr
    assert f"as of {AS_OF}: 1 error, 1 warning, 0 suppressed, 1 device file." in run.stdout

"""``iotpolicy review`` over a scripted year of git history, and ``record-communication``."""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.baseline import baseline
from tests.conftest import Run
from tests.gitrepo import GitRepo

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
    (year.register / "notes.txt").write_text("draft\n", encoding="utf-8")
    path = year.register / "devices/gw-01.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "notes: x\n", encoding="utf-8")
    run = cli("review", "--register", str(year.register), "--commit", *DECIDE)
    assert run.exit_code == 1
    assert "devices/gw-01.yaml" in run.stderr and "notes.txt" in run.stderr
    assert "uncommitted changes" in run.stderr
    assert not (year.register / "reviews").exists()


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
    assert "# below awaits review" in (target / "policy.yaml").read_text()  # comments kept
    check = cli("check", "--register", str(target), "--as-of", today,
                "--rule", "POL-001", "--rule", "POL-004")  # fmt: skip
    assert check.exit_code == 0, check.stdout
    show = subprocess.run(["git", "show", "policy-v1.0:policy.yaml"], cwd=target,
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert "approvals:" in show.stdout

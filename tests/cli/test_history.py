"""``iotpolicy history``, the ``changes`` report and the git facts of every report's footer, on a
temporary repository with scripted commits (fixed identities and dates)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from iotpolicy.history import FieldChange, diff, read_history
from tests.conftest import DELETE, Run, edited_baseline, write_register
from tests.support.gitrepo import GitCalls, GitRepo

MARIA = {"name": "Maria Lund", "email": "maria.lund@example.com"}
FIRST = {
    "devices/plc-01.yaml": {
        "firmware.version": "4.5.0",
        "firmware.updated_on": "2024-03-12",
        "firmware.integrity.verified_on": "2024-03-12",
        "changes.1": DELETE,
    }
}
UPDATE = {
    "firmware.version": "4.5.2",
    "firmware.updated_on": "2026-02-10",
    "firmware.integrity.verified_on": "2026-02-10",
    "changes.1": {
        "date": "2026-02-10",
        "kind": "firmware-update",
        "by": "maria-lund",
        "from_version": "4.5.0",
        "to_version": "4.5.2",
    },
}


class Scripted:
    """The repository of these tests: four commits, one of them by someone else."""

    def __init__(self, top: Path) -> None:
        self.repo = GitRepo(top)
        self.files = edited_baseline(FIRST)
        self.c1 = self.commit("Register the line 1 PLC", "2026-01-05T10:00:00+01:00", {})
        self.c2 = self.commit(
            "Firmware update for SSA-123456",
            "2026-02-10T14:30:00+01:00",
            {"devices/plc-01.yaml": UPDATE},
            **MARIA,
        )
        self.repo.git("tag", "after-update")
        self.c3 = self.commit(
            "Move the PLC to cabinet B; rename the gate camera",
            "2026-03-15T08:00:00+01:00",
            {
                "devices/plc-01.yaml": {"location.area": "Hall A, cabinet B"},
                "devices/cam-01.yaml": {"name": "Main gate camera"},
            },
        )
        self.c4 = self.commit(
            "Add Maria; camera notes",
            "2026-04-01T09:15:00+02:00",
            {
                "people.yaml": {
                    "2": {
                        "id": "maria-lund",
                        "name": "Maria Lund",
                        "roles": ["staff"],
                        "email": "maria.lund@example.com",
                    },
                    "1.title": "Head of Operations",
                },
                "devices/cam-01.yaml": {"notes": "Wi-Fi fallback psk: hunter2-secret"},
            },
        )

    @property
    def register(self) -> Path:
        return self.repo.register

    def commit(self, message: str, when: str, edits: dict[str, Any], **who: str) -> str:
        from tests.conftest import apply_edit

        for rel, changes in edits.items():
            for dotted, value in changes.items():
                apply_edit(self.files[rel], dotted, value)
        return self.repo.commit(message, when, self.files, **who)


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> Scripted:
    return Scripted(tmp_path_factory.mktemp("history"))


def test_history_of_one_device_across_three_commits(
    cli: Callable[..., Run], scripted: Scripted
) -> None:
    run = cli("history", "plc-01", "--register", str(scripted.register))
    assert run.exit_code == 0, run.stderr
    c1, c2, c3 = (c[:12] for c in (scripted.c1, scripted.c2, scripted.c3))
    assert run.stdout == (
        f"commit {c3}  2026-03-15T08:00:00+01:00  Ole Hansen\n"
        "    Move the PLC to cabinet B; rename the gate camera\n"
        "  device plc-01 (devices/plc-01.yaml): modified\n"
        "    location.area: Hall A -> Hall A, cabinet B\n"
        "\n"
        f"commit {c2}  2026-02-10T14:30:00+01:00  Maria Lund\n"
        "    Firmware update for SSA-123456\n"
        "  device plc-01 (devices/plc-01.yaml): modified\n"
        "    firmware.version: 4.5.0 -> 4.5.2\n"
        "    firmware.updated_on: 2024-03-12 -> 2026-02-10\n"
        "    firmware.integrity.verified_on: 2024-03-12 -> 2026-02-10\n"
        "    changes.1.date: (none) -> 2026-02-10\n"
        "    changes.1.kind: (none) -> firmware-update\n"
        "    changes.1.by: (none) -> maria-lund\n"
        "    changes.1.from_version: (none) -> 4.5.0\n"
        "    changes.1.to_version: (none) -> 4.5.2\n"
        "\n"
        f"commit {c1}  2026-01-05T10:00:00+01:00  Ole Hansen\n"
        "    Register the line 1 PLC\n"
        "  device plc-01 (devices/plc-01.yaml): created\n"
    )


def test_history_json(cli: Callable[..., Run], scripted: Scripted) -> None:
    run = cli("history", "plc-01", "--register", str(scripted.register), "--format", "json")
    assert run.exit_code == 0, run.stderr
    document = run.json
    assert document["register"] == str(scripted.register)
    assert document["record"] == "plc-01"
    assert document["since"] is None
    assert [c["commit"] for c in document["commits"]] == [scripted.c3, scripted.c2, scripted.c1]
    assert document["commits"][1] == {
        "commit": scripted.c2,
        "date": "2026-02-10T14:30:00+01:00",
        "author": "Maria Lund",
        "email": "maria.lund@example.com",
        "message": "Firmware update for SSA-123456",
        "records": [
            {
                "file": "devices/plc-01.yaml",
                "kind": "device",
                "id": "plc-01",
                "action": "modified",
                "fields": [
                    {"field": "firmware.version", "old": "4.5.0", "new": "4.5.2"},
                    {"field": "firmware.updated_on", "old": "2024-03-12", "new": "2026-02-10"},
                    {
                        "field": "firmware.integrity.verified_on",
                        "old": "2024-03-12",
                        "new": "2026-02-10",
                    },
                    {"field": "changes.1.date", "old": None, "new": "2026-02-10"},
                    {"field": "changes.1.kind", "old": None, "new": "firmware-update"},
                    {"field": "changes.1.by", "old": None, "new": "maria-lund"},
                    {"field": "changes.1.from_version", "old": None, "new": "4.5.0"},
                    {"field": "changes.1.to_version", "old": None, "new": "4.5.2"},
                ],
                "note": None,
            }
        ],
    }


def test_history_of_the_register_lists_every_record_and_redacts_secrets(
    cli: Callable[..., Run], scripted: Scripted
) -> None:
    run = cli("history", "--register", str(scripted.register), "-f", "json")
    assert run.exit_code == 0, run.stderr
    commits = run.json["commits"]
    assert len(commits) == 4
    latest = {(r["kind"], r["id"]): r for r in commits[0]["records"]}
    assert set(latest) == {("device", "cam-01"), ("person", "maria-lund"), ("person", "ole-hansen")}
    assert latest[("person", "maria-lund")]["action"] == "created"
    assert latest[("person", "ole-hansen")]["fields"] == [
        {"field": "title", "old": "Operations Manager", "new": "Head of Operations"}
    ]
    assert latest[("device", "cam-01")]["fields"] == [
        {"field": "notes", "old": None, "new": "(redacted)"}
    ]
    assert "hunter2" not in run.stdout
    first = commits[-1]["records"]
    assert {r["action"] for r in first} == {"created"}
    assert len(first) == 1 + 2 + 4 + 2 + 3  # policy, 2 people, 4 segments, 2 vendors, 3 devices
    text = cli("history", "--register", str(scripted.register)).stdout
    assert "hunter2" not in text
    assert "  device cam-01 (devices/cam-01.yaml): modified\n" in text
    assert "    notes: (none) -> (redacted)\n" in text
    assert "  person maria-lund (people.yaml): created\n" in text


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("2026-02-10", ["c4", "c3", "c2"]),  # on or after the date (author date)
        ("2026-03-16", ["c4"]),
        ("after-update", ["c4", "c3"]),  # a tag: the commits after it
        ("c2", ["c4", "c3"]),  # a hash
        ("c4", []),
    ],
)
def test_history_since_a_date_or_a_revision(
    cli: Callable[..., Run], scripted: Scripted, since: str, expected: list[str]
) -> None:
    value = getattr(scripted, since) if since.startswith("c") else since
    run = cli("history", "--register", str(scripted.register), "--since", value, "-f", "json")
    assert run.exit_code == 0, run.stderr
    assert [c["commit"] for c in run.json["commits"]] == [getattr(scripted, c) for c in expected]
    assert run.json["since"] == value


@pytest.mark.parametrize(
    ("since", "says"),
    [
        ("2026-02-30", "is not a real calendar date"),
        ("2026-2-3", "is not a date; write it as YYYY-MM-DD"),
    ],
)
def test_a_date_that_is_not_one_is_a_usage_error(
    cli: Callable[..., Run], scripted: Scripted, since: str, says: str
) -> None:
    run = cli("history", "--register", str(scripted.register), "--since", since)
    assert run.exit_code == 2
    assert run.stderr == f"iotpolicy: --since '{since}' {says}\n"


def test_history_of_a_record_no_commit_changed(cli: Callable[..., Run], tmp_path: Path) -> None:
    """A record of the register that was never committed has an empty history, not an error."""
    repo = GitRepo(tmp_path / "repo")
    repo.commit("Register", "2026-01-05T10:00:00+01:00", edited_baseline({}))
    new = edited_baseline({"devices/plc-01.yaml": {"id": "nothing-01"}})["devices/plc-01.yaml"]
    write_register(repo.register, {"devices/nothing-01.yaml": new})
    run = cli("history", "nothing-01", "--register", str(repo.register))
    assert run.exit_code == 0
    assert run.stdout == "No commit changed the record 'nothing-01'.\n"


def test_a_record_deleted_before_since_has_an_empty_history(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("Register", "2026-01-05T10:00:00+01:00", edited_baseline({}))
    repo.commit("Retire the camera", "2026-02-01T10:00:00+01:00", delete=("devices/cam-01.yaml",))
    run = cli("history", "cam-01", "--register", str(repo.register), "--since", "2026-03-01")
    assert (run.exit_code, run.stdout) == (0, "No commit changed the record 'cam-01'.\n")
    run = cli("history", "cam-01", "--register", str(repo.register), "-f", "json")
    assert [c["message"] for c in run.json["commits"]] == ["Retire the camera", "Register"]


@pytest.mark.parametrize(
    ("record", "hint"),
    [
        ("plc-1", "did you mean plc-01?"),
        ("devices/cam-1.yaml", "did you mean devices/cam-01.yaml?"),
        ("NO-SUCH-ID", "iotpolicy history without an ID lists the records that changed"),
    ],
)
def test_an_id_that_is_no_record_now_or_in_history_is_a_usage_error(
    cli: Callable[..., Run], scripted: Scripted, record: str, hint: str
) -> None:
    for fmt in ("text", "json"):
        run = cli("history", record, "--register", str(scripted.register), "-f", fmt)
        assert run.exit_code == 2, run.stdout
        assert run.stdout == ""
        assert run.stderr.startswith(
            f"iotpolicy: no record '{record}' in the register or in its git history; "
        )
        assert run.stderr.endswith(f"{hint}\n") and run.stderr.count("\n") == 1


@pytest.mark.parametrize("since", ["no-such-rev", "--all", "2026-02-30x"])
def test_an_unknown_revision_is_a_usage_error(
    cli: Callable[..., Run], scripted: Scripted, since: str
) -> None:
    run = cli("history", "--register", str(scripted.register), f"--since={since}")
    assert run.exit_code == 2
    assert run.stderr == (
        f"iotpolicy: '{since}' is not a commit, tag or branch of the register's repository\n"
    )


def test_history_reads_git_log_once(
    scripted: Scripted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One ``git log`` and one ``git cat-file --batch``, however many commits and files."""
    recorded = GitCalls(tmp_path, monkeypatch)
    entries = read_history(scripted.register)
    calls = [command[0] for command in recorded.commands()]
    assert len(entries) == 4
    assert calls.count("log") == 1
    assert calls.count("cat-file") == 1


def changes_report(cli: Callable[..., Run], register: Path, out: Path, *extra: str) -> str:
    run = cli("report", "changes", "--register", str(register), "-o", str(out), *extra)
    assert run.exit_code == 0, run.stderr
    return (out / "changes.md").read_text(encoding="utf-8")


def test_the_changes_report_shows_each_record_trail(
    cli: Callable[..., Run], scripted: Scripted, tmp_path: Path
) -> None:
    text = changes_report(cli, scripted.register, tmp_path, "--as-of", "2026-11-25")
    assert "4 commits changed the register." in text
    trail = text.split("## device plc-01\n", 1)[1].split("\n## ", 1)[0]
    c1, c2, c3 = (c[:12] for c in (scripted.c1, scripted.c2, scripted.c3))
    assert trail.splitlines()[3:] == [
        "| Date | Commit | Author | Message | Change |",
        "|---|---|---|---|---|",
        f"| 2026-01-05 | {c1} | Ole Hansen | Register the line 1 PLC | created |",
        f"| 2026-02-10 | {c2} | Maria Lund | Firmware update for SSA-123456 | modified"
        "<br>firmware.version: 4.5.0 -> 4.5.2"
        "<br>firmware.updated\\_on: 2024-03-12 -> 2026-02-10"
        "<br>firmware.integrity.verified\\_on: 2024-03-12 -> 2026-02-10"
        "<br>changes.1.date: (none) -> 2026-02-10"
        "<br>changes.1.kind: (none) -> firmware-update"
        "<br>changes.1.by: (none) -> maria-lund"
        "<br>changes.1.from\\_version: (none) -> 4.5.0"
        "<br>changes.1.to\\_version: (none) -> 4.5.2 |",
        f"| 2026-03-15 | {c3} | Ole Hansen | Move the PLC to cabinet B; rename the gate camera "
        "| modified<br>location.area: Hall A -> Hall A, cabinet B |",
    ]
    assert "hunter2" not in text


@pytest.mark.parametrize("since", ["2026-03-01", "after-update"])
def test_the_changes_report_since_a_date_or_a_revision(
    cli: Callable[..., Run], scripted: Scripted, tmp_path: Path, since: str
) -> None:
    text = changes_report(cli, scripted.register, tmp_path, "--since", since)
    assert f"2 commits since {since.replace('-', '-')} changed the register." in text
    assert scripted.c3[:12] in text and scripted.c4[:12] in text
    assert scripted.c2[:12] not in text and scripted.c1[:12] not in text
    sections = [line for line in text.splitlines() if line.startswith("## ")]
    assert sections == [
        "## person maria-lund",
        "## person ole-hansen",
        "## device cam-01",
        "## device plc-01",
    ]


def test_every_footer_names_the_commit_and_whether_the_register_is_dirty(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    repo = GitRepo(tmp_path / "repo")
    commit = repo.commit("Start", "2026-01-05T10:00:00+00:00", edited_baseline({}))
    (repo.top / "README.md").write_text("outside the register\n", encoding="utf-8")
    repo.commit("Docs only", "2026-01-06T10:00:00+00:00")

    def footer(out: Path) -> str:
        run = cli("report", "site", "--register", str(repo.register), "-o", str(out))
        assert run.exit_code == 0, run.stderr
        return (out / "site.md").read_text(encoding="utf-8").rstrip("\n").splitlines()[-1]

    clean = footer(repo.register / "reports")  # written inside the register: not a change
    assert clean.endswith(
        f"from register commit `{commit[:12]}`, with no uncommitted changes in the register."
    )  # the last commit that changed the register, not HEAD
    assert footer(repo.register / "reports") == clean
    (repo.register / "devices" / "new-01.yaml").write_text("id: new-01\n", encoding="utf-8")
    assert footer(tmp_path / "out").endswith(
        f"`{commit[:12]}`, **with uncommitted changes in the register**."
    )


def test_outside_git_the_reports_say_so_and_history_refuses(
    cli: Callable[..., Run], make_register: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_register()
    out = tmp_path / "out"
    run = cli("report", "--register", str(root), "-o", str(out), "--as-of", "2026-11-25")
    assert run.exit_code == 0, run.stderr
    changes = (out / "changes.md").read_text(encoding="utf-8")
    assert "The register is not in a git repository, so it has no history to report." in changes
    assert changes.rstrip("\n").endswith(
        "Generated by iotpolicy as of 2026-11-25 from a register that is not in a git repository."
    )
    refused = cli("history", "--register", str(root))
    assert refused.exit_code == 2
    assert refused.stderr == (
        "iotpolicy: the register is not inside a git repository, so it has no history\n"
    )


def test_without_git_history_says_so_in_one_line(
    cli: Callable[..., Run], scripted: Scripted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No git on PATH: GitPython's import fails in a new process, its commands fail in this
    one; either way one line, exit 2."""
    nowhere = tmp_path / "empty"
    nowhere.mkdir()
    command = (sys.executable, "-m", "iotpolicy", "history", "--register", str(scripted.register))
    env = {**os.environ, "PATH": str(nowhere)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    expected = "iotpolicy: git is not installed or not on PATH\n"
    assert (done.returncode, done.stdout, done.stderr) == (2, "", expected)
    monkeypatch.setenv("PATH", str(nowhere))
    run = cli("history", "plc-01", "--register", str(scripted.register))
    assert (run.exit_code, run.stdout, run.stderr) == (2, "", expected)


def test_a_repository_without_commits(cli: Callable[..., Run], tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    (repo.register / "policy.yaml").write_text("document: P35S\n", encoding="utf-8")
    run = cli("history", "--register", str(repo.register))
    assert (run.exit_code, run.stdout) == (0, "No commit changed the register.\n")
    out = tmp_path / "out"
    run = cli("report", "changes", "--register", str(repo.register), "-o", str(out))
    assert run.exit_code == 0, run.stderr
    assert "from a register with no commit yet." in (out / "changes.md").read_text("utf-8")


def test_unreadable_and_comment_only_changes_are_noted(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    repo = GitRepo(tmp_path / "repo")
    files = edited_baseline({})
    repo.commit("Start", "2026-01-05T10:00:00+00:00", files)
    text = (repo.register / "devices/plc-01.yaml").read_text(encoding="utf-8")
    repo.commit("Comment", "2026-01-06T10:00:00+00:00", {"devices/plc-01.yaml": "# c\n" + text})
    repo.commit("Break", "2026-01-07T10:00:00+00:00", {"devices/plc-01.yaml": "id: [plc-01\n"})
    run = cli("history", "plc-01", "--register", str(repo.register), "-f", "json")
    notes = [c["records"][0]["note"] for c in run.json["commits"]]
    assert notes == [
        "the file is not readable as YAML after this commit; fields not compared",
        "no field changed (comments or layout only)",
        None,
    ]


def test_diff_compares_dotted_paths() -> None:
    old = {"a": {"b": "1", "c": "x"}, "l": ["vpn", "jump-host"], "items": [{"k": "1"}]}
    new = {"a": {"b": "2"}, "l": ["vpn"], "items": [{"k": "1"}, {"k": "2"}], "d": "new"}
    assert diff(old, new) == (
        FieldChange("a.b", "1", "2"),
        FieldChange("l", ("vpn", "jump-host"), ("vpn",)),
        FieldChange("items.1.k", None, "2"),
        FieldChange("d", None, "new"),
        FieldChange("a.c", "x", None),
    )
    assert str(diff(old, new)[1]) == "l: [vpn, jump-host] -> [vpn]"


def test_diff_redacts_credential_keys_and_values() -> None:
    old = {"wifi_psk": "old-key", "hardening": {"note": "x"}}
    new = {"wifi_psk": "new-key", "hardening": {"note": "token=abc123"}}
    assert diff(old, new) == (
        FieldChange("wifi_psk", "(redacted)", "(redacted)"),
        FieldChange("hardening.note", "(redacted)", "(redacted)"),
    )
    assert diff({}, {"api_key": "k"}) == (FieldChange("api_key", None, "(redacted)"),)


def test_a_register_at_the_top_of_its_repository(cli: Callable[..., Run], tmp_path: Path) -> None:
    """Paths stay relative to the register wherever it sits in the work tree."""
    repo = GitRepo(tmp_path / "top", register=".")
    repo.commit("Start", "2026-01-05T10:00:00+00:00", edited_baseline({}))
    renamed = edited_baseline({"devices/cam-01.yaml": {"name": "Gate"}})
    repo.commit("Rename", "2026-01-06T10:00:00+00:00", renamed)
    run = cli("history", "cam-01", "--register", str(repo.register), "-f", "json")
    records = [c["records"] for c in run.json["commits"]]
    assert records[0] == [
        {
            "file": "devices/cam-01.yaml",
            "kind": "device",
            "id": "cam-01",
            "action": "modified",
            "fields": [{"field": "name", "old": "Gate camera", "new": "Gate"}],
            "note": None,
        }
    ]
    assert records[1][0]["action"] == "created"

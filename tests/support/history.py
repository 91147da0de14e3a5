"""A scripted register history for ``check --at`` and ``trend``: fixed identities and dates, a
broken file in one commit, symbolic links (inside and out of the register), a retired device."""

from __future__ import annotations

import copy
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import edited_baseline
from tests.support.gitrepo import GitRepo


@dataclass(frozen=True)
class History:
    """The repository and its commits, oldest first (``before``: a commit without the register)."""

    repo: GitRepo
    before: str
    commits: list[str]
    dates: list[str]


DATES = ["2026-02-10", "2026-05-20", "2026-08-31"]
"""Committer dates (UTC) of the three commits holding the register (the last one was made on
1 September at 01:00 in UTC+2)."""


ADVISORY = {
    "id": "ssa-000001",
    "vendor": "siemens",
    "kind": "vulnerability",
    "title": "A flaw in a product nobody here uses",
    "published_on": "2026-05-18",
    "received_on": "2026-05-19",
    "affects": [{"model": "SIMATIC NOBODY", "versions": "<1.0"}],
    "status": "open",
}
INCIDENT = {
    "id": "inc-2026-001",
    "date": "2026-05-12",
    "kind": "incident",
    "summary": "A door controller found unlocked after a power cut.",
}
REVISION = {
    "number": "1.2",
    "date": "2026-08-31",
    "trigger": "incident",
    "changes": "Locks fail closed.",
    "reviewed_by": ["ole-hansen"],
    "process_owner": "ole-hansen",
    "approvals": [{"by": "anna-berg", "title": "General Manager", "date": "2026-08-28"}],
    "communicated": {"on": "2026-08-31", "channels": ["email"], "audience": ["staff"]},
}
"""Revision 1.2, approved on 2026-08-28 (in the third commit)."""


def build_history(top: Path) -> History:
    """README (and a file outside the register) first, then: the baseline register; a new
    device with a finding, a broken file, links, an advisory and an incident (tagged
    ``policy-v1.1``); the broken file fixed, a device retired and revision 1.2 approved."""
    repo = GitRepo(top)
    (top / "README.md").write_text("A repository holding a register.\n", encoding="utf-8")
    (top / "outside.yaml").write_text("id: outside\n", encoding="utf-8")
    repo.git("add", "README.md", "outside.yaml")
    repo.git("commit", "-q", "-m", "README", when="2026-01-05T09:00:00+00:00")
    before = repo.git("rev-parse", "HEAD").strip()
    files = edited_baseline({})
    first = repo.commit("Register", f"{DATES[0]}T09:00:00+00:00", files)
    device = copy.deepcopy(files["devices/plc-01.yaml"])
    device["id"] = "plc-02"
    device["network"]["ip"] = "10.20.1.99"
    device["network"]["mac"] = "00:1b:1b:12:34:99"
    del device["network"]["segment"]
    files["devices/plc-02.yaml"] = device
    files["devices/broken.yaml"] = "id: plc-03\nname: [unclosed\n"
    files["advisories/ssa-000001.yaml"] = ADVISORY
    files["incidents/inc-2026-001.yaml"] = INCIDENT
    os.symlink("plc-02.yaml", repo.register / "devices" / "alias.yaml")
    os.symlink("../../outside.yaml", repo.register / "vendors" / "outside.yaml")
    second = repo.commit("New PLC, a broken file", f"{DATES[1]}T23:30:00+00:00", files)
    repo.git("tag", "policy-v1.1")
    del files["devices/broken.yaml"]
    (repo.register / "devices" / "broken.yaml").unlink()
    files["devices/sensor-02.yaml"]["status"] = "retired"
    files["policy.yaml"]["revisions"].append(REVISION)
    third = repo.commit("Fixed; sensor-02 retired", "2026-09-01T01:00:00+02:00", files)
    return History(repo, before, [first, second, third], DATES)


def fresh_checkouts(history: History, folder: Path) -> dict[str, Path]:
    """A fresh clone of the history under ``folder`` for each of its commits, checked out
    there: what ``--at`` must match."""
    found = {}
    for number, commit in enumerate(history.commits):
        dest = folder / f"checkout{number}"
        subprocess.run(["git", "clone", "-q", str(history.repo.top), str(dest)], check=True)
        subprocess.run(["git", "-C", str(dest), "checkout", "-q", commit], check=True)
        found[commit] = dest
    return found


def shallow_clone(history: History, dest: Path) -> Path:
    """A clone of the history with only its last commit (``--depth 1``), at ``dest``."""
    url = history.repo.top.as_uri()
    subprocess.run(["git", "clone", "-q", "--depth", "1", url, str(dest)], check=True)
    return dest

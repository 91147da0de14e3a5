"""The pre-commit hook definition (.pre-commit-hooks.yaml): its entry, run as pre-commit runs it
(from the top of a repository, no file names, the user's ``args`` appended), blocks a commit on a
finding and lets a clean register through."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import DELETE, edited_baseline, write_register
from tests.support.paths import REPO

ROOT = REPO
HOOKS = ROOT / ".pre-commit-hooks.yaml"
AS_OF = "2026-11-25"


def hook() -> dict[str, Any]:
    [definition] = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(definition, dict)
    return definition


def test_the_hook_definition() -> None:
    definition = hook()
    assert definition["id"] == "iotpolicy-check"
    assert definition["language"] == "python"
    assert definition["entry"] == "iotpolicy check"
    assert definition["pass_filenames"] is False
    files = re.compile(definition["files"])
    assert files.search("register/devices/plc-01.yaml")
    assert files.search("people.yml")
    assert not files.search("README.md")
    assert not files.search("devices/plc.yaml.bak")


@pytest.fixture
def run_hook(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the hook's entry with the repository's iotpolicy at the top of a new git repository
    holding the baseline register (with edits) in register/."""

    def run(edits: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        repo = tmp_path / "repo"
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        write_register(repo / "register", edited_baseline(edits))
        program, *args = shlex.split(hook()["entry"])
        script = Path(sys.executable).parent / program
        assert script.is_file(), "iotpolicy is not installed in the test environment"
        env = {k: v for k, v in os.environ.items() if k not in ("IOTPOLICY_REGISTER",)}
        env.update({"NO_COLOR": "1", "GITHUB_ACTIONS": "false"})
        return subprocess.run(
            [str(script), *args, "--as-of", AS_OF],  # as a user's `args: [--as-of, ...]`
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    return run


def test_the_hook_passes_a_clean_register(
    run_hook: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    done = run_hook({})
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith(
        "0 errors, 0 warnings, 0 suppressed; 3 devices checked as of 2026-11-25"
    )


def test_the_hook_blocks_a_finding(
    run_hook: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    done = run_hook({"devices/plc-01.yaml": {"network.segment": DELETE}})
    assert done.returncode == 1
    assert "devices/plc-01.yaml" in done.stdout
    assert "SEG-001" in done.stdout and "active device has no network segment" in done.stdout


def test_pre_commit_accepts_the_manifest_and_runs_the_hook(tmp_path: Path) -> None:
    """pre-commit itself validates the manifest, then runs the hook on a staged register: the
    manifest's entry, files and pass_filenames, with ``language: system`` (the repository's
    iotpolicy instead of an environment pre-commit would build from the network)."""
    clientlib = pytest.importorskip("pre_commit.clientlib")
    [manifest] = clientlib.load_manifest(str(HOOKS))
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    write_register(repo / "register", edited_baseline({}))
    program, *args = shlex.split(manifest["entry"])
    local = {key: manifest[key] for key in ("id", "name", "files", "pass_filenames")} | {
        "entry": shlex.join([str(Path(sys.executable).parent / program), *args]),
        "language": "system",
        "args": ["--as-of", AS_OF],
    }
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "IOTPOLICY_REGISTER"}
    env |= {"PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    pre_commit = [sys.executable, "-m", "pre_commit", "run", "--all-files"]

    def run() -> subprocess.CompletedProcess[str]:
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
        return subprocess.run(pre_commit, cwd=repo, env=env, capture_output=True, text=True)

    clean = run()
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert re.search(r"iotpolicy check\.+Passed", clean.stdout)
    device = repo / "register" / "devices" / "plc-01.yaml"
    device.write_text(device.read_text(encoding="utf-8").replace("segment: ot-line1", ""), "utf-8")
    failing = run()
    assert failing.returncode == 1
    assert re.search(r"iotpolicy check\.+Failed", failing.stdout)
    assert "SEG-001" in failing.stdout

"""The ready-made CI files: the documented examples in docs/ci/ and the ones ``iotpolicy init``
writes are valid GitHub workflows and GitLab CI files (check-jsonschema's vendored schemas, no
network), upload what the platforms read, and their commands (the Jenkinsfile's too) behave as
the comments say."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from iotpolicy.cli import load_commands
from tests.conftest import DELETE, edited_baseline, write_register
from tests.support.paths import REPO
from tests.unit.formats.test_ci_formats import assert_valid_junit

app = load_commands()

ROOT = REPO
GITHUB = ROOT / "docs" / "ci" / "github-actions.yml"
GITLAB = ROOT / "docs" / "ci" / "gitlab-ci.yml"
JENKINS = ROOT / "docs" / "ci" / "Jenkinsfile"
BIN = Path(sys.executable).parent


def validate(schema: str, path: Path) -> None:
    """check-jsonschema with one of its vendored schemas (vendor.github-workflows ...)."""
    done = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def assert_github_workflow(path: Path) -> None:
    """A valid workflow that checks the register and uploads SARIF to code scanning."""
    validate("vendor.github-workflows", path)
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    [job] = [j for j in workflow["jobs"].values() if "iotpolicy check" in json.dumps(j)]
    permissions = {**workflow.get("permissions", {}), **job.get("permissions", {})}
    assert permissions.get("security-events") == "write"
    steps = job["steps"]
    [upload] = [
        s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif")
    ]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "--format sarif" in runs
    assert upload["with"]["sarif_file"] in runs


def assert_gitlab_ci(path: Path) -> None:
    """A valid pipeline with a job reporting JUnit and Code Quality artefacts."""
    validate("vendor.gitlab-ci", path)
    pipeline = yaml.safe_load(path.read_text(encoding="utf-8"))
    [job] = [j for j in pipeline.values() if isinstance(j, dict) and "script" in j]
    reports = job["artifacts"]["reports"]
    script = " ".join(job["script"])
    assert "--format junit" in script and reports["junit"] in script
    assert "--format gitlab" in script and reports["codequality"] in script
    assert job["artifacts"]["when"] == "always"


def test_the_documented_github_workflow_is_valid() -> None:
    assert_github_workflow(GITHUB)


def test_the_documented_gitlab_job_is_valid() -> None:
    assert_gitlab_ci(GITLAB)


def commands(path: Path) -> Iterator[str]:
    """The shell commands of a CI file that run iotpolicy."""
    if path.name == "Jenkinsfile":
        for command in re.findall(r"^\s*sh '([^']*)'$", path.read_text("utf-8"), re.MULTILINE):
            if "iotpolicy check" in command:
                yield command
        return
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if "jobs" in data:
        for job in data["jobs"].values():
            yield from (s["run"] for s in job["steps"] if "iotpolicy check" in s.get("run", ""))
    else:
        for job in data.values():
            if isinstance(job, dict):
                yield from (c for c in job.get("script", []) if "iotpolicy check" in c)


@pytest.mark.parametrize("path", [GITHUB, GITLAB, JENKINS], ids=["github", "gitlab", "jenkins"])
def test_the_documented_commands_report_findings_and_fail_only_at_the_end(
    path: Path, tmp_path: Path
) -> None:
    """Run the CI file's commands as its shell would, in a repository whose register has an
    error: the report steps succeed and write their artefacts; the last step fails the job."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    write_register(
        repo / "register", edited_baseline({"devices/plc-01.yaml": {"network.segment": DELETE}})
    )
    env = {k: v for k, v in os.environ.items() if k != "IOTPOLICY_REGISTER"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["GITHUB_ACTIONS"] = "true" if path == GITHUB else "false"
    summary = tmp_path / "step-summary.md"
    if path == GITHUB:  # what the runner sets for every step
        env["GITHUB_STEP_SUMMARY"] = str(summary)
    steps = list(commands(path))
    assert len(steps) >= 2
    for step in steps[:-1]:
        done = subprocess.run(
            ["bash", "-c", step], cwd=repo, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, step + done.stderr
    last = subprocess.run(
        ["bash", "-c", steps[-1]], cwd=repo, env=env, capture_output=True, text=True
    )
    assert last.returncode == 1
    assert "SEG-001" in last.stdout
    if path == GITHUB:
        assert "::error file=register/devices/plc-01.yaml," in last.stdout
        sarif = json.loads((repo / "iotpolicy.sarif").read_text(encoding="utf-8"))
        assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["SEG-001"]
        assert sarif["runs"][0]["automationDetails"] == {"id": "iotpolicy/register/"}
        text = summary.read_text(encoding="utf-8")  # written once, by the last step
        assert text.count("## iotpolicy check of register") == 1
        assert "| error | SEG-001 | plc-01 | register/devices/plc-01.yaml:" in text
    elif path == JENKINS:
        junit = (repo / "iotpolicy-junit.xml").read_text(encoding="utf-8")
        suites = assert_valid_junit(junit)  # the schema Jenkins' xUnit plugin checks
        assert sum(case.is_failure for suite in suites for case in suite) == 1
        results = re.search(r"junit testResults: '([^']+)'", path.read_text("utf-8"))
        assert results is not None and (repo / results.group(1)).is_file()
    else:
        suites = ET.parse(repo / "iotpolicy-junit.xml").getroot()
        assert suites.get("failures") == "1"
        issues = json.loads((repo / "gl-code-quality-report.json").read_text(encoding="utf-8"))
        assert [i["location"]["path"] for i in issues] == ["register/devices/plc-01.yaml"]


def _classify(path: Path) -> str | None:
    """``github`` for a GitHub workflow, ``gitlab`` for a GitLab CI file, else None."""
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    if "jobs" in data and ("on" in data or True in data):
        return "github"
    if any(isinstance(job, dict) and "script" in job for job in data.values()):
        return "gitlab"
    return None


def test_the_ci_files_init_writes_are_valid_and_run(tmp_path: Path) -> None:
    """The CI files ``iotpolicy init`` writes (rendered from templates/init/) are a valid GitHub
    workflow uploading SARIF and a valid GitLab job with JUnit and Code Quality reports, and their
    commands, run from the top of the repository, find the new register (in a subfolder, to make
    the path matter) and write their reports."""
    group = typer.main.get_command(app)
    if "init" not in getattr(group, "commands", {}):
        pytest.skip("iotpolicy init does not exist yet; this test runs once it does")
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    env = {k: v for k, v in os.environ.items() if k != "IOTPOLICY_REGISTER"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["GITHUB_ACTIONS"] = "false"
    register = repo / "compliance" / "register"
    done = subprocess.run(
        [str(BIN / "iotpolicy"), "init", str(register)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found: dict[str, list[Path]] = {"github": [], "gitlab": []}
    for path in sorted(repo.rglob("*")):
        if path.suffix in (".yml", ".yaml") and ".git" not in path.parts:
            kind = _classify(path)
            if kind:
                found[kind].append(path)
    assert found["github"], "init wrote no GitHub Actions workflow"
    assert found["gitlab"], "init wrote no GitLab CI file"
    for path in found["github"]:
        assert_github_workflow(path)
    for path in found["gitlab"]:
        assert_gitlab_ci(path)
    reports = {"iotpolicy.sarif", "iotpolicy-junit.xml", "gl-code-quality-report.json"}
    for path in found["github"] + found["gitlab"]:
        steps = list(commands(path))
        for step in steps:
            ran = subprocess.run(
                ["bash", "-c", step], cwd=repo, env=env, capture_output=True, text=True
            )
            expected = (0, 1) if step == steps[-1] else (0,)
            assert ran.returncode in expected, f"{path.name}: {step}: {ran.stderr}"
    assert reports <= {p.name for p in repo.iterdir()}
    json.loads((repo / "iotpolicy.sarif").read_text(encoding="utf-8"))
    ET.parse(repo / "iotpolicy-junit.xml")

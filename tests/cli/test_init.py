"""``iotpolicy init``: a working register whose only findings say what is still to do and name
the command that does it; CI and pre-commit files; git; refusals; prompts."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import yaml

from iotpolicy.models import Settings
from iotpolicy.writing.scaffold import person_id
from tests.conftest import Run
from tests.support.paths import REPO

Cli = Callable[..., Run]
BIN = Path(sys.executable).parent
ROOT = REPO
PEOPLE = ("--organization", "Fjord Foods AS", "--general-manager", "Anna Berg",
          "--operations-manager", "Ole Hansen")  # fmt: skip


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git with an identity of its own and no configuration from the machine."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Ole Hansen")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "ole@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Ole Hansen")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "ole@example.com")
    monkeypatch.delenv("IOTPOLICY_REGISTER", raising=False)


def git(top: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=top, capture_output=True, text=True, check=True)
    return done.stdout


def check_json(cli: Cli, root: Path) -> list[dict[str, object]]:
    run = cli("check", "--register", str(root), "--format", "json")
    assert run.exit_code in (0, 1), run.stderr
    findings: list[dict[str, object]] = run.json["findings"]
    return findings


def test_init_scaffolds_a_register_whose_findings_name_the_next_command(
    cli: Cli, tmp_path: Path
) -> None:
    root = tmp_path / "acme"
    run = cli("init", str(root), *PEOPLE)
    assert run.exit_code == 0, run.stderr
    assert run.stdout.startswith(f"Initialised a register in {root} (22 files).\n")
    assert f"Created a git repository in {root}." in run.stdout
    assert f"iotpolicy review --register {root}" in run.stdout
    files = {str(p.relative_to(root)) for p in root.rglob("*") if ".git/" not in f"{p}/"[
        len(str(root)) :] and p.is_file()}  # fmt: skip
    assert files == {
        "policy.yaml", "people.yaml", "README.md", ".gitignore",
        ".github/workflows/iotpolicy.yml", ".gitlab-ci.yml", ".pre-commit-config.yaml",
        *(f"{folder}/.gitkeep" for folder in ("segments", "vendors", "devices", "exceptions",
                                                "advisories", "incidents", "reviews")),
        *(f"schemas/{kind}.schema.json" for kind in ("policy", "people", "segment", "vendor",
                                                     "device", "exception", "advisory",
                                                     "incident")),
    }  # fmt: skip
    assert git(root, "rev-parse", "--show-toplevel").strip() == str(root.resolve())
    findings = check_json(cli, root)
    assert sorted((f["rule"], f["severity"]) for f in findings) == [
        ("POL-001", "error"),
        ("POL-004", "error"),
        ("POL-005", "warning"),
    ]
    for finding in findings:
        assert re.search(r"\(iotpolicy [a-z-]+", str(finding["message"])), finding


def test_policy_yaml_writes_out_every_setting_with_a_comment(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "acme"
    assert cli("init", str(root), *PEOPLE, "--classification", "Confidential").exit_code == 0
    text = (root / "policy.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "# yaml-language-server: $schema=schemas/policy.schema.json"
    # ... and the schema it points at is there, the same as `iotpolicy schema` writes.
    from iotpolicy.schemas import schema_texts

    for name, schema in schema_texts().items():
        assert (root / "schemas" / name).read_text(encoding="utf-8") == schema
    for name, info in Settings.model_fields.items():
        line = next(i for i, line in enumerate(lines) if line.startswith(f"  {name}: "))
        assert lines[line - 1] == f"  # {info.description}"
    policy = yaml.safe_load(text)
    assert policy["settings"] == Settings().model_dump(mode="json") | {
        "approved_remote_access": ["vpn", "jump-host"],
        "insecure_services": list(Settings().insecure_services),
    }
    assert policy["organization"] == "Fjord Foods AS"
    assert policy["owner"] == "anna-berg"
    assert policy["classification"] == "Confidential"
    assert policy["revisions"] == [
        {"number": "1.0", "date": date.today(), "trigger": "initial",
         "changes": "Initial release of the policy.", "process_owner": "ole-hansen",
         "reviewed_by": [], "approvals": []}
    ]  # fmt: skip
    assert yaml.safe_load((root / "people.yaml").read_text(encoding="utf-8")) == [
        {"id": "anna-berg", "name": "Anna Berg", "title": "General Manager",
         "roles": ["general-manager"]},
        {"id": "ole-hansen", "name": "Ole Hansen", "title": "Operations Manager",
         "roles": ["operations-manager"]},
    ]  # fmt: skip
    ignored = (root / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {".iotpolicy.lock", ".iotpolicy-cache/", ".*.tmp"} <= set(ignored)


def test_init_without_people_says_to_add_the_general_manager_first(
    cli: Cli, tmp_path: Path
) -> None:
    root = tmp_path / "bare"
    run = cli("init", str(root))
    assert run.exit_code == 0, run.stderr
    assert "iotpolicy add-person" in run.stdout
    assert (root / "people.yaml").read_text(encoding="utf-8").endswith("\n[]\n")
    [pol_001] = [f for f in check_json(cli, root) if f["rule"] == "POL-001"]
    assert "first add the General Manager: iotpolicy add-person --role general-manager" in str(
        pol_001["message"]
    )
    header = (root / "people.yaml").read_text(encoding="utf-8").removesuffix("[]\n")
    run = cli(
        "add-person",
        "--register",
        str(root),
        "--id",
        "anna-berg",
        "--name",
        "Anna Berg",
        "--role",
        "general-manager",
    )
    assert run.exit_code == 0, run.stderr
    assert (root / "people.yaml").read_text(encoding="utf-8") == header + (
        "- id: anna-berg\n  name: Anna Berg\n  roles: [general-manager]\n"
    )
    assert "POL-001" in {str(f["rule"]) for f in check_json(cli, root)}


def test_a_fresh_register_takes_records_and_stays_clean(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "acme"
    assert cli("init", str(root), *PEOPLE).exit_code == 0
    reg = ("--register", str(root))
    for args in (
        ("add-segment", "--id", "iot-main", "--name", "Building IoT", "--zone", "iot",
         "--cidr", "10.30.1.0/24"),
        ("add-vendor", "--id", "axis", "--name", "Axis", "--security-contact",
         "security@axis.com", "--agreement", "PA-1", "--signed-on", "2026-01-02",
         "--security-clauses", "--assessed-on", date.today().isoformat(), "--assessed-by",
         "anna-berg", "--no-remote-maintenance"),
        ("add-device", "--id", "cam-1", "--name", "Camera", "--category", "iot", "--type",
         "camera", "--vendor", "axis", "--segment", "iot-main", "--ip", "10.30.1.5"),
    ):  # fmt: skip
        run = cli(*args, *reg)
        assert run.exit_code == 0, run.stderr
    assert {f["rule"] for f in check_json(cli, root)} == {"POL-001", "POL-004", "POL-005"}


def test_init_inside_a_repository_writes_ci_examples_next_to_the_register(
    cli: Cli, tmp_path: Path
) -> None:
    top = tmp_path / "repo"
    top.mkdir()
    git(top, "init", "-q")
    (top / ".gitlab-ci.yml").write_text("# theirs\n", encoding="utf-8")
    run = cli("init", str(top / "compliance" / "register"))
    assert run.exit_code == 0, run.stderr
    assert "Created a git repository" not in run.stdout
    assert "Example CI and pre-commit files are in ci/" in run.stdout
    root = top / "compliance/register"
    assert sorted(p.name for p in (root / "ci").iterdir()) == [
        "github-workflow.yml", "gitlab-ci.yml", "pre-commit-config.yaml"
    ]  # fmt: skip
    assert (top / ".gitlab-ci.yml").read_text(encoding="utf-8") == "# theirs\n"
    workflow = (root / "ci/github-workflow.yml").read_text(encoding="utf-8")
    assert "iotpolicy check --register compliance/register --format sarif" in workflow
    hooks = yaml.safe_load((root / "ci/pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert hooks["repos"][0]["hooks"] == [
        {"id": "iotpolicy-check", "args": ["--register", "compliance/register"]}
    ]
    assert "(example CI files are in `ci/`)" in (root / "README.md").read_text(encoding="utf-8")


def _validate(schema: str, path: Path) -> None:
    done = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_live_ci_files_are_valid_and_upload_what_the_platforms_read(
    cli: Cli, tmp_path: Path
) -> None:
    root = tmp_path / "acme"
    assert cli("init", str(root)).exit_code == 0
    workflow_path = root / ".github/workflows/iotpolicy.yml"
    _validate("vendor.github-workflows", workflow_path)
    _validate("vendor.gitlab-ci", root / ".gitlab-ci.yml")
    workflow = yaml.safe_load(workflow_path.read_text(encoding="utf-8"))
    job = workflow["jobs"]["check"]
    assert job["permissions"] == {"contents": "read", "security-events": "write"}
    runs = [step.get("run", "") for step in job["steps"]]
    assert any("iotpolicy check --register . --format sarif --output iotpolicy.sarif" in r
               for r in runs)  # fmt: skip
    [upload] = [s for s in job["steps"] if "upload-sarif" in s.get("uses", "")]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "iotpolicy.sarif"
    gitlab = yaml.safe_load((root / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    script = " ".join(gitlab["iotpolicy"]["script"])
    assert "--format junit" in script and "--format gitlab" in script
    assert gitlab["iotpolicy"]["artifacts"]["reports"] == {
        "junit": "iotpolicy-junit.xml",
        "codequality": "gl-code-quality-report.json",
    }


def test_init_refuses_an_existing_register_and_never_overwrites(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "acme"
    assert cli("init", str(root)).exit_code == 0
    run = cli("init", str(root))
    assert run.exit_code == 2
    assert run.stderr == (
        f"iotpolicy: {root} already holds a register (policy.yaml); nothing was written\n"
    )
    other = tmp_path / "other"
    other.mkdir()
    (other / "README.md").write_text("mine\n", encoding="utf-8")
    run = cli("init", str(other))
    assert run.exit_code == 2
    assert "already holds README.md; init never overwrites a file" in run.stderr
    assert sorted(p.name for p in other.iterdir()) == ["README.md"]


def test_init_prompts_on_a_terminal(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "acme"
    run = cli(
        "init",
        str(root),
        "--interactive",
        input="Fjord Foods AS\nAnna Berg\npassword=hunter2\nOle Hansen\n",
    )
    assert run.exit_code == 0, run.stderr
    assert "Organisation (Enter to skip):" in run.stdout
    assert "General Manager's full name (Enter to skip):" in run.stdout
    assert "looks like a credential" in run.stderr and "hunter2" not in run.stderr
    people = yaml.safe_load((root / "people.yaml").read_text(encoding="utf-8"))
    assert [p["id"] for p in people] == ["anna-berg", "ole-hansen"]


def test_init_commit_commits_every_file_it_wrote(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "acme"
    run = cli("init", str(root), *PEOPLE, "--commit")
    assert run.exit_code == 0, run.stderr
    subject = git(root, "log", "--format=%s%n%an").splitlines()
    assert subject == ["Initialise the IoT/OT security policy register", "Ole Hansen"]
    committed = git(root, "show", "--name-only", "--format=", "HEAD").split()
    assert len(committed) == 22 and "policy.yaml" in committed
    assert git(root, "status", "--porcelain") == ""


def test_help_readme_and_behaviour_agree_on_the_files_init_commits(
    cli: Cli, tmp_path: Path
) -> None:
    """The number of files ``init --commit`` writes and commits is the one its help and the
    README's init section state (help and README once said "only that file" and 14 files)."""
    root = tmp_path / "acme"
    run = cli("init", str(root), *PEOPLE, "--commit")
    assert run.exit_code == 0, run.stderr
    committed = git(root, "show", "--name-only", "--format=", "HEAD").split()
    written = [
        p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts
    ]
    said = re.search(r"^Initialised a register in .* \((\d+) files\)\.$", run.stdout, re.M)
    shown = " ".join(cli("init", "--help", env={"COLUMNS": "200"}).stdout.replace("│", " ").split())
    helped = re.search(r"--commit\b.*? Commit the (\d+) files init writes with git, and", shown)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### `iotpolicy init PATH`") :]
    section = section[: section.index("\n### ", 1)]
    table = re.search(r"^\| `--commit` \| commit the (\d+) files init writes", section, re.M)
    example = re.search(r"^Initialised a register in .* \((\d+) files\)\.$", section, re.M)
    assert said and helped and table and example, (shown, section)
    stated = {int(m.group(1)) for m in (said, helped, table, example)}
    assert stated == {len(committed)} == {len(written)}, (stated, len(committed), len(written))
    assert "only that file" not in shown


def test_the_general_manager_may_also_be_the_operations_manager(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "small"
    run = cli("init", str(root), "--general-manager", "Åse Ørn", "--operations-manager", "Åse Ørn")
    assert run.exit_code == 0, run.stderr
    assert yaml.safe_load((root / "people.yaml").read_text(encoding="utf-8")) == [
        {"id": "ase-orn", "name": "Åse Ørn", "title": "General Manager and Operations Manager",
         "roles": ["general-manager", "operations-manager"]}
    ]  # fmt: skip
    assert person_id("Jean-Luc  O'Neill") == "jean-luc-o-neill"

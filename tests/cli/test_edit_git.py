"""``--commit``: exactly the changed file, committed through git as the user, with a clear
message; refused when that file already had other uncommitted changes; a clear error without a
git identity or a repository."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import Run, edited_baseline, write_register

Cli = Callable[..., Run]
IDENTITY = ("Ole Hansen", "ole.hansen@example.com")


def git(top: Path, *args: str) -> str:
    """Run git in ``top``; its output."""
    done = subprocess.run(["git", *args], cwd=top, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No git configuration but the repository's own: an empty home, no system config, no
    identity in the environment."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME",
                 "GIT_COMMITTER_EMAIL", "EMAIL", "GIT_CONFIG_GLOBAL", "GIT_DIR",
                 "GIT_WORK_TREE", "GIT_INDEX_FILE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def repo(tmp_path: Path, isolated_git: Path) -> Path:
    """A repository holding the baseline register in ``register/``, one commit, the user's
    identity in the repository's own configuration."""
    top = tmp_path / "repo"
    top.mkdir()
    git(top, "init", "-q")
    git(top, "config", "user.name", IDENTITY[0])
    git(top, "config", "user.email", IDENTITY[1])
    git(top, "config", "commit.gpgsign", "false")
    write_register(top / "register", edited_baseline({}))
    # As init writes it: the editing commands' lock file stays out of git.
    (top / "register/.gitignore").write_text(".iotpolicy.lock\n", encoding="utf-8")
    (top / "notes.txt").write_text("first\n", encoding="utf-8")
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "Register")
    return top


def last_commit(top: Path) -> tuple[str, str, list[str]]:
    """Subject, author and the files of HEAD."""
    out = git(top, "show", "--name-only", "--format=%s%n%an <%ae>", "HEAD").splitlines()
    return out[0], out[1], [line for line in out[2:] if line]


def status(top: Path) -> list[str]:
    return git(top, "status", "--porcelain", "--untracked-files=all").splitlines()


def test_add_device_commits_exactly_its_file_and_nothing_else(cli: Cli, repo: Path) -> None:
    # Unrelated work in progress: a modified file, a staged one, an untracked one.
    (repo / "notes.txt").write_text("changed\n", encoding="utf-8")
    vendor = repo / "register/vendors/axis.yaml"
    vendor.write_text(vendor.read_text(encoding="utf-8") + "notes: staged\n", encoding="utf-8")
    git(repo, "add", "register/vendors/axis.yaml")
    (repo / "register/draft.txt").write_text("draft\n", encoding="utf-8")
    before = status(repo)
    run = cli(
        "add-device",
        "--register",
        str(repo / "register"),
        "--id",
        "cam-gate-02",
        "--name",
        "Gate camera",
        "--category",
        "iot",
        "--type",
        "camera",
        "--commit",
    )
    assert run.exit_code == 0, run.stderr
    sha = git(repo, "rev-parse", "--short", "HEAD").strip()
    assert f"Committed {sha}: Add device cam-gate-02" in run.stdout
    assert last_commit(repo) == (
        "Add device cam-gate-02",
        f"{IDENTITY[0]} <{IDENTITY[1]}>",
        ["register/devices/cam-gate-02.yaml"],
    )
    assert status(repo) == before  # the other changes are exactly as they were


def test_record_change_commit_message_names_the_versions(cli: Cli, repo: Path) -> None:
    run = cli(
        "record-change",
        "plc-01",
        "--register",
        str(repo / "register"),
        "--kind",
        "firmware-update",
        "--firmware-version",
        "4.6.0",
        "--commit",
    )
    assert run.exit_code == 0, run.stderr
    assert last_commit(repo) == (
        "Record firmware-update on plc-01 (4.5.2 -> 4.6.0)",
        f"{IDENTITY[0]} <{IDENTITY[1]}>",
        ["register/devices/plc-01.yaml"],
    )
    assert status(repo) == []


def test_add_person_and_retire_commit_their_file(cli: Cli, repo: Path) -> None:
    register = str(repo / "register")
    run = cli(
        "add-person",
        "--register",
        register,
        "--id",
        "kari",
        "--name",
        "Kari",
        "--role",
        "auditor",
        "--commit",
    )
    assert run.exit_code == 0, run.stderr
    assert last_commit(repo)[::2] == ("Add person kari", ["register/people.yaml"])
    run = cli(
        "retire",
        "cam-01",
        "--register",
        register,
        "--by",
        "ole-hansen",
        "--data-wiped",
        "--credentials-revoked",
        "--removed-from-network",
        "--commit",
    )
    assert run.exit_code == 0, run.stderr
    assert last_commit(repo)[::2] == ("Retire device cam-01", ["register/devices/cam-01.yaml"])


def test_commit_is_refused_when_the_file_has_other_uncommitted_changes(
    cli: Cli, repo: Path
) -> None:
    path = repo / "register/devices/plc-01.yaml"
    edited = path.read_text(encoding="utf-8").replace("Line 1 packaging PLC", "Packaging PLC")
    path.write_text(edited, encoding="utf-8")
    head = git(repo, "rev-parse", "HEAD")
    run = cli(*("record-change", "plc-01", "--register", str(repo / "register"), "--kind",
                "configuration", "--summary", "x", "--commit"))  # fmt: skip
    assert run.exit_code == 1
    assert run.stderr == (
        "iotpolicy: --commit refused: register/devices/plc-01.yaml already has uncommitted "
        "changes this command did not make; commit or stash them first, or leave out --commit "
        "(nothing was written)\n"
    )
    assert path.read_text(encoding="utf-8") == edited
    assert git(repo, "rev-parse", "HEAD") == head


def test_without_a_git_identity_the_error_is_clear_and_nothing_is_written(
    cli: Cli, repo: Path
) -> None:
    git(repo, "config", "--unset", "user.name")
    git(repo, "config", "--unset", "user.email")
    head = git(repo, "rev-parse", "HEAD")
    run = cli(
        "add-vendor",
        "--register",
        str(repo / "register"),
        "--id",
        "moxa",
        "--name",
        "Moxa",
        "--commit",
    )
    assert run.exit_code == 2
    assert run.stderr == (
        "iotpolicy: --commit needs your git identity and git has none: run "
        'git config --global user.name "Your Name" and git config --global user.email '
        "you@example.com, then try again (nothing was written)\n"
    )
    assert not (repo / "register/vendors/moxa.yaml").exists()
    assert git(repo, "rev-parse", "HEAD") == head


def test_commit_outside_a_repository_is_a_usage_error(
    cli: Cli, make_register: Callable[..., Path], isolated_git: Path
) -> None:
    root = make_register()
    run = cli("add-vendor", "--register", str(root), "--id", "moxa", "--name", "Moxa", "--commit")
    assert run.exit_code == 2
    assert "--commit needs a git repository" in run.stderr
    assert not (root / "vendors/moxa.yaml").exists()


def test_without_commit_nothing_is_committed(cli: Cli, repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    run = cli("add-vendor", "--register", str(repo / "register"), "--id", "moxa", "--name", "Moxa")
    assert run.exit_code == 0, run.stderr
    assert "Committed" not in run.stdout
    assert git(repo, "rev-parse", "HEAD") == head
    assert status(repo) == ["?? register/vendors/moxa.yaml"]


def test_a_refusing_hook_leaves_the_change_written_and_says_so(cli: Cli, repo: Path) -> None:
    hook = repo / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho 'policy check failed' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    head = git(repo, "rev-parse", "HEAD")
    run = cli(
        "add-vendor",
        "--register",
        str(repo / "register"),
        "--id",
        "moxa",
        "--name",
        "Moxa",
        "--commit",
    )
    assert run.exit_code == 2
    assert run.stderr == (
        "iotpolicy: register/vendors/moxa.yaml written but not committed (git commit failed: "
        "policy check failed); commit it with git once that is fixed\n"
    )
    assert (repo / "register/vendors/moxa.yaml").exists()
    assert git(repo, "rev-parse", "HEAD") == head


def test_a_commit_is_signed_when_the_user_signs_commits(cli: Cli, repo: Path) -> None:
    """``commit.gpgsign`` is the user's to set: the commit is made by git commit, which signs
    it with the user's signing program (here a stand-in that prints a fixed signature)."""
    program = repo.parent / "fake-gpg"
    program.write_text(
        "#!/bin/sh\ncat >/dev/null\necho '[GNUPG:] SIG_CREATED D 1 8 00 1700000000 AB' >&2\n"
        "printf -- '-----BEGIN PGP SIGNATURE-----\\n\\nc2ln\\n-----END PGP SIGNATURE-----\\n'\n",
        encoding="utf-8",
    )
    program.chmod(0o755)
    git(repo, "config", "commit.gpgsign", "true")
    git(repo, "config", "gpg.program", str(program))
    run = cli("add-vendor", "--register", str(repo / "register"), "--id", "moxa", "--name", "Moxa",
              "--commit")  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert last_commit(repo)[::2] == ("Add vendor moxa", ["register/vendors/moxa.yaml"])
    assert "gpgsig -----BEGIN PGP SIGNATURE-----" in git(repo, "cat-file", "commit", "HEAD")


@pytest.mark.parametrize("ignored", [True, False], ids=["init-gitignore", "not-ignored"])
def test_reports_in_the_register_do_not_block_a_committing_command(
    cli: Cli, tmp_path: Path, isolated_git: Path, monkeypatch: pytest.MonkeyPatch, ignored: bool
) -> None:
    """``report`` run in the register writes ``reports/`` there; ``review`` and the editing
    commands still commit (init's .gitignore lists the folder, and a register whose .gitignore
    does not is not dirty for it either)."""
    for name, value in zip(("NAME", "EMAIL"), IDENTITY, strict=True):
        monkeypatch.setenv(f"GIT_AUTHOR_{name}", value)
        monkeypatch.setenv(f"GIT_COMMITTER_{name}", value)
    root = tmp_path / "acme"
    people = ("--general-manager", "Anna Berg", "--operations-manager", "Ole Hansen")
    run = cli("init", str(root), "--organization", "Fjord Foods AS", *people, "--commit")
    assert run.exit_code == 0, run.stderr
    if not ignored:
        ignore = root / ".gitignore"
        kept = [line for line in ignore.read_text("utf-8").splitlines() if line != "/reports/"]
        ignore.write_text("\n".join(kept) + "\n", encoding="utf-8")
        git(root, "commit", "-q", "--allow-empty", "-am", "Reports not ignored")
    monkeypatch.chdir(root)
    run = cli("report", "--as-of", date.today().isoformat())
    assert run.exit_code == 0, run.stderr
    written = run.stdout.split()
    assert "reports/index.md" in written and all((root / rel).is_file() for rel in written)
    decide = ("--trigger", "initial", "--summary", "First approval.", "--approver", "anna-berg",
              "--reviewer", "ole-hansen", "--answer", "effective=Yes.", "--answer",
              "coverage=All.", "--answer", "risks=None.", "--answer", "laws=None.")  # fmt: skip
    run = cli("review", *decide, "--commit")
    assert run.exit_code == 0, run.stderr
    assert git(root, "tag", "--list").split() == ["policy-v1.0"]
    assert last_commit(root)[2] == ["policy.yaml", f"reviews/{date.today()}-v1.0.md"]
    run = cli("add-vendor", "--id", "moxa", "--name", "Moxa", "--commit")
    assert run.exit_code == 0, run.stderr
    assert last_commit(root)[::2] == ("Add vendor moxa", ["vendors/moxa.yaml"])
    assert status(root) == ([] if ignored else [f"?? {rel}" for rel in sorted(written)])

"""Symbolic links committed into the register never take a read or a write out of it: every path
inside the register resolves through :func:`iotpolicy.fsio.in_register`, while the paths the user
names (``--output``, ``--output-dir``) stay the user's choice."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from iotpolicy.fsio import OutsideRegister, in_register
from tests.conftest import Run, edited_baseline, write_register
from tests.support.baseline import AS_OF
from tests.support.gitrepo import GitRepo

Cli = Callable[..., Run]
TOKEN = "ghs_0123456789abcdefghijABCDEFGHIJ012345"
"""What actions/checkout stores in .git/config (a made-up token)."""
DATED = ("--as-of", AS_OF)
PERSON = ("--id", "kim-lee", "--name", "Kim Lee", "--role", "staff")
SEGMENT = ("--id", "ot-line2", "--name", "Line 2", "--zone", "ot", "--cidr", "10.20.2.0/24")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its content (links not followed)."""
    found = {}
    for top, _, names in os.walk(folder):
        for name in names:
            path = Path(top, name)
            found[path.relative_to(folder).as_posix()] = (
                path.read_bytes() if not path.is_symlink() else b"-> link"
            )
    return found


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """The baseline register in a git repository whose .git/config holds a checkout's token."""
    repo = GitRepo(tmp_path / "repo")
    repo.commit("register", "2026-01-01T09:00:00+00:00", edited_baseline({}))
    repo.git("config", "http.https://github.com/.extraheader", f"AUTHORIZATION: basic {TOKEN}")
    return repo


def test_a_templates_link_to_the_repository_cannot_include_git_config(
    cli: Cli, repo: GitRepo, tmp_path: Path
) -> None:
    (repo.top / "policy.md.j2").write_text("{% include '.git/config' %}\n", encoding="utf-8")
    (repo.register / "templates").symlink_to("..", target_is_directory=True)
    out = tmp_path / "out"
    run = cli("report", "policy", "--register", str(repo.register), "-o", str(out), *DATED)
    assert run.exit_code != 0
    assert TOKEN not in run.stdout + run.stderr
    assert run.stderr == (
        "iotpolicy: templates: symbolic link to a folder outside the register; not used\n"
    )
    assert not out.exists()


def test_a_template_inside_cannot_include_through_a_link_out(
    cli: Cli, repo: GitRepo, tmp_path: Path
) -> None:
    """A real templates/ folder whose partials/ link points at the repository's top."""
    folder = repo.register / "templates"
    folder.mkdir()
    (folder / "policy.md.j2").write_text("{% include 'up/.git/config' %}\n", encoding="utf-8")
    (folder / "up").symlink_to(repo.top, target_is_directory=True)
    out = tmp_path / "out"
    run = cli("report", "policy", "--register", str(repo.register), "-o", str(out), *DATED)
    assert run.exit_code != 0
    assert TOKEN not in run.stdout + run.stderr
    assert run.stderr == (
        "iotpolicy: templates/up: symbolic link to a folder outside the register; not used\n"
    )
    assert not out.exists()


def _outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir(exist_ok=True)
    return folder


def _link(root: Path, rel: str, target: Path) -> None:
    (root / rel).symlink_to(target, target_is_directory=target.is_dir())


ONE_LINE = "symbolic link to a {} outside the register; nothing is read or written through it"


@pytest.mark.parametrize(
    ("link", "args", "kind"),
    [
        (".iotpolicy-cache", ("check", "--cache", "--as-of", AS_OF), "folder"),
        (".iotpolicy-cache", ("check", "--as-of", AS_OF), "folder"),
        (".iotpolicy.lock", ("add-person", *PERSON), "file"),
        ("schemas", ("schema",), "folder"),
        (
            "segments",
            ("add-segment", *SEGMENT),
            "folder",
        ),
        ("vendors", ("add-vendor", "--id", "moxa", "--name", "Moxa Inc."), "folder"),
    ],
    ids=["cache", "cache-default", "lock", "schemas", "segments", "vendors"],
)
def test_nothing_is_written_through_a_link_out_of_the_register(
    cli: Cli, make_register: Callable[..., Path], tmp_path: Path, link: str, args: tuple[str, ...],
    kind: str, outside_ci: None,
) -> None:  # fmt: skip
    root = make_register()
    outside = _outside(tmp_path)
    if link in ("segments", "vendors"):  # the folder moved out, its records with it
        (root / link).rename(outside / link)
        target = outside / link
    elif kind == "file":
        target = outside / "lock"
    else:
        target = outside
    _link(root, link, target)
    before = snapshot(outside)
    run = cli(args[0], "--register", str(root), *args[1:])
    assert run.exit_code == 2, run.stdout + run.stderr
    assert run.stderr == f"iotpolicy: {link}: {ONE_LINE.format(kind)}\n"
    assert snapshot(outside) == before


def test_no_cache_does_not_look_at_a_linked_cache(
    cli: Cli, make_register: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_register()
    _link(root, ".iotpolicy-cache", _outside(tmp_path))
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "--no-cache")
    assert run.exit_code == 0, run.stderr
    assert list(_outside(tmp_path).iterdir()) == []


def test_links_inside_the_register_are_followed(
    cli: Cli, make_register: Callable[..., Path], tmp_path: Path
) -> None:
    """A link that stays inside (a vendors folder kept under another name) is the register's."""
    root = make_register()
    (root / "vendors").rename(root / "suppliers")
    _link(root, "vendors", root / "suppliers")
    run = cli("add-vendor", "--register", str(root), "--id", "moxa", "--name", "Moxa Inc.")
    assert run.exit_code == 0, run.stderr
    assert (root / "suppliers" / "moxa.yaml").is_file()


def test_paths_the_user_names_stay_the_users_choice(
    cli: Cli, make_register: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_register()
    elsewhere = _outside(tmp_path)
    (root / "out").symlink_to(elsewhere, target_is_directory=True)
    run = cli("schema", "--register", str(root), "--output-dir", str(root / "out"))
    assert run.exit_code == 0, run.stderr
    assert (elsewhere / "device.schema.json").is_file()
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "-o", str(root / "out" / "c.txt"))
    assert run.exit_code == 0, run.stderr
    assert (elsewhere / "c.txt").is_file()


def test_in_register_names_the_first_link_out(tmp_path: Path) -> None:
    root = write_register(tmp_path / "register", {"policy.yaml": "x: 1\n"})
    outside = _outside(tmp_path)
    (outside / "deep").mkdir()
    (root / "a").mkdir()
    (root / "a" / "b").symlink_to(outside, target_is_directory=True)
    (root / "loop").symlink_to(root / "loop")
    (root / "back").symlink_to(root / "a", target_is_directory=True)
    assert in_register(root, "back/x.yaml") == root / "back" / "x.yaml"
    assert in_register(root, "new/file.yaml") == root / "new" / "file.yaml"
    with pytest.raises(OutsideRegister, match=r"^a/b: symbolic link to a folder"):
        in_register(root, "a/b/deep/c.yaml")
    with pytest.raises(OutsideRegister, match=r"^loop: symbolic link to a file"):
        in_register(root, "loop")
    for bad in ("../x", "/etc/passwd", "a/../../x", ""):
        with pytest.raises(ValueError):
            in_register(root, bad)

"""The check cache is only ever an optimisation: whatever an attacker does to it (an edit hidden
by ``touch -r``, a forged cache committed to the repository, another user's file, a full disk),
a warm check reports what ``--no-cache`` reports, and in CI it is not used unless asked for."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from iotpolicy.cache import CACHE_FOLDER, KEY_FILE, CheckCache, user_key
from iotpolicy.fsio import content_digest
from tests.conftest import Run
from tests.support.gitrepo import GitRepo
from tests.unit.test_cache import age, cache_file, check, copy_example

pytestmark = pytest.mark.usefixtures("outside_ci")
AS = ("--as-of", "2026-11-25")


def _errors(document: str) -> int:
    return sum(f["severity"] == "error" for f in json.loads(document)["findings"])


def _forge(path: Path, sign: Callable[[bytes], str]) -> None:
    """Drop every cached finding of ``path``'s cache and sign the body again with ``sign``."""
    document = json.loads(path.read_bytes().split(b"\n", 1)[1])
    for entry in document["files"].values():
        entry[3] = []
    body = json.dumps(document).encode()
    path.write_bytes(sign(body).encode() + b"\n" + body)


def _real_key(body: bytes) -> str:
    key = user_key()
    assert key is not None
    return hmac.new(key, body, hashlib.blake2b).hexdigest()


def test_a_same_size_edit_with_its_old_mtime_restored_is_seen(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    """``touch -r`` puts the modification time back; the change time cannot be put back."""
    root = copy_example(tmp_path)
    age(root)
    check(cli, root)
    target = root / "devices" / "plc-line1-01.yaml"
    before = target.stat()
    text = target.read_text()
    target.write_text(text.replace("status: active", "status: zctive"))  # same length
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = target.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    warm = check(cli, root)
    assert "status: must be one of" in warm
    assert warm == check(cli, root, "--no-cache")


def test_a_forged_cache_committed_to_the_repository_is_not_trusted(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    """The attack of issue 16: the findings removed, the (then unkeyed) checksum recomputed, the
    cache committed; a fresh clone must report the errors ``--no-cache`` reports."""
    repo = GitRepo(tmp_path / "repo")
    root = copy_example(tmp_path)
    root.rename(repo.register)
    root = repo.register
    (root / "devices" / "plc-line1-01.yaml").write_text("id: plc-line1-01\n")  # errors
    age(root)
    check(cli, root)
    _forge(cache_file(root), lambda body: content_digest(body))
    repo.git("add", "-A")
    repo.git("add", "-f", f"register/{CACHE_FOLDER}/check.json")
    repo.git("commit", "-q", "-m", "a cache that vouches for nothing")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo.top), str(clone)], check=True)
    cold = check(cli, clone / "register", "--no-cache")
    assert _errors(cold) > 0
    assert check(cli, clone / "register") == cold


def test_a_cache_tracked_by_git_is_ignored_and_left_alone(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    """Even signed with this user's key (a cache committed by mistake, then edited), a cache in
    git's index is neither read nor rewritten."""
    repo = GitRepo(tmp_path / "repo")
    root = copy_example(tmp_path)
    root.rename(repo.register)
    root = repo.register
    (root / "devices" / "plc-line1-01.yaml").write_text("id: plc-line1-01\n")
    age(root)
    cold = check(cli, root, "--no-cache")
    check(cli, root)
    repo.git("add", "-f", f"register/{CACHE_FOLDER}/check.json")
    _forge(cache_file(root), _real_key)
    forged = cache_file(root).read_bytes()
    assert check(cli, root) == cold
    assert cache_file(root).read_bytes() == forged


def test_a_cache_signed_by_anyone_else_is_not_trusted(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    """The HMAC is keyed by this user's secret: the same forgery signed with the real key is
    believed (the test's control), with another key it is not."""
    root = copy_example(tmp_path)
    (root / "devices" / "plc-line1-01.yaml").write_text("id: plc-line1-01\n")
    age(root)
    cold = check(cli, root, "--no-cache")
    check(cli, root)
    _forge(cache_file(root), lambda body: hmac.new(b"k" * 32, body, hashlib.blake2b).hexdigest())
    assert check(cli, root) == cold
    _forge(cache_file(root), _real_key)
    assert _errors(check(cli, root)) < _errors(cold)  # the control: the key is what decides


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_a_cache_written_by_another_user_is_ignored(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = copy_example(tmp_path)
    (root / "devices" / "plc-line1-01.yaml").write_text("id: plc-line1-01\n")
    age(root)
    cold = check(cli, root, "--no-cache")
    check(cli, root)
    _forge(cache_file(root), _real_key)
    os.chown(cache_file(root), 65534, 65534)
    assert check(cli, root) == cold


def test_the_key_is_private_to_the_user(user_cache_folder: Path) -> None:
    assert user_key() is not None
    key = user_cache_folder / "iotpolicy" / KEY_FILE
    assert key.stat().st_mode & 0o777 == 0o600
    assert user_key() == key.read_bytes()
    key.chmod(0o644)  # readable by others: no longer a secret, so no cache
    try:
        assert user_key() is None
    finally:
        key.chmod(0o600)


def test_in_ci_the_cache_is_used_only_with_the_cache_option(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    root = copy_example(tmp_path)
    check(cli, root)
    assert not (root / CACHE_FOLDER).exists()  # not written
    check(cli, root, "--cache")
    written = cache_file(root).read_bytes()
    _forge(cache_file(root), _real_key)
    forged = cache_file(root).read_bytes()
    assert forged != written
    assert check(cli, root) == check(cli, root, "--no-cache")  # not read
    assert cache_file(root).read_bytes() == forged


def test_a_cache_larger_than_its_limit_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Run]
) -> None:
    from iotpolicy import cache
    from iotpolicy.register import load_register

    root = copy_example(tmp_path)
    age(root)
    check(cli, root)
    monkeypatch.setattr(cache, "MAX_BYTES", cache_file(root).stat().st_size - 1)
    used = CheckCache(root, date(2026, 11, 25))
    load_register(root, used)
    assert used.status == "ignored" and not used.findings


def test_a_full_disk_leaves_no_empty_gitignore(tmp_path: Path) -> None:
    """Writes fail as on a full disk (a file size limit of 0 bytes: any byte written fails,
    creating a file does not): the check still runs, and leaves no file behind in the cache
    folder, in particular no empty ``.gitignore``."""
    root = copy_example(tmp_path)
    assert user_key() is not None  # made before: the cache itself is what fails to be written

    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))

    env = {k: v for k, v in os.environ.items() if k != "CI"}
    done = subprocess.run(
        [sys.executable, "-m", "iotpolicy", "check", "--register", str(root), "-f", "json", *AS],
        preexec_fn=full_disk,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    json.loads(done.stdout)
    folder = root / CACHE_FOLDER
    assert not folder.exists() or [p.name for p in folder.iterdir()] == []

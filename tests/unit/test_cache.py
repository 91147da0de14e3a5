"""The incremental check cache: a warm check reports exactly what a cold one does, a stale or
corrupt cache is never trusted, and ``--no-cache`` neither reads nor writes it."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import iotpolicy.register
from iotpolicy.cache import CACHE_FILE, CACHE_FOLDER
from iotpolicy.rules import RULES
from tests.conftest import Run, edited_baseline, write_register
from tests.support.baseline import AS_OF, baseline
from tests.support.paths import REPO
from tests.unit.rules.test_rule_cases import CASES

pytestmark = pytest.mark.usefixtures("outside_ci")

EXAMPLE = REPO / "register"
BROKEN = "id: [unclosed\n"
LONG_AGO = 1_600_000_000  # 2020-09-13: older than any cache, so the stat shortcut applies


def check(cli: Callable[..., Run], root: Path, *extra: str, as_of: str = "2026-11-25") -> str:
    """The JSON document of ``check`` on ``root``."""
    done = cli("check", "--register", str(root), "--as-of", as_of, "--format", "json", *extra)
    assert done.exit_code in (0, 1), done.stderr
    return done.stdout


def age(root: Path) -> None:
    """Date every file of ``root`` back, as files long committed are."""
    for path in root.rglob("*.yaml"):
        os.utime(path, (LONG_AGO, LONG_AGO))


def apply_edits(root: Path, edits: dict[str, Any]) -> None:
    """Change ``root`` (a baseline register) in place into the baseline with ``edits``: only the
    files that differ are written or removed."""
    before, after = baseline(), edited_baseline(edits)
    for rel in before.keys() - after.keys():
        (root / rel).unlink()
    write_register(root, {rel: data for rel, data in after.items() if before.get(rel) != data})


def copy_example(tmp_path: Path) -> Path:
    """A copy of the example register (without the cache a run in place may have left)."""
    root = tmp_path / "register"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(CACHE_FOLDER))
    return root


def cache_file(root: Path) -> Path:
    return root / CACHE_FOLDER / CACHE_FILE


CROSS = {rule.id for rule in RULES.values() if rule.across_devices} | {"REG-001", "REG-003"}


@pytest.mark.parametrize("case", [c for c in CASES if c.values[0]["rule"] in CROSS])
def test_a_warm_check_after_an_edit_reports_what_a_cold_check_does(
    case: Any, cli: Callable[..., Run], tmp_path: Path
) -> None:
    """The case's edits land on a register whose every file is cached: the rules comparing
    devices see cached and re-read devices together."""
    spec = case
    as_of = str(spec.get("as_of", AS_OF.isoformat()))
    root = write_register(tmp_path / "register", baseline())
    age(root)
    check(cli, root, as_of=as_of)
    apply_edits(root, spec.get("edits") or {})
    warm = check(cli, root, as_of=as_of)
    assert json.loads(cache_file(root).read_text().split("\n", 1)[1])["files"]
    assert warm == check(cli, root, "--no-cache", as_of=as_of)


def _mutate(root: Path, rng: random.Random) -> None:
    """One random change to the device files of ``root``: the kinds of change that move what
    the cross-device rules see (ids, addresses, types, dates, status) or break a file."""
    devices = sorted((root / "devices").glob("*.yaml"))
    readable = [p for p in devices if p.read_text(encoding="utf-8") != BROKEN]
    target = rng.choice(devices)
    if target not in readable:  # mend it
        shutil.copy(rng.choice(readable), target)
        return
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    other = yaml.safe_load(rng.choice(readable).read_text(encoding="utf-8"))
    move = rng.choice(["ip", "id", "type", "commissioned", "status", "copy", "delete", "break"])
    if move == "ip" and other.get("network", {}).get("ip"):
        data.setdefault("network", {})["ip"] = other["network"]["ip"]
    elif move == "id":
        data["id"] = other["id"]
    elif move == "type":
        data["type"] = rng.choice(["camera", "plc", "drone", "badge-reader"])
    elif move == "commissioned":
        data["commissioned_on"] = rng.choice(["2024-01-01", "2026-07-01", "2026-11-25"])
    elif move == "status":
        data["status"] = rng.choice(["active", "planned", "retired"])
    elif move == "copy":
        shutil.copy(target, root / "devices" / f"copy-{rng.randrange(1000)}.yaml")
        return
    elif move == "delete" and len(devices) > 5:
        target.unlink()
        return
    elif move == "break":
        target.write_text(BROKEN, encoding="utf-8")
        return
    target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize("seed", range(4))
def test_round_after_round_of_random_changes_warm_equals_cold(
    seed: int, cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = copy_example(tmp_path)
    rng = random.Random(seed)
    for _ in range(6):
        age(root)
        check(cli, root)
        for _ in range(rng.randint(1, 3)):
            _mutate(root, rng)
        assert check(cli, root) == check(cli, root, "--no-cache")


def test_unchanged_files_are_not_read_again(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_example(tmp_path)
    age(root)
    cold = check(cli, root)
    read: list[str] = []
    original = iotpolicy.register.read_file

    def counting(path: Path) -> Any:
        read.append(path.name)
        return original(path)

    monkeypatch.setattr(iotpolicy.register, "read_file", counting)
    target = root / "devices" / "plc-line1-01.yaml"
    target.write_text(target.read_text().replace("segment:", "segmnet:", 1))
    assert check(cli, root) != cold
    devices_read = [name for name in read if (root / "devices" / name).exists()]
    assert devices_read == ["plc-line1-01.yaml"]


def test_an_edit_in_the_same_second_with_the_same_size_is_still_seen(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    """Files modified close to the cache's writing keep no stamp, so an edit that keeps size
    and modification time (a fast editor, a coarse clock) is still found by its content."""
    root = copy_example(tmp_path)
    for path in root.rglob("*.yaml"):
        os.utime(path)  # just written, as by an editor
    check(cli, root)
    target = root / "devices" / "plc-line1-01.yaml"
    stat = target.stat()
    text = target.read_text()
    assert "status: active" in text
    target.write_text(text.replace("status: active", "status: zctive"))  # same length
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert target.stat().st_size == stat.st_size
    warm = check(cli, root)
    assert warm == check(cli, root, "--no-cache")
    assert "status: must be one of" in warm


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # truncated
        lambda raw: raw.replace(b"INV-", b"XYZ-", 1),  # a changed byte: the checksum fails
        lambda raw: b"not even a checksum",
        lambda raw: b"",
    ],
    ids=["truncated", "altered", "garbage", "empty"],
)
def test_a_corrupt_cache_is_ignored_and_rewritten(
    damage: Callable[[bytes], bytes], cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = copy_example(tmp_path)
    age(root)
    cold = check(cli, root, "--no-cache")
    check(cli, root)
    path = cache_file(root)
    good = path.read_bytes()
    path.write_bytes(damage(good))
    assert check(cli, root) == cold
    assert path.read_bytes().split(b"\n", 1)[1] != b""  # rewritten whole
    assert (
        json.loads(path.read_bytes().split(b"\n", 1)[1])["files"].keys()
        == json.loads(good.split(b"\n", 1)[1])["files"].keys()
    )


def test_a_cache_with_a_valid_checksum_but_forged_content_is_not_trusted(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    from iotpolicy.fsio import content_digest

    root = copy_example(tmp_path)
    age(root)
    cold = check(cli, root)
    path = cache_file(root)
    document = json.loads(path.read_text().split("\n", 1)[1])
    for n, entry in enumerate(document["files"].values()):
        if n % 3 == 0:
            entry[3] = [["NOPE-999", "error", "x", 1, "forged"]]
        elif n % 3 == 1 and entry[2]:
            entry[2] = entry[2][:-1]  # facts of another shape
        elif entry[2]:
            entry[2][3] = "14"  # a line that is not a number
    body = json.dumps(document)
    path.write_text(f"{content_digest(body.encode())}\n{body}")
    assert check(cli, root) == cold


def test_a_changed_context_or_date_drops_every_entry(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    """Findings about a device depend on vendors, segments, people, the policy and the as-of date:
    when one of them changes, no cached finding is reused."""
    root = copy_example(tmp_path)
    age(root)
    check(cli, root)
    vendor = root / "vendors" / "axis.yaml"
    data = yaml.safe_load(vendor.read_text())
    data.pop("security_clauses", None)
    data["assessment"] = {"last": "2020-01-01"}
    vendor.write_text(yaml.safe_dump(data))
    assert check(cli, root) == check(cli, root, "--no-cache")
    for as_of in ("2027-06-01", "2031-01-01"):
        assert check(cli, root, as_of=as_of) == check(cli, root, "--no-cache", as_of=as_of)


def test_no_cache_neither_reads_nor_writes_it(cli: Callable[..., Run], tmp_path: Path) -> None:
    root = copy_example(tmp_path)
    check(cli, root, "--no-cache")
    assert not (root / CACHE_FOLDER).exists()
    check(cli, root)
    path = cache_file(root)
    path.write_bytes(b"junk")
    check(cli, root, "--no-cache")
    assert path.read_bytes() == b"junk"


def test_a_rule_selection_reads_the_cache_but_does_not_write_it(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = copy_example(tmp_path)
    check(cli, root)
    before = cache_file(root).read_bytes()
    (root / "devices" / "plc-line1-01.yaml").write_text("id: plc-line1-01\n")
    selected = check(cli, root, "--rule", "REG-001", "--rule", "SEG-003")
    assert selected == check(cli, root, "--no-cache", "--rule", "REG-001", "--rule", "SEG-003")
    assert cache_file(root).read_bytes() == before


def test_the_cache_holds_no_secret_and_git_ignores_it(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = copy_example(tmp_path)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    target = root / "devices" / "plc-line1-01.yaml"
    target.write_text(target.read_text() + "admin_password: Sup3rS3cret-Value!\n")
    document = json.loads(check(cli, root))
    assert any(f["rule"] == "REG-004" for f in document["findings"])
    assert "Sup3rS3cret" not in cache_file(root).read_text()
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored=no"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert CACHE_FOLDER not in status
    assert "devices/" in status or "?? " in status  # the register itself is seen, untracked


def test_a_warm_junit_report_lists_the_same_subjects(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    """JUnit lists every subject each rule judged: cached devices count as much as read ones."""
    root = copy_example(tmp_path)
    age(root)
    check(cli, root)
    target = root / "devices" / "cam-gate-01.yaml"
    target.write_text(target.read_text().replace("status: active", "status: retired"))
    warm = check(cli, root, "--format", "junit")
    assert warm == check(cli, root, "--format", "junit", "--no-cache")
    assert 'classname="iotpolicy.LIF-002" name="cam-gate-01"' in warm
    assert 'classname="iotpolicy.ACC-001" name="plc-line1-01"' in warm

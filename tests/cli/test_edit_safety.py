"""Safe writes: an interrupted write leaves the old file, concurrent writers never lose a change,
a held lock is reported, permissions are kept."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from iotpolicy import fsio
from iotpolicy.fsio import LOCK_FILE, register_lock
from iotpolicy.yamlio.load import parse_text
from tests.conftest import Run

Cli = Callable[..., Run]
CHANGE = ("record-change", "plc-01", "--kind", "configuration", "--summary", "Tuned.")


def leftovers(folder: Path) -> list[str]:
    """Temporary files the atomic writer left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize(
    ("interruption", "code"),
    [(OSError(28, "No space left on device"), 2), (KeyboardInterrupt(), 130)],
    ids=["disk-full", "ctrl-c"],
)
def test_an_interrupted_write_leaves_the_old_file_and_no_temporary_file(
    cli: Cli,
    make_register: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    interruption: BaseException,
    code: int,
) -> None:
    root = make_register()
    path = root / "devices/plc-01.yaml"
    before = path.read_bytes()

    def crash(src: str, dst: str) -> None:
        assert Path(src).read_text(encoding="utf-8").count("kind: configuration") == 1
        raise interruption  # after the new text is written and synced, before the rename

    monkeypatch.setattr(fsio.os, "replace", crash)
    run = cli(*CHANGE, "--register", str(root))
    assert run.exit_code == code
    assert "Traceback" not in run.stdout + run.stderr
    assert path.read_bytes() == before
    assert leftovers(path.parent) == []
    monkeypatch.undo()
    assert cli(*CHANGE, "--register", str(root)).exit_code == 0


def test_an_interrupted_new_file_is_not_created(
    cli: Cli, make_register: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_register()

    def crash(src: str, dst: str) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(fsio.os, "replace", crash)
    run = cli("add-vendor", "--register", str(root), "--id", "moxa", "--name", "Moxa")
    assert run.exit_code == 2
    assert run.stderr == "iotpolicy: Input/output error\n"
    assert not (root / "vendors/moxa.yaml").exists()
    assert leftovers(root / "vendors") == []


def _worker_script(root: Path, worker: int, count: int, kind: str) -> str:
    """A process making ``count`` changes one after another through the real CLI."""
    if kind == "change":
        args = (
            "['record-change', 'plc-01', '--register', ROOT, '--kind', 'configuration', "
            f"'--summary', f'worker {worker} change {{n}}']"
        )
    else:
        args = (
            f"['add-person', '--register', ROOT, '--id', f'p-{worker}-{{n}}', "
            f"'--name', f'Person {worker} {{n}}', '--role', 'staff']"
        )
    return (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from iotpolicy.cli import load_commands\n"
        "app = load_commands()\n"
        f"ROOT = {str(root)!r}\n"
        f"for n in range({count}):\n"
        f"    result = CliRunner().invoke(app, {args})\n"
        "    if result.exit_code:\n"
        "        sys.exit(result.output)\n"
    )


@pytest.mark.parametrize("kind", ["change", "person"])
def test_concurrent_writers_never_lose_a_change(
    make_register: Callable[..., Path], kind: str
) -> None:
    """Four processes making ten changes each on the same file: all forty survive."""
    root = make_register()
    workers, count = 4, 10
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _worker_script(root, worker, count, kind)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(workers)
    ]
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    if kind == "change":
        data = parse_text((root / "devices/plc-01.yaml").read_text(encoding="utf-8")).data
        summaries = [c["summary"] for c in data["changes"] if c["kind"] == "configuration"]
        expected = {f"worker {w} change {n}" for w in range(workers) for n in range(count)}
    else:
        data = parse_text((root / "people.yaml").read_text(encoding="utf-8")).data
        summaries = [p["id"] for p in data if p["id"].startswith("p-")]
        expected = {f"p-{w}-{n}" for w in range(workers) for n in range(count)}
    assert len(summaries) == workers * count
    assert set(summaries) == expected
    assert leftovers(root / "devices") == []


def test_a_held_lock_is_waited_for_then_reported(
    cli: Cli, make_register: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_register()
    monkeypatch.setattr(fsio, "LOCK_TIMEOUT", 0.3)
    before = (root / "devices/plc-01.yaml").read_bytes()
    with register_lock(root):
        run = cli(*CHANGE, "--register", str(root))
    assert run.exit_code == 2
    assert run.stderr == (
        f"iotpolicy: the register is being changed by another iotpolicy command "
        f"({root / LOCK_FILE} is locked for more than 0 s); try again\n"
    )
    assert (root / "devices/plc-01.yaml").read_bytes() == before
    assert cli(*CHANGE, "--register", str(root)).exit_code == 0


def test_an_edited_file_keeps_its_permissions_and_a_new_one_gets_the_umask(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    path = root / "devices/plc-01.yaml"
    path.chmod(0o640)
    assert cli(*CHANGE, "--register", str(root)).exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    umask = os.umask(0o022)
    try:
        run = cli("add-vendor", "--register", str(root), "--id", "moxa", "--name", "Moxa")
        assert run.exit_code == 0, run.stderr
        mode = stat.S_IMODE((root / "vendors/moxa.yaml").stat().st_mode)
    finally:
        os.umask(umask)
    assert mode == 0o644

"""Every input file has its size checked before it is read: a 6 GiB sparse file named as an
import, a scan, an advisory, a KEV catalog, a register file or a template costs nothing and gives
one line. The commands run in a child process limited to 1 GiB of address space (reading the
file whole would fail there). A named pipe is refused instead of waited on."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from iotpolicy.inputs import InputRefused, read_bounded, size_text
from tests.conftest import write_register
from tests.support.realworld import field_files
from tests.unit.reports.test_template_limits import run_limited

SIX_GIB = 6 * 1024**3


def sparse(path: Path, size: int = SIX_GIB) -> Path:
    """A file of ``size`` bytes taking no disk space."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


@pytest.fixture
def reg(tmp_path: Path) -> Path:
    return write_register(tmp_path / "register", field_files())


@pytest.mark.parametrize(
    ("args", "name", "limit"),
    [
        (["import", "devices"], "inventory.csv", "32 MiB"),
        (["import", "devices"], "inventory.xlsx", "32 MiB"),
        (["reconcile"], "scan.xml", "64 MiB"),
        (["advisories", "import"], "advisory.json", "32 MiB"),
        (["advisories", "kev"], "known_exploited_vulnerabilities.json", "64 MiB"),
    ],
)
def test_a_huge_input_is_refused_unread(
    reg: Path, tmp_path: Path, args: list[str], name: str, limit: str
) -> None:
    path = sparse(tmp_path / name)
    started = time.monotonic()
    done = run_limited([*args, str(path), "--register", str(reg)])
    assert time.monotonic() - started < 20
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [f"iotpolicy: {name}: larger than {limit}; not read"]


def test_a_huge_register_file_is_refused_unread(reg: Path) -> None:
    sparse(reg / "devices" / "huge.yaml")
    sparse(reg / "people.yaml")
    done = run_limited(["check", "--register", str(reg), "--format", "json", "--no-cache"])
    assert done.returncode == 1, done.stderr
    assert '"message": "file is larger than 2 MiB"' in done.stdout
    assert done.stdout.count("file is larger than 2 MiB") == 2


def test_a_huge_template_is_refused_unread(reg: Path, tmp_path: Path) -> None:
    (reg / "templates").mkdir()
    sparse(reg / "templates" / "site.md.j2")
    out = tmp_path / "out"
    done = run_limited(["report", "site", "--register", str(reg), "-o", str(out)])
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == ["iotpolicy: templates/site.md.j2: larger than 1 MiB"]
    assert not out.exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_named_pipe_is_refused_not_waited_on(reg: Path, tmp_path: Path) -> None:
    os.unlink(reg / "people.yaml")
    os.mkfifo(reg / "people.yaml")
    done = run_limited(["check", "--register", str(reg), "--format", "json"], timeout=20)
    assert done.returncode == 1, done.stderr
    assert '"message": "file is not a regular file"' in done.stdout
    pipe = tmp_path / "inventory.csv"
    os.mkfifo(pipe)
    done = run_limited(["import", "devices", str(pipe), "--register", str(reg)], timeout=20)
    assert done.stderr.splitlines() == ["iotpolicy: inventory.csv: not a regular file; not read"]


def test_read_bounded(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_bounded(path, 10) == b"x" * 10
    with pytest.raises(InputRefused, match="larger than 9 bytes"):
        read_bounded(path, 9)
    with pytest.raises(InputRefused, match="not a regular file"):
        read_bounded(tmp_path, 10)
    with pytest.raises(FileNotFoundError):
        read_bounded(tmp_path / "missing", 10)
    assert [size_text(n) for n in (2 << 20, 64 << 10, 3 << 30, 1000)] == [
        "2 MiB", "64 KiB", "3 GiB", "1,000 bytes"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "name", "message"),
    [
        (
            ["advisories", "import"],
            "deep.json",
            "not a CSAF document (JSON nested too deeply)",
        ),
        (["advisories", "kev"], "deep.json", "not CISA's KEV catalog (not JSON)"),
    ],
)
def test_json_nested_too_deeply_is_one_line(
    reg: Path, tmp_path: Path, args: list[str], name: str, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"[" * 1_000_000 + b"]" * 1_000_000)
    done = run_limited([*args, str(path), "--register", str(reg)])
    assert done.stderr.splitlines() == [f"iotpolicy: {name}: {message}"]


def test_a_csaf_product_tree_nested_too_deeply_is_a_warning(tmp_path: Path) -> None:
    import json

    from iotpolicy.domain.csaf import MAX_BRANCH_DEPTH, parse_csaf
    from tests.support.realworld import CSAF

    document = json.loads((CSAF / "icsa-24-289-02.json").read_text(encoding="utf-8"))
    branch: dict[str, object] = {
        "category": "product_name",
        "name": "x",
        "product": {"product_id": "CSAFPID-9999", "name": "x"},
    }
    for _ in range(MAX_BRANCH_DEPTH + 5):
        branch = {"category": "vendor", "name": "Deep", "branches": [branch]}
    document["product_tree"]["branches"].append(branch)
    advisory = parse_csaf(json.dumps(document).encode(), "deep.json")
    assert f"product tree nested deeper than {MAX_BRANCH_DEPTH} levels" in advisory.warnings

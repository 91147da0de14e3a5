"""Hostile input files (tests/data/hostile/, expectations in expected.yaml): each gives its
specific REG finding with file and line, fast, and the rest of the register is still checked."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import DELETE, Run
from tests.support.paths import DATA

HOSTILE = DATA / "hostile"
EXPECTED: dict[str, Any] = yaml.safe_load((HOSTILE / "expected.yaml").read_text("utf-8"))
CANARY = {"devices/plc-01.yaml": {"network.segment": DELETE}}
"""A known finding elsewhere in the register, proving the rest is still checked."""


def _check(cli: Callable[..., Run], root: Path) -> tuple[list[dict[str, Any]], float]:
    start = time.perf_counter()
    run = cli("check", "--register", str(root), "--as-of", "2026-11-25", "--format", "json")
    elapsed = time.perf_counter() - start
    assert run.exit_code == 1, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    return run.json["findings"], elapsed


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file(
    name: str, cli: Callable[..., Run], make_register: Callable[..., Path]
) -> None:
    root = make_register(CANARY)
    shutil.copyfile(HOSTILE / name, root / "devices" / name)
    findings, elapsed = _check(cli, root)
    assert elapsed < 10, "a hostile file must be refused within bounded time"
    assert any(f["rule"] == "SEG-001" and f["subject"] == "plc-01" for f in findings)
    mine = [f for f in findings if f["file"] == f"devices/{name}"]
    expected = EXPECTED[name]
    if expected == "accepted":
        assert [f for f in mine if f["rule"].startswith("REG")] == []
    elif expected == "many":
        assert mine and all(f["rule"] == "REG-001" for f in mine)
    else:
        got = [(f["rule"], f["line"]) for f in mine]
        assert got == [(e["rule"], e["line"]) for e in expected], mine
        for finding, want in zip(mine, expected, strict=True):
            assert want["message"].lower() in finding["message"].lower()


def test_a_50_mb_file_is_refused_unread_and_fast(
    cli: Callable[..., Run], make_register: Callable[..., Path]
) -> None:
    root = make_register(CANARY)
    with (root / "devices" / "huge.yaml").open("wb") as handle:
        handle.write(b"id: huge\nnotes: '")
        handle.write(b"x" * (50 * 1024 * 1024))
        handle.write(b"'\n")
    findings, elapsed = _check(cli, root)
    huge = [f for f in findings if f["file"] == "devices/huge.yaml"]
    assert [(f["rule"], f["line"]) for f in huge] == [("REG-001", 1)]
    assert "larger than 2 MiB" in huge[0]["message"]
    assert elapsed < 10

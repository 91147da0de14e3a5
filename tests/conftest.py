"""Shared fixtures: build registers in tmp_path and drive the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from iotpolicy.cli import load_commands
from tests.support.baseline import AS_OF, baseline

app = load_commands()

DELETE = "~delete"
"""In an edit, the value that removes the key."""


def write_register(root: Path, files: dict[str, Any]) -> Path:
    """Write ``files`` (relative path -> data, or text) as YAML under ``root``."""
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        elif isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return root


def apply_edit(data: Any, dotted: str, value: Any) -> None:
    """Set (or with DELETE remove) the value at a dotted path; numbers index lists."""
    *parents, last = [int(p) if p.lstrip("-").isdigit() else p for p in dotted.split(".")]
    node = data
    for part in parents:
        if isinstance(part, str) and part not in node:
            node[part] = {}
        node = node[part]
    if value == DELETE:
        del node[last]
    elif isinstance(node, list) and last == len(node):
        node.append(value)
    else:
        node[last] = value


def edited_baseline(edits: dict[str, Any]) -> dict[str, Any]:
    """The baseline with ``edits``: {file: {dotted.path: value} | whole data | DELETE}."""
    files = baseline()
    for rel, change in edits.items():
        if change == DELETE:
            files.pop(rel, None)
        elif isinstance(change, dict) and rel in files and isinstance(files[rel], dict | list):
            for dotted, value in change.items():
                apply_edit(files[rel], dotted, value)
        else:
            files[rel] = change
    return files


class Run:
    """The outcome of one CLI invocation."""

    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture(autouse=True, scope="session")
def user_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The user's cache folder (the check cache's key) is a fresh one for the test session."""
    folder = tmp_path_factory.mktemp("user-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(folder))
        yield folder


@pytest.fixture
def outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as on a workstation: ``CI`` unset, so ``check`` uses its cache by default."""
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture
def cli() -> Callable[..., Run]:
    """Run ``iotpolicy ARGS`` in-process; returns exit code, stdout and stderr separately."""

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Run:
        runner = CliRunner()
        result = runner.invoke(app, list(args), env=env, input=input, catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def make_register(tmp_path: Path) -> Callable[..., Path]:
    """Build the baseline register with edits in a fresh folder; returns its path."""
    counter = iter(range(1000))

    def make(edits: dict[str, Any] | None = None) -> Path:
        root = tmp_path / f"register{next(counter)}"
        root.mkdir()
        return write_register(root, edited_baseline(edits or {}))

    return make


@pytest.fixture
def check_json(cli: Callable[..., Run], make_register: Callable[..., Path]) -> Callable[..., Any]:
    """Build a register with edits, run check --format json on it, return (exit code, document)."""

    def run(
        edits: dict[str, Any] | None = None, *extra: str, as_of: str = AS_OF.isoformat()
    ) -> Any:
        root = make_register(edits)
        result = cli("check", "--register", str(root), "--as-of", as_of, "--format", "json", *extra)
        assert result.exit_code in (0, 1), result.stderr
        return result.exit_code, result.json

    return run

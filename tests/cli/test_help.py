"""Every command's help: plain metavars, no reST markup, prose that reflows to the terminal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from iotpolicy.cli import load_commands

APP = load_commands()
WIDE, NARROW = 250, 60


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _walk(sub, (*path, name))


COMMANDS = dict(_walk(typer.main.get_command(APP)))
"""Every command and sub-command, by its path, as typer builds it from the docstrings."""


def _help(path: tuple[str, ...], columns: int) -> str:
    result = CliRunner().invoke(APP, [*path, "--help"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.stdout


def _flat(text: str) -> str:
    """Text without table borders, markup backticks and runs of spaces."""
    return " ".join(text.replace("`", "").replace("│", " ").split())


def test_every_command_is_walked() -> None:
    assert len(COMMANDS) > 25
    assert ("advisories", "set-status") in COMMANDS and ("export", "oscal") in COMMANDS


@pytest.mark.parametrize("path", list(COMMANDS), ids=lambda p: " ".join(p) or "iotpolicy")
def test_help_has_plain_metavars_and_reflows(path: tuple[str, ...]) -> None:
    wide, narrow = _help(path, WIDE), _help(path, NARROW)
    for text in (wide, narrow):
        assert not re.search(r"<[\w|\[\], ]+>", text), text  # <str>, <list[str]>, <id> ...
        assert "``" not in text
        assert not re.search(r"\{\w+\}", text)  # typer's {path} in the usage line
    usage = next(line for line in wide.splitlines() if "Usage:" in line)
    assert "<" not in usage and "{" not in usage
    assert max(len(line) for line in narrow.splitlines()) <= NARROW
    assert len(narrow.splitlines()) > len(wide.splitlines())
    # Wide enough, every paragraph of the docstring and every option's help is one line: no line
    # break of the source survives.
    lines = [_flat(line) for line in wide.splitlines()]
    command = COMMANDS[path]
    texts = [*(command.help or "").split("\n\n"), *(p.help or "" for p in command.params)]
    for text in texts:
        flat = _flat(text)
        if flat and len(flat) < WIDE - 80:
            assert any(flat in line for line in lines), f"{flat!r} is broken over lines"


def test_a_date_option_shows_date_and_its_format() -> None:
    seen = 0
    for path in COMMANDS:
        for line in _help(path, WIDE).splitlines():
            if re.search(r"--[\w-]+ +DATE(\|REV)? ", line):
                seen += 1
                assert "YYYY-MM-DD" in line, line
    assert seen >= 20  # --as-of, --date, --on, --received-on, --since and the record fields


def test_the_global_debug_option_is_listed() -> None:
    assert "IOTPOLICY_DEBUG=1" in _flat(_help((), WIDE))

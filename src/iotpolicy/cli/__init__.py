"""The console script: import the command modules (each registers its commands) and run the app.

Only the module of the command being run is imported: ``iotpolicy check`` does not pay for the
reports, editing and import code (about 0.15 s of every start). Without a known command (``--help``,
``--version``, a typo) every module is imported, so help lists them all and typer's own error
messages stay right. Shared CLI pieces live in ``iotpolicy.cli.app``.

An unexpected exception is reported in one line naming it and the iotpolicy module it came from;
``--debug`` (or ``IOTPOLICY_DEBUG=1``) prints its traceback first, credential-looking lines
redacted.
"""

from __future__ import annotations

import importlib
import itertools
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported in load_commands: a Ctrl-C during start-up is caught by main
    from types import FrameType

    import typer

COMMAND_MODULES: dict[str, str] = {
    "check": "check",
    "rules": "check",
    "add-device": "edit",
    "add-vendor": "edit",
    "add-segment": "edit",
    "add-person": "edit",
    "add-exception": "edit",
    "record-change": "edit",
    "retire": "edit",
    "init": "init",
    "reconcile": "reconcile",
    "report": "report",
    "history": "report",
    "review": "review",
    "record-communication": "review",
    "schema": "schema",
    "trend": "trend",
    "export": "export",
    "import": "imports",
    "advisories": "advisories",
}
"""Top-level command (or command group) -> the module of ``iotpolicy.cli.commands`` defining it,
in the order help lists them (modules are imported in this order). New commands are added here;
a test checks that this table and the app agree."""

__all__ = ["COMMAND_MODULES", "internal_error", "load_commands", "main"]

_TRUE = frozenset({"1", "true", "yes", "on"})


def _command_line(argv: Sequence[str]) -> tuple[list[str], str]:
    """The global options before the command (``--debug``, ``--version`` ...), and the command."""
    options = list(itertools.takewhile(lambda arg: arg.startswith("-"), argv))
    return options, argv[len(options)] if len(options) < len(argv) else ""


def load_commands(argv: Sequence[str] = ()) -> typer.Typer:
    """The app with the commands ``argv`` needs registered: the named command's module when the
    first argument after the global options is a known command, else every command module."""
    from iotpolicy.cli.app import app

    name = _command_line(argv)[1]
    modules = [COMMAND_MODULES[name]] if name in COMMAND_MODULES else COMMAND_MODULES.values()
    for module in dict.fromkeys(modules):
        importlib.import_module(f"iotpolicy.cli.commands.{module}")
    return app


def internal_error(exc: BaseException, debug: bool) -> str:
    """What stderr shows for an unexpected exception: the line naming it and the module of the
    innermost frame inside iotpolicy; with ``debug``, its traceback before that line, each
    line that looks like it holds a credential redacted as history redacts values."""
    from iotpolicy.grammar.secrets import redact_lines

    modules = [
        str(frame.f_globals.get("__name__", ""))
        for frame, _ in traceback.walk_tb(exc.__traceback__)
    ]
    ours = [name for name in modules if name == "iotpolicy" or name.startswith("iotpolicy.")]
    where = f" in {ours[-1]}" if ours else ""
    line = f"iotpolicy: internal error: {type(exc).__name__}{where}; please report it"
    if not debug:
        return f"{line} (run with --debug for the traceback)\n"
    return redact_lines("".join(traceback.format_exception(exc))) + line + "\n"


_interrupted: list[int] = []
"""The signals received: Ctrl-C inside a library (pydantic's serializer) can come out as the
library's own error, which is still an interruption, not an internal error."""


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    """Ctrl-C: remembered, then raised as Python does."""
    _interrupted.append(signum)
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point: run the app; an unexpected error is one line, not a traceback
    (unless asked for with ``--debug``), and Ctrl-C at any moment (start-up included) ends quietly
    with exit code 130."""
    argv = sys.argv[1:]
    try:
        signal.signal(signal.SIGINT, _interrupt)
        load_commands(argv)(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # the last guard: a traceback may hold register data
        if _interrupted:
            sys.exit(130)
        debug = "--debug" in _command_line(argv)[0]
        debug = debug or os.environ.get("IOTPOLICY_DEBUG", "").strip().lower() in _TRUE
        sys.stderr.write(internal_error(exc, debug))
        sys.exit(2)

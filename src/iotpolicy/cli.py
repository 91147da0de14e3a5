"""The console script: import the command modules (each registers its commands) and run the app.

Only the module of the command being run is imported: ``iotpolicy check`` does not pay for the
reports, editing and import code (about 0.15 s of every start). Without a known command (``--help``,
``--version``, a typo) every module is imported, so help lists them all and typer's own error
messages stay right. Shared CLI pieces live in ``iotpolicy.app``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported in load_commands: a Ctrl-C during start-up is caught by main
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
    "import": "realworld",
    "export": "realworld",  # export devices; realworld imports export (export oscal)
    "reconcile": "realworld",
    "advisories": "realworld",
    "report": "report",
    "history": "report",
    "review": "review",
    "record-communication": "review",
    "schema": "schema",
}
"""Top-level command (or command group) -> the module of ``iotpolicy.commands`` defining it.
New commands are added here; a test checks that this table and the app agree."""

__all__ = ["COMMAND_MODULES", "load_commands", "main"]


def load_commands(argv: Sequence[str] = ()) -> typer.Typer:
    """The app with the commands ``argv`` needs registered: the named command's module when the
    first argument is a known command, else every command module."""
    from iotpolicy.app import app

    name = argv[0] if argv else ""
    modules = {COMMAND_MODULES[name]} if name in COMMAND_MODULES else set(COMMAND_MODULES.values())
    for module in sorted(modules):
        importlib.import_module(f"iotpolicy.commands.{module}")
    return app


def main() -> None:
    """Console-script entry point: run the app; an unexpected error is one line, not a traceback,
    and Ctrl-C at any moment (start-up included) ends quietly with exit code 130."""
    try:
        load_commands(sys.argv[1:])(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # the last guard: never show a traceback (it may hold register data)
        print(
            f"iotpolicy: internal error ({type(exc).__name__}); please report it", file=sys.stderr
        )
        sys.exit(2)

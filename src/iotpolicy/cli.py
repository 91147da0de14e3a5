"""The console script: import every command module (so each registers on the app) and run it.

Nothing imports this module; commands live in ``iotpolicy.commands``, shared CLI pieces in
``iotpolicy.app``.
"""

from __future__ import annotations

import sys

import typer

from iotpolicy.app import app
from iotpolicy.commands import (
    check,  # noqa: F401  (registers check and rules)
    edit,  # noqa: F401  (registers add-*, record-change and retire)
    export,  # noqa: F401  (registers export oscal)
    init,  # noqa: F401  (registers init)
    realworld,  # noqa: F401  (registers import devices, export devices, reconcile, advisories)
    report,  # noqa: F401  (registers report and history)
    review,  # noqa: F401  (registers review and record-communication)
    schema,  # noqa: F401  (registers schema)
)

# New command modules are imported here, one line each.

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point: run the app; an unexpected error is one line, not a traceback."""
    try:
        app(standalone_mode=True)
    except Exception as exc:  # the last guard: never show a traceback (it may hold register data)
        typer.echo(f"iotpolicy: internal error ({type(exc).__name__}); please report it", err=True)
        sys.exit(2)

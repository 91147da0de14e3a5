"""The typer application and what every command shares: error handling, common options, output.

Commands live in ``iotpolicy.commands`` (one module per group) and register themselves on
:data:`app`; ``iotpolicy.cli`` imports them all. User errors are turned into one line and a named
exit code in :func:`user_errors`; nothing else catches exceptions.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import typer

from iotpolicy import __version__
from iotpolicy.errors import EXIT_USAGE, IotpolicyError
from iotpolicy.yamlio import atomic_write_text

app = typer.Typer(
    name="iotpolicy",
    help="Enforce the IoT/OT security policy (P35S) over a register of YAML files.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Print an IotpolicyError (or an OS error) as one line on stderr and exit with its code."""
    try:
        yield
    except IotpolicyError as exc:
        for line in exc.details:
            typer.echo(line, err=True)
        typer.echo(f"iotpolicy: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except OSError as exc:
        typer.echo(f"iotpolicy: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        raise typer.Exit(EXIT_USAGE) from None


def parse_as_of(value: str | None) -> date:
    """``--as-of``: an ISO date, default today."""
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date; write it as YYYY-MM-DD") from None


def use_colour(stream: object) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


PROGRESS_THRESHOLD = 3000
"""Device files above which ``check`` shows a progress bar by itself (on a terminal, not in CI)."""


def wants_progress(choice: bool | None, machine_format: bool, stream: object) -> bool:
    """Whether to show a progress bar on ``stream`` (stderr): ``--progress``/``--no-progress``
    decide on a terminal; by default only for text output, and never in CI (``CI`` set) or
    when the stream is not a terminal. The size threshold is applied once the files are
    counted (see :func:`progress_bar`)."""
    isatty = getattr(stream, "isatty", None)
    if not (isatty and isatty()):
        return False
    if choice is not None:
        return choice
    return not machine_format and not os.environ.get("CI")


@contextlib.contextmanager
def progress_bar(show: bool, forced: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A callback drawing a transient rich progress bar on stderr while the register is read;
    None when ``show`` is false. Unless ``forced``, the bar only appears for registers of more
    than :data:`PROGRESS_THRESHOLD` device files."""
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress(
        "Reading the register",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = None

    def update(done: int, total: int) -> None:
        nonlocal task
        if task is None:
            if total <= PROGRESS_THRESHOLD and not forced:
                return
            bar.start()
            task = bar.add_task("read", total=total)
        bar.update(task, completed=done)

    try:
        yield update
    finally:
        bar.stop()


RegisterOption = typer.Option(
    None,
    "--register",
    envvar="IOTPOLICY_REGISTER",
    help="Register folder (default: first folder up from here with policy.yaml, or ./register).",
)
AsOfOption = typer.Option(None, "--as-of", help="Evaluate as of this date (YYYY-MM-DD).")


def register_label(explicit: str | None, root: Path) -> str:
    """The register path as given, or the found folder relative to the working directory."""
    if explicit:
        return explicit
    return os.path.relpath(root, Path.cwd()).replace(os.sep, "/")


def write_output(text: str, output: Path | None) -> None:
    """Write ``text`` to ``output`` atomically, or to stdout."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        atomic_write_text(output, text)


def version_callback(value: bool) -> None:
    """``--version``: print the version and stop."""
    if value:
        typer.echo(f"iotpolicy {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=version_callback, is_eager=True, help="Show the version."
    ),
) -> None:
    """Enforce the IoT/OT security policy (P35S) over a register of YAML files."""

"""The command line: options -> settings -> build the pieces -> run -> exit code.

User errors are turned into one line and a named exit code in :func:`user_errors`; nothing else
here catches exceptions.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path

import typer

from iotpolicy import __version__
from iotpolicy.catalogue import render_catalogue
from iotpolicy.engine import evaluate, select_rules
from iotpolicy.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, IotpolicyError
from iotpolicy.formats import FORMATS
from iotpolicy.register import collector_paused, find_register, load_register
from iotpolicy.yamlio import atomic_write_text

app = typer.Typer(
    name="iotpolicy",
    help="Enforce the IoT/OT security policy (P35S) over a register of YAML files.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)


class CheckFormat(StrEnum):
    """Output formats of ``check``."""

    TEXT = "text"
    JSON = "json"


class CatalogueFormat(StrEnum):
    """Output formats of ``rules``."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Print an IotpolicyError as one line on stderr and exit with its code."""
    try:
        yield
    except IotpolicyError as exc:
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


RegisterOption = typer.Option(
    None,
    "--register",
    envvar="IOTPOLICY_REGISTER",
    help="Register folder (default: first folder up from here with policy.yaml, or ./register).",
)


def _register_label(explicit: str | None, root: Path) -> str:
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


@app.command()
def check(
    register: str | None = RegisterOption,
    as_of: str | None = typer.Option(
        None, "--as-of", help="Evaluate as of this date (YYYY-MM-DD)."
    ),
    fmt: CheckFormat = typer.Option(CheckFormat.TEXT, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to FILE."),
    strict: bool = typer.Option(False, "--strict", help="Fail on warnings too."),
    rule: list[str] = typer.Option([], "--rule", help="Only this rule (repeatable)."),
) -> None:
    """Validate the register and evaluate every rule of the policy's control catalogue."""
    day = parse_as_of(as_of)
    with user_errors():
        rules = select_rules(rule)
        root = find_register(register)
        with collector_paused():
            result = evaluate(load_register(root), day, rules, _register_label(register, root))
        colour = output is None and use_colour(sys.stdout)
        write_output(FORMATS[fmt.value](result, colour), output)
    raise typer.Exit(EXIT_FINDINGS if result.failed(strict) else EXIT_OK)


@app.command("rules")
def rules_command(
    fmt: CatalogueFormat = typer.Option(
        CatalogueFormat.TABLE, "--format", "-f", help="Output format."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the catalogue to FILE."),
) -> None:
    """The control catalogue: every rule with its severity, source clause and control mappings."""
    with user_errors():
        colour = output is None and use_colour(sys.stdout)
        write_output(render_catalogue(fmt.value, colour), output)


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


def main() -> None:
    """Console-script entry point."""
    app()

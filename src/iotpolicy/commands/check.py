"""``iotpolicy check`` and ``iotpolicy rules``."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from iotpolicy.app import (
    AsOfOption,
    RegisterOption,
    app,
    parse_as_of,
    register_label,
    use_colour,
    user_errors,
    write_output,
)
from iotpolicy.catalogue import render_catalogue
from iotpolicy.engine import evaluate, select_rules
from iotpolicy.errors import EXIT_FINDINGS, EXIT_OK
from iotpolicy.formats import FORMATS
from iotpolicy.register import collector_paused, find_register, load_register


class CheckFormat(StrEnum):
    """Output formats of ``check``."""

    TEXT = "text"
    JSON = "json"


class CatalogueFormat(StrEnum):
    """Output formats of ``rules``."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


@app.command()
def check(
    register: str | None = RegisterOption,
    as_of: str | None = AsOfOption,
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
            result = evaluate(load_register(root), day, rules, register_label(register, root))
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

"""``iotpolicy schema``: write the JSON Schema of every record kind, for editors and other tools."""

from __future__ import annotations

from pathlib import Path

import typer

from iotpolicy.cli.app import RegisterOption, app, echo, user_errors, write_output
from iotpolicy.fsio import atomic_write_many, in_register
from iotpolicy.register import SCHEMA_FOLDER, find_register
from iotpolicy.schemas import all_schemas, dump, schema_texts, write_schemas

STDOUT = "-"
"""``--output-dir -``: print one JSON object (kind -> schema) instead of writing files."""


@app.command("schema")
def schema_command(
    register: str | None = RegisterOption,
    output_dir: str | None = typer.Option(
        None,
        "--output-dir",
        "-o",
        metavar="DIR",
        help="Write KIND.schema.json into DIR (default: the register's schemas/ folder); "
        "'-' prints one JSON object holding every schema instead.",
    ),
) -> None:
    """Write the JSON Schema (draft 2020-12) of every record kind, generated from the models.

    Files written by iotpolicy start with a yaml-language-server line pointing at
    ../schemas/KIND.schema.json, so editors (VS Code with the YAML extension, and others)
    validate and complete them once the schemas are in the register, where they go by default.
    """
    with user_errors():
        if output_dir == STDOUT:
            write_output(dump(all_schemas()), None)
            return
        if output_dir:
            target = Path(output_dir)
            written = len(write_schemas(target))
        else:  # the register's own folder: never through a link out of it
            root = find_register(register)
            target = root / SCHEMA_FOLDER
            texts = schema_texts()
            files = [(in_register(root, f"{SCHEMA_FOLDER}/{name}"), texts[name]) for name in texts]
            atomic_write_many(files)
            written = len(files)
    echo(f"wrote {written} schemas to {target.as_posix()}")

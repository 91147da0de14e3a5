"""JSON Schemas (draft 2020-12) of every record kind, generated from the models.

Editors validate and complete register files with them: files written by the tool start with a
``# yaml-language-server: $schema=../schemas/<kind>.schema.json`` line (``register.schema_comment``)
and ``iotpolicy schema`` writes the schemas into the register's ``schemas/`` folder. The output is
deterministic (sorted keys, two-space indent, final newline), so the schemas can be committed and
compared.

The schemas describe what an editor sees: YAML 1.2, where an unquoted ``2024-03-12`` is a string
(``"format": "date"``) and ``yes`` is not a boolean. They are as strict as the models about keys
(no unknown key) and types, and a record's ``id`` carries the slug pattern (:data:`SLUG_PATTERN`);
the cross-record rules (REG-002 onwards) stay with ``iotpolicy check``, which also reports a bad
id in its own words. Each property's description is its field's (``Field(description=...)`` or
the attribute's docstring).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from iotpolicy.fsio import atomic_write_text
from iotpolicy.kinds import KINDS, RecordKind
from iotpolicy.project import SCHEMA_BASE_URL

DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""``$schema`` of every generated schema."""
SLUG_PATTERN = (
    r"^(?!(?:con|prn|aux|nul|com[1-9]|lpt[1-9])(?:\.|$))[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9_-])?$"
)
"""register.md's slug as a JSON Schema (ECMA-262) pattern: ``^[a-z0-9][a-z0-9._-]{0,62}$``, not
ending in ``.``, and not a name Windows reserves (``con``, ``prn``, ``aux``, ``nul``,
``com1``-``com9``, ``lpt1``-``lpt9``), with or without an extension."""


def schema_file(name: str) -> str:
    """``device`` -> ``device.schema.json``."""
    return f"{name}.schema.json"


def kind_schema(kind: RecordKind) -> dict[str, Any]:
    """The JSON Schema of one record kind; a kind kept as a list in one file (people.yaml) gets
    the schema of the list."""
    if kind.file is not None and kind.has_ids:
        item = _model_schema(kind.model)
        _slug_id(item)
        defs = item.pop("$defs", {})
        defs[kind.model.__name__] = item
        body: dict[str, Any] = {
            "type": "array",
            "items": {"$ref": f"#/$defs/{kind.model.__name__}"},
        }
        body["$defs"] = defs
    else:
        body = _model_schema(kind.model)
        if kind.has_ids:
            _slug_id(body)
    return {
        **body,
        "$schema": DIALECT,
        "$id": SCHEMA_BASE_URL + schema_file(kind.schema_name),
        "title": kind.title,
        "description": kind.description,
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    """Every kind's schema, by schema name, in the register's order."""
    return {kind.schema_name: kind_schema(kind) for kind in KINDS.values()}


def dump(schema: Any) -> str:
    """Deterministic JSON text: sorted keys, two-space indent, final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_texts() -> dict[str, str]:
    """File name -> text of every schema file."""
    return {schema_file(kind): dump(schema) for kind, schema in all_schemas().items()}


def write_schemas(folder: Path) -> list[Path]:
    """Write every ``<kind>.schema.json`` into ``folder`` (atomically, file by file); returns the
    paths written."""
    written = []
    for name, text in schema_texts().items():
        path = folder / name
        atomic_write_text(path, text)
        written.append(path)
    return written


def _model_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="validation")
    _add_titles(schema)
    return schema


def _slug_id(schema: dict[str, Any]) -> None:
    """Give the record's ``id`` property (when it has one) the slug pattern."""
    field = schema.get("properties", {}).get("id")
    if isinstance(field, dict):
        field["pattern"] = SLUG_PATTERN


def _add_titles(node: Any) -> None:
    """Give every property a title (pydantic leaves it out next to a ``$ref``)."""
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            for name, field in properties.items():
                if isinstance(field, dict) and "title" not in field:
                    field["title"] = name.replace("_", " ").title()
        for value in node.values():
            _add_titles(value)
    elif isinstance(node, list):
        for value in node:
            _add_titles(value)

"""``iotpolicy schema``: JSON Schemas generated from the models, valid draft 2020-12, describing
every field, accepting every file of the example register and committed there without drift."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import typer

from iotpolicy.cli import load_commands
from iotpolicy.kinds import folder_kinds
from iotpolicy.register import SCHEMA_FOLDER, schema_comment
from iotpolicy.yamlio.load import read_file
from iotpolicy.yamlio.nodes import PlainStr
from tests.conftest import Run
from tests.support.paths import REPO

app = load_commands()

ROOT = REPO
EXAMPLE = ROOT / "register"
KINDS = ["policy", "people", *(kind.name for kind in folder_kinds())]
Validator = jsonschema.Draft202012Validator

_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT_HEX = re.compile(r"^0o[0-7]+$|^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


def as_editor_sees_it(value: Any) -> Any:
    """Data read by the project's loader, with plain scalars resolved by the YAML 1.2 core schema
    (what yaml-language-server does): ``true``/``false`` are booleans, numbers are numbers, and
    everything else, unquoted dates and ``on`` included, is a string."""
    if isinstance(value, dict):
        return {key: as_editor_sees_it(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_editor_sees_it(item) for item in value]
    if isinstance(value, PlainStr):
        if value in ("true", "True", "TRUE", "false", "False", "FALSE"):
            return value.lower() == "true"
        if _INT.match(value):
            return int(value, 10)
        if _OCT_HEX.match(value):
            return int(value, 0)
        if _FLOAT.match(value):
            return float(value)
        return str(value)
    return value


def register_files(root: Path) -> Iterator[tuple[str, str]]:
    """(kind, relative path) of every record file of a register."""
    yield "policy", "policy.yaml"
    yield "people", "people.yaml"
    for kind in folder_kinds():
        for path in sorted((root / str(kind.folder)).glob("*.yaml")):
            yield kind.name, f"{kind.folder}/{path.name}"


def printed(cli: Callable[..., Run]) -> dict[str, Any]:
    run = cli("schema", "--output-dir", "-")
    assert run.exit_code == 0, run.stderr
    document: dict[str, Any] = run.json
    return document


def test_every_kind_has_a_valid_draft_2020_12_schema(cli: Callable[..., Run]) -> None:
    schemas = printed(cli)
    assert list(schemas) == sorted(KINDS)
    for kind, schema in schemas.items():
        Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == (
            "https://raw.githubusercontent.com/iotpolicy/iotpolicy/main/register/schemas/"
            f"{kind}.schema.json"
        )
        assert schema["title"] and schema["description"]
    assert schemas["people"]["type"] == "array"
    assert schemas["people"]["items"] == {"$ref": "#/$defs/Person"}
    assert schemas["device"]["type"] == "object"
    assert schemas["device"]["additionalProperties"] is False
    assert schemas["device"]["required"] == ["id", "name", "category", "type", "status"]
    assert schemas["device"]["title"] == "Device"
    assert schemas["device"]["description"].startswith("devices/<id>.yaml: one IoT or OT device")


def walk_properties(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, schema) of every property of every object schema inside ``node``."""
    if isinstance(node, dict):
        for name, field in (node.get("properties") or {}).items():
            yield f"{where}.{name}", field
        for key, value in node.items():
            yield from walk_properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk_properties(value, f"{where}[{index}]")


def test_every_field_has_a_title_and_a_description(cli: Callable[..., Run]) -> None:
    schemas = printed(cli)
    seen = 0
    for kind, schema in schemas.items():
        for path, field in walk_properties(schema, kind):
            assert field.get("title"), f"{path} has no title"
            assert field.get("description"), f"{path} has no description"
            seen += 1
        for name, definition in schema.get("$defs", {}).items():
            assert definition.get("description"), f"{kind} $defs/{name} has no description"
    assert seen > 150


def test_the_schemas_describe_fields_as_written_in_yaml(cli: Callable[..., Run]) -> None:
    device = printed(cli)["device"]
    network = device["$defs"]["Network"]["properties"]
    assert network["access_approved_on"]["anyOf"][0] == {"type": "string", "format": "date"}
    status = device["properties"]["status"]
    assert status["$ref"] == "#/$defs/Status"
    assert device["$defs"]["Status"]["enum"] == ["planned", "active", "retired", "disposed"]
    assert status["title"] == "Status"
    assert status["description"] == "planned, active, retired or disposed."


def test_every_file_of_the_example_register_validates(cli: Callable[..., Run]) -> None:
    schemas = printed(cli)
    checked = 0
    for kind, rel in register_files(EXAMPLE):
        parsed = read_file(EXAMPLE / rel)
        assert not parsed.problems, rel
        validator = Validator(schemas[kind], format_checker=Validator.FORMAT_CHECKER)
        errors = [
            f"{rel}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(as_editor_sees_it(parsed.data))
        ]
        assert errors == []
        checked += 1
    assert checked == 2 + sum(
        len(list((EXAMPLE / f).glob("*.yaml"))) for f in (str(k.folder) for k in folder_kinds())
    )
    assert checked > 40


@pytest.mark.parametrize(
    ("kind", "data", "problem"),
    [
        ("device", {"id": "x", "name": "X", "category": "ot", "type": "plc"}, "'status'"),
        (
            "device",
            {"id": "x", "name": "X", "category": "ot", "type": "plc", "status": "on"},
            "'on' is not one of",
        ),
        (
            "device",
            {"id": "x", "name": "X", "category": "ot", "type": "plc", "status": "active", "pw": 1},
            "Additional properties",
        ),
        (
            "exception",
            {"id": "e", "rule": "SEG-001", "subjects": ["a"], "expires_on": "31/01/2027"},
            "'31/01/2027' is not a 'date'",
        ),
        ("people", [{"id": "a", "name": "A", "roles": ["boss"]}], "'boss' is not one of"),
    ],
)
def test_the_schemas_reject_what_the_models_reject(
    cli: Callable[..., Run], kind: str, data: Any, problem: str
) -> None:
    schema = printed(cli)[kind]
    validator = Validator(schema, format_checker=Validator.FORMAT_CHECKER)
    errors = list(validator.iter_errors(data))
    messages = [e.message for e in errors] + [c.message for e in errors for c in e.context or ()]
    assert any(problem in m for m in messages), messages


def test_schema_writes_into_the_register_by_default_and_output_dir_elsewhere(
    cli: Callable[..., Run], make_register: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_register()
    run = cli("schema", "--register", str(root))
    assert run.exit_code == 0, run.stderr
    assert run.stdout == f"wrote 8 schemas to {(root / SCHEMA_FOLDER).as_posix()}\n"
    written = sorted(p.name for p in (root / SCHEMA_FOLDER).iterdir())
    assert written == sorted(f"{kind}.schema.json" for kind in KINDS)
    schemas = printed(cli)
    for kind in KINDS:
        text = (root / SCHEMA_FOLDER / f"{kind}.schema.json").read_text(encoding="utf-8")
        assert text.endswith("}\n") and json.loads(text) == schemas[kind]
        assert text == json.dumps(schemas[kind], indent=2, sort_keys=True) + "\n"
    elsewhere = tmp_path / "out" / "schemas"
    assert cli("schema", "--output-dir", str(elsewhere)).exit_code == 0
    for kind in KINDS:
        name = f"{kind}.schema.json"
        assert (elsewhere / name).read_bytes() == (root / SCHEMA_FOLDER / name).read_bytes()
    # The register still checks clean with its schemas folder in it.
    check = cli("check", "--register", str(root), "--as-of", "2026-11-25", "-f", "json")
    assert check.exit_code == 0


def test_the_editor_line_points_at_the_written_schemas(
    cli: Callable[..., Run], make_register: Callable[..., Path]
) -> None:
    root = make_register()
    assert cli("schema", "--register", str(root)).exit_code == 0
    for _kind, rel in register_files(root):
        line = schema_comment(rel)
        target = line.removeprefix("# yaml-language-server: $schema=")
        assert (root / rel).parent.joinpath(target).resolve().is_file(), rel


def test_schema_outside_a_register_is_a_usage_error(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    run = cli("schema", "--register", str(tmp_path))
    assert run.exit_code == 2
    assert "no policy.yaml" in run.stderr


def test_the_example_registers_schemas_are_the_generated_ones(cli: Callable[..., Run]) -> None:
    """register/schemas/ must equal `iotpolicy schema` output; regenerate with
    `iotpolicy schema --register register` if not."""
    folder = EXAMPLE / SCHEMA_FOLDER
    schemas = printed(cli)
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{k}.schema.json" for k in KINDS)
    for kind, schema in schemas.items():
        expected = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        assert (folder / f"{kind}.schema.json").read_text(encoding="utf-8") == expected, kind


def test_the_editor_lines_of_a_new_register_resolve_once_schemas_are_written(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    """Files ``iotpolicy init`` writes start with a yaml-language-server line; with the schemas
    written into the register, each points at the schema of its kind."""
    if "init" not in getattr(typer.main.get_command(app), "commands", {}):
        pytest.skip("iotpolicy init does not exist yet")
    root = tmp_path / "register"
    assert cli("init", str(root), input="").exit_code == 0
    assert cli("schema", "--register", str(root)).exit_code == 0
    pointed = 0
    for kind, rel in register_files(root):
        first = (root / rel).read_text(encoding="utf-8").splitlines()[0]
        assert first == schema_comment(rel)
        target = (root / rel).parent / first.removeprefix("# yaml-language-server: $schema=")
        assert target.resolve() == (root / SCHEMA_FOLDER / f"{kind}.schema.json").resolve()
        pointed += 1
    assert pointed >= 2


@pytest.mark.parametrize(
    ("record_id", "valid"),
    [
        ("cam-gate-01", True),
        ("a", True),
        ("x" * 63, True),
        ("plc_line.1", True),
        ("console", True),
        ("con1", True),
        ("com0", True),
        ("nullable", True),
        ("Cam 01", False),
        ("cam-01.", False),
        ("x" * 64, False),
        ("-cam", False),
        (".cam", False),
        ("con", False),
        ("con.yaml", False),
        ("nul", False),
        ("aux.txt", False),
        ("com1", False),
        ("lpt9.old", False),
        ("cam/01", False),
        ("cam\u00e9", False),
    ],
)
def test_ids_carry_register_mds_slug_pattern(
    cli: Callable[..., Run], record_id: str, valid: bool
) -> None:
    """Every record kind's ``id`` (people's too) has the slug pattern, so an editor flags
    ``id: Cam 01`` while typing; the reserved Windows names and a trailing dot are not slugs."""
    schemas = printed(cli)
    device = {"id": record_id, "name": "X", "category": "ot", "type": "plc", "status": "active"}
    errors = list(Validator(schemas["device"]).iter_errors(device))
    assert (errors == []) is valid, [e.message for e in errors]
    for kind, schema in schemas.items():
        if kind == "policy":
            assert "id" not in schema["properties"]
            continue
        properties = (
            schema["$defs"]["Person"]["properties"] if kind == "people" else schema["properties"]
        )
        pattern = properties["id"]["pattern"]
        assert (re.search(pattern, record_id) is not None) is valid, kind


def test_a_bad_id_is_still_reported_by_reg_002_in_its_own_words(
    check_json: Callable[..., Any],
) -> None:
    code, document = check_json({"devices/plc-01.yaml": {"id": "PLC 01"}})
    assert code == 1
    [finding] = document["findings"]  # the subject is the file's stem
    assert (finding["rule"], finding["subject"]) == ("REG-002", "plc-01")
    assert finding["message"].startswith("id is not a slug (lower-case letters, digits")


def test_a_field_documented_by_its_docstring_gets_that_description() -> None:
    """A field may be documented by ``Field(description=...)`` or by the docstring under it; the
    schema shows either."""
    from pydantic import Field

    from iotpolicy.models.base import Model, Text
    from iotpolicy.schemas import _model_schema

    class Sample(Model):
        """A sample record."""

        documented: Text | None = None
        """Told by its docstring."""
        described: Text | None = Field(None, description="Told by its Field.")

    properties = _model_schema(Sample)["properties"]
    assert properties["documented"]["description"] == "Told by its docstring."
    assert properties["described"]["description"] == "Told by its Field."

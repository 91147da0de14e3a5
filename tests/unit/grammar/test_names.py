"""Ids every file system can hold: names Windows reserves (``con``, ``nul``, ``lpt1`` ...) and a
trailing dot are not slugs, and every command that makes an id from a name avoids them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from iotpolicy.grammar.names import is_reserved_name, slugify
from iotpolicy.models.base import is_slug, slug_problem
from tests.conftest import Run, write_register
from tests.support.realworld import CSAF, REALWORLD, field_files

RESERVED = ["con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10))]
RESERVED += [f"lpt{n}" for n in range(1, 10)]


@pytest.mark.parametrize("name", RESERVED)
def test_reserved_names_with_or_without_an_extension_are_not_slugs(name: str) -> None:
    for written in (name, f"{name}.yaml", f"{name}.tar.gz", f"{name}."):
        assert not is_slug(written), written
        assert is_reserved_name(written.upper())
    assert "Windows reserves" in (slug_problem(name) or "")


@pytest.mark.parametrize(
    "name", ["console", "com10", "com0", "lpt0", "auxiliary", "nul-1", "con-1.txt", "icon", "a.con"]
)
def test_names_that_only_look_reserved_are_slugs(name: str) -> None:
    assert is_slug(name)
    assert not is_reserved_name(name)


def test_a_trailing_dot_or_line_break_is_not_a_slug() -> None:
    assert slug_problem("plc-01.") == "it ends with '.'"
    assert not is_slug("plc-01\n")
    assert is_slug("plc-01.v2")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("CON", "con-1"),
        ("nul", "nul-1"),
        ("Aux.Backup", "aux-1.backup"),
        ("LPT1", "lpt1-1"),
        ("com9.", "com9-1"),
        ("Console", "console"),
        ("plc 01...", "plc-01"),
        ("x." * 40, ("x." * 32)[:63].rstrip(".")),
    ],
)
def test_slugify_avoids_reserved_names_and_trailing_dots(name: str, slug: str) -> None:
    assert slugify(name) == slug
    assert is_slug(slug)


CLI = Callable[..., Run]


@pytest.fixture
def reg(tmp_path: Path) -> Path:
    return write_register(tmp_path / "register", field_files())


def test_import_makes_no_reserved_id_from_a_name(cli: CLI, reg: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "inventory.csv"
    sheet.write_text("name,category,type\nNUL,ot,sensor\nCom1.,ot,sensor\n", encoding="utf-8")
    run = cli("import", "devices", str(sheet), "--register", str(reg))
    assert run.exit_code == 0, run.stderr
    assert "row 2: created devices/nul-1.yaml" in run.stdout
    assert "row 3: created devices/com1-1.yaml" in run.stdout
    assert (reg / "devices" / "nul-1.yaml").is_file()
    check = cli("check", "--register", str(reg), "--format", "json", "--rule", "REG-002")
    assert check.json["findings"] == []


def test_a_typed_reserved_id_is_refused_with_the_reason(cli: CLI, reg: Path) -> None:
    run = cli(
        "add-device", "--register", str(reg), "--id", "aux", "--name", "Aux", "--category",
        "ot", "--type", "sensor", "--no-interactive",
    )  # fmt: skip
    assert run.exit_code != 0
    assert "Windows reserves" in run.stderr
    assert not (reg / "devices" / "aux.yaml").exists()


def test_reconcile_stubs_avoid_reserved_names(cli: CLI, reg: Path, tmp_path: Path) -> None:
    scan = tmp_path / "scan.xml"
    text = (REALWORLD / "scan-2026-11-20.xml").read_text(encoding="utf-8")
    scan.write_text(text.replace("line1-sw.acme.internal", "CON.acme.internal"), "utf-8")
    run = cli("reconcile", str(scan), "--create-planned", "--register", str(reg))
    assert "Created planned device stub devices/con-1.yaml: complete it." in run.stderr
    assert not (reg / "devices" / "con.yaml").exists()


def test_advisory_ids_avoid_reserved_names(cli: CLI, reg: Path, tmp_path: Path) -> None:
    document = json.loads((CSAF / "icsa-24-289-02.json").read_text(encoding="utf-8"))
    document["document"]["tracking"]["id"] = "AUX"
    path = tmp_path / "aux.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    run = cli("advisories", "import", str(path), "--register", str(reg))
    assert run.exit_code == 0, run.stderr
    assert (reg / "advisories" / "aux-1.yaml").is_file()
    assert not (reg / "advisories" / "aux.yaml").exists()

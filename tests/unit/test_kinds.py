"""The record-kind table is the one place a kind is defined: a kind added to it (and to no other
module) is loaded, validated, reference-checked, has a JSON Schema, and is listed by completion
and history's ordering."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import Field

from iotpolicy.cli.completion import complete_record_id, record_ids
from iotpolicy.history import kind_order
from iotpolicy.kinds import KINDS, RecordKind, Reference, add_kind, kind_of_file, remove_kind
from iotpolicy.models.base import Date, Model, Text
from iotpolicy.register import load_register, schema_comment
from iotpolicy.schemas import all_schemas
from iotpolicy.writing.fields import Ref
from iotpolicy.writing.forms import FORMS
from tests.conftest import Run


class Contract(Model):
    """A maintenance contract (a kind that only this test knows)."""

    id: Text = Field(description="Contract id (a slug), the file name.")
    vendor: Text = Field(description="Vendor id.")
    signed_by: Text | None = Field(None, description="Person id of the signer.")
    ends_on: Date | None = Field(None, description="Last day of the contract.")


@pytest.fixture
def contract_kind() -> Iterator[RecordKind]:
    """The ``contract`` kind in the table for one test."""
    kind = add_kind(
        RecordKind(
            "contract",
            Contract,
            "Contract",
            "contracts/<id>.yaml: a maintenance contract with a vendor.",
            folder="contracts",
            references=(Reference(("vendor",), "vendor"), Reference(("signed_by",), "person")),
        )
    )
    try:
        yield kind
    finally:
        remove_kind("contract")
    assert "contract" not in KINDS


def with_contracts(make_register: Callable[..., Path]) -> Path:
    """The baseline register with three contracts: valid, with unknown references, misnamed."""
    return make_register(
        {
            "contracts/c-1.yaml": {"id": "c-1", "vendor": "siemens", "ends_on": "2027-01-31"},
            "contracts/c-2.yaml": {"id": "c-2", "vendor": "nobody", "signed_by": "ghost"},
            "contracts/c-3.yaml": {"id": "c-30", "vendor": "siemens", "ends_on": "not a date"},
            "exceptions/e-1.yaml": {"id": "e-1", "rule": "INV-001", "subjects": ["c-1", "c-9"]},
        }
    )


def test_added_kind_is_loaded_and_validated(
    contract_kind: RecordKind, make_register: Callable[..., Path]
) -> None:
    register = load_register(with_contracts(make_register))
    records = register.of("contract")
    assert [r.file for r in records] == [f"contracts/c-{n}.yaml" for n in (1, 2, 3)]
    assert records[0].model is not None and records[0].model.vendor == "siemens"
    assert records[2].model is None  # the date is invalid: REG-001
    assert [p.file for p in register.problems] == ["contracts/c-3.yaml"]
    assert "ends_on" in register.problems[0].message
    assert kind_of_file("contracts/c-1.yaml") is contract_kind
    assert schema_comment("contracts/c-1.yaml").endswith("../schemas/contract.schema.json")


def test_added_kind_is_reference_checked(
    contract_kind: RecordKind,
    make_register: Callable[..., Path],
    cli: Callable[..., Run],
) -> None:
    root = with_contracts(make_register)
    run = cli("check", "--register", str(root), "--no-cache", "--format", "json")
    findings: list[dict[str, Any]] = run.json["findings"]
    mine = sorted(
        (f["rule"], f["file"], f["message"]) for f in findings if f["file"].startswith("contracts/")
    )
    assert mine == [
        ("REG-001", "contracts/c-3.yaml", "ends_on: must be a date written YYYY-MM-DD"),
        ("REG-002", "contracts/c-3.yaml", "id 'c-30' differs from the file name 'c-3.yaml'"),
        (
            "REG-003",
            "contracts/c-2.yaml",
            "signed_by: 'ghost' is not a known person in people.yaml",
        ),
        (
            "REG-003",
            "contracts/c-2.yaml",
            "vendor: 'nobody' is not a known vendor (vendors/nobody.yaml)",
        ),
    ]
    # Other records may name a contract: an exception's subject resolves to its id.
    subjects = [
        f["message"] for f in findings if f["rule"] == "REG-003" and "subjects" in f["message"]
    ]
    assert subjects == ["subjects.1: 'c-9' is not a known record id or the word policy"]


def test_added_kind_has_a_schema_and_is_listed(
    contract_kind: RecordKind,
    make_register: Callable[..., Path],
    cli: Callable[..., Run],
) -> None:
    schema = all_schemas()["contract"]
    assert schema["title"] == "Contract"
    assert set(schema["properties"]) == {"id", "vendor", "signed_by", "ends_on"}
    assert schema["additionalProperties"] is False
    root = with_contracts(make_register)
    run = cli("schema", "--register", str(root))
    assert run.exit_code == 0, run.stderr
    assert (root / "schemas" / "contract.schema.json").is_file()
    env = {"IOTPOLICY_REGISTER": str(root)}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        assert record_ids(None, "contract", "c-") == ["c-1", "c-2", "c-3"]
        assert {"c-1", "c-2", "c-3"} <= set(complete_record_id(None, "c-"))  # type: ignore[arg-type]
    assert kind_order().index("contract") == kind_order().index("incident") + 1


REF_TARGETS = {
    Ref.VENDOR: "vendor",
    Ref.SEGMENT: "segment",
    Ref.PERSON: "person",
    Ref.GM: "person",
    Ref.RULE: "rule",
    Ref.SUBJECT: "subject",
    Ref.FLOW_TARGET: "flow-target",
}
"""What each kind of prompt reference names, as the record-kind table calls it."""


@pytest.mark.parametrize("name", sorted(FORMS))
def test_form_references_are_the_tables(name: str) -> None:
    """A field of an ``add-*`` form names another record exactly where the record-kind table
    has a reference (the form only refines how it asks: a general manager is a person)."""
    form = FORMS[name]

    def upto_list(path: tuple[str, ...]) -> tuple[str, ...]:
        """A path cut after its first list step (a flow's ``to`` is named by the flow field)."""
        return path[: path.index("*") + 1] if "*" in path else path

    table = {(upto_list(r.path), r.target) for r in KINDS[name].references}
    asked = {
        ((*f.path, "*") if f.many else f.path, REF_TARGETS[f.ref])
        for f in form.fields
        if f.ref is not None
    }
    editable = {(*f.path, "*") if f.many else f.path for f in form.fields}
    assert asked == {(path, target) for path, target in table if path in editable}

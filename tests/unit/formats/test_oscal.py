"""``iotpolicy export oscal``: an OSCAL 1.1 assessment-results document that compliance-trestle's
OSCAL models accept, saying what the check found, control by control."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from iotpolicy.formats.oscal import UUID_NAMESPACE, control_id
from iotpolicy.rules import RULES
from tests.conftest import DELETE, Run
from tests.support.paths import REPO
from tests.unit.formats.test_ci_formats import EXCEPTION, MIXED

trestle = pytest.importorskip("trestle.oscal.assessment_results")

AS_OF = "2026-11-25"
ROOT = REPO


def export(cli: Callable[..., Run], root: Path, *extra: str) -> dict[str, Any]:
    run = cli("export", "oscal", "--register", str(root), "--as-of", AS_OF, *extra)
    assert run.exit_code == 0, run.stderr
    document: dict[str, Any] = run.json
    return document


def load(document: dict[str, Any]) -> Any:
    """The document through trestle's OSCAL 1.1 models (raises if it is not valid OSCAL)."""
    return trestle.Model.parse_obj(document).assessment_results


def test_the_example_register_exports_valid_oscal(cli: Callable[..., Run]) -> None:
    document = export(cli, ROOT / "register")
    results = load(document)
    assert results.metadata.oscal_version.__root__ == "1.1.2"
    [result] = results.results
    assert len(result.observations) == 33
    assert len(result.local_definitions.inventory_items) == 33
    risks = document["assessment-results"]["results"][0]["risks"]
    assert [(r["title"], r["status"], r["deadline"]) for r in risks] == [
        (
            "Exception exc-2026-001: CFG-002 for hvac-office-01",
            "deviation-approved",
            "2027-01-31T23:59:59Z",
        ),
        (
            "Exception exc-2026-002: CFG-002 for gw-line2-01",
            "deviation-approved",
            "2027-03-15T23:59:59Z",
        ),
    ]
    assert len(result.risks) == 2
    states = {f.target.target_id: f.target.status.state.value for f in result.findings}
    # SEG-004 (error) fails NIST SC-7, AC-4 and IEC SR 5.2; ACC-002 fails ISO 5.17, ETSI 5.1-1,
    # IEC SR 1.5. SC-7 and SR 5.1 are mapped from SEG-001 to SEG-004 too.
    failing = {"sc-7", "ac-4", "iec-62443-3-3-sr-5.2", "iso-27002-5.17"}
    failing |= {"etsi-en-303-645-5.1-1", "iec-62443-3-3-sr-1.5"}
    assert {k for k, v in states.items() if v == "not-satisfied"} == failing
    assert states["cm-7"] == "satisfied"  # CFG-002's findings are suppressed by exceptions


def test_the_document_says_exactly_what_was_found(
    cli: Callable[..., Run], make_register: Callable[..., Path]
) -> None:
    root = make_register(MIXED)
    document = export(cli, root)
    load(document)
    ar = document["assessment-results"]
    metadata = ar["metadata"]
    assert metadata["title"] == (
        "Assessment of P35S Internet of Things (IoT) / Operational Technology (OT) Security "
        "Policy at Acme Components Ltd, as of 2026-11-25"
    )
    assert (metadata["last-modified"], metadata["version"], metadata["oscal-version"]) == (
        "2026-11-25T00:00:00Z",
        "2026-11-25",
        "1.1.2",
    )
    assert {p["name"]: p["value"] for p in metadata["props"]}["policy-revision"] == "1.1"
    assert metadata["parties"][0]["name"] == "Acme Components Ltd"
    [result] = ar["results"]
    assert result["start"] == result["end"] == "2026-11-25T00:00:00Z"

    observations = {o["title"].split(" ")[0]: o for o in result["observations"]}
    seg = observations["SEG-001"]
    props = {p["name"]: p["value"] for p in seg["props"]}
    assert props == {
        "rule": "SEG-001",
        "outcome": "fail",
        "errors": "1",
        "warnings": "0",
        "suppressed": "0",
    }
    assert seg["methods"] == ["TEST"]
    assert seg["collected"] == "2026-11-25T00:00:00Z"
    [evidence] = seg["relevant-evidence"]
    assert evidence["description"].startswith("devices/plc-01.yaml line ")
    assert evidence["description"].endswith(
        ", plc-01: active device has no network segment (error)"
    )
    items = {
        {p["name"]: p["value"] for p in item["props"]}["asset-id"]: item
        for item in result["local-definitions"]["inventory-items"]
    }
    assert sorted(items) == ["cam-01", "plc-01", "sensor-02"]
    assert seg["subjects"] == [
        {"subject-uuid": items["plc-01"]["uuid"], "type": "inventory-item", "title": "plc-01"}
    ]
    mon = observations["MON-001"]
    assert {p["name"]: p["value"] for p in mon["props"]}["outcome"] == "pass"
    assert mon["relevant-evidence"][0]["description"].endswith(
        "(error, suppressed by exception exc-1)"
    )
    assert {p["name"]: p["value"] for p in observations["LIF-001"]["props"]}["outcome"] == "pass"
    assert "relevant-evidence" not in observations["ACC-001"]
    assert observations["ACC-001"]["remarks"] == "No findings."

    findings = {f["target"]["target-id"]: f for f in result["findings"]}
    sc7 = findings["sc-7"]
    assert sc7["title"] == "NIST SC-7"
    assert sc7["target"] == {
        "type": "objective-id",
        "target-id": "sc-7",
        "title": "NIST SC-7",
        "status": {"state": "not-satisfied", "reason": "fail"},
    }
    assert sc7["description"] == "NIST SC-7 is not satisfied: SEG-001 failed."
    assert [r["observation-uuid"] for r in sc7["related-observations"]] == [
        observations[r]["uuid"] for r in ("SEG-001", "SEG-002", "SEG-004")
    ]
    assert findings["sa-22"]["target"]["status"] == {"state": "satisfied", "reason": "pass"}
    au2 = findings["au-2"]
    assert au2["target"]["status"]["state"] == "satisfied"

    [risk] = result["risks"]
    assert risk["status"] == "deviation-approved"
    assert risk["deadline"] == "2027-01-31T23:59:59Z"
    assert risk["title"] == "Exception exc-1: MON-001 for cam-01"
    assert risk["description"] == EXCEPTION["justification"]
    assert risk["mitigating-factors"][0]["description"] == EXCEPTION["compensating_controls"]
    assert risk["related-observations"] == [{"observation-uuid": mon["uuid"]}]
    assert au2["related-risks"] == [{"risk-uuid": risk["uuid"]}]
    selected = result["reviewed-controls"]["control-selections"][0]["include-controls"]
    assert [c["control-id"] for c in selected] == sorted(findings)

    plc = {p["name"]: p for p in items["plc-01"]["props"]}
    assert {name: p["value"] for name, p in plc.items()} == {
        "asset-id": "plc-01",
        "asset-type": "appliance",
        "vendor-name": "Siemens AG",
        "model": "SIMATIC S7-1200",
        "serial-number": "SZVB1234567",
        "software-version": "4.5.2",
        "ipv4-address": "10.20.1.10",
        "mac-address": "00:1b:1b:12:34:56",
        "category": "ot",
        "device-type": "plc",
        "status": "active",
        "location": "main-plant, Hall A",
        "owner": "ole-hansen",
    }
    assert "ns" not in plc["asset-id"]
    assert plc["category"]["ns"] == "https://github.com/iotpolicy/iotpolicy/ns/oscal"


def test_strict_makes_warnings_fail_their_controls(
    cli: Callable[..., Run], make_register: Callable[..., Path]
) -> None:
    root = make_register({"devices/plc-01.yaml": {"end_of_support": DELETE}})

    def sa22(document: dict[str, Any]) -> str:
        findings = document["assessment-results"]["results"][0]["findings"]
        [finding] = [f for f in findings if f["target"]["target-id"] == "sa-22"]
        state: str = finding["target"]["status"]["state"]
        return state

    assert sa22(export(cli, root)) == "satisfied"
    strict = export(cli, root, "--strict")
    load(strict)
    assert sa22(strict) == "not-satisfied"


def test_uuids_are_stable_and_the_output_deterministic(
    cli: Callable[..., Run], make_register: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_register(MIXED)
    base = ("export", "oscal", "--register", str(root))
    first = cli(*base, "--as-of", AS_OF)
    out = tmp_path / "out" / "ar.json"
    second = cli(*base, "--as-of", AS_OF, "--output", str(out))
    assert second.stdout == ""
    assert out.read_text(encoding="utf-8") == first.stdout
    later = cli(*base, "--as-of", "2026-12-01").json["assessment-results"]
    now = first.json["assessment-results"]
    # Devices and exceptions keep their UUIDs across assessments; the assessment's own parts don't.
    assert later["results"][0]["local-definitions"] == now["results"][0]["local-definitions"]
    assert later["results"][0]["risks"][0]["uuid"] == now["results"][0]["risks"][0]["uuid"]
    assert later["uuid"] != now["uuid"]
    name = "Acme Components Ltd/P35S/device/plc-01"
    assert str(uuid.uuid5(UUID_NAMESPACE, name)) in first.stdout
    all_uuids = [v for v in _values(now, "uuid")]
    assert len(all_uuids) == len(set(all_uuids))


def _values(node: Any, key: str) -> list[str]:
    if isinstance(node, dict):
        found = [node[key]] if isinstance(node.get(key), str) else []
        return found + [v for child in node.values() for v in _values(child, key)]
    if isinstance(node, list):
        return [v for child in node for v in _values(child, key)]
    return []


def test_an_export_is_not_a_check(
    cli: Callable[..., Run], make_register: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_register({"devices/plc-01.yaml": {"network.segment": DELETE}})
    assert cli("check", "--register", str(root), "--as-of", AS_OF).exit_code == 1
    assert cli("export", "oscal", "--register", str(root), "--as-of", AS_OF).exit_code == 0
    missing = cli("export", "oscal", "--register", str(tmp_path))
    assert missing.exit_code == 2
    assert "no policy.yaml" in missing.stderr
    assert cli("export", "oscal", "--as-of", "tomorrow", "--register", str(root)).exit_code == 2


def test_an_invalid_policy_and_an_invalid_device_still_export(
    cli: Callable[..., Run], make_register: Callable[..., Path]
) -> None:
    root = make_register(
        {"policy.yaml": {"revisions": "none"}, "devices/cam-01.yaml": {"status": "broken"}}
    )
    document = export(cli, root)
    load(document)
    result = document["assessment-results"]["results"][0]
    assert document["assessment-results"]["metadata"]["title"] == (
        "Assessment of IoT/OT security policy, as of 2026-11-25"
    )
    ids = [
        {p["name"]: p["value"] for p in item["props"]}["asset-id"]
        for item in result["local-definitions"]["inventory-items"]
    ]
    assert ids == ["plc-01", "sensor-02"]
    findings = {f["target"]["target-id"]: f for f in result["findings"]}
    assert findings["iso-27001-7.5.3"]["target"]["status"]["state"] == "not-satisfied"


@pytest.mark.parametrize(
    ("reference", "token"),
    [
        ("NIST AC-3", "ac-3"),
        ("NIST SC-7", "sc-7"),
        ("ISO 27002 5.17", "iso-27002-5.17"),
        ("ISO 27001 6.1.3", "iso-27001-6.1.3"),
        ("IEC 62443-3-3 SR 1.13", "iec-62443-3-3-sr-1.13"),
        ("ETSI EN 303 645 5.1-1", "etsi-en-303-645-5.1-1"),
        ("GDPR Art. 32", "gdpr-art-32"),
        ("NIS2 21(2)(e)", "nis2-21-2-e"),
        ("DORA 10(1)", "dora-10-1"),
    ],
)
def test_control_ids_are_oscal_tokens(reference: str, token: str) -> None:
    assert control_id(reference) == token


def test_secrets_never_reach_the_export(
    cli: Callable[..., Run], make_register: Callable[..., Path]
) -> None:
    from tests.unit.rules.test_reg_secrets import LEAK_CASES, assert_no_leak

    for edits in LEAK_CASES.values():
        root = make_register(edits)
        run = cli("export", "oscal", "--register", str(root), "--as-of", AS_OF)
        assert run.exit_code == 0, run.stderr
        assert_no_leak(run.stdout + run.stderr)
        load(json.loads(run.stdout))


SCHEMAS = ROOT / "tests" / "data" / "schemas"
RESULTS_SCHEMA = SCHEMAS / "oscal_assessment-results_schema-1.1.2.json"


def nist_valid(document: dict[str, Any], schema: dict[str, Any], tmp_path: Path) -> None:
    """``document`` passes ``schema`` under check-jsonschema (its ECMA regex engine reads the
    ``\\p{L}`` patterns of NIST's schemas)."""
    import subprocess
    import sys

    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "schema.json").write_text(json.dumps(schema), encoding="utf-8")
    (tmp_path / "document.json").write_text(json.dumps(document), encoding="utf-8")
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--schemafile",
            str(tmp_path / "schema.json"),
            str(tmp_path / "document.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def plan_schema() -> dict[str, Any]:
    """NIST's assessment-plan root (OSCAL 1.1.2) over the definitions the results schema shares
    with it (metadata, import-ssp, activities, tasks, subjects, reviewed controls, back matter):
    the plan's own schema is not on this machine, its parts are."""
    schema: dict[str, Any] = json.loads(RESULTS_SCHEMA.read_text(encoding="utf-8"))

    def ref(name: str) -> dict[str, str]:
        return {"$ref": f"#assembly_oscal-{name}"}

    def array(name: str) -> dict[str, Any]:
        return {"type": "array", "minItems": 1, "items": ref(name)}

    plan = {
        "type": "object",
        "properties": {
            "uuid": {"$ref": "#/definitions/UUIDDatatype"},
            "metadata": ref("metadata_metadata"),
            "import-ssp": ref("assessment-common_import-ssp"),
            "local-definitions": {
                "type": "object",
                "properties": {
                    "components": array("implementation-common_system-component"),
                    "activities": array("assessment-common_activity"),
                },
                "additionalProperties": False,
            },
            "reviewed-controls": ref("assessment-common_reviewed-controls"),
            "assessment-subjects": array("assessment-common_assessment-subject"),
            "tasks": array("assessment-common_task"),
            "back-matter": ref("metadata_back-matter"),
        },
        "required": ["uuid", "metadata", "import-ssp", "reviewed-controls"],
        "additionalProperties": False,
    }
    schema["properties"] = {"$schema": schema["properties"]["$schema"], "assessment-plan": plan}
    schema["required"] = ["assessment-plan"]
    return schema


def test_the_plan_and_the_results_load_validate_and_point_at_each_other(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    from trestle.oscal.assessment_plan import Model as PlanModel

    out = tmp_path / "oscal"
    register = str(ROOT / "register")
    base = ("export", "oscal", "--register", register, "--as-of", AS_OF)
    assert cli(*base, "--plan", "-o", str(out / "assessment-plan.json")).exit_code == 0
    assert cli(*base, "-o", str(out / "assessment-results.json")).exit_code == 0
    results = json.loads((out / "assessment-results.json").read_text(encoding="utf-8"))
    href = results["assessment-results"]["import-ap"]["href"]
    plan = json.loads((out / href).read_text(encoding="utf-8"))  # resolves beside the results
    ap = PlanModel.parse_obj(plan).assessment_plan
    load(results)
    nist_valid(results, json.loads(RESULTS_SCHEMA.read_text(encoding="utf-8")), tmp_path / "ar")
    nist_valid(plan, plan_schema(), tmp_path / "ap")

    [task] = ap.tasks
    activities = {a.title.split(" ")[0]: a for a in ap.local_definitions.activities}
    assert sorted(activities) == sorted(RULES)
    assert {str(a.activity_uuid) for a in task.associated_activities} == {
        str(a.uuid) for a in activities.values()
    }
    seg = activities["SEG-001"]
    assert "``" not in seg.description and "`network.segment`" in seg.description
    assert [c.control_id for c in seg.related_controls.control_selections[0].include_controls] == [
        "sc-7",
        "iec-62443-3-3-sr-5.1",
    ]
    [result] = results["assessment-results"]["results"]
    for observation in result["observations"]:
        [origin] = observation["origins"]
        assert origin["related-tasks"] == [{"task-uuid": str(task.uuid)}]
    reviewed = plan["assessment-plan"]["reviewed-controls"]
    assert reviewed == result["reviewed-controls"]
    assert ap.import_ssp.href == f"#{ap.back_matter.resources[0].uuid}"
    again = cli(*base, "--plan").stdout
    assert json.loads(again) == plan  # deterministic
    later = cli("export", "oscal", "--register", register, "--as-of", "2026-12-01", "--plan").json
    assert later["assessment-plan"]["uuid"] == plan["assessment-plan"]["uuid"]


def test_every_export_of_a_hostile_register_validates_against_nists_schema(
    cli: Callable[..., Run], make_register: Callable[..., Path], tmp_path: Path
) -> None:
    from tests.unit.reports.test_escaping import HOSTILE, hostile_edits

    root = make_register(hostile_edits())
    document = export(cli, root)
    load(document)
    nist_valid(document, json.loads(RESULTS_SCHEMA.read_text(encoding="utf-8")), tmp_path / "ar")
    risks = document["assessment-results"]["results"][0]["risks"]
    assert [risk["description"] for risk in risks] == [HOSTILE]  # the text, as written
    plan = cli("export", "oscal", "--register", str(root), "--as-of", AS_OF, "--plan").json
    nist_valid(plan, plan_schema(), tmp_path / "ap")

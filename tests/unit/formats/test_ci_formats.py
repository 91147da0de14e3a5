"""``check --format sarif|junit|github|gitlab`` as CI systems read them, and the GitHub Actions
annotations printed next to the text report.

The registers live inside a temporary git repository (at ``compliance/register``), so paths in the
CI formats are relative to the repository root, as code scanning, annotations and Code Quality
need them.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from junitparser import JUnitXml
from lxml import etree
from sarif_pydantic import Sarif

from iotpolicy import __version__
from iotpolicy.formats.common import gist
from iotpolicy.formats.github import escape_data, escape_property
from iotpolicy.rules import RULES
from tests.conftest import DELETE, Run, edited_baseline, write_register
from tests.support.baseline import baseline
from tests.support.paths import DATA

AS_OF = "2026-11-25"
SARIF_SCHEMA = DATA / "sarif-schema-2.1.0.json"
SCHEMAS = DATA / "schemas"
"""The consumers' schemas, copied from the shared ones (see its README): JUnit, GitLab."""
CI_FORMATS = ["sarif", "junit", "github", "gitlab"]
PREFIX = "compliance/register"
"""Where the register sits inside the temporary repository."""
EXCEPTION = {
    "id": "exc-1",
    "rule": "MON-001",
    "subjects": ["cam-01"],
    "justification": "Syslog forwarder is being replaced.",
    "compensating_controls": "Camera reviewed weekly.",
    "approved_by": "anna-berg",
    "approved_on": "2026-11-01",
    "expires_on": "2027-01-31",
}
MIXED = {
    "devices/plc-01.yaml": {"network.segment": DELETE, "end_of_support": DELETE},
    "devices/cam-01.yaml": {"monitoring.logging": False},
    "exceptions/exc-1.yaml": EXCEPTION,
}
"""SEG-001 (error) and LIF-001 (warning) on plc-01; MON-001 on cam-01, suppressed by exc-1."""


def git_init(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(folder)], check=True)


@pytest.fixture
def repo_register(tmp_path: Path) -> Callable[..., Path]:
    """The baseline register with edits, at compliance/register inside a fresh git repository."""
    counter = iter(range(100))

    def make(edits: dict[str, Any] | None = None) -> Path:
        repo = tmp_path / f"repo{next(counter)}"
        git_init(repo)
        return write_register(repo / PREFIX, edited_baseline(edits or {}))

    return make


def lines_of(cli: Callable[..., Run], root: Path) -> dict[tuple[str, str], int]:
    """(rule, subject) -> line, from the JSON contract."""
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "json")
    return {(f["rule"], f["subject"]): f["line"] for f in run.json["findings"]}


def fingerprint(rule: str, path: str, subject: str, message: str, *occurrence: str) -> str:
    """The fingerprint of formats.common.located: the message's numbers and dates masked."""
    parts = [rule, path, subject, gist(message), *occurrence]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def test_sarif_is_valid_sarif_2_1_0_and_says_exactly_what_was_found(
    cli: Callable[..., Run], repo_register: Callable[..., Path]
) -> None:
    root = repo_register(MIXED)
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "sarif")
    assert run.exit_code == 1
    log = run.json
    assert_valid_sarif(log)

    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    [sarif_run] = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("iotpolicy", __version__)
    assert driver["informationUri"] == "https://github.com/iotpolicy/iotpolicy"
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == sorted(RULES) and len(ids) == 33
    seg = driver["rules"][ids.index("SEG-001")]
    assert {key: seg[key] for key in seg if key != "help"} == {
        "id": "SEG-001",
        "name": "ActiveDevicesAreAssignedANetworkSegment",
        "shortDescription": {"text": "Active devices are assigned a network segment"},
        "fullDescription": {
            "text": "An active device has no 'network.segment'.\n\nPasses: 'network: {segment: "
            "ot-line1}'. Fails: an active PLC without 'network.segment'."
        },
        "helpUri": "https://github.com/iotpolicy/iotpolicy/blob/main/docs/rules.md#seg-001",
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": [
                "security",
                "NIST SP 800-53",
                "IEC 62443-3-3",
                "NIST SC-7",
                "IEC 62443-3-3 SR 5.1",
            ],
            "precision": "very-high",
            "problem.severity": "error",
            "security-severity": "5.5",
            "source": "P35S 3.2, 4.2.2",
        },
    }
    assert seg["help"]["markdown"] == (
        "**Active devices are assigned a network segment** (error; source: P35S 3.2, 4.2.2)\n\n"
        "Controls: NIST SC-7, IEC 62443-3-3 SR 5.1\n\n"
        "An active device has no `network.segment`.\n\n"
        "Passes: `network: {segment: ot-line1}`. Fails: an active PLC without `network.segment`."
    )
    assert seg["help"]["text"] == (
        f"{seg['fullDescription']['text']}\n\nControls: NIST SC-7, IEC 62443-3-3 SR 5.1"
    )
    assert "originalUriBaseIds" not in sarif_run
    assert sarif_run["automationDetails"] == {"id": f"iotpolicy/{PREFIX}/"}

    line = lines_of(cli, root)

    def result(rule: str, subject: str, level: str, message: str, file: str) -> dict[str, Any]:
        start = line[(rule, subject)]
        return {
            "ruleId": rule,
            "ruleIndex": ids.index(rule),
            "level": level,
            "message": {"text": f"{subject}: {message}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f"{PREFIX}/{file}", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": start, "endLine": start},
                    }
                }
            ],
            "partialFingerprints": {
                "primaryLocationLineHash": fingerprint(rule, f"{PREFIX}/{file}", subject, message)
            },
            "properties": {"subject": subject, "tags": list(RULES[rule].controls)},
        }

    suppressed = result(
        "MON-001", "cam-01", "error", "event logging is not enabled", "devices/cam-01.yaml"
    )
    suppressed["suppressions"] = [
        {"kind": "external", "status": "accepted", "justification": "exception exc-1"}
    ]
    plc = "devices/plc-01.yaml"
    assert sarif_run["results"] == [
        suppressed,
        result("LIF-001", "plc-01", "warning", "end of support is unknown", plc),
        result("SEG-001", "plc-01", "error", "active device has no network segment", plc),
    ]
    assert sarif_run["properties"] == {"register": str(root), "asOf": AS_OF}


def assert_valid_sarif(log: dict[str, Any]) -> Any:
    """``log`` passes the OASIS SARIF 2.1.0 schema and reads back through sarif-pydantic's
    models (a SARIF consumer library); returns the parsed log."""
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    errors = [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(log)]
    assert errors == []
    parsed = Sarif.model_validate(log)
    for run, raw in zip(parsed.runs, log["runs"], strict=True):
        assert run.automation_details.id == raw["automationDetails"]["id"]
        rules = run.tool.driver.rules or []
        assert [(r.id, r.properties) for r in rules] == [
            (r["id"], r["properties"]) for r in raw["tool"]["driver"]["rules"]
        ]
        read = [
            (
                r.rule_id,
                r.level.value,
                r.message.text,
                r.partial_fingerprints["primaryLocationLineHash"],
                r.locations[0].physical_location.artifact_location.uri,
                r.locations[0].physical_location.region.start_line,
                r.locations[0].physical_location.region.end_line,
                bool((r.model_extra or {}).get("suppressions")),  # the library models it singular
            )
            for r in run.results or []
        ]
        assert read == [
            (
                r["ruleId"],
                r["level"],
                r["message"]["text"],
                r["partialFingerprints"]["primaryLocationLineHash"],
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
                r["locations"][0]["physicalLocation"]["region"]["endLine"],
                "suppressions" in r,
            )
            for r in raw["results"]
        ]
    return parsed


def test_sarif_results_are_in_output_order_and_every_finding_is_there(
    cli: Callable[..., Run], repo_register: Callable[..., Path]
) -> None:
    root = repo_register(MIXED)
    base = ("check", "--register", str(root), "--as-of", AS_OF)
    findings = cli(*base, "--format", "json").json["findings"]
    results = cli(*base, "--format", "sarif").json["runs"][0]["results"]
    assert [(r["ruleId"], r["message"]["text"]) for r in results] == [
        (f["rule"], f"{f['subject']}: {f['message']}") for f in findings
    ]
    assert [bool(r.get("suppressions")) for r in results] == [
        f["suppressed_by"] is not None for f in findings
    ]


def test_outside_git_sarif_uses_register_relative_uris_with_a_described_base(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    root = write_register(tmp_path / "plain" / "register", edited_baseline(MIXED))
    env = {"GIT_CEILING_DIRECTORIES": str(tmp_path)}
    base = ("check", "--register", str(root), "--as-of", AS_OF)
    log = cli(*base, "--format", "sarif", env=env).json
    [sarif_run] = log["runs"]
    assert sarif_run["originalUriBaseIds"] == {
        "REGISTERROOT": {
            "description": {"text": "The register folder (the one holding policy.yaml)."}
        }
    }
    locations = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif_run["results"]
    }
    assert locations == {"devices/plc-01.yaml", "devices/cam-01.yaml"}
    assert {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"]
        for r in sarif_run["results"]
    } == {"REGISTERROOT"}
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert list(jsonschema.Draft4Validator(schema).iter_errors(log)) == []
    annotations = cli(*base, "--format", "github", env=env).stdout
    assert "::error file=devices/plc-01.yaml," in annotations


def test_register_at_the_repository_root_has_no_prefix(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    git_init(tmp_path / "repo")
    root = write_register(tmp_path / "repo", edited_baseline(MIXED))
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "gitlab")
    assert {issue["location"]["path"] for issue in run.json} == {"devices/plc-01.yaml"}


def assert_valid_junit(text: str) -> Any:
    """``text`` is valid against Jenkins' junit-10.xsd (lxml) and junitparser reads it with the
    counts it states; returns junitparser's JUnitXml."""
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "junit-10.xsd")))
    document = etree.fromstring(text.encode("utf-8"))
    assert schema.validate(document), schema.error_log
    xml = JUnitXml.fromstring(text.encode("utf-8"))
    stated = [(s.name, s.tests, s.failures, s.errors, s.skipped) for s in xml]
    for suite in xml:
        suite.update_statistics()  # junitparser's own count of the testcases and results
    assert [(s.name, s.tests, s.failures, s.errors, s.skipped) for s in xml] == stated
    return xml


def test_junit_has_a_testcase_per_rule_and_subject(
    cli: Callable[..., Run], repo_register: Callable[..., Path]
) -> None:
    root = repo_register(MIXED)
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "junit")
    assert run.exit_code == 1
    assert run.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
    xml = assert_valid_junit(run.stdout)
    suites = ET.fromstring(run.stdout)
    assert suites.tag == "testsuites"
    people = [p["id"] for p in baseline()["people.yaml"]]
    records = ["policy", *people, "ot-line1", "iot-cams", "mgmt", "office", "siemens", "axis"]
    records += ["plc-01", "cam-01", "sensor-02", "exc-1"]
    # 18 rules judge the two active devices, LIF-002 the retired ones (none), SEG-004 the four
    # segments, VEN-001..003 the two vendors, EXC-001 the exception, POL-001..005 the policy,
    # REG-001..004 every record.
    tests = 18 * 2 + 1 + 4 + 3 * 2 + 1 + 5 + 4 * len(records)
    assert dict(suites.attrib) == {
        "name": "iotpolicy",
        "time": "0",
        "tests": str(tests),
        "failures": "2",
        "errors": "0",
    }
    assert sum(int(suite.get("skipped", "")) for suite in suites) == 1
    assert sum(1 for suite in xml for case in suite if case.is_skipped) == 1
    assert sum(1 for suite in xml for case in suite if case.is_failure) == 2
    by_name = {suite.get("name", "").split(" ")[0]: suite for suite in suites}
    assert sorted(by_name) == sorted(RULES)
    line = lines_of(cli, root)

    seg = by_name["SEG-001"]
    assert seg.get("name") == "SEG-001 Active devices are assigned a network segment"
    assert (seg.get("tests"), seg.get("failures"), seg.get("skipped")) == ("2", "1", "0")
    assert (seg.get("timestamp"), seg.get("time")) == (f"{AS_OF}T00:00:00", "0")
    passed, case = seg
    assert dict(passed.attrib) == {"classname": "iotpolicy.SEG-001", "name": "cam-01", "time": "0"}
    assert list(passed) == []
    assert dict(case.attrib) == {"classname": "iotpolicy.SEG-001", "name": "plc-01", "time": "0"}
    failure, out = case
    assert (failure.tag, out.tag) == ("failure", "system-out")
    assert dict(failure.attrib) == {
        "type": "error",
        "message": "active device has no network segment",
    }
    where = f"{PREFIX}/devices/plc-01.yaml:{line[('SEG-001', 'plc-01')]}"
    assert failure.text == f"{where}: error: active device has no network segment"
    assert out.text == failure.text

    [warning] = by_name["LIF-001"].iter("failure")
    assert warning.get("type") == "warning"
    skipped_case, passed = by_name["MON-001"]
    assert (skipped_case.get("name"), passed.get("name")) == ("cam-01", "plc-01")
    skipped, out = skipped_case
    assert (skipped.tag, out.tag) == ("skipped", "system-out")
    assert skipped.get("message") == "suppressed by exception exc-1"
    assert skipped.text is not None and skipped.text.endswith("(suppressed by exception exc-1)")
    assert out.text == skipped.text

    assert [dict(case.attrib) for case in by_name["ACC-001"]] == [
        {"classname": "iotpolicy.ACC-001", "name": "cam-01", "time": "0"},
        {"classname": "iotpolicy.ACC-001", "name": "plc-01", "time": "0"},
    ]
    assert [c.get("name") for c in by_name["VEN-002"]] == ["axis", "siemens"]
    assert [c.get("name") for c in by_name["POL-005"]] == ["policy"]
    assert [c.get("name") for c in by_name["REG-004"]] == sorted(records)
    [nothing] = by_name["LIF-002"]  # no retired device to judge
    assert dict(nothing.attrib) == {
        "classname": "iotpolicy.LIF-002",
        "name": "no subject",
        "time": "0",
    }


def test_junit_gives_each_finding_of_a_subject_its_own_failure(
    cli: Callable[..., Run], repo_register: Callable[..., Path]
) -> None:
    flows = [
        {"to": "mgmt", "service": "syslog", "port": 514, "protocol": "udp"},
        {"to": "mgmt", "service": "ntp", "port": 123, "protocol": "udp"},
    ]
    edits: dict[str, Any] = {"segments/ot-line1.yaml": {"flows": flows}}
    edits["devices/cam-01.yaml"] = {"monitoring.logging": False}
    edits["exceptions/exc-1.yaml"] = EXCEPTION
    root = repo_register(edits)
    findings = cli("check", "--register", str(root), "--as-of", AS_OF, "-f", "json").json[
        "findings"
    ]
    seg004 = [f for f in findings if f["rule"] == "SEG-004"]
    assert len(seg004) == 2  # one per flow without a purpose, both about ot-line1
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "-f", "junit")
    xml = assert_valid_junit(run.stdout)
    suites = ET.fromstring(run.stdout)
    [suite] = [s for s in suites if s.get("name", "").startswith("SEG-004")]
    cases = {c.get("name"): c for c in suite}
    assert {f["subject"] for f in seg004} == {"ot-line1"}
    assert sorted(cases) == ["iot-cams", "mgmt", "office", "ot-line1"]  # every segment judged
    assert [c for c in cases.values() if list(c)] == [cases["ot-line1"]]
    failures = list(cases["ot-line1"].iter("failure"))
    assert [f.get("message") for f in failures] == [f["message"] for f in seg004]
    path = f"{PREFIX}/segments/ot-line1.yaml"
    assert [f.text for f in failures] == [
        f"{path}:{f['line']}: error: {f['message']}" for f in seg004
    ]
    [out] = cases["ot-line1"].iter("system-out")
    assert out.text == "\n".join(f.text or "" for f in failures)
    assert (suite.get("tests"), suite.get("failures")) == ("4", "2")
    [parsed] = [s for s in xml if s.name.startswith("SEG-004")]
    [case] = [c for c in parsed if c.name == "ot-line1"]
    assert [r.message for r in case.result] == [f["message"] for f in seg004]


def test_github_annotations_one_per_finding(
    cli: Callable[..., Run], repo_register: Callable[..., Path]
) -> None:
    root = repo_register(MIXED)
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "github")
    assert run.exit_code == 1
    line = lines_of(cli, root)
    plc, cam = f"{PREFIX}/devices/plc-01.yaml", f"{PREFIX}/devices/cam-01.yaml"
    assert run.stdout.splitlines() == [
        f"::notice file={cam},line={line[('MON-001', 'cam-01')]},"
        "title=MON-001 (suppressed by exc-1)::cam-01: event logging is not enabled",
        f"::warning file={plc},line={line[('LIF-001', 'plc-01')]},title=LIF-001::plc-01: "
        "end of support is unknown",
        f"::error file={plc},line={line[('SEG-001', 'plc-01')]},title=SEG-001::plc-01: "
        "active device has no network segment",
    ]


def test_github_escapes_values_as_the_actions_toolkit_does(
    cli: Callable[..., Run], repo_register: Callable[..., Path]
) -> None:
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("a,b:c%\r\n") == "a%2Cb%3Ac%25%0D%0A"
    sensor = "id: sensor-02\nname: Sensor\ncategory: ot\ntype: sensor\nstatus: planned\n"
    root = repo_register({"devices/odd,name:x.yaml": sensor, "devices/sensor-02.yaml": DELETE})
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "github")
    [annotation] = [a for a in run.stdout.splitlines() if "REG-002" in a]
    assert annotation.startswith(
        f"::error file={PREFIX}/devices/odd%2Cname%3Ax.yaml,line=1,title=REG-002::"
    )
    assert annotation.count("::") == 2


def test_gitlab_code_quality_issues_with_line_independent_fingerprints(
    cli: Callable[..., Run], repo_register: Callable[..., Path]
) -> None:
    root = repo_register(MIXED)
    base = ("check", "--register", str(root), "--as-of", AS_OF, "--format", "gitlab")
    run = cli(*base)
    assert run.exit_code == 1
    line = lines_of(cli, root)
    plc = f"{PREFIX}/devices/plc-01.yaml"
    lif, seg = line[("LIF-001", "plc-01")], line[("SEG-001", "plc-01")]
    assert run.json == [
        {
            "type": "issue",
            "check_name": "LIF-001",
            "description": "LIF-001 plc-01: end of support is unknown",
            "categories": ["Security"],
            "severity": "minor",
            "fingerprint": fingerprint("LIF-001", plc, "plc-01", "end of support is unknown"),
            "location": {"path": plc, "lines": {"begin": lif, "end": lif}},
        },
        {
            "type": "issue",
            "check_name": "SEG-001",
            "description": "SEG-001 plc-01: active device has no network segment",
            "categories": ["Security"],
            "severity": "major",
            "fingerprint": fingerprint(
                "SEG-001", plc, "plc-01", "active device has no network segment"
            ),
            "location": {"path": plc, "lines": {"begin": seg, "end": seg}},
        },
    ]
    assert_valid_code_quality(run.json)
    # Lines move when the file is edited above the finding; the fingerprints stay.
    device = root / "devices" / "plc-01.yaml"
    device.write_text("# Moved to hall B.\n# Ticket 4711.\n" + device.read_text(), "utf-8")
    moved = cli(*base).json
    assert [i["fingerprint"] for i in moved] == [i["fingerprint"] for i in run.json]
    assert [i["location"]["lines"]["begin"] for i in moved] == [
        i["location"]["lines"]["begin"] + 2 for i in run.json
    ]


def test_gitlab_fingerprints_are_unique_when_a_subject_repeats(
    cli: Callable[..., Run], repo_register: Callable[..., Path]
) -> None:
    flows = [
        {"to": "mgmt", "service": "syslog", "port": 514, "protocol": "udp"},
        {"to": "mgmt", "service": "ntp", "port": 123, "protocol": "udp"},
    ]
    root = repo_register({"segments/ot-line1.yaml": {"flows": flows}})
    issues = cli("check", "--register", str(root), "--as-of", AS_OF, "-f", "gitlab").json
    path = f"{PREFIX}/segments/ot-line1.yaml"
    message = "flow to 'mgmt' has no purpose"  # the same for both flows
    assert [issue["fingerprint"] for issue in issues] == [
        fingerprint("SEG-004", path, "ot-line1", message),
        fingerprint("SEG-004", path, "ot-line1", message, "1"),
    ]


def assert_valid_code_quality(issues: list[dict[str, Any]]) -> None:
    """Every issue is valid against GitLab's Code Quality schema, on one line, with its end."""
    schema = json.loads((SCHEMAS / "gitlab-codeclimate.json").read_text(encoding="utf-8"))
    for issue in issues:
        assert list(jsonschema.Draft7Validator(schema).iter_errors(issue)) == []
        assert "\n" not in issue["description"] and issue["description"].isprintable()
        lines = issue["location"]["lines"]
        assert lines["end"] >= lines["begin"] >= 1


@pytest.mark.parametrize("fmt", CI_FORMATS)
def test_ci_formats_are_deterministic_and_written_to_a_file(
    cli: Callable[..., Run], repo_register: Callable[..., Path], tmp_path: Path, fmt: str
) -> None:
    root = repo_register(MIXED)
    base = ("check", "--register", str(root), "--as-of", AS_OF, "--format", fmt)
    first, second = cli(*base), cli(*base)
    assert first.exit_code == second.exit_code == 1
    assert first.stdout == second.stdout != ""
    out = tmp_path / "out" / f"report.{fmt}"
    written = cli(*base, "--output", str(out))
    assert (written.exit_code, written.stdout) == (1, "")
    assert out.read_text(encoding="utf-8") == first.stdout


@pytest.mark.parametrize(
    ("fmt", "empty"),
    [
        ("github", ""),
        ("gitlab", "[]\n"),
    ],
)
def test_a_clean_register_gives_empty_annotations_and_issues(
    cli: Callable[..., Run], repo_register: Callable[..., Path], fmt: str, empty: str
) -> None:
    run = cli("check", "--register", str(repo_register()), "--as-of", AS_OF, "--format", fmt)
    assert (run.exit_code, run.stdout) == (0, empty)


def test_a_clean_register_gives_passing_junit_and_empty_sarif(
    cli: Callable[..., Run], repo_register: Callable[..., Path]
) -> None:
    root = repo_register()
    base = ("check", "--register", str(root), "--as-of", AS_OF, "--format")
    junit = cli(*base, "junit")
    assert junit.exit_code == 0
    suites = ET.fromstring(junit.stdout)
    records = 1 + len(baseline()["people.yaml"]) + 4 + 2 + 3  # policy, people, segments ...
    tests = 18 * 2 + 1 + 4 + 3 * 2 + 1 + 5 + 4 * records  # EXC-001 and LIF-002: "no subject"
    assert (suites.get("tests"), suites.get("failures")) == (str(tests), "0")
    assert {suite.get("skipped") for suite in suites} == {"0"}
    assert len(list(suites.iter("testcase"))) == tests
    xml = assert_valid_junit(junit.stdout)
    assert all(case.is_passed for suite in xml for case in suite)
    sarif = cli(*base, "sarif")
    assert sarif.exit_code == 0
    assert sarif.json["runs"][0]["results"] == []


@pytest.mark.parametrize("fmt", CI_FORMATS)
def test_strict_and_rule_apply_to_every_format(
    cli: Callable[..., Run], repo_register: Callable[..., Path], fmt: str
) -> None:
    root = repo_register({"devices/plc-01.yaml": {"end_of_support": DELETE}})
    base = ("check", "--register", str(root), "--as-of", AS_OF, "--format", fmt)
    assert cli(*base).exit_code == 0
    assert cli(*base, "--strict").exit_code == 1
    only = cli(*base, "--rule", "SEG-001")
    assert only.exit_code == 0
    assert "LIF-001" not in only.stdout


def test_under_github_actions_the_text_report_is_followed_by_annotations(
    cli: Callable[..., Run], repo_register: Callable[..., Path], tmp_path: Path
) -> None:
    root = repo_register(MIXED)
    base = ("check", "--register", str(root), "--as-of", AS_OF)
    actions = {"GITHUB_ACTIONS": "true"}
    text = cli(*base, env={"GITHUB_ACTIONS": "false"}).stdout
    annotations = cli(*base, "--format", "github").stdout
    both = cli(*base, env=actions)
    assert both.exit_code == 1
    assert both.stdout == text + annotations
    assert annotations.count("\n") == 3
    # An explicit format is printed alone, even under GitHub Actions.
    assert cli(*base, "--format", "json", env=actions).json["summary"]["errors"] == 1
    assert cli(*base, "--format", "text", env=actions).stdout == text
    # With --output the text goes to the file and the annotations still to the log.
    out = tmp_path / "report.txt"
    to_file = cli(*base, "--output", str(out), env=actions)
    assert (to_file.stdout, out.read_text(encoding="utf-8")) == (annotations, text)

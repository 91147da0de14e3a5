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

from iotpolicy import __version__
from iotpolicy.formats.github import escape_data, escape_property
from iotpolicy.rules import RULES
from tests.conftest import DELETE, Run, edited_baseline, write_register
from tests.support.baseline import baseline
from tests.support.paths import DATA

AS_OF = "2026-11-25"
SARIF_SCHEMA = DATA / "sarif-schema-2.1.0.json"
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


def fingerprint(*parts: str) -> str:
    return hashlib.sha256(json.dumps(list(parts)).encode()).hexdigest()


def test_sarif_is_valid_sarif_2_1_0_and_says_exactly_what_was_found(
    cli: Callable[..., Run], repo_register: Callable[..., Path]
) -> None:
    root = repo_register(MIXED)
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "sarif")
    assert run.exit_code == 1
    log = run.json
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    errors = [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(log)]
    assert errors == []

    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    [sarif_run] = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("iotpolicy", __version__)
    assert driver["informationUri"] == "https://github.com/iotpolicy/iotpolicy"
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == sorted(RULES) and len(ids) == 33
    seg = driver["rules"][ids.index("SEG-001")]
    assert {key: seg[key] for key in seg if key not in ("fullDescription", "help")} == {
        "id": "SEG-001",
        "name": "ActiveDevicesAreAssignedANetworkSegment",
        "shortDescription": {"text": "Active devices are assigned a network segment"},
        "helpUri": "https://github.com/iotpolicy/iotpolicy/blob/main/docs/rules.md#seg-001",
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["NIST SC-7", "IEC 62443-3-3 SR 5.1"], "source": "P35S 3.2, 4.2.2"},
    }
    assert seg["fullDescription"]["text"] == RULES["SEG-001"].doc
    assert seg["help"]["markdown"].startswith(
        "**Active devices are assigned a network segment** (error; source: P35S 3.2, 4.2.2)\n\n"
        "Controls: NIST SC-7, IEC 62443-3-3 SR 5.1\n\n"
    )
    assert "originalUriBaseIds" not in sarif_run

    line = lines_of(cli, root)

    def result(rule: str, subject: str, level: str, message: str, file: str) -> dict[str, Any]:
        return {
            "ruleId": rule,
            "ruleIndex": ids.index(rule),
            "level": level,
            "message": {"text": f"{subject}: {message}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f"{PREFIX}/{file}", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": line[(rule, subject)]},
                    }
                }
            ],
            "partialFingerprints": {"iotpolicy/v1": fingerprint(rule, f"{PREFIX}/{file}", subject)},
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


def test_junit_has_a_testcase_per_rule_and_subject(
    cli: Callable[..., Run], repo_register: Callable[..., Path]
) -> None:
    root = repo_register(MIXED)
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "junit")
    assert run.exit_code == 1
    assert run.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
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
        "tests": str(tests),
        "failures": "2",
        "errors": "0",
        "skipped": "1",
    }
    by_name = {suite.get("name", "").split(" ")[0]: suite for suite in suites}
    assert sorted(by_name) == sorted(RULES)
    line = lines_of(cli, root)

    seg = by_name["SEG-001"]
    assert seg.get("name") == "SEG-001 Active devices are assigned a network segment"
    assert (seg.get("tests"), seg.get("failures"), seg.get("skipped")) == ("2", "1", "0")
    assert seg.get("timestamp") == f"{AS_OF}T00:00:00"
    passed, case = seg
    assert dict(passed.attrib) == {"classname": "iotpolicy.SEG-001", "name": "cam-01"}
    assert list(passed) == []
    assert dict(case.attrib) == {
        "classname": "iotpolicy.SEG-001",
        "name": "plc-01",
        "file": f"{PREFIX}/devices/plc-01.yaml",
        "line": str(line[("SEG-001", "plc-01")]),
    }
    [failure] = case
    assert failure.tag == "failure"
    assert dict(failure.attrib) == {
        "type": "error",
        "message": "active device has no network segment",
    }
    assert failure.text == (
        f"{PREFIX}/devices/plc-01.yaml:{line[('SEG-001', 'plc-01')]}: error: "
        "active device has no network segment"
    )

    [warning] = by_name["LIF-001"].iter("failure")
    assert warning.get("type") == "warning"
    skipped_case, passed = by_name["MON-001"]
    assert (skipped_case.get("name"), passed.get("name")) == ("cam-01", "plc-01")
    [skipped] = skipped_case
    assert skipped.tag == "skipped"
    assert skipped.get("message") == "suppressed by exception exc-1"
    assert skipped.text is not None and skipped.text.endswith("(suppressed by exception exc-1)")

    assert [dict(case.attrib) for case in by_name["ACC-001"]] == [
        {"classname": "iotpolicy.ACC-001", "name": "cam-01"},
        {"classname": "iotpolicy.ACC-001", "name": "plc-01"},
    ]
    assert [c.get("name") for c in by_name["VEN-002"]] == ["axis", "siemens"]
    assert [c.get("name") for c in by_name["POL-005"]] == ["policy"]
    assert [c.get("name") for c in by_name["REG-004"]] == sorted(records)
    [nothing] = by_name["LIF-002"]  # no retired device to judge
    assert dict(nothing.attrib) == {"classname": "iotpolicy.LIF-002", "name": "no subject"}


def test_junit_merges_findings_of_one_subject_into_one_testcase(
    cli: Callable[..., Run], repo_register: Callable[..., Path]
) -> None:
    flows = [
        {"to": "mgmt", "service": "syslog", "port": 514, "protocol": "udp"},
        {"to": "mgmt", "service": "ntp", "port": 123, "protocol": "udp"},
    ]
    root = repo_register({"segments/ot-line1.yaml": {"flows": flows}})
    findings = cli("check", "--register", str(root), "--as-of", AS_OF, "-f", "json").json[
        "findings"
    ]
    seg004 = [f for f in findings if f["rule"] == "SEG-004"]
    assert len(seg004) == 2  # one per flow without a purpose, both about ot-line1
    suites = ET.fromstring(
        cli("check", "--register", str(root), "--as-of", AS_OF, "-f", "junit").stdout
    )
    [suite] = [s for s in suites if s.get("name", "").startswith("SEG-004")]
    cases = {c.get("name"): c for c in suite}
    assert {f["subject"] for f in seg004} == {"ot-line1"}
    assert sorted(cases) == ["iot-cams", "mgmt", "office", "ot-line1"]  # every segment judged
    assert [c for c in cases.values() if list(c)] == [cases["ot-line1"]]
    [failure] = cases["ot-line1"].iter("failure")
    assert failure.text is not None
    assert len(failure.text.splitlines()) == len(seg004)


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
    assert run.json == [
        {
            "type": "issue",
            "check_name": "LIF-001",
            "description": "LIF-001 plc-01: end of support is unknown",
            "categories": ["Security"],
            "severity": "minor",
            "fingerprint": fingerprint("LIF-001", plc, "plc-01"),
            "location": {"path": plc, "lines": {"begin": line[("LIF-001", "plc-01")]}},
        },
        {
            "type": "issue",
            "check_name": "SEG-001",
            "description": "SEG-001 plc-01: active device has no network segment",
            "categories": ["Security"],
            "severity": "major",
            "fingerprint": fingerprint("SEG-001", plc, "plc-01"),
            "location": {"path": plc, "lines": {"begin": line[("SEG-001", "plc-01")]}},
        },
    ]
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
    assert [issue["fingerprint"] for issue in issues] == [
        fingerprint("SEG-004", path, "ot-line1"),
        fingerprint("SEG-004", path, "ot-line1", "1"),
    ]


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
    assert (suites.get("tests"), suites.get("failures"), suites.get("skipped")) == (
        str(tests),
        "0",
        "0",
    )
    assert len(list(suites.iter("testcase"))) == tests
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

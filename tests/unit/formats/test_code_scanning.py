"""SARIF as GitHub code scanning reads it: the properties GitHub's documentation ("SARIF support
for code scanning") lists, what ranks an alert as a security finding, fingerprints that keep an
alert when lines move or other findings change, one category per register, and FW-002's exposure
(CVSS, CISA KEV) up front."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from iotpolicy.formats.sarif import SCORES, SECURITY_SEVERITY
from iotpolicy.rules import RULES
from tests.conftest import Run, edited_baseline, write_register
from tests.support.paths import REPO
from tests.unit.formats.test_ci_formats import MIXED, PREFIX, assert_valid_sarif, git_init

AS_OF = "2026-11-25"

# (object, property, what GitHub's page says of it). "required" ones must be there; the others
# are documented optional properties iotpolicy gives because code scanning uses them.
GITHUB_PROPERTIES = [
    ("sarifLog", "$schema", "required"),
    ("sarifLog", "version", "required: 2.1.0"),
    ("sarifLog", "runs", "required"),
    ("run", "tool.driver", "required"),
    ("run", "results", "required"),
    ("run", "automationDetails.id", "category/run: keeps each register's alerts apart"),
    ("toolComponent", "name", "required"),
    ("toolComponent", "version", "optional"),
    ("toolComponent", "rules", "required for rule metadata"),
    ("reportingDescriptor", "id", "required"),
    ("reportingDescriptor", "name", "optional"),
    ("reportingDescriptor", "shortDescription.text", "required"),
    ("reportingDescriptor", "fullDescription.text", "required"),
    ("reportingDescriptor", "defaultConfiguration.level", "optional: error, warning, note"),
    ("reportingDescriptor", "help.text", "required"),
    ("reportingDescriptor", "help.markdown", "optional"),
    ("reportingDescriptor", "properties.tags", "optional: 'security' makes it a security alert"),
    ("reportingDescriptor", "properties.precision", "optional: very-high, high, medium, low"),
    ("reportingDescriptor", "properties.problem.severity", "optional: error, warning, ..."),
    ("reportingDescriptor", "properties.security-severity", "optional: 0.0 to 10.0"),
    ("result", "ruleId", "required"),
    ("result", "ruleIndex", "optional: the rule in tool.driver.rules"),
    ("result", "level", "optional"),
    ("result", "message.text", "required"),
    ("result", "locations", "required: at most 10 are used"),
    ("result", "partialFingerprints.primaryLocationLineHash", "required (else computed)"),
    ("physicalLocation", "artifactLocation.uri", "required: relative to the repository root"),
    ("physicalLocation", "region.startLine", "required"),
    ("physicalLocation", "region.endLine", "required"),
]
"""startColumn and endColumn are left out on purpose: a finding is about a whole line (the
offending key), which is what SARIF means by a region without columns (SARIF 3.30.5, 3.30.8)."""


def objects(log: dict[str, Any], kind: str) -> Iterator[dict[str, Any]]:
    """Every object of ``kind`` (as GitHub's tables name them) in ``log``."""
    if kind == "sarifLog":
        yield log
    for run in log["runs"]:
        if kind == "run":
            yield run
        elif kind == "toolComponent":
            yield run["tool"]["driver"]
        elif kind == "reportingDescriptor":
            yield from run["tool"]["driver"]["rules"]
        elif kind == "result":
            yield from run["results"]
        elif kind == "physicalLocation":
            for result in run["results"]:
                yield from (loc["physicalLocation"] for loc in result["locations"])


def lookup(node: dict[str, Any], dotted: str) -> Any:
    """``node``'s value at ``a.b.c``, where a property-bag key may itself hold a dot
    (``problem.severity``); KeyError when absent."""
    if dotted in node:
        return node[dotted]
    head, _, rest = dotted.partition(".")
    if not rest:
        raise KeyError(dotted)
    return lookup(node[head], rest)


@pytest.fixture
def mixed_log(cli: Callable[..., Run], tmp_path: Path) -> dict[str, Any]:
    repo = tmp_path / "repo"
    git_init(repo)
    root = write_register(repo / PREFIX, edited_baseline(MIXED))
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "sarif")
    assert run.exit_code == 1
    log: dict[str, Any] = run.json
    assert_valid_sarif(log)
    return log


@pytest.mark.parametrize(("kind", "name", "said"), GITHUB_PROPERTIES)
def test_every_property_github_documents_is_there(
    mixed_log: dict[str, Any], kind: str, name: str, said: str
) -> None:
    found = list(objects(mixed_log, kind))
    assert found, kind
    for node in found:
        value = lookup(node, name)
        assert value not in (None, "", {}), (kind, name, said)


def test_the_values_are_those_code_scanning_understands(mixed_log: dict[str, Any]) -> None:
    assert mixed_log["version"] == "2.1.0"
    for rule in objects(mixed_log, "reportingDescriptor"):
        properties = rule["properties"]
        assert "security" in properties["tags"]
        assert properties["precision"] in ("very-high", "high", "medium", "low")
        assert properties["problem.severity"] in ("error", "warning", "recommendation")
        assert re.fullmatch(r"\d{1,2}\.\d", properties["security-severity"])
        assert 0.1 <= float(properties["security-severity"]) <= 10.0
        assert "``" not in rule["fullDescription"]["text"] + rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    rules = [r["id"] for r in objects(mixed_log, "reportingDescriptor")]
    for result in objects(mixed_log, "result"):
        assert rules[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note", "none")
        assert 1 <= len(result["locations"]) <= 10
        assert re.fullmatch(r"[0-9a-f]{64}", result["partialFingerprints"][FINGERPRINT])
    for location in objects(mixed_log, "physicalLocation"):
        uri = location["artifactLocation"]["uri"]
        assert not uri.startswith("/") and "://" not in uri and uri.startswith(f"{PREFIX}/")
        region = location["region"]
        assert region["endLine"] >= region["startLine"] >= 1


FINGERPRINT = "primaryLocationLineHash"


def test_every_rule_has_a_security_severity_and_fw_002_is_high() -> None:
    assert sorted(SECURITY_SEVERITY) == sorted(RULES)
    assert set(SECURITY_SEVERITY.values()) <= set(SCORES)
    # GitHub's bands: critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9.
    bands = {"critical": (9.0, 10.0), "high": (7.0, 8.9), "medium": (4.0, 6.9), "low": (0.1, 3.9)}
    for level, score in SCORES.items():
        low, high = bands[level]
        assert low <= float(score) <= high, level
    assert SECURITY_SEVERITY["FW-002"] == "high"


def hashes(cli: Callable[..., Run], root: Path, as_of: str = AS_OF) -> dict[str, list[str]]:
    """``rule subject: message`` -> the fingerprints of the findings saying it."""
    log = cli("check", "--register", str(root), "--as-of", as_of, "-f", "sarif").json
    found: dict[str, list[str]] = {}
    for result in log["runs"][0]["results"]:
        key = f"{result['ruleId']} {result['message']['text']}"
        found.setdefault(key, []).append(result["partialFingerprints"][FINGERPRINT])
    return found


TWO_FLOWS = [
    {"to": "mgmt", "service": "syslog", "port": 514, "protocol": "udp"},
    {"to": "mgmt", "service": "ntp", "port": 123, "protocol": "udp"},
]
"""Two flows of ot-line1 without a purpose: two SEG-004 findings with the same message."""


def test_fingerprints_survive_moved_lines_and_unrelated_edits(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    git_init(repo)
    edits: dict[str, Any] = {**MIXED, "segments/ot-line1.yaml": {"flows": TWO_FLOWS}}
    edits["devices/plc-01.yaml"] = {**MIXED["devices/plc-01.yaml"], "vendor": "nobody"}
    root = write_register(repo / PREFIX, edited_baseline(edits))
    before = hashes(cli, root)
    every = [h for found in before.values() for h in found]
    assert len(every) == len(set(every))  # two findings of one rule and subject differ
    assert len(before["SEG-004 ot-line1: flow to 'mgmt' has no purpose"]) == 2

    device = root / "devices" / "plc-01.yaml"
    text = device.read_text("utf-8")
    device.write_text("# Moved to hall B.\n# Ticket 4711.\n" + text, "utf-8")  # lines move
    assert hashes(cli, root) == before
    # The offending line's own text changes (a comment on it): still the same alerts.
    device.write_text(text.replace("vendor: nobody", "vendor: nobody  # ask purchasing"), "utf-8")
    assert hashes(cli, root) == before
    # Unrelated edits: another field of the same file, a new finding on another device.
    device.write_text(text.replace("name: ", "name: Renamed ", 1), "utf-8")
    office = root / "segments" / "office.yaml"
    data = yaml.safe_load(office.read_text("utf-8"))
    data.setdefault("flows", []).append({"to": "mgmt", "service": "dns", "port": 53})
    office.write_text(yaml.safe_dump(data), "utf-8")
    after = hashes(cli, root)
    assert {k: v for k, v in after.items() if k in before} == before
    assert len(after) > len(before)


def test_a_firmware_update_that_is_still_affected_keeps_its_alert(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    git_init(repo)
    root = write_register(repo / PREFIX, edited_baseline({"advisories/ssa-1.yaml": ADVISORY}))
    [before] = [h for k, v in hashes(cli, root).items() if k.startswith("FW-002") for h in v]
    device = root / "devices" / "plc-01.yaml"
    device.write_text(device.read_text("utf-8").replace("4.5.2", "4.5.3"), "utf-8")
    [after] = [(k, v) for k, v in hashes(cli, root).items() if k.startswith("FW-002")]
    assert "firmware 4.5.3" in after[0]
    assert after[1] == [before]


ADVISORY = {
    "id": "ssa-1",
    "vendor": "siemens",
    "kind": "vulnerability",
    "received_on": "2026-10-01",
    "status": "open",
    "affects": [{"model": "SIMATIC S7-1200", "versions": "*"}],
    "cves": ["CVE-2024-0001"],
    "cvss": 9.8,
    "known_exploited": [
        {"cve": "CVE-2024-0001", "date_added": "2024-06-01", "due_date": "2024-06-22"}
    ],
}


def test_fw_002_leads_with_the_kev_status_and_cvss_and_carries_them(
    cli: Callable[..., Run], tmp_path: Path, outside_ci: None
) -> None:
    repo = tmp_path / "repo"
    git_init(repo)
    root = write_register(repo / PREFIX, edited_baseline({"advisories/ssa-1.yaml": ADVISORY}))
    base = ("check", "--register", str(root), "--as-of", AS_OF)
    [finding] = [f for f in cli(*base, "-f", "json").json["findings"] if f["rule"] == "FW-002"]
    kev = "known exploited (CISA KEV, due 2024-06-22)"
    assert finding["message"] == f"{kev}: firmware 4.5.2 is affected by open advisory ssa-1"
    sarif = cli(*base, "-f", "sarif").stdout
    warm = cli(*base, "-f", "sarif").stdout  # the second check reads the device from the cache
    assert warm == sarif
    log = json.loads(sarif)
    assert_valid_sarif(log)
    [result] = [r for r in log["runs"][0]["results"] if r["ruleId"] == "FW-002"]
    assert result["message"]["text"] == (
        f"{kev}, CVSS 9.8: plc-01: firmware 4.5.2 is affected by open advisory ssa-1"
    )
    assert result["properties"] == {
        "subject": "plc-01",
        "tags": list(RULES["FW-002"].controls),
        "advisories": ["ssa-1"],
        "cvss": 9.8,
        "knownExploited": True,
        "kevDueDate": "2024-06-22",
    }
    [rule] = [r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "FW-002"]
    assert 7.0 <= float(rule["properties"]["security-severity"]) <= 8.9  # GitHub's "high"
    assert rule["properties"]["precision"] == "high"

    plain = {key: value for key, value in ADVISORY.items() if key != "known_exploited"}
    plain["cvss"] = 5.3
    root2 = write_register(repo / "other", edited_baseline({"advisories/ssa-1.yaml": plain}))
    log2 = cli("check", "--register", str(root2), "--as-of", AS_OF, "-f", "sarif").json
    [result2] = [r for r in log2["runs"][0]["results"] if r["ruleId"] == "FW-002"]
    assert result2["message"]["text"].startswith("CVSS 5.3: plc-01: firmware 4.5.2")
    assert result2["properties"]["knownExploited"] is False
    assert "kevDueDate" not in result2["properties"]


def test_each_register_of_a_repository_is_its_own_category(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    git_init(repo)
    ids = []
    for where in ("site-a/register", "site-b/register"):
        root = write_register(repo / where, edited_baseline(MIXED))
        log = cli("check", "--register", str(root), "--as-of", AS_OF, "-f", "sarif").json
        ids.append(log["runs"][0]["automationDetails"]["id"])
    assert ids == ["iotpolicy/site-a/register/", "iotpolicy/site-b/register/"]
    top = tmp_path / "top"
    git_init(top)
    write_register(top, edited_baseline(MIXED))
    log = cli("check", "--register", str(top), "--as-of", AS_OF, "-f", "sarif").json
    assert log["runs"][0]["automationDetails"] == {"id": "iotpolicy/"}


def test_the_workflows_leave_the_category_to_the_sarif_file() -> None:
    """upload-sarif's ``category`` would override the register's category only where the SARIF
    has none; the workflows give none, so two registers keep their alerts apart."""
    root = REPO
    for path in (
        root / "docs/ci/github-actions.yml",
        root / "templates/init/github-workflow.yml.j2",
    ):
        assert "category:" not in path.read_text(encoding="utf-8"), path

"""Per-device triage of advisories, driven through the CLI: candidates written by the importer and
by every device write, decisions recorded by ``advisories triage``, re-matching with ``advisories
match``, known-exploited CVEs from CISA's catalog with ``advisories kev``, and what FW-002 and
FW-003 then report."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from iotpolicy.domain.affected import split_part_numbers
from iotpolicy.importers.kev import KevError, parse_kev
from iotpolicy.yamlio.load import parse_text
from tests.conftest import Run, edited_baseline
from tests.support.gitrepo import GitRepo
from tests.support.paths import DATA, SHARED

CLI = Callable[..., Run]
AS_OF = "2026-11-25"
KEV_DATA = DATA / "kev"
SHARED_KEV = SHARED / "data" / "kev" / "known_exploited_vulnerabilities.json"
SIMILAR = """\
# Received from Siemens ProductCERT by e-mail.
id: ssa-1
vendor: siemens
kind: vulnerability
title: Denial of service in S7-1200 CPUs
received_on: 2026-10-01
affects:
  - model: SIMATIC S7-1200 CPU 1214C
    versions: "<4.6"
status: open
revision: "1.0"
triage:
  - device: plc-01
    status: candidate
    note: similar name
"""


def _findings(cli: CLI, root: Path, *rules: str) -> list[tuple[str, str, str, int, str]]:
    args = ["check", "--register", str(root), "--as-of", AS_OF, "--format", "json"]
    for rule in rules:
        args += ["--rule", rule]
    run = cli(*args)
    assert run.exit_code in (0, 1), run.stderr
    return [
        (f["rule"], f["subject"], f["file"], f["line"], f["message"]) for f in run.json["findings"]
    ]


def _advisory(root: Path, name: str = "ssa-1") -> Any:
    """The advisory as plain data, read as YAML 1.2 (``on`` is a key, not a boolean)."""
    return json.loads(
        json.dumps(parse_text((root / "advisories" / f"{name}.yaml").read_text("utf-8")).data)
    )


def test_a_decision_replaces_the_candidate_and_settles_fw_003(
    cli: CLI, make_register: Callable[..., Path]
) -> None:
    root = make_register({"advisories/ssa-1.yaml": SIMILAR})
    before = _findings(cli, root, "FW-002", "FW-003")
    assert [(r, s, f, line) for r, s, f, line, _ in before] == [
        ("FW-003", "plc-01", "advisories/ssa-1.yaml", 13)
    ]
    run = cli(
        "advisories", "triage", "ssa-1", "plc-01", "not-affected",
        "--justification", "vulnerable_code_not_in_execute_path",
        "--note", "Web server disabled", "--by", "ole-hansen", "--on", "2026-11-20",
        "--register", str(root), "--no-interactive",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert (
        "Triage plc-01 in advisory ssa-1: not-affected (vulnerable_code_not_in_execute_path): "
        "advisories/ssa-1.yaml written." in run.stdout
    )
    text = (root / "advisories" / "ssa-1.yaml").read_text("utf-8")
    assert text.startswith("# Received from Siemens ProductCERT by e-mail.\n")
    assert _advisory(root)["triage"] == [
        {
            "device": "plc-01",
            "status": "not-affected",
            "justification": "vulnerable_code_not_in_execute_path",
            "note": "Web server disabled",
            "by": "ole-hansen",
            "on": "2026-11-20",
            "for_version": "4.5.2",
            "for_revision": "1.0",
        }
    ]
    assert _findings(cli, root, "FW-002", "FW-003") == []


def test_a_decision_lapses_when_the_firmware_changes(
    cli: CLI, make_register: Callable[..., Path]
) -> None:
    advisory = SIMILAR.replace("model: SIMATIC S7-1200 CPU 1214C", "model: SIMATIC S7-1200")
    root = make_register({"advisories/ssa-1.yaml": advisory})
    assert sorted(f[0] for f in _findings(cli, root, "FW-002", "FW-003")) == ["FW-002", "FW-003"]
    decided = cli(
        "advisories", "triage", "ssa-1", "plc-01", "not-affected",
        "--justification", "component_not_present", "--by", "ole-hansen",
        "--register", str(root), "--no-interactive",
    )  # fmt: skip
    assert decided.exit_code == 0, decided.stderr
    assert _findings(cli, root, "FW-002", "FW-003") == []
    # the same firmware written differently is the same version: the decision holds
    path = root / "devices" / "plc-01.yaml"
    path.write_text(path.read_text("utf-8").replace("version: 4.5.2", "version: V4.5.2"), "utf-8")
    assert _findings(cli, root, "FW-002", "FW-003") == []
    path.write_text(path.read_text("utf-8").replace("version: V4.5.2", "version: 4.5.1"), "utf-8")
    found = sorted(_findings(cli, root, "FW-002", "FW-003"))
    assert [(r, s) for r, s, *_ in found] == [("FW-002", "plc-01"), ("FW-003", "plc-01")]
    assert "made for firmware 4.5.2 (now 4.5.1)" in found[1][4]


def test_an_incomplete_decision_decides_nothing(
    cli: CLI, make_register: Callable[..., Path]
) -> None:
    advisory = SIMILAR.replace("model: SIMATIC S7-1200 CPU 1214C", "model: SIMATIC S7-1200")
    advisory = advisory.replace("status: candidate\n    note: similar name", "status: not-affected")
    root = make_register({"advisories/ssa-1.yaml": advisory})
    found = _findings(cli, root, "REG-001", "FW-002", "FW-003")
    assert sorted((r, s, f, line) for r, s, f, line, _ in found) == [
        ("FW-002", "plc-01", "devices/plc-01.yaml", 36),
        ("FW-003", "plc-01", "advisories/ssa-1.yaml", 13),
        ("REG-001", "ssa-1", "advisories/ssa-1.yaml", 13),
        ("REG-001", "ssa-1", "advisories/ssa-1.yaml", 13),
    ]
    messages = " | ".join(m for *_, m in found)
    assert "triage.0.justification: required for a not-affected decision" in messages
    assert "incomplete not-affected decision (no justification or by)" in messages


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (("ssa-1", "plc-01", "not-affected", "--by", "ole-hansen"), 2, "missing --justification"),
        (
            ("ssa-1", "plc-01", "affected", "--by", "ole-hansen", "--justification",
             "component_not_present"),
            2,
            "explains not-affected only",
        ),
        (("ssa-9", "plc-01", "affected", "--by", "ole-hansen"), 2, "no advisory 'ssa-9'"),
        (("ssa-1", "plc-99", "affected", "--by", "ole-hansen"), 2, "no device 'plc-99'"),
        (("ssa-1", "plc-01", "affected", "--by", "nobody"), 1, "nobody"),
        (("ssa-1", "plc-01", "affected"), 2, "missing --by"),
        (("ssa-1", "plc-01", "fixed", "--by", "ole-hansen"), 2, "fixed"),
    ],
)  # fmt: skip
def test_triage_refusals_write_nothing(
    cli: CLI, make_register: Callable[..., Path], args: tuple[str, ...], code: int, text: str
) -> None:
    root = make_register({"advisories/ssa-1.yaml": SIMILAR})
    run = cli("advisories", "triage", *args, "--register", str(root), "--no-interactive")
    assert run.exit_code == code, (run.stdout, run.stderr)
    assert text in run.stderr and "Traceback" not in run.stderr
    assert (root / "advisories" / "ssa-1.yaml").read_text("utf-8") == SIMILAR


def test_add_device_records_a_candidate_in_open_advisories(
    cli: CLI, make_register: Callable[..., Path]
) -> None:
    advisory = SIMILAR.replace("triage:\n  - device: plc-01\n    status: candidate\n", "")
    advisory = advisory.replace("    note: similar name\n", "")
    root = make_register({"advisories/ssa-1.yaml": advisory})
    run = cli(
        "add-device", "--id", "plc-02", "--name", "Line 2 PLC", "--category", "ot", "--type",
        "plc", "--vendor", "siemens", "--model", "SIMATIC S7-1200 CPU 1214", "--status",
        "planned", "--firmware-version", "4.5.0", "--register", str(root), "--no-interactive",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert "Record triage candidate plc-02 in ssa-1: advisories/ssa-1.yaml written." in run.stdout
    text = (root / "advisories" / "ssa-1.yaml").read_text("utf-8")
    assert text.startswith("# Received from Siemens ProductCERT by e-mail.\n")
    assert _advisory(root)["triage"] == [
        {
            "device": "plc-02",
            "status": "candidate",
            "note": "possible match: model 'SIMATIC S7-1200 CPU 1214' is 98% similar to "
            "'SIMATIC S7-1200 CPU 1214C' <4.6",
        }
    ]
    # a firmware outside the range is no possible match: the candidate goes again
    change = cli(
        "record-change", "plc-02", "--kind", "configuration", "--summary", "Update",
        "--firmware-version", "4.6.0", "--register", str(root), "--no-interactive",
    )  # fmt: skip
    assert change.exit_code == 0, change.stderr
    assert "Drop the candidate plc-02 in ssa-1" in change.stdout
    assert "triage" not in _advisory(root)


def test_add_device_commits_the_device_and_the_advisory(cli: CLI, tmp_path: Path) -> None:
    advisory = SIMILAR.replace("triage:\n  - device: plc-01\n    status: candidate\n", "")
    advisory = advisory.replace("    note: similar name\n", "")
    repo = GitRepo(tmp_path / "repo")
    repo.git("config", "user.name", "Ole Hansen")
    repo.git("config", "user.email", "ole.hansen@example.com")
    repo.commit("Register", "2026-11-01T09:00:00+00:00", edited_baseline({}))
    repo.commit("Advisory", "2026-11-02T09:00:00+00:00", {"advisories/ssa-1.yaml": advisory})
    run = cli(
        "add-device", "--id", "plc-02", "--name", "Line 2 PLC", "--category", "ot", "--type",
        "plc", "--vendor", "siemens", "--model", "SIMATIC S7-1200 CPU 1214", "--firmware-version",
        "4.5.0", "--register", str(repo.register), "--no-interactive", "--commit",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    shown = repo.git("show", "--name-only", "--format=%s%n%b", "HEAD")
    assert shown.splitlines()[:3] == [
        "Add device plc-02",
        "- Add device plc-02",
        "- Record triage candidate plc-02 in ssa-1",
    ]
    assert "register/devices/plc-02.yaml" in shown and "register/advisories/ssa-1.yaml" in shown
    assert not repo.git("status", "--porcelain", "--", "register/devices", "register/advisories")


def test_advisories_match_adds_and_drops_candidates(
    cli: CLI, make_register: Callable[..., Path]
) -> None:
    advisory = SIMILAR.replace("device: plc-01", "device: gone-01")
    root = make_register({"advisories/ssa-1.yaml": advisory})
    dry = cli("advisories", "match", "--dry-run", "--register", str(root))
    assert dry.exit_code == 0, dry.stderr
    assert "would Record triage candidate plc-01 and drop the candidate gone-01 in ssa-1" in (
        dry.stdout
    )
    assert (root / "advisories" / "ssa-1.yaml").read_text("utf-8") == advisory
    run = cli("advisories", "match", "--register", str(root))
    assert run.exit_code == 0, run.stderr
    assert [e["device"] for e in _advisory(root)["triage"]] == ["plc-01"]
    again = cli("advisories", "match", "--register", str(root))
    assert "nothing to change" in again.stdout


def test_import_kev_and_check_names_known_exploited_first(
    cli: CLI, make_register: Callable[..., Path]
) -> None:
    vendor = {
        "id": "sensormatic",
        "name": "Sensormatic Electronics, LLC, Johnson Controls Inc.",
        "security_contact": "psirt@example.com",
    }
    root = make_register(
        {
            "vendors/sensormatic.yaml": vendor,
            "devices/cam-01.yaml": {"vendor": "sensormatic", "model": "VideoEdge"},
        }
    )
    source = KEV_DATA / "icsa-21-306-01.json"
    imported = cli(
        "advisories", "import", str(source), "--register", str(root), "--received-on", "2026-11-20"
    )
    assert imported.exit_code == 0, imported.stderr
    assert (
        "  matches cam-01 (VideoEdge, firmware 11.2.5): VideoEdge <5.7.1 by name and version; "
        "not affected" in imported.stdout.splitlines()
    )
    path = root / "devices" / "cam-01.yaml"
    path.write_text(path.read_text("utf-8").replace("11.2.5", "5.6.0"), "utf-8")
    run = cli("advisories", "kev", str(KEV_DATA / "kev-extract.json"), "--register", str(root))
    assert run.exit_code == 0, run.stderr
    assert "CISA KEV catalog 2025.08.25: 3 CVEs." in run.stdout
    assert "advisories/icsa-21-306-01.yaml: known exploited CVE-2020-11023 (due 2025-02-13)" in (
        run.stdout
    )
    record = _advisory(root, "icsa-21-306-01")
    assert record["known_exploited"] == [
        {
            "cve": "CVE-2020-11023",
            "date_added": "2025-01-23",
            "due_date": "2025-02-13",
            "ransomware": "unknown",
        }
    ]
    fw = _findings(cli, root, "FW-002")
    assert [m for *_, m in fw] == [
        "known exploited (CISA KEV, due 2025-02-13): firmware 5.6.0 is affected by open advisory "
        "icsa-21-306-01"
    ]
    again = cli("advisories", "kev", str(KEV_DATA / "kev-extract.json"), "--register", str(root))
    assert "No advisory changed." in again.stdout


@pytest.mark.skipif(not SHARED_KEV.exists(), reason="the shared data is beside the checkout only")
def test_the_whole_real_catalog_reads() -> None:
    catalog = parse_kev(SHARED_KEV.read_bytes(), SHARED_KEV.name)
    raw = json.loads(SHARED_KEV.read_text("utf-8"))
    assert catalog.version == raw["catalogVersion"]
    assert len(catalog.entries) == raw["count"] == len(raw["vulnerabilities"])
    log4shell = catalog.entries["CVE-2021-44228"]
    assert (str(log4shell.due_date), log4shell.ransomware) == ("2021-12-24", "known")


@pytest.mark.parametrize(
    "content", [b"", b"not json", b"[]", b'{"vulnerabilities": 3}', b"\xff\xfe"]
)
def test_a_file_that_is_not_the_catalog_is_one_line(
    cli: CLI, make_register: Callable[..., Path], tmp_path: Path, content: bytes
) -> None:
    with pytest.raises(KevError, match="not CISA's KEV catalog"):
        parse_kev(content, "x.json")
    root = make_register()
    bad = tmp_path / "x.json"
    bad.write_bytes(content)
    run = cli("advisories", "kev", str(bad), "--register", str(root))
    assert run.exit_code == 2
    assert run.stderr.strip().splitlines() == [
        next(line for line in run.stderr.splitlines() if "not CISA's KEV catalog" in line)
    ]


@pytest.mark.parametrize(
    ("name", "model", "parts"),
    [
        (
            "SIMATIC Cloud Connect 7 CC712 (6GK1411-1AC00)",
            "SIMATIC Cloud Connect 7 CC712",
            ("6GK1411-1AC00",),
        ),
        (
            "SIMATIC S7-1500 CPU 1518-4 PN/DP MFP (MLFB: 6ES7518-4AX00-1AC0, "
            "6AG1518-4AX00-4AC0, incl. SIPLUS variant)",
            "SIMATIC S7-1500 CPU 1518-4 PN/DP MFP",
            ("6ES7518-4AX00-1AC0", "6AG1518-4AX00-4AC0"),
        ),
        ("Do-more Designer Software (Part Number DM-PGMSW)", "Do-more Designer Software",
         ("DM-PGMSW",)),
        ("SCALANCE X307-2 EEC (24V, coated)", "SCALANCE X307-2 EEC (24V, coated)", ()),
        ("SIPROTEC 5 7SL82 (CP100)", "SIPROTEC 5 7SL82 (CP100)", ()),
        ("SINAMICS S120 (incl. SIPLUS variants)", "SINAMICS S120 (incl. SIPLUS variants)", ()),
        ("SIMATIC S7-1200", "SIMATIC S7-1200", ()),
    ],
)  # fmt: skip
def test_trailing_order_numbers(name: str, model: str, parts: tuple[str, ...]) -> None:
    assert split_part_numbers(name) == (model, parts)


@pytest.mark.usefixtures("outside_ci")
def test_a_warm_check_sees_a_decision_lapse(cli: CLI, make_register: Callable[..., Path]) -> None:
    """FW-003 compares the triage with every device's firmware, read or cached."""
    advisory = SIMILAR.replace(
        "status: candidate\n    note: similar name",
        "status: not-affected\n    justification: component_not_present\n    by: ole-hansen\n"
        '    for_version: "4.5.2"',
    )
    root = make_register({"advisories/ssa-1.yaml": advisory})
    assert _findings(cli, root, "FW-003") == []
    cold = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "json")
    assert (root / ".iotpolicy-cache" / "check.json").exists()
    path = root / "devices" / "cam-01.yaml"  # an unrelated device changes: plc-01 stays cached
    path.write_text(path.read_text("utf-8") + "# checked\n", "utf-8")
    assert cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "json").stdout == (
        cold.stdout
    )
    plc = root / "devices" / "plc-01.yaml"
    plc.write_text(plc.read_text("utf-8").replace("version: 4.5.2", "version: 4.5.3"), "utf-8")
    warm = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "json")
    fresh = cli(
        "check", "--register", str(root), "--as-of", AS_OF, "--format", "json", "--no-cache"
    )
    assert warm.stdout == fresh.stdout
    assert [f["rule"] for f in warm.json["findings"] if f["rule"].startswith("FW")] == ["FW-003"]


def test_import_devices_records_candidates(
    cli: CLI, make_register: Callable[..., Path], tmp_path: Path
) -> None:
    advisory = SIMILAR.replace("triage:\n  - device: plc-01\n    status: candidate\n", "")
    advisory = advisory.replace("    note: similar name\n", "")
    root = make_register({"advisories/ssa-1.yaml": advisory})
    sheet = tmp_path / "devices.csv"
    sheet.write_text(
        "id,name,category,type,status,vendor,model,firmware version,order number\n"
        "plc-07,Line 7 PLC,ot,plc,planned,siemens,SIMATIC S7-1200 CPU 1214,4.5.0,"
        "6ES7214-1AG40-0XB0\n",
        "utf-8",
    )
    run = cli("import", "devices", str(sheet), "--register", str(root))
    assert run.exit_code == 0, run.stderr
    device = parse_text((root / "devices" / "plc-07.yaml").read_text("utf-8")).data
    assert device["part_number"] == "6ES7214-1AG40-0XB0"
    assert [(e["device"], e["status"]) for e in _advisory(root)["triage"]] == [
        ("plc-07", "candidate")
    ]

"""The real-world commands driven through the CLI on realistic files: spreadsheet import and
export, scan reconciliation, CSAF advisories; hostile inputs give one clear error each."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook, load_workbook

from tests.conftest import Run, write_register
from tests.support.gitrepo import GitRepo
from tests.support.realworld import CSAF, REALWORLD, field_files
from tests.unit.importers.test_nmap import BILLION_LAUGHS

CLI = Callable[..., Run]
SCAN = REALWORLD / "scan-2026-11-20.xml"


@pytest.fixture
def reg(tmp_path: Path) -> Path:
    """The real-world test register in a fresh folder."""
    return write_register(tmp_path / "register", field_files())


def _files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text("utf-8") for p in sorted(root.rglob("*.yaml"))
    }


def _clean(run: Run) -> None:
    assert "Traceback" not in run.stdout + run.stderr


def _one_error(run: Run, code: int, text: str) -> None:
    _clean(run)
    assert run.exit_code == code, (run.stdout, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("iotpolicy: ") and text in lines[0], lines


# --- import devices -------------------------------------------------------------------------------


def test_import_is_all_or_nothing(cli: CLI, reg: Path) -> None:
    before = _files(reg)
    run = cli("import", "devices", str(REALWORLD / "inventory.csv"), "--register", str(reg))
    _clean(run)
    assert run.exit_code == 1
    assert run.stderr.splitlines() == [
        "inventory.csv: row 5, column 'IP-Address': network.ip: must be an IPv4 or IPv6 address",
        "inventory.csv: row 6, column 'Commissioned': must be a date written YYYY-MM-DD",
        "inventory.csv: row 8, column 'Manufacturer': no vendor with id or name 'Janitza'; "
        "add it with iotpolicy add-vendor",
        "inventory.csv: row 9, column 'Status': status must be one of planned, active, retired "
        "or disposed",
        "iotpolicy: refused: 4 rows of inventory.csv not valid; nothing was written",
    ]
    assert _files(reg) == before


def test_dry_run_then_skip_invalid(cli: CLI, reg: Path) -> None:
    plc = reg / "devices" / "plc-01.yaml"
    plc.write_text("# Packaging line PLC, cabinet A.\n" + plc.read_text("utf-8"), "utf-8")
    before = _files(reg)
    args = ("import", "devices", str(REALWORLD / "inventory.csv"), "--register", str(reg))
    dry = cli(*args, "--skip-invalid", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "row 2: would update devices/plc-01.yaml: location.area",
        "row 3: would create devices/line-1-vision-sensor.yaml",
        "row 4: would create devices/cam-10.yaml",
        "Columns not imported: Cost centre (name them with --map)",
        "Dry run, nothing written: 2 created, 1 updated, 0 unchanged, 4 rows skipped.",
    ]
    assert _files(reg) == before
    run = cli(*args, "--skip-invalid")
    assert run.exit_code == 0, run.stderr
    assert len([line for line in run.stderr.splitlines() if line.startswith("skipped")]) == 4
    text = plc.read_text("utf-8")
    assert text.startswith("# Packaging line PLC, cabinet A.\n")  # comments kept
    assert before["devices/plc-01.yaml"].replace("area: Hall A\n", "area: Hall A, cabinet 3\n") == (
        text
    )
    camera = yaml.safe_load((reg / "devices" / "cam-10.yaml").read_text("utf-8"))
    assert camera["serial"] == "00123" and camera["firmware"] == {"version": "11.10"}
    assert camera["network"]["segment"] == "iot-cams" and camera["owner"] == "ole-hansen"
    assert (
        (reg / "devices" / "cam-10.yaml")
        .read_text("utf-8")
        .startswith("# yaml-language-server: $schema=../schemas/device.schema.json\n")
    )
    again = cli(*args, "--skip-invalid")
    assert "0 created, 0 updated, 3 unchanged, 4 rows skipped." in again.stdout
    check = cli("check", "--register", str(reg), "--format", "json", "--as-of", "2026-11-25")
    assert not [f for f in check.json["findings"] if f["rule"].startswith("REG")]


def test_import_xlsx_with_messy_headers(cli: CLI, reg: Path, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Asset register, line 1 (exported from the maintenance system)"])
    sheet.append(
        [
            "Tag",
            "Description",
            "Brand",
            "Model No",
            "S/N",
            "IPv4",
            "MAC address",
            "Plant",
            "Zone / segment",
            "State",
            "IT/OT",
            "Asset type",
            "Responsible",
            "FW version",
        ]
    )
    sheet.append(
        [
            "plc-10",
            "Line 1 press PLC",
            "Siemens AG",
            "SIMATIC S7-1500",
            "SZ0010",
            "10.20.1.60",
            "00:1b:1b:00:00:60",
            "main-plant",
            "ot-line1",
            "Planned",
            "OT",
            "PLC",
            "Ole Hansen",
            "V3.1",
        ]
    )
    sheet.append(
        [
            "plc-11",
            "Line 1 press PLC 2",
            "Siemens AG",
            "SIMATIC S7-1500",
            "SZ0011",
            "10.20.1.10",
            None,
            "main-plant",
            "ot-line1",
            "Planned",
            "OT",
            "PLC",
            "Ole Hansen",
            3.1,
        ]
    )
    sheet.append(
        [
            "plc-12",
            "Line 1 press PLC 3",
            "Siemens AG",
            "SIMATIC S7-1500",
            "SZ0012",
            "10.30.1.61",
            None,
            "main-plant",
            "ot-line1",
            "Planned",
            "OT",
            "PLC",
            "Nobody",
            None,
        ]
    )
    path = tmp_path / "assets.xlsx"
    workbook.save(path)
    args = (
        "import",
        "devices",
        str(path),
        "--register",
        str(reg),
        "--map",
        "Tag=id",
        "--map",
        "Zone / segment=network.segment",
        "--map",
        "Responsible=owner",
    )
    run = cli(*args)
    assert run.exit_code == 1
    assert run.stderr.splitlines() == [
        "assets.xlsx: row 4, column 'IPv4': 10.20.1.10 is already used by plc-01 "
        "(devices/plc-01.yaml)",
        "assets.xlsx: row 5, column 'Responsible': no person with id or name 'Nobody'; add it "
        "with iotpolicy add-person",
        "assets.xlsx: row 5, column 'IPv4': 10.30.1.61 is outside segment ot-line1 (10.20.1.0/24)",
        "iotpolicy: refused: 2 rows of assets.xlsx not valid; nothing was written",
    ]
    run = cli(*args, "--skip-invalid")
    assert run.exit_code == 0, run.stderr
    assert "row 3: created devices/plc-10.yaml" in run.stdout
    created = yaml.safe_load((reg / "devices" / "plc-10.yaml").read_text("utf-8"))
    assert created["firmware"]["version"] == "V3.1" and created["vendor"] == "siemens"
    assert created["category"] == "ot" and created["type"] == "plc"


def test_formula_cells_are_refused_and_never_exported_unescaped(
    cli: CLI, reg: Path, tmp_path: Path
) -> None:
    args = ("import", "devices", str(REALWORLD / "formulas.csv"), "--register", str(reg))
    run = cli(*args)
    _clean(run)
    assert run.exit_code == 1
    assert run.stderr.splitlines() == [
        "formulas.csv: row 2, column 'notes': starts with '=', which spreadsheet programs run "
        "as a formula; refused (to keep it as text, write it with a leading ')",
        "formulas.csv: row 3, column 'name': starts with '@', which spreadsheet programs run "
        "as a formula; refused (to keep it as text, write it with a leading ')",
        "formulas.csv: row 5, column 'notes': starts with '+', which spreadsheet programs run "
        "as a formula; refused (to keep it as text, write it with a leading ')",
        "iotpolicy: refused: 3 rows of formulas.csv not valid; nothing was written",
    ]
    assert cli(*args, "--skip-invalid").exit_code == 0
    stored = yaml.safe_load((reg / "devices" / "cam-22.yaml").read_text("utf-8"))
    assert stored["notes"] == "=literal text, escaped"  # the ' escape kept it literal
    # a hand-edited record whose name is a formula
    plc = reg / "devices" / "plc-01.yaml"
    plc.write_text(
        plc.read_text("utf-8").replace(
            "name: Line 1 packaging PLC", "name: \"=cmd|' /C calc'!A0\""
        ),
        "utf-8",
    )
    exported = cli("export", "devices", "--register", str(reg))
    assert exported.exit_code == 0, exported.stderr
    cells = [cell for row in csv.reader(io.StringIO(exported.stdout)) for cell in row]
    assert "'=cmd|' /C calc'!A0" in cells and "'=literal text, escaped" in cells
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells)
    out = tmp_path / "devices.xlsx"
    xlsx = cli("export", "devices", "--format", "xlsx", "-o", str(out), "--register", str(reg))
    assert xlsx.exit_code == 0, xlsx.stderr
    book = load_workbook(out)
    assert book.active is not None
    values = [c.value for row in book.active.iter_rows() for c in row]
    assert "'=cmd|' /C calc'!A0" in values
    assert not any(isinstance(v, str) and v[:1] in ("=", "+", "-", "@") for v in values)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_import_round_trip(cli: CLI, reg: Path, tmp_path: Path, fmt: str) -> None:
    before = _files(reg)
    out = tmp_path / f"devices.{fmt}"
    run = cli("export", "devices", "--format", fmt, "--output", str(out), "--register", str(reg))
    assert run.exit_code == 0, run.stderr
    assert run.stderr == "Exported 14 devices to " + str(out) + ".\n"
    back = cli("import", "devices", str(out), "--register", str(reg))
    assert back.exit_code == 0, back.stderr
    assert back.stdout.strip().endswith("0 created, 0 updated, 14 unchanged.")
    assert _files(reg) == before


def test_export_refuses_invalid_registers_and_secrets(cli: CLI, reg: Path) -> None:
    cam = reg / "devices" / "cam-01.yaml"
    original = cam.read_text("utf-8")
    cam.write_text(original + 'notes: "admin password: Winter2026!"\n', "utf-8")
    run = cli("export", "devices", "--register", str(reg))
    _one_error(run, 1, "devices/cam-01.yaml holds a credential (REG-004)")
    assert "Winter2026" not in run.stdout + run.stderr
    cam.write_text(original + "colour: red\n", "utf-8")
    _one_error(cli("export", "devices", "--register", str(reg)), 1, "devices/cam-01.yaml")
    _one_error(
        cli("export", "devices", "--format", "xlsx", "--register", str(reg)),
        2,
        "--format xlsx needs --output FILE",
    )


def test_import_without_a_status_column_plans_new_devices_and_says_so(
    cli: CLI, reg: Path, tmp_path: Path
) -> None:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(
        "id,name,category,type\ncam-30,Gate camera,iot,camera\ncam-31,Dock camera,iot,camera\n",
        "utf-8",
    )
    args = ("import", "devices", str(inventory), "--register", str(reg))
    dry = cli(*args, "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert (
        "No status given in rows 2, 3: the new devices would be planned, as with add-device.\n"
        in (dry.stdout)
    )
    run = cli(*args)
    assert run.exit_code == 0, run.stderr
    lines = [line for line in run.stdout.splitlines() if "status" in line]
    assert lines == [
        "No status given in rows 2, 3: the new devices are planned, as with add-device."
    ]
    for device in ("cam-30", "cam-31"):
        data = yaml.safe_load((reg / "devices" / f"{device}.yaml").read_text("utf-8"))
        assert data["status"] == "planned"
    again = cli(*args)  # the devices exist now: their status is theirs, nothing is said
    assert again.exit_code == 0, again.stderr
    assert "No status given" not in again.stdout


def test_import_never_writes_a_secret(cli: CLI, reg: Path, tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(
        "id,name,category,type,status,notes\n"
        "cam-30,Gate camera,iot,camera,planned,admin password: Winter2026!\n",
        "utf-8",
    )
    run = cli("import", "devices", str(inventory), "--register", str(reg))
    _clean(run)
    assert run.exit_code == 1 and "REG-004" in run.stderr
    assert "Winter2026" not in run.stdout + run.stderr
    assert not (reg / "devices" / "cam-30.yaml").exists()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "empty.csv: the file is empty"),
        (b"Serial,Model\nX,Y\n", "nameless.csv", "no column holds the device id or name"),
        (b"PK\x03\x04junk", "broken.xlsx", "broken.xlsx: not an XLSX workbook"),
        (b"id,name\n", "inventory.txt", "use .csv or .xlsx"),
    ],
)
def test_unusable_spreadsheets(
    cli: CLI, reg: Path, tmp_path: Path, content: bytes, name: str, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    _one_error(cli("import", "devices", str(path), "--register", str(reg)), 2, message)


# --- reconcile ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_reconcile_formats(cli: CLI, reg: Path, fmt: str) -> None:
    run = cli("reconcile", str(SCAN), "--format", fmt, "--register", str(reg))
    _clean(run)
    assert run.exit_code == 1
    if fmt == "json":
        assert run.json["summary"]["total"] == 15
        kinds = {i["kind"] for i in run.json["items"]}
        assert {"shadow-host", "mac-mismatch", "insecure-service", "not-seen"} <= kinds
    elif fmt == "markdown":
        assert run.stdout.startswith("# Network scan reconciliation")
    else:
        assert "gw-01: 23/tcp telnet is open (insecure: telnet; not declared either)" in run.stdout
        assert "10.20.1.11 is registered for plc-02 with MAC 00:1B:1B:12:34:57" in run.stdout


def test_reconcile_create_planned(cli: CLI, reg: Path) -> None:
    run = cli("reconcile", str(SCAN), "--create-planned", "--register", str(reg))
    assert run.exit_code == 1
    assert [line for line in run.stderr.splitlines() if line.startswith("Created")] == [
        "Created planned device stub devices/line1-sw.yaml: complete it.",
        "Created planned device stub devices/host-10-20-1-77.yaml: complete it.",
        "Created planned device stub devices/printer-temp.yaml: complete it.",
    ]
    stub = yaml.safe_load((reg / "devices" / "host-10-20-1-77.yaml").read_text("utf-8"))
    assert stub["status"] == "planned" and stub["vendor"] == "siemens"  # from the MAC vendor
    assert stub["network"] == {
        "segment": "ot-line1",
        "ip": "10.20.1.77",
        "mac": "00:1b:1b:77:77:77",
    }
    assert "21/tcp ftp" in stub["notes"]
    again = cli("reconcile", str(SCAN), "--format", "json", "--register", str(reg))
    assert again.json["summary"]["shadow-host"] == 0
    assert {i["device"] for i in again.json["items"] if i["kind"] == "inactive-seen"} >= {
        "line1-sw",
        "printer-temp",
    }


def test_reconcile_clean_scan_exits_0(cli: CLI, reg: Path, tmp_path: Path) -> None:
    scan = tmp_path / "scan.xml"
    scan.write_text(
        '<?xml version="1.0"?><!DOCTYPE nmaprun><nmaprun scanner="nmap" args="nmap 10.30.1.21">'
        '<host><status state="up"/><address addr="10.30.1.21" addrtype="ipv4"/>'
        '<ports><port protocol="tcp" portid="443"><state state="open"/>'
        '<service name="http" tunnel="ssl"/></port></ports></host></nmaprun>',
        "utf-8",
    )
    run = cli("reconcile", str(scan), "--register", str(reg))
    assert run.exit_code == 0, run.stdout
    assert "Nothing needs attention" in run.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (BILLION_LAUGHS, "refused: the XML declares a DTD or entities"),
        (b"<html><body>not a scan</body></html>", "not an nmap XML report"),
        (b"\x00\x01binary", "not an nmap XML report"),
    ],
)
def test_reconcile_hostile_scans(
    cli: CLI, reg: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    scan = tmp_path / "scan.xml"
    scan.write_bytes(content)
    _one_error(cli("reconcile", str(scan), "--register", str(reg)), 2, message)
    _one_error(
        cli("reconcile", str(tmp_path / "none.xml"), "--register", str(reg)), 2, "no such file"
    )


# --- advisories -----------------------------------------------------------------------------------


def _advisory(reg: Path, record_id: str) -> Any:
    return yaml.safe_load((reg / "advisories" / f"{record_id}.yaml").read_text("utf-8"))


def test_advisories_import_feeds_fw_002(cli: CLI, reg: Path) -> None:
    files = sorted(str(p) for p in CSAF.glob("*.json"))
    run = cli("advisories", "import", *files, "--register", str(reg), "--received-on", "2026-11-21")
    assert run.exit_code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert (
        "advisories/icsa-24-289-02.yaml: created: Schneider Electric Data Center Expert "
        "(2 CVEs, 1 affects entry)" in lines
    )
    assert (
        "  matches plc-02 (6ES7215-1AG40-0XB0, firmware V4.5.0): SIMATIC S7-1200 CPU 1215C "
        "DC/DC/DC <4.6.1 by model number; affected" in lines
    )
    assert (
        "  matches gw-02 (MGate MB3170, firmware 4.4): MGate MB3170 Series <V4.5 by CPE; affected"
        in lines
    )
    assert any(line.startswith("  candidate gw-03 (MGate 5103-T") for line in lines)
    assert _advisory(reg, "mpsa-249901")["triage"] == [
        {
            "device": "gw-03",
            "status": "candidate",
            "note": "possible match: model 'MGate 5103-T' is 91% similar to 'MGate 5103' "
            ">=2.0,<2.3",
        }
    ]
    record = _advisory(reg, "icsa-24-289-02")
    assert record == {
        "id": "icsa-24-289-02",
        "vendor": "schneider-electric",
        "kind": "vulnerability",
        "title": "Schneider Electric Data Center Expert",
        "published_on": date(2024, 10, 8),
        "received_on": date(2026, 11, 21),
        "affects": [{"model": "Data Center Expert", "versions": "<=8.1.1.3"}],
        "status": "open",
        "cves": ["CVE-2024-8530", "CVE-2024-8531"],
        "cvss": 7.2,
        "reference": "https://www.cisa.gov/news-events/ics-advisories/icsa-24-289-02",
        "revision": "1.0.0",
        "revised_on": date(2024, 10, 8),
    }
    check = cli("check", "--register", str(reg), "--format", "json", "--as-of", "2026-11-25")
    fw = sorted(
        (f["subject"], f["message"]) for f in check.json["findings"] if f["rule"] == "FW-002"
    )
    assert fw == [
        ("dce-01", "firmware 8.1.1.2 is affected by open advisory icsa-24-289-02"),
        ("gw-01", "firmware 2.2 is affected by open advisory mpsa-249901"),
        ("gw-02", "firmware 4.4 is affected by open advisory mpsa-249901"),
        ("nport-01", "firmware 3.9 is affected by open advisory mpsa-249901"),
        ("plc-02", "firmware V4.5.0 is affected by open advisory ssa-979901"),
    ]  # never gw-03 (fuzzy) nor plc-03 (firmware 4.6.1)
    assert not [f for f in check.json["findings"] if f["rule"].startswith("REG")]


def test_newer_revision_updates_the_record(cli: CLI, reg: Path, tmp_path: Path) -> None:
    document = json.loads((CSAF / "ssa-979901.json").read_text("utf-8"))
    tracking = document["document"]["tracking"]
    tracking.update(version="1", current_release_date="2025-02-11T00:00:00Z")
    tracking["revision_history"] = tracking["revision_history"][:1]
    del document["product_tree"]["branches"][0]["branches"][0]["branches"][2]  # no SIPLUS yet
    document["vulnerabilities"][0]["product_status"]["known_affected"] = ["1", "2"]
    first = tmp_path / "ssa-979901-r1.json"
    first.write_text(json.dumps(document), "utf-8")
    assert cli("advisories", "import", str(first), "--register", str(reg)).exit_code == 0
    assert _advisory(reg, "ssa-979901")["revision"] == "1"
    path = reg / "advisories" / "ssa-979901.yaml"
    path.write_text(path.read_text("utf-8") + "# Checked with Fjord Automation on site.\n", "utf-8")
    triage = cli(
        "advisories",
        "set-status",
        "ssa-979901",
        "mitigated",
        "--note",
        "plc-02 behind the OT jump host; update in the spring shutdown",
        "--register",
        str(reg),
    )
    assert triage.exit_code == 0, triage.stderr
    run = cli("advisories", "import", str(CSAF / "ssa-979901.json"), "--register", str(reg))
    assert run.exit_code == 0, run.stderr
    assert run.stdout.startswith(
        "advisories/ssa-979901.yaml: updated to revision 2 (status stays mitigated: review it)"
    )
    record = _advisory(reg, "ssa-979901")
    assert record["revision"] == "2" and str(record["revised_on"]) == "2025-03-11"
    assert {
        "model": "SIPLUS S7-1200 CPU 1215C DC/DC/DC",
        "part_number": "6AG1215-1AG40-2XB0",
        "versions": "*",
    } in record["affects"]
    assert record["status"] == "mitigated" and record["note"].startswith("plc-02 behind")
    assert path.read_text("utf-8").endswith("# Checked with Fjord Automation on site.\n")
    older = cli("advisories", "import", str(first), "--register", str(reg))
    assert older.stdout.startswith("advisories/ssa-979901.yaml: unchanged: revision 2 is recorded")
    assert _advisory(reg, "ssa-979901")["revision"] == "2"


def test_advisories_list_and_set_status_with_commit(cli: CLI, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("Register", "2026-11-01T09:00:00+00:00", field_files())
    env = repo.env("2026-11-25T10:00:00+00:00", "Ole Hansen", "ole.hansen@example.com")
    root = str(repo.register)
    run = cli(
        "advisories",
        "import",
        str(CSAF / "mpsa-249901.json"),
        "--commit",
        "--register",
        root,
        env=env,
    )
    assert run.exit_code == 0, run.stderr
    assert "Committed" in run.stdout
    listed = cli("advisories", "list", "--register", root)
    assert listed.stdout.splitlines()[:2] == [
        "mpsa-249901  open  vulnerability  moxa  MGate 5103 and MGate MB3170 Series web console "
        "vulnerabilities",
        "  affects: gw-01, gw-02, nport-01",
    ]
    run = cli(
        "advisories",
        "set-status",
        "mpsa-249901",
        "not-applicable",
        "--note",
        "Web consoles disabled on every gateway (hardening 2026-11)",
        "--commit",
        "--register",
        root,
        env=env,
    )
    assert run.exit_code == 0, run.stderr
    log = repo.git("log", "--format=%s", "-n", "2")
    assert log.splitlines() == [
        "Set advisory mpsa-249901 not-applicable",
        "Import advisories from mpsa-249901.json",
    ]
    document = cli("advisories", "list", "--format", "json", "--register", root).json
    assert document[0]["status"] == "not-applicable"
    assert document[0]["affected_devices"] == ["gw-01", "gw-02", "nport-01"]
    assert document[0]["note"] == "Web consoles disabled on every gateway (hardening 2026-11)"


def test_advisory_errors(cli: CLI, reg: Path, tmp_path: Path) -> None:
    sbom = tmp_path / "bom.json"
    sbom.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5"}), "utf-8")
    before = _files(reg)
    run = cli(
        "advisories", "import", str(CSAF / "mpsa-249901.json"), str(sbom), "--register", str(reg)
    )
    _one_error(run, 2, "bom.json: not a CSAF 2.0 document (no 'document' object at the top)")
    assert _files(reg) == before  # the good file was not written either
    (reg / "vendors" / "siemens.yaml").unlink()
    for device in ("plc-01", "plc-02", "plc-03", "plc-04"):
        (reg / "devices" / f"{device}.yaml").unlink()
    run = cli("advisories", "import", str(CSAF / "icsa-23-166-05.json"), "--register", str(reg))
    _one_error(run, 1, "ICSA-23-166-05: its vendor (Siemens) is not in the register")
    run = cli(
        "advisories",
        "import",
        str(CSAF / "icsa-23-166-05.json"),
        "--vendor",
        "nobody",
        "--register",
        str(reg),
    )
    _one_error(run, 2, "--vendor nobody: no such vendor in the register")
    _one_error(
        cli("advisories", "set-status", "nope", "mitigated", "--note", "x", "--register", str(reg)),
        2,
        "no advisory 'nope' in the register",
    )
    bad = cli("advisories", "set-status", "x", "fixed", "--note", "x", "--register", str(reg))
    assert bad.exit_code == 2


# --- --commit of import devices and reconcile --create-planned ------------------------------------

KARI = "Kari Nordmann <kari.nordmann@example.com>"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """The real-world register committed; the identity configured in the repository only (no
    identity in the environment, no user or system configuration)."""
    for name in list(os.environ):
        if name.startswith("GIT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    repo = GitRepo(tmp_path / "repo")
    repo.commit("Register", "2026-11-01T09:00:00+00:00", field_files())
    repo.git("config", "user.name", "Kari Nordmann")
    repo.git("config", "user.email", "kari.nordmann@example.com")
    repo.git("config", "core.hooksPath", os.devnull)
    repo.git("config", "commit.gpgsign", "false")
    return repo


def _head(repo: GitRepo) -> tuple[str, str, str, list[str]]:
    """HEAD's full message, author, committer and files."""
    shown = repo.git("show", "--name-only", "--format=%B%x00%an <%ae>%x00%cn <%ce>%x00", "HEAD")
    message, author, committer, files = shown.split("\0")
    return message.strip(), author, committer, sorted(files.split())


def _unrelated_changes(repo: GitRepo) -> str:
    """Leave changes in files no command here writes: one modified, one staged, one untracked;
    returns ``git status`` of them."""
    cam = repo.register / "devices" / "cam-01.yaml"
    cam.write_text(cam.read_text("utf-8") + "# to check on site\n", "utf-8")
    vendor = repo.register / "vendors" / "moxa.yaml"
    vendor.write_text(vendor.read_text("utf-8") + "# contract renewed\n", "utf-8")
    repo.git("add", "register/vendors/moxa.yaml")
    (repo.register / "notes.txt").write_text("walk-through notes\n", "utf-8")
    return repo.git("status", "--porcelain")


def test_import_commit_holds_exactly_the_written_files(cli: CLI, repo: GitRepo) -> None:
    base = repo.git("rev-parse", "HEAD").strip()
    status = _unrelated_changes(repo)
    assert status.splitlines() == [
        " M register/devices/cam-01.yaml",
        "M  register/vendors/moxa.yaml",
        "?? register/notes.txt",
    ]
    args = ("import", "devices", str(REALWORLD / "inventory.csv"), "--skip-invalid",
            "--register", str(repo.register))  # fmt: skip
    run = cli(*args, "--commit")
    assert run.exit_code == 0, run.stderr
    short = repo.git("rev-parse", "--short", "HEAD").strip()
    assert f"Committed {short}." in run.stdout.splitlines()
    assert repo.git("rev-parse", "HEAD~1").strip() == base  # one new commit
    message, author, committer, files = _head(repo)
    assert message.splitlines() == [
        "Import devices from inventory.csv",
        "",
        "- Update device plc-01 from inventory.csv",
        "- Add device line-1-vision-sensor",
        "- Add device cam-10",
    ]
    assert (author, committer) == (KARI, KARI)
    assert files == [
        "register/devices/cam-10.yaml",
        "register/devices/line-1-vision-sensor.yaml",
        "register/devices/plc-01.yaml",
    ]
    for path in files:  # committed as written
        assert repo.git("show", f"HEAD:{path}") == (repo.top / path).read_text("utf-8")
    assert "area: Hall A, cabinet 3" in repo.git("show", "HEAD:register/devices/plc-01.yaml")
    # the unrelated changes are where they were: not committed, the staged one still staged
    assert repo.git("status", "--porcelain", "--", ".", ":!*.iotpolicy.lock") == status
    # nothing to change: no commit
    again = cli(*args, "--commit")
    assert again.exit_code == 0, again.stderr
    assert "0 created, 0 updated, 3 unchanged" in again.stdout
    assert "Committed" not in again.stdout
    assert repo.git("rev-parse", "HEAD~1").strip() == base


def test_import_commit_refuses_a_file_with_uncommitted_changes(cli: CLI, repo: GitRepo) -> None:
    base = repo.git("rev-parse", "HEAD").strip()
    plc = repo.register / "devices" / "plc-01.yaml"
    plc.write_text("# Cabinet A, left.\n" + plc.read_text("utf-8"), "utf-8")  # not committed
    before = _files(repo.register)
    run = cli("import", "devices", str(REALWORLD / "inventory.csv"), "--skip-invalid",
              "--commit", "--register", str(repo.register))  # fmt: skip
    _clean(run)
    assert run.exit_code == 1
    assert run.stderr.splitlines()[-1] == (
        "iotpolicy: --commit refused: register/devices/plc-01.yaml already has uncommitted "
        "changes this command did not make; commit or stash them first, or leave out --commit "
        "(nothing was written)"
    )
    assert _files(repo.register) == before  # plc-01 not updated, cam-10 and the sensor not created
    assert repo.git("rev-parse", "HEAD").strip() == base
    assert repo.git("status", "--porcelain", "--", ".", ":!*.iotpolicy.lock").splitlines() == [
        " M register/devices/plc-01.yaml"
    ]


def test_reconcile_create_planned_commit_holds_exactly_the_stubs(cli: CLI, repo: GitRepo) -> None:
    base = repo.git("rev-parse", "HEAD").strip()
    status = _unrelated_changes(repo)
    run = cli("reconcile", str(SCAN), "--create-planned", "--commit",
              "--register", str(repo.register))  # fmt: skip
    assert run.exit_code == 1  # the scan still needs attention
    short = repo.git("rev-parse", "--short", "HEAD").strip()
    assert f"Committed {short}." in run.stderr.splitlines()
    assert repo.git("rev-parse", "HEAD~1").strip() == base
    message, author, committer, files = _head(repo)
    assert message.splitlines() == [
        "Add unknown hosts from scan-2026-11-20.xml",
        "",
        "- Add planned device line1-sw",
        "- Add planned device host-10-20-1-77",
        "- Add planned device printer-temp",
    ]
    assert (author, committer) == (KARI, KARI)
    assert files == [
        "register/devices/host-10-20-1-77.yaml",
        "register/devices/line1-sw.yaml",
        "register/devices/printer-temp.yaml",
    ]
    for path in files:
        committed = yaml.safe_load(repo.git("show", f"HEAD:{path}"))
        assert committed["status"] == "planned"
        assert committed == yaml.safe_load((repo.top / path).read_text("utf-8"))
    assert repo.git("status", "--porcelain", "--", ".", ":!*.iotpolicy.lock") == status


def test_reconcile_commit_refuses_a_stub_path_with_uncommitted_changes(
    cli: CLI, repo: GitRepo
) -> None:
    """devices/line1-sw.yaml was committed and is deleted in the work tree, not yet committed:
    the stub for the switch would be written there, so --commit refuses and writes no stub."""
    switch = copy.deepcopy(field_files()["devices/plc-01.yaml"])
    switch.update(id="line1-sw", name="Line 1 switch", status="retired")
    switch["network"] = {**switch["network"], "ip": "10.20.1.200", "mac": "00:1b:1b:00:02:00"}
    repo.commit(
        "Add the old switch", "2026-11-02T09:00:00+00:00", {"devices/line1-sw.yaml": switch}
    )
    base = repo.git("rev-parse", "HEAD").strip()
    (repo.register / "devices" / "line1-sw.yaml").unlink()
    before = _files(repo.register)
    run = cli("reconcile", str(SCAN), "--create-planned", "--commit",
              "--register", str(repo.register))  # fmt: skip
    _clean(run)
    assert run.exit_code == 1
    assert run.stderr.splitlines()[-1] == (
        "iotpolicy: --commit refused: register/devices/line1-sw.yaml already has uncommitted "
        "changes this command did not make; commit or stash them first, or leave out --commit "
        "(nothing was written)"
    )
    assert not [line for line in run.stderr.splitlines() if line.startswith("Created")]
    assert _files(repo.register) == before  # no stub written, the deletion left as it was
    assert repo.git("rev-parse", "HEAD").strip() == base
    assert repo.git("status", "--porcelain", "--", ".", ":!*.iotpolicy.lock").splitlines() == [
        " D register/devices/line1-sw.yaml"
    ]


def test_formulas_behind_invisible_characters_are_refused_and_escaped(
    cli: CLI, reg: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "hidden.csv"
    sheet.write_text(
        "id,name,category,type,status,notes\n"
        "cam-30,Camera,iot,camera,planned,\u00a0+cmd|' /C calc'!A0\n"
        "cam-31,\x0b@SUM(1),iot,camera,planned,x\n"
        "cam-32,Camera,iot,camera,planned,\u200b=1+1\n",
        encoding="utf-8",
    )
    run = cli("import", "devices", str(sheet), "--register", str(reg))
    _clean(run)
    assert run.exit_code == 1
    assert [line.split(": ", 2)[1] for line in run.stderr.splitlines()[:3]] == [
        "row 2, column 'notes'",
        "row 3, column 'name'",
        "row 4, column 'notes'",
    ]
    assert "iotpolicy: refused: 3 rows of hidden.csv not valid" in run.stderr
    plc = reg / "devices" / "plc-01.yaml"
    plc.write_text(
        plc.read_text("utf-8").replace("name: Line 1 packaging PLC", 'name: "\u00a0=1+1"'),
        "utf-8",
    )
    exported = cli("export", "devices", "--register", str(reg))
    assert exported.exit_code == 0, exported.stderr
    cells = [cell for row in csv.reader(io.StringIO(exported.stdout)) for cell in row]
    assert "'\u00a0=1+1" in cells

"""``record-change`` and ``retire`` through the CLI: the fields each change implies, the exact lines
that change in a commented file, the prompts and every refusal."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from iotpolicy.yamlio.load import parse_text
from tests.conftest import Run
from tests.support.paths import REPO

ROOT = REPO
Cli = Callable[..., Run]
TODAY = date.today().isoformat()

COMMISSIONING_FACTS = (
    "--access-approved-by", "anna-berg", "--access-approved-on", "2026-11-10",
    "--default-credentials-changed", "--credentials-changed-on", "2026-11-19",
    "--unused-services-disabled", "--remote-access", "jump-host",
    "--firmware-version", "4.6.0", "--integrity", "vendor-signature",
    "--verified-on", "2026-11-19", "--logging", "--log-destination", "syslog.mgmt",
    "--personal-data", "--no-personal-data", "--end-of-support", "2035-12-31",
    "--doc", "OT-DOC-040 Humidity sensor setup", "--site", "main-plant", "--owner", "ole-hansen",
    "--last-config-backup", "2026-11-19", "--segment", "ot-line1", "--ip", "10.20.1.50",
)  # fmt: skip
"""What the planned baseline sensor lacks to go live."""


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the commented example register."""
    return Path(shutil.copytree(ROOT / "register", tmp_path / "register"))


def diff(old: str, new: str) -> list[str]:
    """The changed lines, ``-``/``+`` prefixed, as ``git diff`` would show them."""
    return [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_firmware_update_on_a_commented_file_changes_exactly_its_lines(
    cli: Cli, example: Path
) -> None:
    path = example / "devices/plc-line1-01.yaml"
    before = path.read_text(encoding="utf-8")
    run = cli(
        "record-change", "plc-line1-01", "--register", str(example), "--kind", "firmware-update",
        "--firmware-version", "4.7.0", "--integrity", "sha256", "--by", "maria-lund",
        "--date", "2026-11-20", "--summary", "Update for SSA-123456.",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert run.stdout.splitlines()[0] == (
        "Record firmware-update on plc-line1-01 (4.6.1 -> 4.7.0): "
        "devices/plc-line1-01.yaml written."
    )
    after = path.read_text(encoding="utf-8")
    assert diff(before, after) == [
        '-  version: "4.6.1"',
        "-  updated_on: 2025-09-23",
        '+  version: "4.7.0"',
        "+  updated_on: 2026-11-20",
        "-    method: vendor-signature",
        "-    verified_on: 2025-09-23",
        "+    method: sha256",
        "+    verified_on: 2026-11-20",
        "+  - date: 2026-11-20",
        "+    kind: firmware-update",
        "+    summary: Update for SSA-123456.",
        "+    by: maria-lund",
        '+    from_version: "4.6.1"',
        '+    to_version: "4.7.0"',
    ]
    assert after.startswith("# CPU 1215C DC/DC/DC, 6ES7215-1AG40-0XB0.")


def test_a_deliberate_finding_comment_survives_an_edit_of_its_device(
    cli: Cli, example: Path
) -> None:
    path = example / "devices/plc-line2-01.yaml"
    before = path.read_text(encoding="utf-8")
    run = cli(
        "record-change",
        "plc-line2-01",
        "--register",
        str(example),
        "--kind",
        "configuration",
        "--summary",
        "Backup job fixed.",
        "--last-config-backup",
        "2026-11-24",
        "--date",
        "2026-11-24",
    )
    assert run.exit_code == 0, run.stderr
    changed = diff(before, path.read_text(encoding="utf-8"))
    assert changed[:2] == [
        "-  last_config_backup: 2026-07-14  # DELIBERATE FINDING (CFG-003): older than 90 days "
        "on 2026-11-25; the monthly backup job skips this PLC since the HMI update",
        "+  last_config_backup: 2026-11-24  # DELIBERATE FINDING (CFG-003): older than 90 days "
        "on 2026-11-25; the monthly backup job skips this PLC since the HMI update",
    ]
    assert changed[2:] == [
        "+  - date: 2026-11-24",
        "+    kind: configuration",
        "+    summary: Backup job fixed.",
    ]


def test_commissioning_is_refused_until_the_device_meets_every_active_rule(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    path = root / "devices/sensor-02.yaml"
    before = path.read_bytes()
    run = cli("record-change", "sensor-02", "--register", str(root), "--kind", "commissioning")
    assert run.exit_code == 1
    assert path.read_bytes() == before
    rules = {line.split(": ")[1] for line in run.stderr.splitlines()[:-1]}
    assert rules >= {"ACC-001", "ACC-002", "ACC-004", "CFG-001", "FW-001", "INV-001", "MON-001"}
    run = cli(
        "record-change",
        "sensor-02",
        "--register",
        str(root),
        "--kind",
        "commissioning",
        "--date",
        "2026-11-20",
        "--by",
        "ole-hansen",
        *COMMISSIONING_FACTS,
    )
    assert run.exit_code == 0, run.stderr
    data = parse_text(path.read_text(encoding="utf-8")).data
    assert data["status"] == "active" and data["commissioned_on"] == "2026-11-20"
    assert data["changes"] == [
        {"date": "2026-11-20", "kind": "commissioning", "by": "ole-hansen",
         "summary": "Commissioned; hardened, approved and put into service."}
    ]  # fmt: skip
    assert data["personal_data"] == {"processes": "false"}
    run = cli("record-change", "sensor-02", "--register", str(root), "--kind", "commissioning")
    assert run.exit_code == 1
    assert "sensor-02 is already active; only a planned device is commissioned" in run.stderr


def test_interactive_commissioning_asks_only_for_what_the_device_lacks(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register(
        {"devices/sensor-02.yaml": {"vendor": "siemens", "owner": "ole-hansen",
                                    "location": {"site": "main-plant", "area": "Hall A"}}}
    )  # fmt: skip
    run = cli(
        "record-change",
        "sensor-02",
        "--register",
        str(root),
        "--kind",
        "commissioning",
        "--interactive",
        input="\n" * 60,
    )
    assert "Owner (" not in run.stdout and "Site (" not in run.stdout
    assert "Vendor (" not in run.stdout
    assert "Network access approved by (a general manager) (anna-berg)" in run.stdout
    assert "Last configuration backup (YYYY-MM-DD)" in run.stdout  # an OT device
    assert "Done by (anna-berg, ole-hansen)" in run.stdout
    assert run.exit_code == 1  # every answer skipped


def test_relocation_checks_the_address_against_the_new_segment(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register(
        {"segments/ot-line2.yaml": {"id": "ot-line2", "name": "Line 2", "zone": "ot",
                                    "cidr": "10.20.2.0/24"}}
    )  # fmt: skip
    run = cli(
        "record-change",
        "plc-01",
        "--register",
        str(root),
        "--kind",
        "relocation",
        "--segment",
        "ot-line2",
    )
    assert run.exit_code == 1
    assert (
        "devices/plc-01.yaml:16: network.ip: 10.20.1.10 is outside segment ot-line2 "
        "(10.20.2.0/24); give its new address with --ip"
    ) in run.stderr
    before = (root / "devices/plc-01.yaml").read_text(encoding="utf-8")
    run = cli(
        "record-change",
        "plc-01",
        "--register",
        str(root),
        "--kind",
        "relocation",
        "--segment",
        "ot-line2",
        "--ip",
        "10.20.2.10",
        "--area",
        "Hall B",
        "--date",
        "2026-11-21",
    )
    assert run.exit_code == 0, run.stderr
    assert "Record relocation on plc-01 (ot-line1 -> ot-line2)" in run.stdout
    assert diff(before, (root / "devices/plc-01.yaml").read_text(encoding="utf-8")) == [
        "-  area: Hall A",
        "+  area: Hall B",
        "-  segment: ot-line1",
        "-  ip: 10.20.1.10",
        "+  segment: ot-line2",
        "+  ip: 10.20.2.10",
        "+- date: 2026-11-21",  # this file writes its lists at the margin: so does the edit
        "+  kind: relocation",
        "+  summary: Moved (area Hall B, segment ot-line2, ip 10.20.2.10).",
    ]


def test_relocation_needs_a_destination(cli: Cli, make_register: Callable[..., Path]) -> None:
    root = make_register()
    run = cli("record-change", "plc-01", "--register", str(root), "--kind", "relocation")
    assert run.exit_code == 2
    assert "a relocation needs where to" in run.stderr


def test_replacement_records_the_new_serial(cli: Cli, make_register: Callable[..., Path]) -> None:
    root = make_register()
    run = cli(
        "record-change",
        "plc-01",
        "--register",
        str(root),
        "--kind",
        "replacement",
        "--serial",
        "SZVB7654321",
        "--date",
        "2026-11-22",
        "--by",
        "ole-hansen",
    )
    assert run.exit_code == 0, run.stderr
    assert "Record replacement on plc-01 (serial SZVB1234567 -> SZVB7654321)" in run.stdout
    data = parse_text((root / "devices/plc-01.yaml").read_text(encoding="utf-8")).data
    assert data["serial"] == "SZVB7654321"
    assert data["changes"][-1] == {
        "date": "2026-11-22", "kind": "replacement", "by": "ole-hansen",
        "summary": "Hardware replaced; new serial SZVB7654321.", "serial": "SZVB7654321",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (("plc-01", "--kind", "configuration"), 2, "missing --summary"),
        (("plc-01", "--kind", "firmware-update"), 2, "missing --firmware-version"),
        (("plc-01", "--kind", "retirement"), 2, "'retirement' is not one of"),
        (("plc-99", "--kind", "configuration", "--summary", "x"), 2, "no device 'plc-99'"),
        (("../x", "--kind", "configuration", "--summary", "x"), 2, "no device '../x'"),
        (
            ("plc-01", "--kind", "configuration", "--summary", "x", "--by", "nobody"),
            1,
            "changes: 'nobody' is not a known person",
        ),
        (
            ("plc-01", "--kind", "configuration", "--summary", "root/toor"),
            2,
            "--summary: looks like a credential",
        ),
    ],
    ids=["no-summary", "no-version", "retirement", "unknown", "path", "unknown-by", "secret"],
)
def test_record_change_refusals(
    cli: Cli, make_register: Callable[..., Path], args: tuple[str, ...], code: int, expected: str
) -> None:
    root = make_register()
    before = (root / "devices/plc-01.yaml").read_bytes()
    run = cli("record-change", *args, "--register", str(root))
    assert run.exit_code == code
    assert expected in run.stderr
    assert (root / "devices/plc-01.yaml").read_bytes() == before
    assert "toor" not in run.stdout + run.stderr


def test_a_broken_file_is_reported_and_left_untouched(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    path = root / "devices/plc-01.yaml"
    broken = path.read_text(encoding="utf-8").replace("status: active", "status: activ")
    path.write_text(broken, encoding="utf-8")
    run = cli(
        "record-change",
        "plc-01",
        "--register",
        str(root),
        "--kind",
        "configuration",
        "--summary",
        "x",
    )
    assert run.exit_code == 1
    assert run.stderr.splitlines() == [
        "devices/plc-01.yaml:8: status: must be one of planned, active, retired or disposed "
        "(REG-001)",
        "iotpolicy: devices/plc-01.yaml is not valid; fix it first (nothing was written)",
    ]
    assert path.read_text(encoding="utf-8") == broken


def test_a_file_holding_a_credential_is_not_rewritten(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register({"devices/plc-01.yaml": {"notes": "Vendor login: password=Sup3rS3cret"}})
    path = root / "devices/plc-01.yaml"
    before = path.read_bytes()
    run = cli(
        "record-change",
        "plc-01",
        "--register",
        str(root),
        "--kind",
        "configuration",
        "--summary",
        "Tidy up",
    )
    assert run.exit_code == 1
    assert "credential stored in the register" in run.stderr and "(REG-004)" in run.stderr
    assert "Sup3rS3cret" not in run.stdout + run.stderr
    assert path.read_bytes() == before


def test_changes_to_a_retired_device_are_refused(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    assert (
        cli(
            "retire",
            "plc-01",
            "--register",
            str(root),
            "--by",
            "ole-hansen",
            "--data-wiped",
            "--credentials-revoked",
            "--removed-from-network",
        ).exit_code
        == 0
    )
    run = cli(
        "record-change",
        "plc-01",
        "--register",
        str(root),
        "--kind",
        "configuration",
        "--summary",
        "x",
    )
    assert run.exit_code == 1
    assert "plc-01 is retired; its record no longer changes" in run.stderr


# --- retire ------------------------------------------------------------------------------------


def test_retire_then_dispose(cli: Cli, example: Path) -> None:
    path = example / "devices/printer-wh-01.yaml"
    before = path.read_text(encoding="utf-8")
    run = cli(
        "retire",
        "printer-wh-01",
        "--register",
        str(example),
        "--by",
        "ingrid-dahl",
        "--date",
        "2026-11-24",
        "--data-wiped",
        "--credentials-revoked",
        "--removed-from-network",
    )
    assert run.exit_code == 0, run.stderr
    assert run.stdout.splitlines()[:2] == [
        "Retire device printer-wh-01: devices/printer-wh-01.yaml written.",
        "No findings for printer-wh-01.",
    ]
    after = path.read_text(encoding="utf-8")
    assert diff(before, after) == [
        "-status: active",
        "+status: retired",
        "+  - date: 2026-11-24",
        "+    kind: retirement",
        "+    summary: Taken out of service; data wiped, credentials revoked, removed from the "
        "network.",
        "+    by: ingrid-dahl",
        "+disposal:",
        "+  date: 2026-11-24",
        "+  data_wiped: true",
        "+  credentials_revoked: true",
        "+  removed_from_network: true",
        "+  by: ingrid-dahl",
    ]
    run = cli(
        "retire",
        "printer-wh-01",
        "--register",
        str(example),
        "--status",
        "disposed",
        "--by",
        "ingrid-dahl",
        "--date",
        "2026-11-30",
        "--method",
        "certified e-waste",
        "--data-wiped",
        "--credentials-revoked",
        "--removed-from-network",
    )
    assert run.exit_code == 0, run.stderr
    data = parse_text(path.read_text(encoding="utf-8")).data
    assert data["status"] == "disposed"
    assert data["disposal"]["method"] == "certified e-waste"
    assert data["changes"][-1]["kind"] == "disposal"
    run = cli(
        "retire",
        "printer-wh-01",
        "--register",
        str(example),
        "--by",
        "ingrid-dahl",
        "--data-wiped",
        "--credentials-revoked",
        "--removed-from-network",
    )
    assert run.exit_code == 1
    assert "printer-wh-01 is already disposed" in run.stderr


def test_retire_asks_for_each_confirmation(cli: Cli, make_register: Callable[..., Path]) -> None:
    root = make_register()
    run = cli(
        "retire",
        "plc-01",
        "--register",
        str(root),
        "--interactive",
        input="nobody\nole-hansen\nyes\nmaybe\ny\nyes\n",
    )
    assert run.exit_code == 0, run.stderr
    for question in (
        "Done by (anna-berg, ole-hansen):",
        "Data stored on the device wiped? (yes/no):",
        "Its credentials revoked (accounts, certificates, keys)? (yes/no):",
        "Removed from the network (switch port, Wi-Fi, firewall rules, DNS)? (yes/no):",
    ):
        assert question in run.stdout
    assert "Done by: 'nobody' is not a known person" in run.stderr
    assert "answer yes or no" in run.stderr
    data = parse_text((root / "devices/plc-01.yaml").read_text(encoding="utf-8")).data
    assert data["disposal"] == {
        "date": TODAY, "data_wiped": "true", "credentials_revoked": "true",
        "removed_from_network": "true", "by": "ole-hansen",
    }  # fmt: skip


def test_retire_refuses_an_unconfirmed_step(cli: Cli, make_register: Callable[..., Path]) -> None:
    root = make_register()
    before = (root / "devices/plc-01.yaml").read_bytes()
    run = cli(
        "retire",
        "plc-01",
        "--register",
        str(root),
        "--interactive",
        input="ole-hansen\nyes\nno\nyes\n",
    )
    assert run.exit_code == 1
    assert (
        "refused: a device is retired only once --credentials-revoked is done and confirmed"
    ) in run.stderr
    run = cli("retire", "plc-01", "--register", str(root), "--by", "ole-hansen")
    assert run.exit_code == 2
    assert "missing --data-wiped, --credentials-revoked, --removed-from-network" in run.stderr
    assert (root / "devices/plc-01.yaml").read_bytes() == before


def test_retire_an_unknown_person(cli: Cli, make_register: Callable[..., Path]) -> None:
    root = make_register()
    run = cli(
        "retire",
        "sensor-02",
        "--register",
        str(root),
        "--by",
        "nobody",
        "--data-wiped",
        "--credentials-revoked",
        "--removed-from-network",
    )
    assert run.exit_code == 1
    assert run.stderr.startswith("iotpolicy: refused: --by: 'nobody' is not a known person;")


def test_the_refusal_of_a_commissioning_says_the_device_cannot_go_live_yet(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    run = cli("record-change", "sensor-02", "--register", str(root), "--kind", "commissioning")
    lines = run.stderr.splitlines()
    assert lines[-1] == (
        "iotpolicy: refused: sensor-02 does not meet the rules for an active device yet "
        f"({len(lines) - 1} problems); nothing was written"
    )
    assert "devices/sensor-02.yaml:1: INV-001: " in run.stderr


def test_ids_complete_from_the_register(make_register: Callable[..., Path]) -> None:
    root = make_register()
    env = {
        **os.environ,
        "_IOTPOLICY_COMPLETE": "complete_bash",
        "COMP_WORDS": "iotpolicy record-change p",
        "COMP_CWORD": "2",
        "IOTPOLICY_REGISTER": str(root),
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "iotpolicy")], env=env, capture_output=True, text=True
    )
    assert done.stdout.split() == ["plc-01"]
    env["COMP_WORDS"] = "iotpolicy add-device --vendor "
    env["COMP_CWORD"] = "3"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "iotpolicy")], env=env, capture_output=True, text=True
    )
    assert done.stdout.split() == ["axis", "siemens"]


# --- services, one by one -----------------------------------------------------------------------


def test_record_change_adds_changes_and_removes_services_one_by_one(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register(
        {"devices/plc-01.yaml": {"hardening.services.1": {
            "name": "http", "port": 80, "protocol": "tcp", "justification": "Web UI"}}}
    )  # fmt: skip
    run = cli(
        "record-change", "plc-01", "--register", str(root), "--kind", "configuration",
        "--summary", "Services reviewed.", "--date", "2026-11-20",
        "--add-service", "s7comm:102/tcp:Engineering access from the jump host only",
        "--add-service", "snmp:161/udp:Monitoring by the NMS", "--remove-service", "http",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert run.stdout.splitlines()[0] == (
        "Record configuration on plc-01 (services: added snmp; changed s7comm; removed http): "
        "devices/plc-01.yaml written."
    )
    data = parse_text((root / "devices/plc-01.yaml").read_text(encoding="utf-8")).data
    assert data["hardening"]["services"] == [
        {"name": "s7comm", "port": "102", "protocol": "tcp",
         "justification": "Engineering access from the jump host only"},
        {"name": "snmp", "port": "161", "protocol": "udp",
         "justification": "Monitoring by the NMS"},
    ]  # fmt: skip
    assert data["hardening"]["unused_services_disabled"] == "true"  # the rest is kept


def test_record_change_adds_the_first_service_of_a_device(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    run = cli(
        "record-change", "sensor-02", "--register", str(root), "--kind", "configuration",
        "--summary", "Modbus enabled.", "--add-service", "modbus:502/tcp:Read by the SCADA",
    )  # fmt: skip
    assert run.exit_code == 0, run.stderr
    assert "(services: added modbus)" in run.stdout
    data = parse_text((root / "devices/sensor-02.yaml").read_text(encoding="utf-8")).data
    assert data["hardening"] == {
        "services": [{"name": "modbus", "port": "502", "protocol": "tcp",
                      "justification": "Read by the SCADA"}]
    }  # fmt: skip


def test_record_change_refuses_to_remove_a_service_the_device_lacks(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    before = (root / "devices/plc-01.yaml").read_bytes()
    run = cli(
        "record-change", "plc-01", "--register", str(root), "--kind", "configuration",
        "--summary", "Telnet off.", "--remove-service", "telnet",
    )  # fmt: skip
    assert run.exit_code == 1
    assert "hardening.services: no service 'telnet' to remove (its services: s7comm)" in (
        run.stderr
    )
    assert (root / "devices/plc-01.yaml").read_bytes() == before


def test_record_change_refuses_service_which_would_replace_them_all(
    cli: Cli, make_register: Callable[..., Path]
) -> None:
    root = make_register()
    before = (root / "devices/plc-01.yaml").read_bytes()
    run = cli(
        "record-change", "plc-01", "--register", str(root), "--kind", "configuration",
        "--summary", "SNMP on.", "--service", "snmp:161/udp:Monitoring",
    )  # fmt: skip
    assert run.exit_code == 2
    assert len(run.stderr.splitlines()) == 1
    assert "--add-service" in run.stderr and "--remove-service" in run.stderr
    assert (root / "devices/plc-01.yaml").read_bytes() == before
    shown = cli("record-change", "--help").stdout
    assert "--add-service" in shown and "--remove-service" in shown and "--service" not in shown

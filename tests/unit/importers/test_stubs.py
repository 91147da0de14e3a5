"""Planned-device stubs for a scan's unknown hosts, without the CLI: one per shadow host, an id no
record uses (its host name, else its address), its segment, the vendor its MAC names."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from iotpolicy.importers.common import settings_of, valid_models
from iotpolicy.importers.nmap import parse_scan
from iotpolicy.importers.reconcile import reconcile
from iotpolicy.importers.stubs import shadow_hosts, stub_drafts
from iotpolicy.register import load_register
from tests.conftest import write_register
from tests.support.realworld import REALWORLD, field_files

SCAN = REALWORLD / "scan-2026-11-20.xml"
TODAY = date(2026, 11, 25)


def test_each_shadow_host_gets_a_planned_stub(tmp_path: Path) -> None:
    register = load_register(write_register(tmp_path / "register", field_files()))
    scan = parse_scan(SCAN.read_bytes(), SCAN.name)
    result = reconcile(
        scan,
        valid_models(register, "device"),
        valid_models(register, "segment"),
        settings_of(register).insecure_services,
        SCAN.name,
    )
    hosts = shadow_hosts(result)
    drafts = stub_drafts(register, hosts, result, SCAN.name, TODAY)
    assert [d.file for d in drafts] == [
        "devices/line1-sw.yaml",
        "devices/host-10-20-1-77.yaml",
        "devices/printer-temp.yaml",
    ]
    stub = yaml.safe_load(drafts[1].text)
    assert stub["status"] == "planned" and stub["vendor"] == "siemens"
    assert stub["network"] == {
        "segment": "ot-line1",
        "ip": "10.20.1.77",
        "mac": "00:1b:1b:77:77:77",
    }
    assert "reconciled 2026-11-25" in stub["notes"] and "21/tcp ftp" in stub["notes"]
    assert all(d.record and d.message.startswith("Add planned device ") for d in drafts)


def test_a_taken_id_is_never_reused(tmp_path: Path) -> None:
    files = field_files()
    files["devices/line1-sw.yaml"] = "id: line1-sw\nthis is not a device\n"
    register = load_register(write_register(tmp_path / "register", files))
    scan = parse_scan(SCAN.read_bytes(), SCAN.name)
    result = reconcile(scan, valid_models(register, "device"), valid_models(register, "segment"),
                       settings_of(register).insecure_services, SCAN.name)  # fmt: skip
    files_drafted = [
        d.file for d in stub_drafts(register, shadow_hosts(result), result, "s", TODAY)
    ]
    assert "devices/line1-sw.yaml" not in files_drafted
    assert len(set(files_drafted)) == len(files_drafted) == 3

"""A register for the real-world commands (spreadsheet import, scan reconciliation, advisories):
the baseline plus vendors and devices that the test files (tests/data/csaf, tests/data/realworld)
name. Each device's role in those files is noted next to it."""

from __future__ import annotations

import copy
from typing import Any

from tests.support.baseline import baseline
from tests.support.paths import DATA

CSAF = DATA / "csaf"
REALWORLD = DATA / "realworld"

_VENDORS = {
    "moxa": {"id": "moxa", "name": "Moxa Inc.", "security_contact": "psirt@moxa.com"},
    "schneider-electric": {
        "id": "schneider-electric",
        "name": "Schneider Electric SE",
        "security_contact": "cpcert@se.com",
    },
}


def _device(template: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    device = copy.deepcopy(template)
    network = {**device["network"], **overrides.pop("network", {})}
    device.update(overrides, network=network)
    if "firmware_version" in overrides:
        version = device.pop("firmware_version")
        device["firmware"] = {**device["firmware"], "version": version}
        device["changes"] = [
            *device["changes"][:1],
            {**device["changes"][1], "to_version": version},
        ]
    return device


def field_files() -> dict[str, Any]:
    """Relative path -> data of the real-world test register."""
    files = baseline()
    plc, cam = files["devices/plc-01.yaml"], files["devices/cam-01.yaml"]
    for vendor_id, data in _VENDORS.items():
        files[f"vendors/{vendor_id}.yaml"] = {
            **copy.deepcopy(files["vendors/siemens.yaml"]),
            **data,
        }
    moxa_services = [
        {"name": "modbus", "port": 502, "protocol": "tcp", "justification": "Line 1 Modbus TCP"}
    ]
    devices = {
        # ssa-979901: exact by model number, firmware V4.5.0 inside <4.6.1 (affected);
        # the scan sees its IP with another MAC (mac-mismatch) and HTTP open.
        "plc-02": _device(
            plc,
            id="plc-02",
            name="Line 1 assembly PLC",
            model="6ES7215-1AG40-0XB0",
            serial="SZVB1234568",
            firmware_version="V4.5.0",
            network={"ip": "10.20.1.11", "mac": "00:1b:1b:12:34:57"},
        ),
        # ssa-979901: exact by the wildcard model number 6ES7214-1*40-0XB0, firmware 4.6.1
        # (not affected).
        "plc-03": _device(
            plc,
            id="plc-03",
            name="Line 1 conveyor PLC",
            model="6ES7 214-1AG40-0XB0",
            serial="SZVB1234569",
            firmware_version="4.6.1",
            network={"ip": "10.20.1.12", "mac": "00:1b:1b:12:34:58"},
        ),
        # Not in the scan although its address is in a scanned network (not-seen).
        "plc-04": _device(
            plc,
            id="plc-04",
            name="Line 1 palletiser PLC",
            model="SIMATIC S7-1500",
            serial="SZVB1234570",
            network={"ip": "10.20.1.13", "mac": "00:1b:1b:12:34:59"},
        ),
        # mpsa-249901: exact by name, 2.2 inside >=2.0,<2.3; telnet open in the scan.
        "gw-01": _device(
            plc,
            id="gw-01",
            name="Line 1 Modbus gateway",
            type="gateway",
            vendor="moxa",
            model="MGate 5103",
            serial="MX5103001",
            firmware_version="2.2",
            network={"ip": "10.20.1.20", "mac": "00:90:e8:00:00:20"},
            hardening={**plc["hardening"], "services": moxa_services},
        ),
        # mpsa-249901: exact by CPE (product "MGate MB3170 Series", CPE mgate_mb3170).
        "gw-02": _device(
            plc,
            id="gw-02",
            name="Line 1 serial gateway",
            type="gateway",
            vendor="moxa",
            model="MGate MB3170",
            serial="MX3170001",
            firmware_version="4.4",
            network={"ip": "10.20.1.21", "mac": "00:90:e8:00:00:21"},
            hardening={**plc["hardening"], "services": moxa_services},
        ),
        # mpsa-249901: only a fuzzy name match with MGate 5103 (shown, never written).
        "gw-03": _device(
            plc,
            id="gw-03",
            name="Line 1 EtherNet/IP gateway",
            type="gateway",
            vendor="moxa",
            model="MGate 5103-T",  # the wide-temperature variant: similar to MGate 5103
            serial="MX5109001",
            firmware_version="2.1",
            network={"ip": "10.20.1.22", "mac": "00:90:e8:00:00:22"},
            hardening={**plc["hardening"], "services": moxa_services},
        ),
        # mpsa-249901: "fixed in 3.11" only, so affected below 3.11: 3.9 is.
        "nport-01": _device(
            plc,
            id="nport-01",
            name="Line 1 scale serial server",
            type="gateway",
            vendor="moxa",
            model="NPort 5150",
            serial="MX5150001",
            firmware_version="3.9",
            network={"ip": "10.20.1.23", "mac": "00:90:e8:00:00:23"},
            hardening={**plc["hardening"], "services": moxa_services},
        ),
        # icsa-24-289-02 (real CISA file): exact by name, 8.1.1.2 inside <=8.1.1.3. In mgmt,
        # which the scan does not cover (so never "not seen").
        "dce-01": _device(
            plc,
            id="dce-01",
            name="Data centre monitoring appliance",
            category="iot",
            type="monitoring-server",
            vendor="schneider-electric",
            model="Data Center Expert",
            serial="SE-DCE-0001",
            firmware_version="8.1.1.2",
            network={"segment": "mgmt", "ip": "10.10.0.30", "mac": "00:c0:b7:00:00:30"},
        ),
        # Seen at 10.20.1.50 with its own MAC: ip-mismatch and wrong-segment.
        "cam-02": _device(
            cam,
            id="cam-02",
            name="Yard camera",
            serial="ACCC8E000002",
            network={"ip": "10.30.1.22", "mac": "ac:cc:8e:00:00:02"},
        ),
        # SNMP open in the scan (insecure: snmpv1/snmpv2c), and RTSP not declared.
        "cam-03": _device(
            cam,
            id="cam-03",
            name="Dock camera",
            model="AXIS Q1805-LE",
            serial="ACCC8E000003",
            network={"ip": "10.30.1.23", "mac": "ac:cc:8e:00:00:03"},
        ),
        # Retired, but still answers on the network (inactive-seen).
        "cam-old": _device(
            cam,
            id="cam-old",
            name="Old hall camera",
            model="AXIS M3005-V",
            serial="ACCC8E000009",
            status="retired",
            network={"ip": "10.30.1.29", "mac": "ac:cc:8e:00:00:09"},
            disposal={
                "date": "2026-01-15",
                "data_wiped": True,
                "credentials_revoked": True,
                "removed_from_network": True,
                "by": "ole-hansen",
            },
        ),
    }
    for device_id, data in devices.items():
        files[f"devices/{device_id}.yaml"] = data
    return files

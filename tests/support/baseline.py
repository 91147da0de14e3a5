"""A small register that passes every rule as of AS_OF: the starting point of the rule cases.

Each case copies it, applies edits and checks what the CLI reports. Dates are chosen so that every
limit has room on both sides of AS_OF.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

AS_OF = date(2026, 11, 25)

_POLICY: dict[str, Any] = {
    "document": "P35S",
    "title": "Internet of Things (IoT) / Operational Technology (OT) Security Policy",
    "organization": "Acme Components Ltd",
    "owner": "anna-berg",
    "effective_date": "2025-01-01",
    "classification": "Internal",
    "settings": {"review_interval_months": 12},
    "revisions": [
        {
            "number": "1.0",
            "date": "2025-01-01",
            "trigger": "initial",
            "changes": "Initial release.",
            "reviewed_by": ["ole-hansen"],
            "process_owner": "ole-hansen",
            "approvals": [{"by": "anna-berg", "title": "General Manager", "date": "2024-12-18"}],
            "communicated": {
                "on": "2025-01-06",
                "channels": ["email"],
                "audience": ["staff", "vendors"],
            },
        },
        {
            "number": "1.1",
            "date": "2026-06-01",
            "trigger": "annual",
            "changes": "Annual review.",
            "reviewed_by": ["ole-hansen"],
            "process_owner": "ole-hansen",
            "approvals": [{"by": "anna-berg", "title": "General Manager", "date": "2026-05-28"}],
            "communicated": {
                "on": "2026-06-03",
                "channels": ["email"],
                "audience": ["staff", "vendors"],
            },
        },
    ],
}

_PEOPLE: list[dict[str, Any]] = [
    {
        "id": "anna-berg",
        "name": "Anna Berg",
        "title": "General Manager",
        "roles": ["general-manager"],
    },
    {
        "id": "ole-hansen",
        "name": "Ole Hansen",
        "title": "Operations Manager",
        "roles": ["operations-manager"],
    },
]

_SEGMENTS: dict[str, dict[str, Any]] = {
    "ot-line1": {
        "id": "ot-line1",
        "name": "Line 1 control network",
        "zone": "ot",
        "site": "main-plant",
        "vlan": 120,
        "cidr": "10.20.1.0/24",
        "flows": [
            {
                "to": "mgmt",
                "service": "syslog",
                "port": 514,
                "protocol": "udp",
                "purpose": "Central logging",
            }
        ],
    },
    "iot-cams": {
        "id": "iot-cams",
        "name": "Cameras",
        "zone": "iot",
        "site": "main-plant",
        "vlan": 130,
        "cidr": "10.30.1.0/24",
        "flows": [
            {
                "to": "mgmt",
                "service": "syslog",
                "port": 514,
                "protocol": "udp",
                "purpose": "Central logging",
            }
        ],
    },
    "mgmt": {"id": "mgmt", "name": "Management", "zone": "management", "cidr": "10.10.0.0/24"},
    "office": {
        "id": "office",
        "name": "Office LAN",
        "zone": "corporate",
        "cidr": "10.40.0.0/16",
        "flows": [
            {
                "to": "internet",
                "service": "https",
                "port": 443,
                "protocol": "tcp",
                "purpose": "Web browsing",
            }
        ],
    },
}

_VENDORS: dict[str, dict[str, Any]] = {
    "siemens": {
        "id": "siemens",
        "name": "Siemens AG",
        "security_contact": "productcert@siemens.com",
        "agreement": {
            "reference": "MSA-2023-07",
            "signed_on": "2023-07-01",
            "security_clauses": True,
        },
        "assessed_on": "2026-06-02",
        "assessed_by": "anna-berg",
        "remote_maintenance": {"allowed": True, "method": "jump-host", "supervised": True},
    },
    "axis": {
        "id": "axis",
        "name": "Axis Communications",
        "security_contact": "security@axis.com",
        "agreement": {
            "reference": "AX-2024-01",
            "signed_on": "2024-01-10",
            "security_clauses": True,
        },
        "assessed_on": "2026-03-01",
        "assessed_by": "anna-berg",
        "remote_maintenance": {"allowed": False},
    },
}


def _device(**overrides: Any) -> dict[str, Any]:
    device: dict[str, Any] = {
        "id": "plc-01",
        "name": "Line 1 packaging PLC",
        "category": "ot",
        "type": "plc",
        "vendor": "siemens",
        "model": "SIMATIC S7-1200",
        "serial": "SZVB1234567",
        "status": "active",
        "owner": "ole-hansen",
        "location": {"site": "main-plant", "area": "Hall A"},
        "commissioned_on": "2024-03-12",
        "network": {
            "segment": "ot-line1",
            "ip": "10.20.1.10",
            "mac": "00:1b:1b:12:34:56",
            "access_approved_by": "anna-berg",
            "access_approved_on": "2024-03-01",
        },
        "hardening": {
            "default_credentials_changed": True,
            "credentials_changed_on": "2024-03-10",
            "unused_services_disabled": True,
            "services": [
                {
                    "name": "s7comm",
                    "port": 102,
                    "protocol": "tcp",
                    "justification": "Engineering access from the jump host",
                }
            ],
        },
        "access": {
            "accounts": [{"name": "ole-admin", "role": "admin", "shared": False}],
            "remote_access": "jump-host",
        },
        "firmware": {
            "version": "4.5.2",
            "updated_on": "2024-11-02",
            "integrity": {
                "method": "vendor-signature",
                "verified_on": "2024-11-02",
                "verified_by": "ole-hansen",
            },
        },
        "monitoring": {"logging": True, "destination": "syslog.mgmt.acme.internal"},
        "backup": {"last_config_backup": "2026-10-01"},
        "personal_data": {"processes": False},
        "end_of_support": "2030-12-31",
        "documentation": ["docs/plc/s7-1200-hardening.pdf"],
        "changes": [
            {
                "date": "2024-03-12",
                "kind": "commissioning",
                "summary": "Installed.",
                "by": "ole-hansen",
            },
            {
                "date": "2024-11-02",
                "kind": "firmware-update",
                "summary": "Update.",
                "by": "ole-hansen",
                "from_version": "4.5.0",
                "to_version": "4.5.2",
            },
        ],
    }
    device.update(overrides)
    return device


_DEVICES: dict[str, dict[str, Any]] = {
    "plc-01": _device(),
    "cam-01": _device(
        id="cam-01",
        name="Gate camera",
        category="iot",
        type="camera",
        vendor="axis",
        model="AXIS P3245-LVE",
        serial="ACCC8E000001",
        network={
            "segment": "iot-cams",
            "ip": "10.30.1.21",
            "mac": "ac:cc:8e:00:00:01",
            "access_approved_by": "anna-berg",
            "access_approved_on": "2024-03-01",
        },
        hardening={
            "default_credentials_changed": True,
            "credentials_changed_on": "2024-03-10",
            "unused_services_disabled": True,
            "services": [
                {
                    "name": "https",
                    "port": 443,
                    "protocol": "tcp",
                    "justification": "Video management",
                }
            ],
        },
        access={
            "accounts": [{"name": "vms", "role": "service", "shared": False}],
            "remote_access": "none",
        },
        firmware={
            "version": "11.2.5",
            "updated_on": "2024-11-02",
            "integrity": {"method": "sha256", "verified_on": "2024-11-02"},
        },
        backup=None,
        personal_data={"processes": True, "dpia": "DPIA-2024-03", "retention_days": 30},
        changes=[
            {"date": "2024-03-12", "kind": "commissioning", "by": "ole-hansen"},
            {
                "date": "2024-11-02",
                "kind": "firmware-update",
                "by": "ole-hansen",
                "from_version": "11.1.0",
                "to_version": "11.2.5",
            },
        ],
    ),
    "sensor-02": {
        "id": "sensor-02",
        "name": "Planned humidity sensor",
        "category": "ot",
        "type": "sensor",
        "status": "planned",
    },
}


def baseline() -> dict[str, Any]:
    """Relative path -> data of every file of the compliant register (a fresh deep copy)."""
    files: dict[str, Any] = {"policy.yaml": _POLICY, "people.yaml": _PEOPLE}
    for folder, records in (("segments", _SEGMENTS), ("vendors", _VENDORS), ("devices", _DEVICES)):
        for rid, data in records.items():
            files[f"{folder}/{rid}.yaml"] = {k: v for k, v in data.items() if v is not None}
    return copy.deepcopy(files)

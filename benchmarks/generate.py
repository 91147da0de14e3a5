"""Generate a realistic synthetic register of any size, for benchmarks.

Usage: python benchmarks/generate.py OUT_DIR --devices 10000 [--seed 1]

Every record kind is present, the small ones in proportion (per 10,000 devices: 10 exceptions, 20
advisories of which a third still open, 5 incidents); about 5% of the devices carry a finding (a
shared account, an old backup, an undocumented firmware change ...), so the rules do real work.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

SITES = ["main-plant", "warehouse", "office"]
TYPES = [
    ("camera", "iot", "axis", "AXIS P3245-LVE"),
    ("smart-lock", "iot", "assa-abloy", "Aperio H100"),
    ("printer", "iot", "hp", "LaserJet M507"),
    ("smart-meter", "iot", "landis-gyr", "E450"),
    ("hvac-controller", "iot", "honeywell", "WEB-8000"),
    ("plc", "ot", "siemens", "SIMATIC S7-1200"),
    ("hmi", "ot", "siemens", "SIMATIC HMI TP700"),
    ("gateway", "ot", "moxa", "MGate 5105"),
    ("sensor", "ot", "schneider-electric", "Modicon M241"),
]
VENDORS = sorted({t[2] for t in TYPES})

POLICY = """\
document: P35S
title: Internet of Things (IoT) / Operational Technology (OT) Security Policy
organization: Benchmark Industries
owner: gm-1
classification: Internal
revisions:
  - number: "1.0"
    date: 2026-01-10
    trigger: initial
    changes: Initial release.
    reviewed_by: [ops-1]
    process_owner: ops-1
    approvals:
      - {by: gm-1, title: General Manager, date: 2026-01-08}
    communicated: {on: 2026-01-12, channels: [email], audience: [staff, vendors]}
"""

PEOPLE = """\
- {id: gm-1, name: Grete Manager, roles: [general-manager]}
- {id: ops-1, name: Otto Operations, roles: [operations-manager]}
"""


def segment(index: int, zone: str) -> str:
    """A segment file in ``zone`` with room for 60,000 addresses."""
    return f"""\
id: {zone}-{index:02d}
name: {zone.upper()} network {index}
zone: {zone}
site: {SITES[index % len(SITES)]}
vlan: {100 + index}
cidr: 10.{index}.0.0/16
flows:
  - to: mgmt
    service: syslog
    port: 514
    protocol: udp
    purpose: Central logging
"""


def vendor(vendor_id: str) -> str:
    """A compliant vendor file."""
    return f"""\
id: {vendor_id}
name: {vendor_id.replace("-", " ").title()}
security_contact: security@{vendor_id}.example
agreement: {{reference: MSA-{vendor_id}, signed_on: 2024-02-01, security_clauses: true}}
assessed_on: 2026-05-01
assessed_by: gm-1
remote_maintenance: {{allowed: true, method: jump-host, supervised: true}}
"""


def mac(index: int) -> str:
    """A locally administered MAC address derived from ``index``."""
    return "02:00:" + ":".join(f"{index >> shift & 255:02x}" for shift in (24, 16, 8, 0))


def device(index: int, rng: random.Random, segments: dict[str, list[int]]) -> str:
    """One device file (~1.4 KB); about 5% carry a deliberate finding."""
    kind, category, vendor_id, model = TYPES[index % len(TYPES)]
    seg_index = segments[category][index % len(segments[category])]
    ip = f"10.{seg_index}.{(index // 250) % 250}.{index % 250 + 1}"
    flaw = rng.random() < 0.05
    shared = "true" if flaw and index % 3 == 0 else "false"
    backup = "2026-01-02" if flaw and index % 3 == 1 else "2026-10-15"
    version = "2.1.0" if flaw and index % 3 == 2 else "2.1.4"
    personal = (
        "personal_data: {processes: true, dpia: DPIA-2025-01, retention_days: 30}"
        if kind in ("camera", "smart-lock")
        else "personal_data: {processes: false}"
    )
    return f"""\
id: dev-{index:06d}
name: {kind.replace("-", " ").title()} {index}
category: {category}
type: {kind}
vendor: {vendor_id}
model: {model}
serial: SN{rng.randrange(10**9):09d}
status: active
owner: ops-1
location:
  site: {SITES[index % len(SITES)]}
  area: Area {index % 40}
commissioned_on: 2025-0{index % 9 + 1}-15
network:
  segment: {category}-{seg_index:02d}
  ip: {ip}
  mac: "{mac(index)}"
  access_approved_by: gm-1
  access_approved_on: 2025-01-02
hardening:
  default_credentials_changed: true
  credentials_changed_on: 2025-01-03
  unused_services_disabled: true
  services:
    - name: https
      port: 443
      protocol: tcp
      justification: Web management from the jump host
access:
  accounts:
    - {{name: admin-{index}, role: admin, shared: {shared}}}
  remote_access: jump-host
firmware:
  version: "2.1.4"
  updated_on: 2025-11-01
  integrity: {{method: sha256, verified_on: 2025-11-01, verified_by: ops-1}}
monitoring: {{logging: true, destination: syslog.mgmt.example}}
backup: {{last_config_backup: {backup}}}
{personal}
end_of_support: 2031-12-31
documentation: [docs/{kind}.pdf]
changes:
  - {{date: 2025-0{index % 9 + 1}-15, kind: commissioning, by: ops-1}}
  - {{date: 2025-11-01, kind: firmware-update, by: ops-1, from_version: "2.0.0",
     to_version: "{version}"}}
"""


def generate(out: Path, devices: int, seed: int = 1) -> Path:
    """Write a register with ``devices`` devices to ``out`` (replacing it)."""
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    for folder in ("segments", "vendors", "devices", "exceptions", "advisories", "incidents"):
        (out / folder).mkdir(parents=True)
    (out / "policy.yaml").write_text(POLICY)
    (out / "people.yaml").write_text(PEOPLE)
    segments = {"ot": list(range(1, 11)), "iot": list(range(11, 21))}
    for category, indexes in segments.items():
        for index in indexes:
            (out / "segments" / f"{category}-{index:02d}.yaml").write_text(segment(index, category))
    (out / "segments" / "mgmt.yaml").write_text(
        "id: mgmt\nname: Management\nzone: management\ncidr: 10.250.0.0/16\n"
    )
    for vendor_id in VENDORS:
        (out / "vendors" / f"{vendor_id}.yaml").write_text(vendor(vendor_id))
    for index in range(devices):
        (out / "devices" / f"dev-{index:06d}.yaml").write_text(device(index, rng, segments))
    for n in range(max(1, devices // 1000)):  # time-limited risk acceptances
        (out / "exceptions" / f"exc-{n + 1}.yaml").write_text(
            f"id: exc-{n + 1}\nrule: ACC-003\nsubjects: [dev-{n * 1000 + 3:06d}]\n"
            "justification: Shift account on a line terminal until the line is rebuilt.\n"
            "approved_by: gm-1\napproved_on: 2026-06-01\nexpires_on: 2027-05-31\n"
        )
    for n in range(max(1, devices // 500)):  # vendor advisories, a third of them still open
        _, _, vendor_id, model = TYPES[n % len(TYPES)]
        status = "open" if n % 3 == 0 else "mitigated"
        (out / "advisories" / f"adv-{n + 1}.yaml").write_text(
            f"id: adv-{n + 1}\nvendor: {vendor_id}\nkind: vulnerability\n"
            f"received_on: 2025-{n % 12 + 1:02d}-01\n"
            f'affects:\n  - {{model: {model}, versions: "<2.1.{n % 4}"}}\nstatus: {status}\n'
            + ("" if status == "open" else "note: Mitigated by segmentation and monitoring.\n")
        )
    for n in range(max(1, devices // 2000)):  # incidents touching a device
        (out / "incidents" / f"inc-{n + 1}.yaml").write_text(
            f"id: inc-{n + 1}\ndate: 2025-{n % 12 + 1:02d}-05\nkind: incident\n"
            f"devices: [dev-{n * 2000 + 1:06d}]\nsummary: Unexpected reboot after a power dip.\n"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.out, args.devices, args.seed)


if __name__ == "__main__":
    main()

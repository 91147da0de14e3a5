"""Planned-device stubs for the unknown hosts of a scan (``reconcile --create-planned``): what the
scan saw of each host, for the operations manager to complete."""

from __future__ import annotations

from datetime import date
from typing import Any

from iotpolicy.grammar.names import resolve_vendor, slugify
from iotpolicy.importers.common import record_names, valid_models
from iotpolicy.importers.nmap import Host
from iotpolicy.importers.reconcile import Discrepancy, Reconciliation
from iotpolicy.models import Segment
from iotpolicy.models.enums import Category, Status, Zone
from iotpolicy.register import Register, schema_comment
from iotpolicy.writing.draft import Draft
from iotpolicy.writing.forms import DEVICE
from iotpolicy.yamlio.nodes import Quoted
from iotpolicy.yamlio.roundtrip import dump_new


def shadow_hosts(result: Reconciliation) -> list[Host]:
    """The hosts of the scan that no device record has."""
    shadows = [i.ip for i in result.items if i.kind is Discrepancy.SHADOW and i.ip]
    return [h for h in result.scan.hosts if h.ip in shadows]


def stub_drafts(
    register: Register, hosts: list[Host], result: Reconciliation, source: str, today: date
) -> list[Draft]:
    """A draft of a planned device per host, with an id no record uses."""
    taken = {r.raw_id for r in register.of("device")}
    taken |= register.unreadable.get("device", set())
    segments = {s.id: s for s in valid_models(register, "segment")}
    vendors = record_names(register, "vendor")
    drafts = []
    for host in hosts:
        record = stub_record(host, result, segments, vendors, taken, source, today)
        taken.add(record["id"])
        rel = DEVICE.file(record["id"])
        text = dump_new(record, schema_comment(rel))
        drafts.append(Draft(rel, text, record["id"], f"Add planned device {record['id']}", True))
    return drafts


def stub_record(
    host: Host,
    result: Reconciliation,
    segments: dict[str, Segment],
    vendors: dict[str, str],
    taken: set[str | None],
    source: str,
    today: date,
) -> dict[str, Any]:
    """A planned device record for an unknown host: what the scan saw, for the operations
    manager to complete (or to take the host off the network)."""
    segment_id = next((i.segment for i in result.items if i.ip == host.ip and i.segment), None)
    segment = segments.get(segment_id) if segment_id else None
    base = slugify(host.hostname.split(".")[0], "") if host.hostname else ""
    record_id = base if base and base not in taken else "host-" + slugify(_dashed(host.ip))
    number = 2
    while record_id in taken:
        record_id = f"host-{slugify(_dashed(host.ip))}-{number}"
        number += 1
    vendor = resolve_vendor(host.mac_vendor or "", vendors) if host.mac_vendor else None
    ports = ", ".join(p.label for p in host.ports) or "none"
    seen = f"MAC vendor {host.mac_vendor}; " if host.mac_vendor and vendor is None else ""
    network: dict[str, Any] = {"segment": segment_id, "ip": host.ip}
    if host.mac:
        network["mac"] = Quoted(host.mac.lower())
    if host.hostname:
        network["hostname"] = host.hostname
    record: dict[str, Any] = {
        "id": record_id,
        "name": f"Unknown host {host.ip}" + (f" ({host.hostname})" if host.hostname else ""),
        "category": (Category.OT if segment and segment.zone is Zone.OT else Category.IOT).value,
        "type": "unknown",
        "vendor": vendor,
        "status": Status.PLANNED.value,
        "network": {k: v for k, v in network.items() if v is not None},
        "notes": (
            f"Found by the network scan {source} (reconciled {today.isoformat()}): {seen}"
            f"open ports {ports}. Complete this record (name, type, vendor, model, owner) or "
            "take the host off the network."
        ),
    }
    return {k: v for k, v in record.items() if v is not None}


def _dashed(ip: str) -> str:
    return ip.replace(".", "-").replace(":", "-")

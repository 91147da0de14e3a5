"""SEG: devices sit in the right zone, and flows between zones are concrete and allowed (3.2)."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterator

from iotpolicy.domain.flows import forbidden_flow
from iotpolicy.models.enums import Category, Status, Zone
from iotpolicy.rules.base import Failures, Violation, norm, present, rule
from iotpolicy.view import Context


@rule(
    "SEG-001",
    "error",
    "Active devices are assigned a network segment",
    "3.2, 4.2.2",
    "NIST SC-7; IEC 62443-3-3 SR 5.1",
)
def seg_001(ctx: Context) -> Iterator[Violation]:
    """An active device has no ``network.segment``.

    Passes: ``network: {segment: ot-line1}``. Fails: an active PLC without ``network.segment``.
    """
    for record in ctx.active_devices:
        network = record.model.network
        if not present(network and network.segment):
            failures = Failures(record)
            failures.add(("network", "segment"), "active device has no network segment")
            yield failures.violation()  # type: ignore[misc]


@rule(
    "SEG-002",
    "error",
    "Devices sit in a zone of their category",
    "3.2",
    "NIST SC-7; ISO 27002 8.22; IEC 62443-3-3 SR 5.1",
)
def seg_002(ctx: Context) -> Iterator[Violation]:
    """An active device's segment zone differs from its category: an ``ot`` device outside an
    ``ot`` zone, or an ``iot`` device outside an ``iot`` zone. (A segment that does not resolve is
    REG-003's finding.)

    Passes: a PLC (``category: ot``) in a segment with ``zone: ot``.
    Fails: a camera (``category: iot``) in a ``corporate`` segment.
    """
    expected = {Category.OT: Zone.OT, Category.IOT: Zone.IOT}
    for record in ctx.active_devices:
        device = record.model
        segment = ctx.segments.get(device.network.segment or "") if device.network else None
        if segment is None:
            continue
        if segment.zone is not expected[device.category]:
            failures = Failures(record)
            failures.add(
                ("network", "segment"),
                f"{device.category.value} device in segment '{segment.id}' of zone "
                f"'{segment.zone.value}' (expected zone '{expected[device.category].value}')",
            )
            yield failures.violation()  # type: ignore[misc]


@rule(
    "SEG-003",
    "error",
    "Device addresses fit their segment and are unique",
    "4.2.2",
    "NIST CM-8",
    across_devices=True,
)
def seg_003(ctx: Context) -> Iterator[Violation]:
    """An active device's IP lies outside its segment's CIDR, or two active devices share an IP
    (each of them gets a finding).

    Passes: ``ip: 10.20.1.10`` in a segment with ``cidr: 10.20.1.0/24``.
    Fails: ``ip: 10.20.2.10`` there, or the same IP on two active devices.
    """
    addressed = [f for f in ctx.device_facts if f.status == Status.ACTIVE and f.ip]
    holders: dict[str | None, list[str | None]] = defaultdict(list)
    for facts in addressed:
        holders[facts.ip].append(facts.id)
    ranges: dict[str, tuple[int, int, int]] = {}
    for facts in addressed:
        messages = []
        segment = ctx.segments.get(facts.segment or "")
        if segment is not None:
            if segment.id not in ranges:
                cidr = ipaddress.ip_network(segment.cidr.strip(), strict=False)
                first, last = int(cidr.network_address), int(cidr.broadcast_address)
                ranges[segment.id] = (cidr.version, first, last)
            version, first, last = ranges[segment.id]
            family = 6 if ":" in str(facts.ip) else 4  # the canonical forms tell them apart
            if family != version or not first <= (facts.ip_value or 0) <= last:
                messages.append(f"IP {facts.ip} is outside segment '{segment.id}' ({segment.cidr})")
        sharing = holders[facts.ip]
        others = (
            sorted({h for h in sharing if h is not None} - {facts.id}) if len(sharing) > 1 else []
        )
        if others or sharing.count(facts.id) > 1:
            messages.append(
                f"IP {facts.ip} is also used by active device(s) {', '.join(others) or facts.id}"
            )
        if messages:
            yield Violation(facts.subject, facts.file, facts.ip_line, "; ".join(messages))


@rule(
    "SEG-004",
    "error",
    "Flows between zones are concrete and allowed",
    "3.2",
    "NIST SC-7, AC-4; IEC 62443-3-3 SR 5.2",
    scope="segments",
)
def seg_004(ctx: Context) -> Iterator[Violation]:
    """A segment flow lacks a concrete service, port, protocol or purpose (or says ``any``); a
    ``guest`` or ``corporate`` segment has a flow to an ``ot`` segment; an ``ot`` segment has a
    flow to ``internet``. One finding per offending flow.

    Passes: ``{to: mgmt, service: syslog, port: 514, protocol: udp, purpose: Central logging}``.
    Fails: ``{to: mgmt, service: any, port: any, protocol: any}``, or ``ot`` -> ``internet``.
    """
    for record in ctx.valid("segment"):
        segment = record.model
        for index, flow in enumerate(segment.flows):
            failures = Failures(record)
            base = ("flows", index)
            for name in ("service", "port", "protocol", "purpose"):
                value = getattr(flow, name)
                text = str(getattr(value, "value", value)) if value is not None else ""
                if not present(text):
                    failures.add((*base, name), f"flow to '{flow.to}' has no {name}")
                elif norm(text) == "any":
                    failures.add((*base, name), f"flow to '{flow.to}' allows any {name}")
            reason = forbidden_flow(segment, flow, ctx.segments.get(flow.to))
            if reason:
                failures.add((*base, "to"), reason)
            if failures:
                yield failures.violation()  # type: ignore[misc]

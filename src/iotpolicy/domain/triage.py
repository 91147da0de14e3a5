"""Triage candidates: the devices a recorded advisory possibly affects, for a person to decide.

An advisory's ``affects`` entries name products exactly (FW-002 reads them). A device whose model
is only *similar* to an entry's (``SIMATIC S7-1200`` and ``SIMATIC S7-1200 CPU 1214C``), with its
firmware inside the entry's range, is a possible match: it gets a ``candidate`` entry in the
advisory's ``triage``, which FW-003 reports until someone records ``affected`` or
``not-affected``. Decisions are never touched here; candidates of devices that no longer match
possibly (model or firmware changed, device retired) are dropped. No I/O: the editing layer
turns the entries into round-trip edits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iotpolicy.domain.csaf import AffectedProduct, Product
from iotpolicy.domain.matching import DeviceMatch, match_devices
from iotpolicy.models import Advisory, Device
from iotpolicy.models.enums import AdvisoryKind, AdvisoryStatus, TriageStatus


def record_products(advisory: Advisory) -> list[AffectedProduct]:
    """The ``affects`` entries of a recorded advisory as products, for :func:`match_devices`."""
    products = []
    for index, entry in enumerate(advisory.affects):
        name = entry.model or entry.part_number or entry.cpe or ""
        product = Product(
            product_id=str(index),
            name=name,
            vendor=advisory.vendor,
            family=None,
            model=entry.model or "",
            model_numbers=(entry.part_number,) if entry.part_number else (),
            cpes=(entry.cpe,) if entry.cpe else (),
        )
        products.append(AffectedProduct(product, entry.versions, advisory.cves, ()))
    return products


def record_matches(
    advisory: Advisory, devices: Iterable[Device], vendors: Mapping[str, str]
) -> list[DeviceMatch]:
    """The devices a recorded advisory names, exactly or by a similar name."""
    name = vendors.get(advisory.vendor)
    if name is None:
        return []
    return match_devices(record_products(advisory), devices, {advisory.vendor: name})


def is_possible(match: DeviceMatch) -> bool:
    """True for a match a person must decide: a similar name, the firmware inside the range."""
    return not match.exact and match.affected


def candidate_entry(match: DeviceMatch) -> dict[str, Any]:
    """The ``triage`` entry recording a possible match."""
    return {
        "device": match.device,
        "status": TriageStatus.CANDIDATE.value,
        "note": (
            f"possible match: model {match.model!r} is {round(match.certainty * 100)}% similar "
            f"to {match.product!r} {match.versions}"
        ),
    }


@dataclass(frozen=True)
class TriageUpdate:
    """The candidate entries to add to, and the devices whose candidates leave, one advisory."""

    advisory: Advisory
    added: tuple[dict[str, Any], ...]
    dropped: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.added or self.dropped)

    def describe(self) -> str:
        """``Record triage candidates cam-01, cam-02 in ssa-1`` (and what was dropped)."""
        parts = []
        if self.added:
            parts.append("record triage candidate " + ", ".join(e["device"] for e in self.added))
        if self.dropped:
            parts.append("drop the candidate " + ", ".join(self.dropped))
        text = " and ".join(parts)
        return f"{text[:1].upper()}{text[1:]} in {self.advisory.id}"


def is_open_vulnerability(advisory: Advisory) -> bool:
    """Only open vulnerability advisories have candidates (FW-003 judges those)."""
    return advisory.kind is AdvisoryKind.VULNERABILITY and advisory.status is AdvisoryStatus.OPEN


def update_candidates(
    advisory: Advisory,
    devices: Sequence[Device],
    vendors: Mapping[str, str],
    matches: Sequence[DeviceMatch] | None = None,
    everything: bool = False,
) -> TriageUpdate:
    """What re-matching ``devices`` (the ones to reconsider) does to the advisory's triage: a
    candidate for each possible match without an entry; the candidates of those devices that
    are no longer possible matches dropped (with ``everything``, ``devices`` are all there are:
    candidates naming no device are dropped too). ``matches``: computed already (the
    importer's)."""
    if not is_open_vulnerability(advisory):
        return TriageUpdate(advisory, (), ())
    if matches is None:
        matches = record_matches(advisory, devices, vendors)
    possible = {m.device: m for m in matches if is_possible(m)}
    considered = {d.id for d in devices}
    entries = {entry.device.strip(): entry for entry in reversed(advisory.triage)}
    added = tuple(
        candidate_entry(match)
        for device, match in sorted(possible.items())
        if device not in entries
    )
    dropped = tuple(
        sorted(
            device
            for device, entry in entries.items()
            if (everything or device in considered)
            and entry.status is TriageStatus.CANDIDATE
            and device not in possible
        )
    )
    return TriageUpdate(advisory, added, dropped)

"""Which devices an advisory affects, and what the triage says about a device. No I/O.

FW-002 and LIF-001 (through :func:`names_device`), FW-003 (through :func:`undecided`), the
reports, the review and the importers all ask these questions here, so they answer alike:

- an ``affects`` entry names a device when the vendor is the same and its model, its part number
  (CSAF's ``*`` / ``?`` wildcards allowed) or its CPE is the device's, and the device's firmware
  lies inside the entry's ``versions``;
- a triage entry is *current* while the device's firmware is its ``for_version`` and the
  advisory's revision its ``for_revision`` (each when set); a lapsed or incomplete decision counts
  as no decision.
"""

from __future__ import annotations

import collections
import functools
import re
from collections.abc import Iterable
from fnmatch import fnmatchcase

from iotpolicy.grammar.versions import in_range, same_version
from iotpolicy.models import Advisory, Affected, Device
from iotpolicy.models.advisory import Triage
from iotpolicy.models.enums import TriageStatus

_PARENTHESIS = re.compile(r"^(?P<model>.*?\S)\s*\((?P<inner>[^()]*)\)\s*$")
_LABEL = re.compile(
    r"^(?:mlfb|part\s+(?:number|no\.?)|order\s+(?:number|no\.?)|article\s+(?:number|no\.?))"
    r"\s*:?\s*",
    re.IGNORECASE,
)
_PART = re.compile(r"^[A-Za-z0-9]+(?:[-./][A-Za-z0-9]+)+$")


def norm(text: str | None) -> str:
    """Text as compared for names: case and runs of spaces ignored."""
    return " ".join((text or "").lower().split())


def compact(text: str) -> str:
    """An identifier without case and spaces (``6ES7 214-1AG40`` == ``6es7214-1ag40``)."""
    return "".join(text.lower().split())


def wildcard_match(pattern: str, value: str) -> bool:
    """CSAF model and serial numbers: ``*`` any characters, ``?`` one; case and spaces ignored."""
    pattern = compact(pattern)
    if "*" not in pattern and "?" not in pattern:  # most part numbers: no pattern to compile
        return pattern == compact(value)
    return fnmatchcase(compact(value), pattern.replace("[", "[[]"))


@functools.lru_cache(maxsize=4096)
def split_part_numbers(name: str) -> tuple[str, tuple[str, ...]]:
    """A product name and the order numbers of a trailing parenthesis:
    ``SIMATIC Cloud Connect 7 CC712 (6GK1411-1AC00)`` -> ``SIMATIC Cloud Connect 7 CC712``,
    ``(6GK1411-1AC00,)``; ``(MLFB: 6ES7518-4AX00-1AC0, 6AG1518-4AX00-4AC0, incl. SIPLUS
    variant)`` gives both numbers. A remark (``(incl. SIPLUS variants)``, ``(24V, coated)``,
    ``(CP100)``) is no order number: the name is returned whole."""
    match = _PARENTHESIS.match(name.strip())
    if match is None:
        return name.strip(), ()
    inner = match.group("inner").strip()
    labelled = _LABEL.match(inner)
    tokens = [token.strip() for token in _LABEL.sub("", inner).split(",")]
    parts = tuple(
        token
        for token in tokens
        if (labelled and token and " " not in token) or _looks_like_part_number(token)
    )
    return (match.group("model"), parts) if parts else (name.strip(), ())


def _looks_like_part_number(token: str) -> bool:
    digits = sum(c.isdigit() for c in token)
    return len(token) >= 6 and digits >= 2 and bool(_PART.match(token))


class ProductIndex:
    """An advisory's ``affects`` entries by what names a product: model names (each also
    without a trailing order number), part-number patterns and CPEs. Built once per advisory
    (see :func:`products_of`), so a device is matched by lookups, not by a pass over every
    entry."""

    def __init__(self, advisory: Advisory) -> None:
        self.vendor = norm(advisory.vendor)
        self.models: dict[str, list[Affected]] = {}
        self.parts: list[tuple[str, Affected]] = []
        self.cpes: dict[str, list[Affected]] = {}
        for entry in advisory.affects:
            if entry.model:
                model, parts = split_part_numbers(entry.model)
                for name in {norm(model), norm(entry.model)}:
                    self.models.setdefault(name, []).append(entry)
                self.parts.extend((part, entry) for part in parts)
            if entry.part_number:
                self.parts.append((entry.part_number, entry))
            if entry.cpe:
                self.cpes.setdefault(norm(entry.cpe), []).append(entry)

    def entries_naming(self, device: Device) -> list[Affected]:
        """The entries that name the device's product (vendor and version aside): the same
        model, a part number the entry's matches, or the same CPE."""
        found: list[Affected] = []
        if device.model:
            found += self.models.get(norm(device.model), ())
        if device.part_number:
            found += [e for part, e in self.parts if wildcard_match(part, device.part_number)]
        if device.cpe:
            found += self.cpes.get(norm(device.cpe), ())
        return found


_INDEXES: collections.OrderedDict[int, tuple[Advisory, ProductIndex]] = collections.OrderedDict()
_INDEXES_KEPT = 8192


def products_of(advisory: Advisory) -> ProductIndex:
    """The :class:`ProductIndex` of ``advisory`` (kept for the advisories most recently asked
    about; the advisory is held with it, so its id cannot be reused meanwhile)."""
    kept = _INDEXES.get(id(advisory))
    if kept is not None and kept[0] is advisory:
        _INDEXES.move_to_end(id(advisory))
        return kept[1]
    index = ProductIndex(advisory)
    _INDEXES[id(advisory)] = (advisory, index)
    if len(_INDEXES) > _INDEXES_KEPT:
        _INDEXES.popitem(last=False)
    return index


def names_device(advisory: Advisory, device: Device) -> bool:
    """True when the advisory is the device's vendor's and an ``affects`` entry names its
    product with its firmware version inside the entry's range."""
    index = products_of(advisory)
    if not device.vendor or index.vendor != norm(device.vendor):
        return False
    version = device.firmware.version if device.firmware else None
    return any(in_range(version, entry.versions) for entry in index.entries_naming(device))


def is_current(entry: Triage, advisory: Advisory, firmware: str | None) -> bool:
    """True while the decision still holds: the device's firmware and the advisory's revision
    are those it was made for (each only when recorded)."""
    if entry.for_version is not None and not same_version(entry.for_version, firmware):
        return False
    return entry.for_revision is None or same_version(entry.for_revision, advisory.revision)


def decision(advisory: Advisory, device: str, firmware: str | None) -> TriageStatus | None:
    """The current, complete decision on ``device`` (affected or not-affected), else None."""
    entry = advisory.triage_of(device)
    if entry is None or not entry.decides or not is_current(entry, advisory, firmware):
        return None
    return entry.status


def affects(advisory: Advisory, device: Device) -> bool:
    """FW-002's question: a current ``affected`` decision, or a match by vendor, product and
    version that no current ``not-affected`` decision dismisses."""
    version = device.firmware.version if device.firmware else None
    decided = decision(advisory, device.id, version)
    if decided is not None:
        return decided is TriageStatus.AFFECTED
    return names_device(advisory, device)


def undecided(entry: Triage, advisory: Advisory, firmware: str | None) -> str | None:
    """Why the triage entry leaves its device undecided (FW-003), or None when it decides:
    a candidate, an incomplete decision, or one made for another firmware or revision."""
    if entry.status is TriageStatus.CANDIDATE:
        return "is a candidate (a possible match nobody has confirmed or dismissed)"
    missing = entry.missing()
    if missing:
        return f"has an incomplete {entry.status.value} decision (no {' or '.join(missing)})"
    lapsed = []
    if entry.for_version is not None and not same_version(entry.for_version, firmware):
        lapsed.append(f"firmware {entry.for_version} (now {firmware or 'unknown'})")
    if entry.for_revision is not None and not same_version(entry.for_revision, advisory.revision):
        lapsed.append(f"revision {entry.for_revision} (now {advisory.revision or 'unknown'})")
    if lapsed:
        made = f" of {entry.on}" if entry.on else ""
        return f"has a lapsed {entry.status.value} decision{made}, made for {' and '.join(lapsed)}"
    return None


def known_exploited_label(advisories: Iterable[Advisory]) -> str | None:
    """``known exploited (CISA KEV, due 2024-07-30)`` with the earliest due date of the
    advisories' known-exploited CVEs, or None when they name none."""
    listed = [entry for advisory in advisories for entry in advisory.known_exploited]
    if not listed:
        return None
    dues = sorted(entry.due_date for entry in listed if entry.due_date is not None)
    return "known exploited (CISA KEV" + (f", due {dues[0]})" if dues else ")")

"""CISA's Known Exploited Vulnerabilities catalog: read it, and say what it adds to an advisory.

No I/O: :func:`parse_kev` takes the bytes of the catalog's JSON (``vulnerabilities``: ``cveID``,
``dateAdded``, ``dueDate``, ``knownRansomwareCampaignUse`` ...) and returns its entries by CVE.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from iotpolicy.errors import UsageError
from iotpolicy.grammar.escaping import visible_strings
from iotpolicy.models import Advisory
from iotpolicy.models.advisory import KnownExploited

MAX_KEV_BYTES = 64 * 1024 * 1024
"""A catalog above this size is refused unread (the real one is about 1.5 MB)."""
_CVE = re.compile(r"^CVE-[0-9]{4}-[0-9]{4,}$")


class KevError(UsageError):
    """The file is not CISA's KEV catalog."""


@dataclass(frozen=True, slots=True)
class KevEntry:
    """One catalog entry, as an advisory records it (``known_exploited``)."""

    cve: str
    date_added: date | None
    due_date: date | None
    ransomware: str
    """``known`` or ``unknown``."""

    def to_record(self) -> dict[str, Any]:
        """The ``known_exploited`` entry."""
        entry: dict[str, Any] = {"cve": self.cve}
        if self.date_added:
            entry["date_added"] = self.date_added
        if self.due_date:
            entry["due_date"] = self.due_date
        entry["ransomware"] = self.ransomware
        return entry


@dataclass(frozen=True, slots=True)
class Catalog:
    """The catalog's entries by CVE id (upper case)."""

    version: str
    entries: dict[str, KevEntry]


def parse_kev(raw: bytes, source: str = "catalog") -> Catalog:
    """Read the catalog; KevError naming ``source`` when it is not one. Entries without a
    well-formed CVE id are skipped; unreadable dates are left out."""
    if len(raw) > MAX_KEV_BYTES:
        raise KevError(f"{source}: larger than {MAX_KEV_BYTES // (1024 * 1024)} MiB; not read")
    try:
        data = visible_strings(json.loads(raw.decode("utf-8-sig")))  # no control character
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise KevError(f"{source}: not CISA's KEV catalog (not JSON)") from None
    listed = data.get("vulnerabilities") if isinstance(data, dict) else None
    if not isinstance(listed, list):
        raise KevError(f"{source}: not CISA's KEV catalog (no 'vulnerabilities' list)")
    entries: dict[str, KevEntry] = {}
    for item in listed:
        if not isinstance(item, dict):
            continue
        cve = str(item.get("cveID", "")).strip().upper()
        if not _CVE.match(cve):
            continue
        ransomware = str(item.get("knownRansomwareCampaignUse", "")).strip().lower()
        entries[cve] = KevEntry(
            cve=cve,
            date_added=_date(item.get("dateAdded")),
            due_date=_date(item.get("dueDate")),
            ransomware="known" if ransomware == "known" else "unknown",
        )
    version = str(data.get("catalogVersion", "")).strip() or "unknown"
    return Catalog(version, entries)


def known_exploited(advisory: Advisory, catalog: Catalog) -> list[dict[str, Any]]:
    """The advisory's ``known_exploited`` entries after reading ``catalog``: one per CVE of the
    advisory that the catalog lists (as the catalog says), and the ones recorded before for CVEs
    the catalog does not list (never dropped silently); sorted by CVE."""
    found = {k.cve.strip().upper(): as_record(k) for k in advisory.known_exploited}
    for cve in advisory.cves:
        entry = catalog.entries.get(cve.strip().upper())
        if entry is not None:
            found[entry.cve] = entry.to_record()
    return [found[cve] for cve in sorted(found)]


def as_record(entry: KnownExploited) -> dict[str, Any]:
    """A recorded ``known_exploited`` entry as :func:`known_exploited` writes one."""
    record = {
        "cve": entry.cve,
        "date_added": entry.date_added,
        "due_date": entry.due_date,
        "ransomware": entry.ransomware.value if entry.ransomware else None,
    }
    return {k: v for k, v in record.items() if v is not None}


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None

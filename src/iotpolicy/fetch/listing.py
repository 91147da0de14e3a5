"""What a provider lists: the entries of a ROLIE feed, or the rows of a directory's
``changes.csv`` (CSAF 2.0 sections 7.1.13 and 7.1.15-17), each with the date it was last changed.

Each reader returns the entries it understood and one line per broken entry; one broken entry
never hides the others.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urljoin

from iotpolicy.domain.csaf import written_date
from iotpolicy.fetch.verify import HASH_ALGORITHMS

MAX_LISTING_BYTES = 64 * 1024 * 1024
"""A ROLIE feed or changes.csv above this size is not read (CISA's feed is about 5 MB)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One listed advisory."""

    url: str
    """The CSAF document."""
    changed_on: date
    """ROLIE ``updated``, or the time of its ``changes.csv`` row (the date as written)."""
    hashes: tuple[tuple[str, str], ...]
    """(algorithm, URL) of its published hashes, the stronger first."""
    signature: str
    """Its detached OpenPGP signature (``.asc``)."""
    listing: str
    """The feed or changes.csv listing it."""
    tlp: str | None
    """The TLP label of its ROLIE feed (None for a directory)."""
    document_id: str | None = None
    """The ROLIE entry's id (CSAF's tracking id), when given."""

    @property
    def name(self) -> str:
        """The document's file name without ``.json`` (CSAF names it after its tracking id)."""
        return self.url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".json")


def rolie_entries(raw: bytes, url: str, tlp: str) -> tuple[list[Entry], list[str]]:
    """The entries of the ROLIE feed read from ``url``, and its broken entries."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
        entries = data["feed"].get("entry", [])
    except (UnicodeDecodeError, ValueError, RecursionError, KeyError, TypeError, AttributeError):
        return [], [f"{url}: not a ROLIE feed (no 'feed' object)"]
    if not isinstance(entries, list):
        return [], [f"{url}: not a ROLIE feed ('feed.entry' is not a list)"]
    found: list[Entry] = []
    problems: list[str] = []
    for index, item in enumerate(entries):
        entry = _rolie_entry(item, url, tlp)
        if isinstance(entry, Entry):
            found.append(entry)
        else:
            named = item.get("id") if isinstance(item, dict) else None
            label = f" ({named})" if isinstance(named, str) else ""
            problems.append(f"{url}: entry {index + 1}{label}: {entry}")
    return found, problems


def _rolie_entry(item: Any, url: str, tlp: str) -> Entry | str:
    if not isinstance(item, dict):
        return "not an object"
    links: dict[str, list[str]] = {}
    for link in item.get("link", []) if isinstance(item.get("link"), list) else []:
        if isinstance(link, dict) and isinstance(link.get("href"), str):
            links.setdefault(str(link.get("rel")), []).append(urljoin(url, link["href"].strip()))
    content = item.get("content")
    document = links["self"][0] if links.get("self") else None
    if document is None and isinstance(content, dict) and isinstance(content.get("src"), str):
        document = urljoin(url, content["src"].strip())
    if document is None:
        return "no link to the document (rel 'self')"
    changed = written_date(item.get("updated"))
    if changed is None:
        return "no 'updated' date"
    signature = links["signature"][0] if links.get("signature") else None
    if signature is None:
        return "no signature link (rel 'signature')"
    hashes = tuple(
        (algorithm, href)
        for algorithm in HASH_ALGORITHMS
        for href in links.get("hash", [])
        if href.lower().endswith(f".{algorithm}")
    )
    if not hashes:
        return "no .sha512 or .sha256 hash link (rel 'hash')"
    named = item.get("id")
    return Entry(
        url=document,
        changed_on=changed,
        hashes=hashes,
        signature=signature,
        listing=url,
        tlp=tlp,
        document_id=named.strip() if isinstance(named, str) and named.strip() else None,
    )


def directory_entries(raw: bytes, url: str, directory: str) -> tuple[list[Entry], list[str]]:
    """The rows of the ``changes.csv`` read from ``url`` (``"path","time"``, paths relative to
    ``directory``); each document's hashes and signature sit next to it."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [f"{url}: not a changes.csv (not UTF-8 text)"]
    found: list[Entry] = []
    problems: list[str] = []
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            if not row or not any(cell.strip() for cell in row):
                continue
            changed = written_date(row[1]) if len(row) == 2 else None
            path = row[0].strip()
            if changed is None or not path.endswith(".json"):
                problems.append(f'{url}: line {number}: not "path.json","date-time"')
                continue
            document = urljoin(directory, path)
            found.append(
                Entry(
                    url=document,
                    changed_on=changed,
                    hashes=tuple((a, f"{document}.{a}") for a in HASH_ALGORITHMS),
                    signature=f"{document}.asc",
                    listing=url,
                    tlp=None,
                )
            )
    except csv.Error as exc:
        problems.append(f"{url}: not a changes.csv ({exc})")
    return found, problems

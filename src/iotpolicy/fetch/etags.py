"""The fetch's cache: the ETag / Last-Modified of each listing (ROLIE feed, changes.csv), so the
next fetch asks "changed since?" and a provider can answer 304 Not Modified.

Nothing else is kept: where the last fetch ended comes from the register's advisories. Each
entry also records that point (``since``): it is used only while the register still ends there,
so a register reset to an older commit, or another register, never trusts a stale ETag. A file
that is unreadable or of another format is ignored and rewritten.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from iotpolicy.fsio import atomic_write_text
from iotpolicy.inputs import InputRefused, read_bounded

FORMAT = 1
MAX_BYTES = 16 * 1024 * 1024
"""A larger file is ignored unread (one entry per listing: a few hundred bytes each)."""


@dataclass(frozen=True, slots=True)
class Validator:
    """What a listing's server said about its version."""

    etag: str | None
    last_modified: str | None
    since: str
    """The feed's state (ISO date) the listing was read for."""


class EtagStore:
    """The ETags of one register's fetches (``<register>/.iotpolicy-cache/fetch.json``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, Validator] = {}
        with contextlib.suppress(
            OSError, ValueError, TypeError, AttributeError, KeyError, InputRefused
        ):
            data = json.loads(read_bounded(path, MAX_BYTES))
            if data.get("format") == FORMAT:
                self.entries = {
                    str(url): Validator(v.get("etag"), v.get("last_modified"), str(v["since"]))
                    for url, v in data["listings"].items()
                }

    def get(self, url: str, since: str) -> Validator | None:
        """The validator of ``url``, when it was read for the same state ``since``."""
        found = self.entries.get(url)
        return found if found is not None and found.since == since else None

    def save(self, updates: Mapping[str, Validator]) -> None:
        """Record ``updates`` (listing URL -> validator) and write the file atomically."""
        if not updates:
            return
        self.entries.update(updates)
        listings = {
            url: {"etag": v.etag, "last_modified": v.last_modified, "since": v.since}
            for url, v in sorted(self.entries.items())
        }
        text = json.dumps({"format": FORMAT, "listings": listings}, indent=1, sort_keys=True)
        atomic_write_text(self.path, text + "\n")

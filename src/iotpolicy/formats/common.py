"""What several CI formats share: finding records with their repository paths, and fingerprints."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from iotpolicy.findings import CheckResult


@dataclass(frozen=True, slots=True)
class Located:
    """One finding as the CI formats read it: its ``to_dict()`` record and where it is."""

    record: dict[str, Any]
    """``Finding.to_dict()``: rule, severity, subject, file, line, message, controls and
    suppressed_by."""
    path: str
    """The file relative to the repository root (or to the register outside git)."""
    fingerprint: str
    """sha256 (hex) of rule, path and subject: stable when lines move (see :func:`located`)."""


def located(result: CheckResult) -> list[Located]:
    """Every finding of ``result`` in output order, with its repository path and fingerprint.

    The fingerprint is the sha256 of the JSON list ``[rule, path, subject]``; the line and the
    message are left out so that it survives edits above the finding and changing dates in the
    message. When one rule reports the same subject in the same file more than once, the second
    and later findings append their occurrence number (``1``, ``2`` ...) to the list.
    """
    seen: dict[tuple[str, str, str], int] = {}
    found: list[Located] = []
    for record in result.to_dict()["findings"]:
        path = result.path_of(record["file"])
        key = (record["rule"], path, record["subject"])
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        parts = [*key, str(occurrence)] if occurrence else list(key)
        digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()
        found.append(Located(record, path, digest))
    return found

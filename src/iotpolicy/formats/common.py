"""What several CI formats share: finding records with their repository paths, and fingerprints."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from iotpolicy.findings import CheckResult

_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_NUMBER = re.compile(r"(?<![\w-])\d+(?:[.,:/]\d+)*(?![\w-])")
"""A number standing on its own (a version, a count, a line, a score), not one inside an id
such as ``ot-line1`` or ``icsa-24-289-02``."""


@dataclass(frozen=True, slots=True)
class Located:
    """One finding as the CI formats read it: its ``to_dict()`` record and where it is."""

    record: dict[str, Any]
    """``Finding.to_dict()``: rule, severity, subject, file, line, message, controls and
    suppressed_by."""
    path: str
    """The file relative to the repository root (or to the register outside git)."""
    fingerprint: str
    """sha256 (hex) of rule, path, subject and the message's gist (see :func:`located`)."""
    properties: dict[str, Any]
    """``Finding.properties`` as a dict (empty for most rules)."""


def gist(message: str) -> str:
    """What tells a finding apart from the other findings of its rule and subject, and stays when
    lines move or days pass: the message with dates and free-standing numbers (versions, counts,
    line numbers, scores) replaced by ``#``."""
    return _NUMBER.sub("#", _DATE.sub("#", message))


def located(result: CheckResult) -> list[Located]:
    """Every finding of ``result`` in output order, with its repository path and fingerprint.

    The fingerprint is the sha256 of the JSON list ``[rule, path, subject, gist]`` (see
    :func:`gist`): never the line number or the line's text, so it survives edits above the
    finding, edits of other findings and a later as-of date. When two findings of one rule,
    file and subject have the same gist, the second and later ones append their occurrence
    number (``1``, ``2`` ...) to the list.
    """
    seen: dict[tuple[str, ...], int] = {}
    found: list[Located] = []
    for finding, record in zip(result.findings, result.to_dict()["findings"], strict=True):
        path = result.path_of(record["file"])
        key = (record["rule"], path, record["subject"], gist(record["message"]))
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        parts = [*key, str(occurrence)] if occurrence else list(key)
        text = json.dumps(parts, ensure_ascii=True)
        digest = hashlib.sha256(text.encode("ascii")).hexdigest()
        found.append(Located(record, path, digest, dict(finding.properties)))
    return found

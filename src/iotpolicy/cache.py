"""The incremental check cache: a re-check reads only the device files that changed.

For each device file the cache keeps its content hash, its facts (what the rules comparing devices
with each other read: :class:`~iotpolicy.register.DeviceFacts`) and the findings of every other
rule about it. Those findings depend on nothing but the file and its *context*: the as-of date,
every other file of the register (policy, people, segments, vendors, exceptions, advisories,
incidents) and the code of iotpolicy itself. All of that makes up the cache's key: when any of it
changes, every entry is dropped and the check runs cold.

A device file is taken from the cache when its content hash matches. To skip even reading it,
the size, modification time and inode recorded with the entry must match as well, git-style;
files modified within two seconds of the cache's writing are always read again (an edit in the
same clock tick would not change the modification time).

The cache lives in ``<register>/.iotpolicy-cache/check.json`` (git-ignored): one line with the
BLAKE2b hash of the rest, then JSON. A file that is corrupt, truncated, of another format or
written by other code is never trusted: it is ignored and rewritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import iotpolicy
from iotpolicy.findings import Finding, Severity
from iotpolicy.fsio import atomic_write_text, content_digest
from iotpolicy.register import DeviceFacts, Register, Reused
from iotpolicy.rules import RULES

CACHE_FOLDER = ".iotpolicy-cache"
CACHE_FILE = "check.json"
FORMAT = 4
RACY_NS = 2_000_000_000
"""Files modified this close to the cache's writing keep no stamp: read again next time."""


def _code_fingerprint() -> str:
    """Changes whenever the installed iotpolicy code changes (version, or any module's size or
    modification time), so a cache written by other code is never used."""
    package = Path(iotpolicy.__file__).parent
    digest = hashlib.blake2b(iotpolicy.__version__.encode(), digest_size=16)
    for path in sorted(package.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


@dataclass
class CheckCache:
    """The cache of one register for one check (``as_of``)."""

    root: Path
    as_of: date
    key: str = ""
    _old: dict[str, list[Any]] = field(default_factory=dict)
    _new: dict[str, list[Any]] = field(default_factory=dict)
    """Entries as in the file: [digest, stamp (size, mtime ns, inode) or None, facts, findings]."""
    _fresh: dict[str, list[int]] = field(default_factory=dict)
    _restamped: bool = False
    findings: list[Finding] = field(default_factory=list)
    """Findings of the rules that judge one device at a time, for the device files taken from
    the cache: the engine's prior findings."""
    status: str = "none"
    """What the cache was worth: ``none`` (absent), ``ignored`` (corrupt, other code, other
    context) or ``used``."""

    @property
    def path(self) -> Path:
        """The cache file."""
        return self.root / CACHE_FOLDER / CACHE_FILE

    def start(self, register: Register) -> None:
        """Called once every file but the devices is read: compute the key, load the entries."""
        context = hashlib.blake2b(digest_size=16)
        context.update(f"{FORMAT}|{_code_fingerprint()}|{self.as_of.isoformat()}".encode())
        for rel in sorted(register.digests):
            context.update(f"|{rel}={register.digests[rel]}".encode())
        for problem in register.problems:  # files in those folders that could not be read
            context.update(f"|{problem.file}:{problem.line}:{problem.message}".encode())
        self.key = context.hexdigest()
        self._old = self._load()

    def _load(self) -> dict[str, list[Any]]:
        """The entries of the cache file, or none when it cannot be trusted (each entry is
        checked again when it is used)."""
        try:
            raw = self.path.read_bytes()
        except OSError:
            return {}
        self.status = "ignored"
        checksum, _, body = raw.partition(b"\n")
        try:
            if checksum.decode("ascii") != content_digest(body):
                return {}
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return {}
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            return {}
        files = document.get("files")
        if document.get("key") != self.key or not isinstance(files, dict):
            return {}
        self.status = "used"
        return files

    def reuse(self, rel: str, entry: os.DirEntry[str]) -> Reused | None:
        """Take the device file ``rel`` from the cache when it is unchanged; None when it must
        be read (the cache notes its stamp, taken before reading, for the next run)."""
        if entry.is_symlink():  # read every time: the loader checks where it points
            return None
        try:
            stat = entry.stat(follow_symlinks=False)
        except OSError:
            return None
        stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        try:
            digest, old_stamp, stored_facts, stored_findings = self._old[rel]
            if old_stamp != stamp:
                self._restamped = True
                if content_digest(Path(entry.path).read_bytes()) != digest:
                    raise ValueError("changed")
            facts = _facts_from_json(stored_facts, rel) if stored_facts is not None else None
            findings = [_finding_from_json(values, rel) for values in stored_findings]
        except (KeyError, ValueError, TypeError, OSError):  # new, changed, or not an entry
            self._fresh[rel] = stamp
            return None
        self._new[rel] = [digest, stamp, stored_facts, stored_findings]
        self.findings.extend(findings)
        return Reused(facts)

    def save(self, register: Register, findings: list[Finding]) -> None:
        """Write the cache after a check of every rule: the files taken from it, and the device
        files read this time with their findings (of the rules that judge one device at a
        time), but for those holding a credential (REG-004), which the cache never holds. Never
        fails the check: a cache that cannot be written is simply not there."""
        per_file: dict[str, list[list[Any]]] = {rel: [] for rel in self._fresh}
        for rel in {f.file for f in findings if f.rule == "REG-004"} & per_file.keys():
            del per_file[rel]  # a file holding a credential is read every time, never cached
        for finding in findings:
            if finding.file in per_file and not RULES[finding.rule].across_devices:
                per_file[finding.file].append(_finding_to_json(finding))
        facts = {f.file: f for f in register.device_facts() if f.file in per_file}
        for rel, stamp in self._fresh.items():
            digest = register.digests.get(rel)
            if digest is not None and rel in per_file:  # None: nothing to vouch for
                self._new[rel] = [digest, stamp, _facts_to_json(facts.get(rel)), per_file[rel]]
        unchanged = self._new.keys() == self._old.keys() and not self._restamped
        if unchanged and self.status == "used":
            return  # nothing changed: keep the file as it is
        racy = time.time_ns() - RACY_NS
        for entry in self._new.values():
            if entry[1] is not None and entry[1][1] >= racy:
                entry[1] = None
        body = json.dumps(
            {"format": FORMAT, "key": self.key, "files": dict(sorted(self._new.items()))},
            separators=(",", ":"),
        )
        with contextlib.suppress(OSError):
            folder = self.path.parent
            folder.mkdir(exist_ok=True)
            ignore = folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# iotpolicy's check cache: never committed\n*\n")
            atomic_write_text(self.path, f"{content_digest(body.encode())}\n{body}")


def _facts_to_json(facts: DeviceFacts | None) -> list[Any] | None:
    if facts is None:
        return None
    when = facts.commissioned_on
    return [*facts[:-2], when.isoformat() if when else None, facts.commissioned_line]


def _facts_from_json(values: list[Any], rel: str) -> DeviceFacts:
    """Facts as cached; ValueError when they are not what :func:`_facts_to_json` writes."""
    if len(values) != len(DeviceFacts._fields) or values[0] != rel:
        raise ValueError("facts of another shape")
    when = values[-2]
    facts = DeviceFacts._make(
        [*values[:-2], date.fromisoformat(when), values[-1]] if when else values
    )
    if type(facts.subject) is not str or not isinstance(facts.firmware, str | None):
        raise ValueError("facts of another shape")
    if not type(facts.id_line) is type(facts.ip_line) is type(facts.commissioned_line) is int:
        raise ValueError("facts of another shape")
    return facts


def _finding_to_json(finding: Finding) -> list[Any]:
    properties = [[name, value] for name, value in finding.properties]
    return [
        finding.rule,
        finding.severity.value,
        finding.subject,
        finding.line,
        finding.message,
        properties,
    ]


def _finding_from_json(values: list[Any], rel: str) -> Finding:
    """A finding as cached, about the file ``rel``; ValueError when it is not one."""
    rule, severity, subject, line, message, properties = values
    if not (isinstance(subject, str) and isinstance(message, str) and type(line) is int):
        raise ValueError("finding of another shape")
    pairs = tuple(
        (name, tuple(value) if isinstance(value, list) else value) for name, value in properties
    )
    return Finding(
        rule, Severity(severity), subject, rel, line, message, RULES[rule].controls, None, pairs
    )

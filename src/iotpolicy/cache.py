"""The incremental check cache: a re-check reads only the device files that changed.

For each device file the cache keeps its content hash, its facts (what the rules comparing devices
with each other read: :class:`~iotpolicy.register.DeviceFacts`) and the findings of every other
rule about it. Those findings depend on nothing but the file and its *context*: the as-of date,
every other file of the register (policy, people, segments, vendors, exceptions, advisories,
incidents) and the code of iotpolicy itself. All of that makes up the cache's key: when any of it
changes, every entry is dropped and the check runs cold.

A device file is taken from the cache when its content hash matches. To skip even reading it,
the size, modification time, change time and inode recorded with the entry must match as well,
git-style (the change time cannot be set back, so ``touch -r`` after an edit of the same size is
seen); files modified within two seconds of the cache's writing are always read again (an edit
in the same clock tick would not change the modification time).

The cache is only ever an optimisation, never a source of findings someone else wrote: it lives
in ``<register>/.iotpolicy-cache/check.json`` (git-ignored, reached through
:func:`~iotpolicy.fsio.in_register`, so never through a link out of the register): one line
with an HMAC of the rest keyed by this user's secret (:func:`user_key`, in the user's own cache
folder, never in the register), then JSON. A cache file that is corrupt, truncated, larger than
:data:`MAX_BYTES`, of another format, written by other code, by another user or on another
machine (its HMAC does not match), or tracked by git (committed to the repository) is never
trusted: it is ignored, and rewritten unless git tracks it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import iotpolicy
from iotpolicy.findings import Finding, Severity
from iotpolicy.fsio import atomic_write_text, content_digest, in_register
from iotpolicy.gitlog import GitError, is_tracked
from iotpolicy.grammar.secrets import looks_secret
from iotpolicy.inputs import InputRefused, read_bounded
from iotpolicy.register import DeviceFacts, Register, Reused
from iotpolicy.rules import RULES
from iotpolicy.yamlio.load import MAX_FILE_BYTES

CACHE_FOLDER = ".iotpolicy-cache"
CACHE_FILE = "check.json"
FORMAT = 5
RACY_NS = 2_000_000_000
"""Files modified this close to the cache's writing keep no stamp: read again next time."""
MAX_BYTES = 256 * 1024 * 1024
"""A cache file larger than this is ignored unread (100,000 devices take about 40 MiB)."""
KEY_FILE = "check-cache.key"
"""This user's secret for the cache's HMAC, in :func:`user_cache_folder`."""
_KEY_BYTES = 32


def user_cache_folder() -> Path:
    """The user's own cache folder for iotpolicy: ``$XDG_CACHE_HOME/iotpolicy`` (default
    ``~/.cache/iotpolicy``; ``%LOCALAPPDATA%\\iotpolicy`` on Windows)."""
    base = os.environ.get("XDG_CACHE_HOME") or (
        os.environ.get("LOCALAPPDATA") if os.name == "nt" else None
    )
    return Path(base or Path.home() / ".cache") / "iotpolicy"


def _owned(info: os.stat_result) -> bool:
    """True when ``info`` is of a regular file of this user (any owner where there are no
    user ids)."""
    getuid = getattr(os, "getuid", None)
    return stat.S_ISREG(info.st_mode) and (getuid is None or info.st_uid == getuid())


def user_key() -> bytes | None:
    """This user's secret keying the cache's HMAC: :data:`_KEY_BYTES` random bytes in
    :data:`KEY_FILE`, made on first use, readable by the user alone; None (no cache) when it
    cannot be kept or is not the user's own private file. Nobody who can only change the register
    can compute it, so nobody can vouch for forged findings."""
    folder = user_cache_folder()
    path = folder / KEY_FILE
    try:
        if not path.exists():
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = folder / f".{KEY_FILE}.{secrets.token_hex(8)}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(secrets.token_bytes(_KEY_BYTES))
                    os.fsync(handle.fileno())
                with contextlib.suppress(FileExistsError):  # another check made it first
                    os.link(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        info = path.lstat()
        if not _owned(info) or (os.name != "nt" and info.st_mode & 0o077):
            return None
        key = read_bounded(path, _KEY_BYTES)
    except (OSError, InputRefused):
        return None
    return key if len(key) == _KEY_BYTES else None


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _code_fingerprint() -> str:
    """Changes whenever the installed iotpolicy code changes (version, or any module's size or
    modification time), so a cache written by other code is never used."""
    package = Path(iotpolicy.__file__).parent
    digest = hashlib.blake2b(iotpolicy.__version__.encode(), digest_size=16)
    for path in sorted(package.rglob("*.py")):
        info = path.stat()
        digest.update(f"{path.relative_to(package)}:{info.st_size}:{info.st_mtime_ns}".encode())
    return digest.hexdigest()


@dataclass
class CheckCache:
    """The cache of one register for one check (``as_of``)."""

    root: Path
    as_of: date
    key: str = ""
    _old: dict[str, list[Any]] = field(default_factory=dict)
    _new: dict[str, list[Any]] = field(default_factory=dict)
    """Entries as in the file: [digest, stamp (size, mtime, ctime ns, inode) or None, facts,
    findings]."""
    _fresh: dict[str, list[int]] = field(default_factory=dict)
    _restamped: bool = False
    findings: list[Finding] = field(default_factory=list)
    """Findings of the rules that judge one device at a time, for the device files taken from
    the cache: the engine's prior findings."""
    status: str = "none"
    """What the cache was worth: ``none`` (absent), ``ignored`` (corrupt, other code, other
    context, another user's, tracked by git) or ``used``."""
    path: Path = field(init=False)
    """The cache file; OutsideRegister (on creation) when a link takes it out of the register."""
    _secret: bytes | None = field(init=False)
    _tracked: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.path = in_register(self.root, f"{CACHE_FOLDER}/{CACHE_FILE}")
        self._secret = user_key()

    def _checksum(self, body: bytes) -> str:
        assert self._secret is not None
        return hmac.new(self._secret, body, hashlib.blake2b).hexdigest()

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
            info = self.path.lstat()
        except OSError:
            return {}
        self.status = "ignored"
        try:
            self._tracked = is_tracked(self.path)
        except GitError:  # git cannot tell: the HMAC still stands
            self._tracked = False
        if self._secret is None or self._tracked or not _owned(info):
            return {}
        try:
            raw = read_bounded(self.path, MAX_BYTES)
        except (OSError, InputRefused):
            return {}
        checksum, _, body = raw.partition(b"\n")
        try:
            if not hmac.compare_digest(checksum.decode("ascii"), self._checksum(body)):
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
            info = entry.stat(follow_symlinks=False)
        except OSError:
            return None
        stamp = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino]
        try:
            digest, old_stamp, stored_facts, stored_findings = self._old[rel]
            if old_stamp != stamp:
                self._restamped = True
                if content_digest(read_bounded(Path(entry.path), MAX_FILE_BYTES)) != digest:
                    raise ValueError("changed")
            facts = _facts_from_json(stored_facts, rel) if stored_facts is not None else None
            findings = [_finding_from_json(values, rel) for values in stored_findings]
        except (KeyError, ValueError, TypeError, OSError, InputRefused):  # new, changed ...
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
        facts = {f.file: f for f in register.device_facts() if f.file in per_file}
        for rel, fact in facts.items():  # nor a fact that looks like one (outputs quote facts)
            if any(isinstance(value, str) and looks_secret(value) for value in fact):
                del per_file[rel]
        for finding in findings:
            if finding.file in per_file and not RULES[finding.rule].across_devices:
                per_file[finding.file].append(_finding_to_json(finding))
        for rel, stamp in self._fresh.items():
            digest = register.digests.get(rel)
            if digest is not None and rel in per_file:  # None: nothing to vouch for
                self._new[rel] = [digest, stamp, _facts_to_json(facts.get(rel)), per_file[rel]]
        unchanged = self._new.keys() == self._old.keys() and not self._restamped
        if self._secret is None or self._tracked or (unchanged and self.status == "used"):
            return  # no key, a committed cache (never rewritten), or nothing changed
        racy = time.time_ns() - RACY_NS
        for entry in self._new.values():
            if entry[1] is not None and entry[1][1] >= racy:
                entry[1] = None
        body = json.dumps(
            {"format": FORMAT, "key": self.key, "files": dict(sorted(self._new.items()))},
            separators=(",", ":"),
        )
        with contextlib.suppress(OSError):
            ignore = in_register(self.root, f"{CACHE_FOLDER}/.gitignore")
            if not ignore.exists():  # written whole or not at all (a full disk)
                atomic_write_text(ignore, "# iotpolicy's check cache: never committed\n*\n")
            atomic_write_text(self.path, f"{self._checksum(body.encode())}\n{body}")


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

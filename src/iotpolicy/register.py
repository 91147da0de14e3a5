"""Find the register, read every file, validate it against its model: the Register object.

Nothing here raises for bad content: every problem becomes a :class:`Problem` (REG-001) with a file,
line and subject, and one broken file never stops the others from being read.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import ipaddress
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from pathlib import Path
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from pydantic import ValidationError

from iotpolicy.errors import RegisterNotFound
from iotpolicy.fsio import OutsideRegister, in_register
from iotpolicy.grammar.secrets import is_empty_value, is_secret_key, may_hold_secret
from iotpolicy.kinds import KINDS, PEOPLE_FILE, POLICY_FILE, folder_kinds, kind_of_file
from iotpolicy.models import Person, Policy
from iotpolicy.models.base import Model, error_message, is_slug
from iotpolicy.yamlio.load import Parsed, parse_text, read_file
from iotpolicy.yamlio.nodes import LDict, LList, value_at

M = TypeVar("M")
B = TypeVar("B", bound=Model)

OUTSIDE_LINK = "symbolic link to a file outside the register; not read"
"""The problem of a file (or folder) that is a symbolic link to somewhere outside the register."""
SCHEMA_FOLDER = "schemas"
"""Folder of the register where ``iotpolicy schema`` writes ``<kind>.schema.json`` for editors."""


def schema_comment(rel: str) -> str:
    """The first line of a file written by the tool at ``rel`` (relative to the register), pointing
    editors (yaml-language-server: VS Code and others) at the schema of its record kind."""
    kind = kind_of_file(rel)
    assert kind is not None, rel
    up = "../" * rel.count("/")
    return f"# yaml-language-server: $schema={up}{SCHEMA_FOLDER}/{kind.schema_name}.schema.json"


@dataclass(frozen=True, slots=True)
class Problem:
    """A file or record that is not valid YAML or does not match its model (REG-001)."""

    file: str
    line: int
    subject: str
    message: str


@dataclass(frozen=True, slots=True)
class Record(Generic[M]):
    """One record as read: where it is, its raw line-aware data, and its model if it is valid."""

    kind: str
    """device, vendor, segment, exception, advisory, incident, person or policy."""
    file: str
    """Path relative to the register, ``/``-separated."""
    data: LDict
    """The mapping as read, with line numbers."""
    model: M
    """The validated model; None (in a ``Record[X | None]``) when it failed its model (REG-001)."""
    raw_id: str | None
    """The ``id`` as written when it is text, whether or not the record is valid."""
    subject: str
    """The subject of findings about this record."""

    def line(self, *path: str | int) -> int:
        """1-based line of ``path`` inside the record; a missing key gives its parent's line."""
        return line_at(self.data, path)


def line_at(data: Any, path: Sequence[str | int]) -> int:
    """Line of the deepest existing key or item along ``path`` (the record's first line at
    worst)."""
    line = data.line if isinstance(data, LDict | LList) else 1
    node = data
    for step in path:
        if isinstance(node, LDict) and isinstance(step, str) and step in node:
            line = node.key_lines[step]
            node = node[step]
        elif isinstance(node, LList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line


class DeviceFacts(NamedTuple):
    """What the rules that compare devices with each other or with other records (REG-002,
    REG-003, SEG-003, POL-003, FW-003) read of one device file: kept in the check cache, so they
    run over every device while only the changed files are read again."""

    file: str
    subject: str
    raw_id: str | None
    """The id as written (any text), None when it is not text."""
    id_line: int
    id: str | None
    """The validated id; None when the record failed its model (and every field below is empty)."""
    status: str | None
    """planned, active, retired or disposed; None when the record failed its model."""
    ip: str | None
    """The IP address in its canonical form (``10.0.0.1``, ``fe80::1``)."""
    ip_value: int | None
    """The IP address as a number, for comparisons with a segment's range."""
    segment: str | None
    ip_line: int
    type: str | None
    firmware: str | None
    """The firmware version as written (FW-003 compares it with triage decisions)."""
    commissioned_on: date | None
    commissioned_line: int


def device_facts(record: Record[Any]) -> DeviceFacts:
    """The facts of one device record, valid or not."""
    device = record.model
    network = device.network if device is not None else None
    address = ipaddress.ip_address(network.ip.strip()) if network and network.ip else None
    return DeviceFacts(
        file=record.file,
        subject=record.subject,
        raw_id=record.raw_id,
        id_line=record.line("id"),
        id=device.id if device is not None else None,
        status=device.status.value if device is not None else None,
        ip=str(address) if address is not None else None,
        ip_value=int(address) if address is not None else None,
        segment=network.segment if network is not None else None,
        ip_line=record.line("network", "ip"),
        type=device.type if device is not None else None,
        firmware=device.firmware.version if device is not None and device.firmware else None,
        commissioned_on=device.commissioned_on if device is not None else None,
        commissioned_line=record.line("commissioned_on"),
    )


@dataclass
class Register:
    """Every record of the register folder, valid or not, and the problems met reading it."""

    root: Path
    policy: Record[Policy | None] | None = None
    people: list[Record[Person | None]] = field(default_factory=list)
    records: dict[str, list[Record[Any]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    """Decoded text of every readable file, by relative path (for the secret scan)."""
    flagged: set[str] = field(default_factory=set)
    """Files whose text may hold a credential (REG-004's and every output's fast path)."""
    device_files: int = 0
    unreadable: dict[str, set[str]] = field(default_factory=dict)
    """Kind -> file stems of record files that could not be read as a record at all; their
    stems stand in for their ids when references are resolved (no REG-003 cascade)."""
    digests: dict[str, str] = field(default_factory=dict)
    """Content hash of every file read, by relative path."""
    cached_facts: list[DeviceFacts] = field(default_factory=list)
    """Facts of the device files a :class:`Reuse` hook vouched for instead of their being read."""
    _facts: list[DeviceFacts] | None = field(default=None, init=False, repr=False)

    def of(self, kind: str) -> list[Record[Any]]:
        """Records of one kind (``device``, ``vendor`` ..., ``person``), in path order."""
        return self.people if kind == "person" else self.records.get(kind, [])

    def device_facts(self) -> list[DeviceFacts]:
        """Facts of every device file that holds a record, read or cached, in path order
        (computed once: call it when the register is loaded)."""
        if self._facts is None:
            facts = self.cached_facts + [device_facts(r) for r in self.of("device")]
            self._facts = sorted(facts, key=lambda f: f.file) if self.cached_facts else facts
        return self._facts

    def all_records(self) -> Iterator[Record[Any]]:
        """Every record, policy and people included."""
        if self.policy is not None:
            yield self.policy
        yield from self.people
        for kind in folder_kinds():
            yield from self.of(kind.name)


def find_register(explicit: str | None, cwd: Path | None = None) -> Path:
    """The register folder: ``explicit`` if given, else the first folder up from ``cwd`` holding
    policy.yaml, else ``./register``. Raises RegisterNotFound when it is not a register."""
    cwd = cwd or Path.cwd()
    if explicit:
        root = Path(explicit)
        if not root.is_dir():
            raise RegisterNotFound(f"register folder not found: {explicit}")
        if not (root / POLICY_FILE).is_file():
            raise RegisterNotFound(
                f"not a register: no {POLICY_FILE} in {explicit} (iotpolicy init PATH starts one)"
            )
        return root
    for folder in (cwd, *cwd.parents):
        if (folder / POLICY_FILE).is_file():
            return folder
    fallback = cwd / "register"
    if (fallback / POLICY_FILE).is_file():
        return fallback
    raise RegisterNotFound(
        f"no register found: no {POLICY_FILE} in {cwd} or its parents, nor in ./register "
        "(use --register PATH or IOTPOLICY_REGISTER, or start one with iotpolicy init PATH)"
    )


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while records pile up.

    Loading creates millions of small objects that all stay alive; each automatic collection walks
    them again, which made loading 10,000 devices about twice as slow. Nothing created here forms
    lasting cycles, and the collector is restored (and runs as usual) afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Entry(Protocol):
    """One entry of a folder as the loader lists it (an ``os.DirEntry`` on disk)."""

    @property
    def name(self) -> str:
        """The entry's name."""

    def is_file(self) -> bool:
        """True for a regular file, or a symbolic link to one."""


class Files(Protocol):
    """Where the loader reads the register's files: the folder on disk (:class:`Folder`), or
    the tree of a commit (:mod:`iotpolicy.gittree`); both read as ``check`` reads."""

    def exists(self, rel: str) -> bool:
        """True when the file ``rel`` (relative, ``/``-separated) exists."""

    def entries(self, folder: str) -> Sequence[Entry] | None:
        """The entries of ``folder``, in any order; None when there is no such folder."""

    def read(self, rel: str) -> Parsed | str:
        """The file ``rel`` parsed, or why it is not read (a link out of the register)."""

    def remembered(self, rel: str, make: Callable[[], FileRead]) -> FileRead:
        """``make()``, the record file ``rel`` as read, or the same taken from a memory of
        this very file version."""


@dataclass(frozen=True, slots=True)
class Folder:
    """The register's files on disk."""

    root: Path

    def exists(self, rel: str) -> bool:
        """True when the file ``rel`` exists (a link is followed)."""
        return (self.root / rel).exists()

    def entries(self, folder: str) -> list[os.DirEntry[str]] | None:
        """The directory entries of ``folder``; None when it is not a folder."""
        directory = self.root / folder
        return list(os.scandir(directory)) if directory.is_dir() else None

    def read(self, rel: str) -> Parsed | str:
        """The file parsed; a file (or a folder) that is a symbolic link to somewhere outside
        the register is not read."""
        try:
            path = in_register(self.root, rel)
        except OutsideRegister as exc:
            if exc.link != rel:
                return f"{exc.link} is a symbolic link to a folder outside the register; not read"
            return OUTSIDE_LINK
        return read_file(path)

    def remembered(self, rel: str, make: Callable[[], FileRead]) -> FileRead:
        """Files on disk are read every time (the check cache spares reading them)."""
        return make()


@dataclass(frozen=True, slots=True)
class FileRead:
    """What one record file adds to the register, whatever it was read from."""

    problems: tuple[Problem, ...]
    text: str | None
    digest: str | None
    record: Record[Any] | None
    """None when the file could not be read as a record (it counts as unreadable)."""
    flagged: bool = False
    """True when its text may hold a credential."""


class Reuse(Protocol):
    """What the loader asks before reading a device file (the check cache answers): a device
    file it vouches for is not read."""

    def start(self, register: Register) -> None:
        """Called once every file but the device files is read."""

    def reuse(self, rel: str, entry: os.DirEntry[str]) -> Reused | None:
        """The facts of the device file ``rel`` when it is unchanged, else None (read it)."""


class Reused(NamedTuple):
    """A device file taken from elsewhere (the check cache) instead of being read."""

    facts: DeviceFacts | None
    """Its facts; None when it could not be read as a record (it counts as unreadable)."""


Progress = Callable[[int, int], None]
"""Told (device files done, device files in all) as the device files are read."""
PROGRESS_STEP = 250
"""Device files between two calls of a :data:`Progress` callback."""


def load_register(
    root: Path,
    reuse: Reuse | None = None,
    progress: Progress | None = None,
    files: Files | None = None,
) -> Register:
    """Read and validate every file of the register at ``root``. With a ``reuse`` hook, the
    device files it vouches for are not read: their facts come from it. ``files``: where to
    read them (default: the folder ``root`` on disk)."""
    with collector_paused():
        return _load(root, files or Folder(root), reuse, progress)


def _load(root: Path, files: Files, reuse: Reuse | None, progress: Progress | None) -> Register:
    register = Register(root=root)
    policy_file = _read(register, files, POLICY_FILE)
    if policy_file is not None:
        refused = _refused(policy_file)
        register.policy = _record(
            register.problems, "policy", POLICY_FILE, policy_file.data, Policy, "policy", refused
        )
    if files.exists(PEOPLE_FILE):
        people_file = _read(register, files, PEOPLE_FILE)
        if people_file is not None:
            _load_people(register, people_file)
    for kind in folder_kinds():
        register.records[kind.name] = []
        if kind.name != "device":
            for rel, _entry in _record_files(register, files, str(kind.folder)):
                _add_record_file(register, kind.name, rel, _remembered(files, kind.name, rel))
    if reuse is not None:
        reuse.start(register)
    devices = _record_files(register, files, str(KINDS["device"].folder))
    for done, (rel, entry) in enumerate(devices):
        if progress is not None and done % PROGRESS_STEP == 0:
            progress(done, len(devices))
        register.device_files += 1
        reused = None
        if reuse is not None and isinstance(entry, os.DirEntry):
            reused = reuse.reuse(rel, entry)
        if reused is not None:
            if reused.facts is None:
                register.unreadable.setdefault("device", set()).add(rel[len("devices/") : -5])
            else:
                register.cached_facts.append(reused.facts)
            continue
        _add_record_file(register, "device", rel, _remembered(files, "device", rel))
    if progress is not None:
        progress(len(devices), len(devices))
    return register


def _remembered(files: Files, kind: str, rel: str) -> FileRead:
    """The record file ``rel`` of ``kind`` read and validated (or remembered by ``files``)."""

    def make() -> FileRead:
        problems: list[Problem] = []
        parsed, text, digest = _parse(files, rel, problems)
        return _validated(kind, rel, parsed, problems, text, digest)

    return files.remembered(rel, make)


def _validated(
    kind: str,
    rel: str,
    parsed: Parsed | None,
    problems: list[Problem],
    text: str | None,
    digest: str | None,
) -> FileRead:
    """A record file's content validated against its kind's model; ``problems`` holds those
    met reading it, and gets the model's."""
    stem = rel.rsplit("/", 1)[-1].removesuffix(".yaml")
    record = None
    if parsed is not None:
        model = KINDS[kind].model
        record = _record(problems, kind, rel, parsed.data, model, stem, _refused(parsed))
    flagged = text is not None and may_hold_secret(text)
    return FileRead(tuple(problems), text, digest, record, flagged)


def _add_record_file(register: Register, kind: str, rel: str, read: FileRead) -> None:
    """Add one record file as read to the register (or to its unreadable files), keeping the
    records in path order."""
    register.problems.extend(read.problems)
    if read.text is not None:
        register.texts[rel] = read.text
    if read.flagged:
        register.flagged.add(rel)
    if read.digest is not None:
        register.digests[rel] = read.digest
    record = read.record
    if record is None:
        stem = rel.rsplit("/", 1)[-1].removesuffix(".yaml")
        register.unreadable.setdefault(kind, set()).add(stem)
        return
    records = register.records.setdefault(kind, [])
    if records and records[-1].file > rel:
        bisect.insort(records, record, key=lambda r: r.file)
    else:
        records.append(record)


def with_file(register: Register, rel: str, text: str) -> Register:
    """A copy of ``register`` in which the file ``rel`` (relative, ``/``-separated) holds
    ``text``; nothing is written (see :func:`with_files`)."""
    return with_files(register, {rel: text})


def with_files(register: Register, files: Mapping[str, str]) -> Register:
    """A copy of ``register`` in which each file of ``files`` (relative path -> text) holds that
    text; nothing is written. The editing commands check a change this way, with exactly the
    reading and validation ``check`` uses, before they write it. One copy for all the files, so
    an import of N rows costs time linear in N."""
    changed = set(files)
    copy = Register(
        root=register.root,
        policy=register.policy,
        people=list(register.people),
        records={
            kind: [r for r in records if r.file not in changed]
            for kind, records in register.records.items()
        },
        problems=[p for p in register.problems if p.file not in changed],
        texts={**register.texts, **files},
        flagged={rel for rel in register.flagged if rel not in changed}
        | {rel for rel, text in files.items() if may_hold_secret(text)},
        device_files=register.device_files,
        unreadable={kind: set(stems) for kind, stems in register.unreadable.items()},
    )
    known: dict[str, set[str]] = {}
    for rel, text in files.items():
        read = parse_text(text)
        subject = file_subject(rel, read.data)
        problems = [Problem(rel, p.line, subject, p.message) for p in read.problems]
        parsed = read if read.data is not None else None
        if rel == POLICY_FILE:
            copy.problems.extend(problems)
            copy.policy = None
            if parsed is not None:
                copy.policy = _record(
                    copy.problems, "policy", rel, parsed.data, Policy, "policy", _refused(parsed)
                )
            continue
        if rel == PEOPLE_FILE:
            copy.problems.extend(problems)
            copy.people = []
            if parsed is not None:
                _load_people(copy, parsed)
            continue
        folder, name = rel.split("/", 1)
        kind = next(k.name for k in folder_kinds() if k.folder == folder)
        stem = name.removesuffix(".yaml")
        if kind not in known:
            known[kind] = {r.file for r in register.of(kind)} | {
                f"{folder}/{s}.yaml" for s in register.unreadable.get(kind, set())
            }
        copy.unreadable.get(kind, set()).discard(stem)
        if kind == "device" and rel not in known[kind]:
            copy.device_files += 1
        _add_record_file(copy, kind, rel, _validated(kind, rel, parsed, problems, text, None))
    return copy


def _record_files(register: Register, files: Files, folder: str) -> list[tuple[str, Entry]]:
    """Relative paths (and entries) of the record files in ``folder``, in name order; odd
    entries become problems."""
    entries = files.entries(folder)
    if entries is None:
        return []
    found: list[tuple[str, Entry]] = []
    for entry in sorted(entries, key=attrgetter("name")):
        name = entry.name
        if name.startswith(".") or not name.endswith((".yaml", ".yml")):
            continue
        rel = f"{folder}/{name}"
        stem = name.rsplit(".", 1)[0]
        if name.endswith(".yml"):
            register.problems.append(
                Problem(rel, 1, stem, "record files must end in .yaml; this file is not read")
            )
            continue
        if not entry.is_file():
            continue
        found.append((rel, entry))
    return found


def _read(register: Register, files: Files, rel: str) -> Parsed | None:
    """Parse one file into the register (its text, digest and problems); None when it holds no
    usable data."""
    parsed, text, digest = _parse(files, rel, register.problems)
    if text is not None:
        register.texts[rel] = text
        if may_hold_secret(text):
            register.flagged.add(rel)
    if digest is not None:
        register.digests[rel] = digest
    return parsed


def _parse(
    files: Files, rel: str, problems: list[Problem]
) -> tuple[Parsed | None, str | None, str | None]:
    """Parse one file, adding its problems to ``problems``: the parsed file (None when it holds
    no usable data), its text and its digest."""
    parsed = files.read(rel)
    if isinstance(parsed, str):
        problems.append(Problem(rel, 1, file_subject(rel), parsed))
        return None, None, None
    subject = file_subject(rel, parsed.data)
    problems.extend(Problem(rel, p.line, subject, p.message) for p in parsed.problems)
    return (parsed if parsed.data is not None else None), parsed.text, parsed.digest


def file_subject(rel: str, data: Any = None) -> str:
    """Subject of findings about a whole file: policy, people, the record id, or the file stem."""
    stem = rel.rsplit("/", 1)[-1].removesuffix(".yaml")
    if rel == POLICY_FILE:
        return "policy"
    if rel == PEOPLE_FILE:
        return "people"
    return usable_id(data) or stem


def usable_id(data: Any) -> str | None:
    """The record's id when it is a slug, else None."""
    raw = data.get("id") if isinstance(data, dict) else None
    return raw if isinstance(raw, str) and is_slug(raw) else None


def _refused(parsed: Parsed, first: int = 1, last: float = float("inf")) -> frozenset[int]:
    """Lines in ``first``..``last`` where the loader refused something (a tag, an alias, a duplicate
    key ...): the data read there is incomplete, so the record cannot count as valid."""
    return frozenset(p.line for p in parsed.problems if first <= p.line <= last)


def _load_people(register: Register, parsed: Parsed) -> None:
    data = parsed.data
    if not isinstance(data, LList):
        line = data.line if isinstance(data, LDict) else 1
        register.problems.append(
            Problem(PEOPLE_FILE, line, "people", "people.yaml must be a list of people")
        )
        return
    for index, item in enumerate(data):
        if not isinstance(item, LDict):
            register.problems.append(
                Problem(
                    PEOPLE_FILE, data.item_lines[index], "people", "each person must be a mapping"
                )
            )
            continue
        last = data.item_lines[index + 1] - 1 if index + 1 < len(data) else float("inf")
        refused = _refused(parsed, data.item_lines[index], last)
        record = _record(register.problems, "person", PEOPLE_FILE, item, Person, "people", refused)
        if record is not None:
            register.people.append(record)


def _record(
    problems: list[Problem],
    kind: str,
    rel: str,
    data: Any,
    model: type[B],
    fallback: str,
    refused: frozenset[int] = frozenset(),
) -> Record[B | None] | None:
    """Validate ``data`` against ``model``; problems go to ``problems``, the record is kept.
    ``refused``: lines where the loader already refused part of it (REG-001): the record has no
    valid model, and the model's complaints about the values on those lines (a refused value
    reads as empty) are not repeated."""
    if not isinstance(data, LDict):
        what = "a list" if isinstance(data, LList) else "a single value"
        problems.append(
            Problem(
                rel, 1, fallback, f"the file holds {what}; a {kind} record is a mapping of keys"
            )
        )
        return None
    raw = data.get("id")
    raw_id = raw if isinstance(raw, str) else None
    subject = "policy" if kind == "policy" else (usable_id(data) or fallback)
    try:
        instance: B | None = model.model_validate(data)
    except ValidationError as exc:
        instance = None
        for error in exc.errors(include_url=False, include_input=False):
            problem = _describe(error, kind, data)
            if problem is not None:
                line = line_at(data, tuple(error["loc"]))
                if line not in refused or error["type"] == "extra_forbidden":
                    problems.append(Problem(rel, line, subject, problem))
    if refused:
        instance = None
    if instance is not None:
        for path, message in instance.problems():
            problems.append(Problem(rel, line_at(data, path), subject, message))
    record: Record[B | None] = Record(kind, rel, data, instance, raw_id, subject)
    return record


def _describe(error: Any, kind: str, data: LDict) -> str | None:
    """One line for a pydantic error, naming the field; None for keys REG-004 reports."""
    loc = tuple(error["loc"])
    where = ".".join(str(part) for part in loc) or "record"
    match error["type"]:
        case "missing":
            return f"{where}: required field is missing"
        case "extra_forbidden":
            if is_secret_key(str(loc[-1])) and not is_empty_value(value_at(data, loc)):
                return None
            return f"{where}: unknown key (not a field of a {kind}; check the spelling)"
        case "enum":
            expected = error.get("ctx", {}).get("expected", "")
            return f"{where}: must be one of {expected.replace(chr(39), '')}"
        case "tuple_type" | "list_type":
            return f"{where}: must be a list"
        case "model_type" | "model_attributes_type" | "dict_type":
            return f"{where}: must be a mapping of keys"
        case _:
            return f"{where}: {error_message(error)}"

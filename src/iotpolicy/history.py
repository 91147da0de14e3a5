"""The register's history from git, record by record and field by field.

``iotpolicy history``, the ``changes`` report and the review read it through :func:`read_history`:
one ``git log`` over the register and one ``git cat-file --batch`` for the file texts (both in
:mod:`iotpolicy.gitlog`). Each changed file is parsed before and after with the fast loader and the
data compared as dotted paths (``firmware.version: 4.5.0 -> 4.5.2``; list items by position,
``changes.2.summary``). A value under a credential key, or one that looks like a credential, is
shown as ``(redacted)``: history never prints a secret.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iotpolicy.errors import UsageError
from iotpolicy.fsio import in_register
from iotpolicy.gitlog import SHORT_HASH, FileChange, LogCommit, read_blobs, read_log, resolve_commit
from iotpolicy.grammar.dates import option_date
from iotpolicy.grammar.escaping import terminal, visible_strings
from iotpolicy.grammar.names import nearest
from iotpolicy.grammar.secrets import REDACTED, is_secret_key, looks_secret, shown
from iotpolicy.inputs import InputRefused, read_bounded
from iotpolicy.kinds import KINDS, PEOPLE_FILE, POLICY_FILE, folder_kinds, kind_of_file
from iotpolicy.yamlio.load import MAX_FILE_BYTES, decode, parse_text

Value = str | tuple[str, ...] | None
"""A field's value as history shows it: text, a list of texts, or None when absent (or null)."""

ACTIONS = {"A": "created", "D": "deleted"}
"""git status letter -> action; every other letter is ``modified``."""
_DATE_LIKE = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$")


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field whose value a commit changed."""

    field: str
    """Dotted path inside the record (``firmware.version``, ``changes.2.kind``)."""
    old: Value
    """Value before; None when the field was absent."""
    new: Value
    """Value after; None when the field was removed."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: field, old, new (lists as lists)."""
        return {"field": self.field, "old": _json_value(self.old), "new": _json_value(self.new)}

    def __str__(self) -> str:
        return f"{self.field}: {show(self.old)} -> {show(self.new)}"


@dataclass(frozen=True, slots=True)
class RecordChange:
    """What one commit did to one record (or to a file of the register that is not a record)."""

    file: str
    """File relative to the register, ``/``-separated."""
    kind: str
    """device, vendor, segment, exception, advisory, incident, person, policy; ``people`` for
    people.yaml when it is not a list of people with ids; ``file`` for any other file."""
    id: str
    """The record's id (its file name when it has none); the path for a ``file``."""
    action: str
    """created, modified or deleted."""
    fields: tuple[FieldChange, ...] = ()
    """The fields that changed (none for a created or deleted record)."""
    note: str | None = None
    """Why no fields are listed for a modified record (unreadable YAML, comments only ...)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of this change."""
        return {
            "file": self.file,
            "kind": self.kind,
            "id": self.id,
            "action": self.action,
            "fields": [change.to_dict() for change in self.fields],
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One commit and what it changed in the register."""

    commit: str
    """Full hash."""
    date: str
    """Author date, strict ISO 8601 with the author's offset."""
    author: str
    """Author name."""
    email: str
    """Author e-mail."""
    message: str
    """First line of the commit message (redacted when it looks like it holds a credential)."""
    records: tuple[RecordChange, ...]
    """The records and files it changed, in git's order (people.yaml split per person)."""

    @property
    def short(self) -> str:
        """The abbreviated hash (a fixed length)."""
        return self.commit[:SHORT_HASH]

    @property
    def day(self) -> dt.date:
        """The author's calendar date."""
        return dt.date.fromisoformat(self.date[:10])

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of this commit."""
        return {
            "commit": self.commit,
            "date": self.date,
            "author": self.author,
            "email": self.email,
            "message": self.message,
            "records": [record.to_dict() for record in self.records],
        }


def parse_since(text: str) -> dt.date | str:
    """``--since``: an ISO date (YYYY-MM-DD), or else a revision (hash, tag or branch). Text
    shaped like a date that is not one (``2026-02-30``, ``2026-2-3``) is a usage error."""
    value = text.strip()
    if not _DATE_LIKE.match(value):
        return value
    return option_date("--since", value)


def read_history(
    root: Path,
    record_id: str | None = None,
    since: dt.date | str | None = None,
    tip: str = "HEAD",
) -> list[HistoryEntry]:
    """The commits that changed the register at ``root`` (or only the record ``record_id``: its id,
    or its file relative to the register), newest first. ``since``: a date (commits dated on or
    after it, by author date) or a revision (commits after it, up to the tip). ``tip``: HEAD,
    or the full hash of the commit whose history is read. Raises GitError when the register is not
    in a git repository or the revision is unknown."""
    after = resolve_commit(root, since) if isinstance(since, str) else None
    commits = read_log(root, after, tip)
    if isinstance(since, dt.date):
        commits = [c for c in commits if dt.date.fromisoformat(c.date[:10]) >= since]
    wanted = [
        (commit, change)
        for commit in commits
        for change in commit.files
        if record_id is None or _may_hold(change.path, record_id)
    ]
    blobs = read_blobs(root, _blob_ids(change for _, change in wanted))
    reader = _Reader(blobs)
    entries: list[HistoryEntry] = []
    for commit in commits:
        records = [
            record
            for change in commit.files
            if record_id is None or _may_hold(change.path, record_id)
            for record in reader.changes(change)
            if record_id is None or record_id in (record.id, record.file)
        ]
        if records:
            entries.append(_entry(commit, records))
    if record_id is not None and not entries and not _is_record_now(root, record_id):
        if since is not None:  # cut by --since: the whole history refuses an id it never had
            read_history(root, record_id)
        else:
            raise UsageError(_unknown_record(root, record_id, commits))
    return entries


def _is_record_now(root: Path, record_id: str) -> bool:
    """True when ``record_id`` names a record (or a file) of the register as it is now."""
    if "/" in record_id or record_id.endswith(".yaml"):
        path = (root / record_id).resolve()
        return path.is_relative_to(root.resolve()) and path.is_file()
    if record_id == "policy":
        return (root / POLICY_FILE).is_file()
    files = (root / kind.path_of(record_id) for kind in folder_kinds())
    return any(path.is_file() for path in files) or record_id in _people_now(root)


def _unknown_record(root: Path, record_id: str, commits: Sequence[LogCommit]) -> str:
    """Why ``record_id`` has no history, with the ids (or files) nearest to it: those of the
    register now and those of every file the commits changed."""
    files = {change.path for commit in commits for change in commit.files}
    for kind in folder_kinds():
        files.update(
            f"{kind.folder}/{path.name}" for path in (root / str(kind.folder)).glob("*.yaml")
        )
    files.update(name for name in (POLICY_FILE, PEOPLE_FILE) if (root / name).is_file())
    if "/" in record_id or record_id.endswith(".yaml"):  # a file: the nearest in its folder
        folder = record_id.rpartition("/")[0]
        siblings = {_stem(path): path for path in files if path.rpartition("/")[0] == folder}
        close = [siblings[near] for near in nearest(_stem(record_id), siblings)]
        close = close or nearest(record_id, files)
    else:
        names = {_stem(path) for path in files if _kind_of(path) not in ("file", "people")}
        close = nearest(record_id, names | _people_now(root) | {"policy"})
    hint = (
        f"did you mean {', '.join(close)}?"
        if close
        else "iotpolicy history without an ID lists the records that changed"
    )
    return f"no record '{record_id}' in the register or in its git history; {hint}"


def _people_now(root: Path) -> set[str]:
    """The ids of the people in the register's people.yaml as it is now."""
    try:
        text = decode(read_bounded(in_register(root, PEOPLE_FILE), MAX_FILE_BYTES))[0]
    except (OSError, InputRefused):
        return set()
    data = parse_text(text).data if text is not None else None
    items = data if isinstance(data, list) else []
    return {person_id for item in items if (person_id := _id_of(item))}


def _entry(commit: LogCommit, records: list[RecordChange]) -> HistoryEntry:
    message = shown(commit.subject)
    return HistoryEntry(
        commit.commit, commit.date, commit.author, commit.email, message, tuple(records)
    )


def _may_hold(path: str, record_id: str) -> bool:
    """True when the file ``path`` may hold the record ``record_id`` (so its texts are read)."""
    return path in (record_id, PEOPLE_FILE) or _stem(path) == record_id


def _stem(path: str) -> str:
    """The file name of ``path`` without ``.yaml``: the id of the record it holds."""
    return path.rsplit("/", 1)[-1].removesuffix(".yaml")


def _blob_ids(changes: Iterable[FileChange]) -> Iterator[str]:
    for change in changes:
        if change.path.endswith(".yaml"):
            yield from (blob for blob in (change.old_blob, change.new_blob) if blob)


class _Reader:
    """Turns file changes into record changes, parsing each blob once."""

    def __init__(self, blobs: dict[str, bytes]) -> None:
        self._blobs = blobs
        self._parsed: dict[str, Any] = {}

    def data(self, blob: str | None) -> Any:
        """The plain data of a blob; None for no blob; :data:`_UNREADABLE` when it cannot be
        parsed."""
        if blob is None:
            return None
        if blob not in self._parsed:
            raw = self._blobs.get(blob)
            data: Any = _UNREADABLE
            if raw is not None and len(raw) <= MAX_FILE_BYTES:
                text, _ = decode(raw)
                if text is not None:
                    parsed = parse_text(text)
                    data = _UNREADABLE if parsed.data is None else parsed.data
            self._parsed[blob] = data
        return self._parsed[blob]

    def changes(self, change: FileChange) -> list[RecordChange]:
        """The record changes of one file change."""
        action = ACTIONS.get(change.status, "modified")
        kind = _kind_of(change.path)
        if kind == "file":
            return [RecordChange(change.path, "file", change.path, action)]
        old, new = self.data(change.old_blob), self.data(change.new_blob)
        if kind == "people":
            people = _people_changes(change.path, action, old, new)
            if people is not None:
                return people
        stem = _stem(change.path)
        record_id = "policy" if kind == "policy" else _id_of(new) or _id_of(old) or stem
        return [_record_change(change.path, kind, record_id, action, old, new)]


class _Unreadable:
    """Marks a file text that is not readable as YAML."""


_UNREADABLE = _Unreadable()


def _kind_of(path: str) -> str:
    """The record kind a file holds: policy, people, device ..., or ``file``."""
    kind = kind_of_file(path)
    return "file" if kind is None else kind.subject or kind.name


def _id_of(data: Any) -> str | None:
    raw = data.get("id") if isinstance(data, dict) else None
    return shown(raw.strip()) if isinstance(raw, str) and raw.strip() else None


def _record_change(
    path: str, kind: str, record_id: str, action: str, old: Any, new: Any
) -> RecordChange:
    """One record's change: its fields when modified, or a note when they cannot be compared."""
    if action != "modified":
        return RecordChange(path, kind, record_id, action)
    if old is _UNREADABLE or new is _UNREADABLE:
        when = "before" if old is _UNREADABLE else "after"
        if old is _UNREADABLE and new is _UNREADABLE:
            when = "before and after"
        note = f"the file is not readable as YAML {when} this commit; fields not compared"
        return RecordChange(path, kind, record_id, action, note=note)
    fields = diff(old, new)
    unchanged = None if fields else "no field changed (comments or layout only)"
    return RecordChange(path, kind, record_id, action, fields, unchanged)


def _people_changes(path: str, action: str, old: Any, new: Any) -> list[RecordChange] | None:
    """people.yaml split per person (by id), or None when either side is not a list of people
    with ids (then the file is compared as one record)."""
    sides = [_people_by_id(old), _people_by_id(new)]
    if any(side is None for side in sides):
        return None
    before, after = sides[0] or {}, sides[1] or {}
    changes: list[RecordChange] = []
    for person_id in [*after, *(pid for pid in before if pid not in after)]:
        if person_id not in before:
            changes.append(RecordChange(path, "person", person_id, "created"))
        elif person_id not in after:
            changes.append(RecordChange(path, "person", person_id, "deleted"))
        else:
            fields = diff(before[person_id], after[person_id])
            if fields:
                changes.append(RecordChange(path, "person", person_id, "modified", fields))
    if not changes and action == "modified":
        note = "no person changed (comments, layout or order only)"
        changes.append(RecordChange(path, "people", "people", action, note=note))
    return changes


def _people_by_id(data: Any) -> dict[str, Any] | None:
    """Person id -> person mapping; {} for no file; None when it is not a list of people."""
    if data is None:
        return {}
    if not isinstance(data, list):
        return None
    people: dict[str, Any] = {}
    for item in data:
        person_id = _id_of(item)
        if person_id is None or person_id in people:
            return None
        people[person_id] = item
    return people


def diff(old: Any, new: Any) -> tuple[FieldChange, ...]:
    """The fields whose values differ between two records' data, as dotted paths: the new
    record's order first, then the fields it no longer has."""
    before, after = dict(flatten(old)), dict(flatten(new))
    changes: list[FieldChange] = []
    for path in [*after, *(p for p in before if p not in after)]:
        was, now = before.get(path), after.get(path)
        if was != now:
            changes.append(_redacted(path, was, now))
    return tuple(changes)


def flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Value]]:
    """(dotted path, value) for every leaf of ``data``: mappings by key, lists of mappings by
    position, lists of plain values as one value; empty ones and nulls are left out."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from flatten(value, f"{prefix}{key}" if not prefix else f"{prefix}.{key}")
    elif isinstance(data, list):
        if all(not isinstance(item, dict | list) for item in data):
            if data:
                yield prefix, tuple("" if item is None else str(item) for item in data)
        else:
            for index, item in enumerate(data):
                yield from flatten(item, f"{prefix}.{index}" if prefix else str(index))
    elif data is not None:
        yield prefix, str(data)


def _redacted(path: str, old: Value, new: Value) -> FieldChange:
    """The change, with both values redacted when the field is a credential key or either value
    looks like a credential, and any key of its path that looks like one too."""
    parts = path.split(".")
    secret = any(is_secret_key(part) for part in parts)
    path = ".".join(shown(part) for part in parts)
    secret = secret or any(looks_secret(text) for text in _texts(old) + _texts(new))
    if secret:
        return FieldChange(
            path, None if old is None else REDACTED, None if new is None else REDACTED
        )
    return FieldChange(path, old, new)


def _texts(value: Value) -> tuple[str, ...]:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def show(value: Value) -> str:
    """A value as history prints it: ``(none)`` when absent, ``[a, b]`` for a list."""
    if value is None:
        return "(none)"
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return value


def _json_value(value: Value) -> str | list[str] | None:
    return list(value) if isinstance(value, tuple) else value


def sort_key(record: RecordChange) -> tuple[int, str, str]:
    """Kind (in :func:`kind_order`), id, file: the order of records in listings."""
    order = kind_order()
    kind = order.index(record.kind) if record.kind in order else len(order)
    return (kind, record.id, record.file)


def kind_order() -> tuple[str, ...]:
    """Order of record kinds in listings: the register's (the policy first; a one-file kind
    followed by its file as a whole, people), files that are not records last."""
    names = (name for kind in KINDS.values() for name in (kind.name, kind.subject) if name)
    return (*dict.fromkeys(names), "file")


def format_text(entries: Sequence[HistoryEntry], record_id: str | None = None) -> str:
    """``history --format text``: each commit (newest first) with its date, author and message,
    then each record it changed and the fields, one per line."""
    if not entries:
        what = f"the record '{record_id}'" if record_id else "the register"
        return f"No commit changed {what}.\n"
    lines: list[str] = []
    for entry in entries:  # git's and the register's text: each on its line, made visible
        lines.append(f"commit {entry.short}  {entry.date}  {_line(entry.author)}")
        lines.append(f"    {_line(entry.message)}")
        for record in entry.records:
            label = record.file if record.kind == "file" else f"{record.kind} {record.id}"
            where = "" if record.kind == "file" else f" ({record.file})"
            lines.append(f"  {_line(label + where)}: {record.action}")
            lines.extend(f"    {_line(str(change))}" for change in record.fields)
            if record.note:
                lines.append(f"    ({_line(record.note)})")
        lines.append("")
    return "\n".join(lines)


def _line(text: str) -> str:
    return terminal(text, one_line=True)


def format_json(
    entries: Sequence[HistoryEntry], register: str, record_id: str | None, since: str | None
) -> str:
    """``history --format json``: one JSON document with the commits, newest first."""
    document = {
        "register": register,
        "record": record_id,
        "since": since,
        "commits": [entry.to_dict() for entry in entries],
    }
    document = visible_strings(document)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

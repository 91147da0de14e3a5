"""The one place that parses and writes YAML.

Reading for ``check`` uses libyaml (PyYAML's C parser) to compose a node tree with line marks and
turns it into plain data: :class:`LDict`, :class:`LList`, :class:`PlainStr` (an unquoted scalar),
``str`` (a quoted scalar) and ``None``. No tag is ever resolved or constructed, so scalar meaning is
left to the models (YAML 1.2: ``version: 4.10`` stays the text "4.10"). Anchors/aliases, explicit
tags, duplicate keys, non-text keys, several documents, YAML 1.1 directives, git conflict markers,
control characters and non-UTF-8 bytes are all refused with a line number.

Writing (the editing commands) uses ruamel.yaml's round-trip mode, imported only when a command
writes: :class:`RoundTrip` edits a file keeping its comments, key order, quoting and blank lines,
:func:`dump_new` writes a new file in the register's style, :func:`atomic_write_text` replaces a
file atomically and :func:`register_lock` serialises writers.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime
import difflib
import functools
import hashlib
import io
import itertools
import json
import os
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.cyaml import CParser  # type: ignore[attr-defined]
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.resolver import BaseResolver

from iotpolicy.errors import RegisterLocked
from iotpolicy.inputs import InputRefused, read_bounded

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Register files above this size are refused unread (a record is a few kilobytes)."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and lists accepted in a record."""

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_PLAIN, _QUOTED, _MAP, _SEQ = "plain", "quoted", "map", "seq"
_CONFLICT = re.compile(r"^(<{7}|={7}|>{7}|\|{7})(?: |$)", re.MULTILINE)
# C0 controls but tab/LF/CR, DEL, C1 controls, line/paragraph separators, BOM inside the text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff]|\r(?!\n)")
_ALIAS_MESSAGE = "aliases (*name) are not allowed in the register: write the value out"
_TYPED_START = frozenset("tTfF+-0123456789")
"""First characters of the plain scalars that could mean a boolean or an integer."""
BOOLEANS = ("true", "false")
"""The booleans of a register, in any case (``yes``/``on`` are text)."""
INTEGER = re.compile(r"[-+]?[0-9]+\Z")
"""An integer of a register: plain decimal digits."""
_DIRECTIVE = re.compile(r"^%YAML[ \t]+(\S+)", re.MULTILINE)


class PlainStr(str):
    """A scalar written without quotes that could mean a boolean or an integer (``true``,
    ``False``, ``0755``, ``-3``): the models decide. Every other scalar is a plain ``str``."""

    __slots__ = ()


class LDict(dict[str, Any]):
    """A mapping that remembers its own line and the line of each key (1-based)."""

    __slots__ = ("key_lines", "line")

    line: int
    key_lines: dict[str, int]


class LList(list[Any]):
    """A sequence that remembers its own line and the line of each item (1-based)."""

    __slots__ = ("item_lines", "line")

    line: int
    item_lines: list[int]


@dataclass(frozen=True, slots=True)
class YamlProblem:
    """One problem found while reading a file."""

    line: int
    """1-based line."""
    message: str
    """What is wrong, in words for the register's editor."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """The outcome of reading one file: its data (None when unusable) and every problem found."""

    data: Any
    problems: tuple[YamlProblem, ...]
    text: str | None
    """The decoded text, for scans that read comments too (None when it could not be decoded)."""
    digest: str | None = None
    """Content hash of the bytes read (files only; None when they could not be read)."""


class _Loader(CParser, BaseResolver):
    """libyaml's parser and composer with a resolver that only tells plain from quoted."""

    def __init__(self, text: str) -> None:
        CParser.__init__(self, text)
        BaseResolver.__init__(self)

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            return _PLAIN if implicit[0] else _QUOTED
        return _MAP if kind is MappingNode else _SEQ


def value_at(data: Any, path: Sequence[str | int]) -> Any:
    """The value at ``path`` inside ``data`` (mappings and lists), or None when it is not there."""
    node = data
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def line_of(text: str, index: int) -> int:
    """1-based line of character ``index`` of ``text``."""
    return text.count("\n", 0, index) + 1


def decode(raw: bytes) -> tuple[str | None, YamlProblem | None]:
    """UTF-8 text of ``raw`` (a leading BOM dropped, CRLF kept for the parser), or the problem."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(raw) > 1 and b"\x00" in raw[:2]):
        return None, YamlProblem(1, "file is UTF-16 encoded; register files must be UTF-8")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return None, YamlProblem(line, f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})")


def prescan(text: str) -> list[YamlProblem]:
    """Problems visible in the text itself: conflict markers, control characters, directives."""
    problems = [
        YamlProblem(line_of(text, m.start()), "unresolved git merge conflict marker")
        for m in _CONFLICT.finditer(text)
    ]
    problems += [
        YamlProblem(line_of(text, m.start()), f"control character U+{ord(m.group()):04X} in text")
        for m in _CONTROL.finditer(text)
    ]
    problems += [
        YamlProblem(line_of(text, m.start()), f"YAML {m.group(1)} directive: use YAML 1.2")
        for m in _DIRECTIVE.finditer(text)
        if m.group(1) != "1.2"
    ]
    return problems


def parse_text(text: str) -> Parsed:
    """Compose ``text`` and turn it into line-aware plain data, collecting every problem."""
    problems = prescan(text)
    if problems:
        return Parsed(None, tuple(problems), text)
    try:
        node = _Loader(text).get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # libyaml places an unexpected end of the stream one line past the last line.
        line = min(mark.line + 1, text.count("\n") + 1) if mark is not None else 1
        what = _tab(text, mark) or exc.problem or exc.context or "invalid YAML"
        return Parsed(None, (YamlProblem(line, f"invalid YAML: {what}"),), text)
    except (yaml.YAMLError, ValueError, RecursionError, MemoryError) as exc:
        return Parsed(None, (YamlProblem(1, f"invalid YAML: {type(exc).__name__}"),), text)
    if node is None or (node.tag == _PLAIN and node.value in _NULLS):
        # A lone ``---``, ``~`` or ``null`` holds no record either; without a problem the file
        # would silently vanish from the register.
        return Parsed(None, (YamlProblem(1, "file is empty"),), text)
    builder = _Builder()
    data = builder.build(node, 0)
    problems = builder.problems
    if builder.aliased:
        problems = [p for p in problems if p.message != _ALIAS_MESSAGE] + _alias_problems(text)
        problems.sort(key=lambda p: p.line)
    return Parsed(data, tuple(problems), text)


def _tab(text: str, mark: Any) -> str | None:
    """The words for libyaml stopping at a tab ("found character that cannot start any token",
    "a tab character that violates indentation"), or None when it stopped elsewhere."""
    if mark is None:
        return None
    lines = text.split("\n")
    row = lines[mark.line] if mark.line < len(lines) else ""
    if row[mark.column : mark.column + 1] != "\t":
        return None
    return f"a tab at line {mark.line + 1}, column {mark.column + 1}: YAML indents with spaces"


def _alias_problems(text: str) -> list[YamlProblem]:
    """One problem per line holding an alias (composing shares the anchored node, so only the
    event stream knows where each alias stands)."""
    events = yaml.parse(text, Loader=_Loader)  # type: ignore[arg-type]
    lines = {
        event.start_mark.line + 1
        for event in events
        if isinstance(event, yaml.AliasEvent) and event.start_mark is not None
    }
    return [YamlProblem(line, _ALIAS_MESSAGE) for line in sorted(lines)]


def read_file(path: Path) -> Parsed:
    """Read and parse one register file (its size checked first: see :mod:`iotpolicy.inputs`);
    never raises for bad content."""
    try:
        raw = read_bounded(path, MAX_FILE_BYTES)
    except InputRefused as exc:
        return Parsed(None, (YamlProblem(1, f"file is {exc}"),), None)
    except OSError as exc:
        return Parsed(None, (YamlProblem(1, f"cannot read file: {exc.strerror}"),), None)
    digest = content_digest(raw)
    text, problem = decode(raw)
    if text is None:
        assert problem is not None
        return Parsed(None, (problem,), None, digest)
    return dataclasses.replace(parse_text(text), digest=digest)


def content_digest(raw: bytes) -> str:
    """The content hash the check cache keys files by (BLAKE2b, 128 bits, hex)."""
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


class _Builder:
    """Turns a composed node tree into LDict/LList/str data, refusing what registers never hold."""

    def __init__(self) -> None:
        self.problems: list[YamlProblem] = []
        self.aliased = False
        self._seen: set[int] = set()

    def _refuse(self, node: Node, message: str) -> None:
        self.problems.append(YamlProblem(node.start_mark.line + 1, message))

    def build(self, node: Node, depth: int) -> Any:
        """The data of ``node``; refused parts become None and a problem."""
        seen = self._seen
        if id(node) in seen:
            self.aliased = True
            self._refuse(node, _ALIAS_MESSAGE)
            return None
        seen.add(id(node))
        tag = node.tag
        if tag == _PLAIN:
            value = node.value
            if value in _NULLS:
                return None
            if value[:1] in _TYPED_START and (value.lower() in BOOLEANS or INTEGER.match(value)):
                return PlainStr(value)
            # Interned: statuses, categories, vendors ... repeat across thousands of records.
            return sys.intern(value)
        if tag == _QUOTED:
            return str(node.value)
        if tag not in (_MAP, _SEQ):
            self._refuse(node, f"tag {tag!r} is not allowed: only plain data is register data")
            return None
        if depth > MAX_DEPTH:
            self._refuse(node, f"nesting deeper than {MAX_DEPTH} levels")
            return None
        depth += 1
        if tag == _SEQ:
            seq = LList()
            seq.line = node.start_mark.line + 1
            seq.item_lines = [item.start_mark.line + 1 for item in node.value]
            seq.extend([self.build(item, depth) for item in node.value])
            return seq
        mapping = LDict()
        mapping.line = node.start_mark.line + 1
        key_lines: dict[str, int] = {}
        mapping.key_lines = key_lines
        for key_node, value_node in node.value:
            if key_node.tag not in (_PLAIN, _QUOTED) or not isinstance(key_node, ScalarNode):
                self._refuse(key_node, "a key must be plain text")
                continue
            key = sys.intern(key_node.value)
            if key in key_lines:
                self._refuse(key_node, f"duplicate key '{key}'")
                continue
            mapping[key] = self.build(value_node, depth)
            key_lines[key] = key_node.start_mark.line + 1
        return mapping


# --- writing: round-trip editing, new files in the register's style, atomic and locked writes --

LOCK_FILE = ".iotpolicy.lock"
"""The register's lock file (kept out of git by the register's .gitignore)."""
LOCK_TIMEOUT = 60.0
"""Seconds a writer waits for another writer to finish before giving up."""
_FOLD_WIDTH = 92
"""Long new texts are folded (``>-``) into lines of at most this many characters."""
_FLOW_ITEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@/+-]*$")
_YAML11 = yaml.resolver.Resolver()
_DOCUMENT_END = re.compile(r"^\.\.\.[ \t]*(?:#.*)?\n(?:[ \t]*(?:#.*)?\n)*\Z", re.MULTILINE)
_STR_TAG = "tag:yaml.org,2002:str"


class YamlEditError(Exception):
    """A file that cannot be edited with the round-trip writer (its message names why)."""


class Quoted(str):
    """Text to be written in double quotes: versions, serial and revision numbers, MACs."""

    __slots__ = ()


KeyOrder = Callable[[tuple[str | int, ...]], Sequence[str]]
"""The canonical key order of the mapping at a path (where a new key is inserted)."""


def needs_quotes(text: str) -> bool:
    """True when ``text`` written plain would read as something else than this text to some YAML
    reader (``yes``, ``1.0``, ``0755``, ``2025-01-01``, ``null`` ...), or not parse at all."""
    if not text or text != text.strip() or "\n" in text:
        return True
    if _YAML11.resolve(yaml.ScalarNode, text, (True, False)) != _STR_TAG:  # type: ignore[no-untyped-call]
        return True
    return text.lower() in _NULLS or text.lower() in ("true", "false")


def yaml_text(value: object) -> str:
    """``value`` as one YAML scalar: plain when that reads back as the same text, else a
    double-quoted string (JSON's escapes are valid YAML). For templates that write YAML."""
    text = str(value)
    plain = re.fullmatch(r"[^\W_][\w .()/,&+'@-]*", text) is not None
    if plain and not needs_quotes(text) and ": " not in text and " #" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


@functools.cache
def _ruamel() -> Any:
    """The ruamel.yaml module (imported on first write: ``check`` never needs it)."""
    import ruamel.yaml

    return ruamel.yaml


def _writer(mapping: int = 2, sequence: int = 4, offset: int = 2) -> Any:
    """A round-trip YAML 1.2 reader/writer with the given block indentation (ruamel's default
    version is 1.2; setting it explicitly would add a ``%YAML`` directive to every file)."""
    rt = _ruamel()
    writer = rt.YAML(typ="rt")
    writer.preserve_quotes = True
    writer.width = 4096  # never re-wrap a long line
    writer.indent(mapping=mapping, sequence=sequence, offset=offset)
    writer.representer.add_representer(
        type(None), lambda rep, _: rep.represent_scalar("tag:yaml.org,2002:null", "null")
    )
    writer.representer.ignore_aliases = lambda _data: True  # a value used twice is written twice
    return writer


def _dump(writer: Any, data: Any) -> str:
    buffer = io.StringIO()
    writer.dump(data, buffer)
    return buffer.getvalue()


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indentation mostly used by ``text``'s block collections; the
    register's style (2, 4, 2) where the text does not tell, (2, 2, 0) for a top-level list
    written at the margin (people.yaml)."""
    lines = [line for line in text.splitlines() if line.strip() and line.lstrip()[0] != "#"]
    mappings: collections.Counter[int] = collections.Counter()
    offsets: collections.Counter[int] = collections.Counter()
    for previous, line in itertools.pairwise(lines):
        if not previous.rstrip().endswith(":"):
            continue
        base = _indent_of(previous) + (2 if previous.lstrip().startswith("- ") else 0)
        depth = _indent_of(line) - base
        if line.lstrip().startswith("- ") and depth >= 0:
            offsets[depth] += 1
        elif depth > 0:
            mappings[depth] += 1
    mapping = mappings.most_common(1)[0][0] if mappings else 2
    if lines and lines[0].startswith("- "):
        offset = 0
    else:
        offset = offsets.most_common(1)[0][0] if offsets else 2
    return mapping, offset + 2, offset


_NULL_VALUE = re.compile(r"(:|^-)(?: (?:~|null|Null|NULL))?((?: #.*)?)$")


def _comparable(line: str) -> str:
    """A line as the merge compares it: indentation kept; spacing inside the line and the
    spelling of null (empty, ``~``, ``null``) do not count."""
    body = line.lstrip(" ")
    body = _NULL_VALUE.sub(r"\1 null\2", " ".join(body.split()))
    return " " * (len(line) - len(line.lstrip(" "))) + body


def _fold(text: str) -> Any:
    """A long single-line text as a folded block scalar (``>-``) with lines of at most
    _FOLD_WIDTH characters, as the example register writes long justifications."""
    scalar = _ruamel().scalarstring.FoldedScalarString(text)
    positions: list[int] = []
    start = 0
    while len(text) - start > _FOLD_WIDTH:
        cut = text.rfind(" ", start, start + _FOLD_WIDTH + 1)
        if cut <= start or text[cut - 1] == " " or text[cut + 1 : cut + 2] in ("", " "):
            break
        positions.append(cut)
        start = cut + 1
    scalar.fold_pos = positions
    return scalar


def _node(value: Any) -> Any:
    """Plain data as ruamel round-trip nodes in the register's style: block mappings, short
    lists of words in flow style (``roles: [general-manager]``), dates and numbers plain, text
    quoted only where it must be (and always for :class:`Quoted`), long text folded."""
    rt = _ruamel()
    if isinstance(value, Quoted):
        return rt.scalarstring.DoubleQuotedScalarString(str(value))
    if isinstance(value, str):
        if needs_quotes(value) and "\n" not in value:
            return rt.scalarstring.DoubleQuotedScalarString(value)
        if len(value) > _FOLD_WIDTH and "\n" not in value and "  " not in value:
            return _fold(value)
        return str(value)
    if isinstance(value, dict):
        mapping = rt.comments.CommentedMap()
        for key, item in value.items():
            mapping[key] = _node(item)
        return mapping
    if isinstance(value, list | tuple):
        seq = rt.comments.CommentedSeq([_node(item) for item in value])
        words = [str(item) for item in value if isinstance(item, str | int)]
        if (
            len(words) == len(value)
            and all(_FLOW_ITEM.match(w) and not needs_quotes(w) for w in words)
            and sum(len(w) + 2 for w in words) <= 60
        ):
            seq.fa.set_flow_style()
        return seq
    return value


def dump_new(data: Any, header: str) -> str:
    """A new file holding ``data`` in the register's style, starting with the ``header`` line."""
    indent = (2, 2, 0) if isinstance(data, list) else (2, 4, 2)
    return f"{header}\n{_dump(_writer(*indent), _node(data))}"


_CORE_SCALARS = (
    ("tag:yaml.org,2002:null", re.compile(r"~|null|Null|NULL|")),
    ("tag:yaml.org,2002:bool", re.compile(r"true|True|TRUE|false|False|FALSE")),
    ("tag:yaml.org,2002:int", re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")),
    (
        "tag:yaml.org,2002:float",
        re.compile(
            r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
        ),
    ),
    ("tag:yaml.org,2002:timestamp", re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")),
)
"""The YAML 1.2 core schema (spec 10.3.2), then dates ``YYYY-MM-DD`` as the models read them."""


def _core_tag(text: str) -> str:
    """The tag of the plain scalar ``text`` under :data:`_CORE_SCALARS`; anything else is text
    (``2024-02-30`` too)."""
    for tag, pattern in _CORE_SCALARS:
        if pattern.fullmatch(text):
            if tag.endswith(":timestamp"):
                try:
                    datetime.date.fromisoformat(text)
                except ValueError:
                    break
            return tag
    return _STR_TAG


@functools.cache
def _plain_reading() -> tuple[type, type]:
    """ruamel's resolver and round-trip constructor, reading scalars as ``check`` does: null is
    None and every other plain scalar the text written, a :class:`PlainStr` (ruamel would read
    ``+47..`` as a number and write it back as ``47..``, ``TRUE`` as ``true``, ``.NaN`` as
    ``.nan``, and fail on ``2024-02-30``). A plain scalar's tag, which decides how a value is
    written, is :func:`_core_tag`'s (ruamel's own YAML 1.2 resolver also reads ``1_000``,
    ``0b1``, ``+0x1F``, date-times, ``=`` and merge keys ``<<``)."""
    from ruamel.yaml.constructor import RoundTripConstructor
    from ruamel.yaml.nodes import ScalarNode as RtScalarNode
    from ruamel.yaml.resolver import VersionedResolver
    from ruamel.yaml.tag import Tag

    class Resolver(VersionedResolver):
        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is RtScalarNode and implicit[0]:
                return Tag(suffix=_core_tag(value))
            return super().resolve(kind, value, implicit)

    class Constructor(RoundTripConstructor):
        def construct_plain(self, node: Any) -> Any:
            if node.style is None:
                return PlainStr(node.value)
            return self.construct_yaml_str(node)

    for tag, _ in _CORE_SCALARS[1:]:
        Constructor.add_constructor(tag, Constructor.construct_plain)
    Constructor.add_constructor(_STR_TAG, Constructor.construct_plain)
    return Resolver, Constructor


def _represent_plain(representer: Any, data: PlainStr) -> Any:
    """A plain scalar read by :class:`RoundTrip`, written back exactly as it was."""
    return representer.represent_scalar(_core_tag(data), str(data))


class RoundTrip:
    """One YAML document loaded for editing: change it through :meth:`set` and :meth:`append`,
    then :meth:`text` gives the new text, in which only the changed lines differ (comments, key
    order, quoting, blank lines and indentation of the rest are kept).

    Text that :func:`parse_text` refuses raises YamlEditError: ruamel is never shown hostile input.
    """

    def __init__(self, text: str) -> None:
        problems = parse_text(text).problems
        if problems:  # the callers check first; this keeps ruamel away from hostile input anyway
            raise YamlEditError(f"cannot be edited safely (line {problems[0].line}: invalid)")
        self._crlf = "\r\n" in text
        self.original = text.replace("\r\n", "\n")
        if self.original and not self.original.endswith("\n"):
            self.original += "\n"
        # A document end marker (``...``) and what follows it stay at the end, after any edit.
        end = _DOCUMENT_END.search(self.original)
        self._tail = self.original[end.start() :] if end else ""
        self.original = self.original[: end.start()] if end else self.original
        self._writer = _writer(*guess_indent(self.original))
        self._writer.Resolver, self._writer.Constructor = _plain_reading()
        self._writer.representer.add_representer(PlainStr, _represent_plain)
        try:
            self._base = _dump(self._writer, self._writer.load(self.original))
            self.root: Any = self._writer.load(self.original)
        except Exception as exc:  # ruamel raises many kinds (RecursionError, TypeError ...)
            raise YamlEditError(f"cannot be edited safely ({type(exc).__name__})") from None

    def get(self, path: Sequence[str | int]) -> Any:
        """The node at ``path``, or None."""
        return value_at(self.root, path)

    def set(self, path: Sequence[str | int], value: Any, order: KeyOrder) -> None:
        """Set the value at ``path`` (creating missing mappings at their canonical place); a
        replaced text keeps its quoting style."""
        parent = self._mapping(tuple(path[:-1]), order)
        key = path[-1]
        if isinstance(parent, list):
            parent[key] = _restyle(_node(value), parent[key])  # type: ignore[index]
        elif key in parent:
            parent[key] = _restyle(_node(value), parent[key])
        else:
            _insert(parent, str(key), _node(value), order(tuple(path[:-1])))

    def append(self, path: Sequence[str | int], item: Any, order: KeyOrder) -> None:
        """Append ``item`` to the list at ``path`` (created at its canonical place if missing)."""
        current = self.get(path)
        if isinstance(current, list) and not isinstance(current, str):
            current.append(_node(item))
            return
        self.set(path, [item], order)
        seq = self.get(path)
        seq.fa.set_block_style()

    def remove(self, path: Sequence[str | int]) -> None:
        """Remove the key or list item at ``path`` (nothing when it is not there)."""
        parent = self.get(path[:-1]) if len(path) > 1 else self.root
        key = path[-1]
        listed = isinstance(parent, list) and isinstance(key, int) and 0 <= key < len(parent)
        if listed or (isinstance(parent, dict) and key in parent):
            del parent[key]

    def _mapping(self, path: tuple[str | int, ...], order: KeyOrder) -> Any:
        """The mapping (or list) at ``path``, creating empty mappings where keys are missing."""
        node = self.root
        for depth, step in enumerate(path):
            child = node[step] if not isinstance(node, dict) or step in node else None
            if child is None:
                child = _ruamel().comments.CommentedMap()
                if isinstance(node, dict) and step not in node:
                    _insert(node, str(step), child, order(path[:depth]))
                else:
                    node[step] = child
            node = child
        return node

    def text(self) -> str:
        """The edited document: the original text with exactly the edit's lines changed."""
        try:
            edited = _dump(self._writer, self.root)
        except Exception as exc:
            raise YamlEditError(f"cannot be written ({type(exc).__name__})") from None
        merged = merge_edit(self.original, self._base, edited)
        if _shape(parse_text(merged).data) != _shape(parse_text(edited).data):
            merged = edited  # never expected; the edit's meaning wins over its layout
        merged += self._tail
        return merged.replace("\n", "\r\n") if self._crlf else merged


def _restyle(new: Any, old: Any) -> Any:
    """``new`` text written in the quoting style of the ``old`` value it replaces."""
    rt = _ruamel()
    styles = (
        rt.scalarstring.DoubleQuotedScalarString,
        rt.scalarstring.SingleQuotedScalarString,
    )
    if isinstance(new, str) and isinstance(old, styles) and type(new) is str:
        return type(old)(new)
    return new


def _insert(mapping: Any, key: str, value: Any, order: Sequence[str]) -> None:
    """Insert ``key`` into ``mapping`` before the first key that comes after it in ``order``."""
    rank = {name: index for index, name in enumerate(order)}
    mine = rank.get(key, len(rank))
    keys = list(mapping)
    position = next((i for i, k in enumerate(keys) if rank.get(k, -1) > mine), len(keys))
    mapping.insert(position, key, value)


def _shape(data: Any) -> Any:
    """``data`` from :func:`parse_text` as comparable values that keep plain vs quoted."""
    if isinstance(data, dict):
        return {key: _shape(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_shape(value) for value in data]
    if isinstance(data, PlainStr):
        return ("plain", str(data))
    return data


@dataclass
class _Hunk:
    start: int
    end: int
    lines: list[str]


def merge_edit(original: str, base: str, edited: str) -> str:
    """Apply an edit to ``original``: ``base`` is ruamel's rendering of it unchanged, ``edited``
    its rendering after the edit. Where ruamel's rendering differs from the original without
    any edit (``null`` written empty, odd indentation, spacing), the original lines are kept;
    only the lines the edit touches change.

    New lines never land after the blank lines and comments that lead into the next key: an
    insertion slides up over them (ruamel attaches those to the element before).
    """
    a = original.splitlines(keepends=True)
    b = base.splitlines(keepends=True)
    e = edited.splitlines(keepends=True)
    hunks: list[_Hunk] = []
    floor = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, b, e, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i1 == i2:
            i1 = i2 = _slide(b, i1, floor, e[j1:j2])
        hunks.append(_Hunk(i1, i2, e[j1:j2]))
        floor = i2
    if not hunks:
        return original
    comparable = difflib.SequenceMatcher(
        None, [_comparable(line) for line in b], [_comparable(line) for line in a], autojunk=False
    )
    opcodes = comparable.get_opcodes()
    blocks = [(i1, i2) for tag, i1, i2, _, _ in opcodes if tag != "equal"]
    low, high = _position_maps(len(b), opcodes)
    out: list[str] = []
    done = 0
    for start, end in _spans([(h.start, h.end) for h in hunks], blocks):
        lines: list[str] = []
        at = start
        for hunk in hunks:
            if start <= hunk.start and hunk.end <= end:
                lines += b[at : hunk.start] + hunk.lines
                at = hunk.end
        lines += b[at:end]
        out += a[done : high[start]]
        out += lines
        done = max(low[end], high[start])
    out += a[done:]
    return "".join(out)


def _slide(base: list[str], at: int, floor: int, inserted: list[str]) -> int:
    """Move an insertion at ``at`` up over blank lines and comments indented no deeper than the
    inserted lines (they introduce what follows), never above ``floor``."""
    first = next((line for line in inserted if line.strip()), None)
    if first is None:
        return at
    depth = _indent_of(first)
    while at > floor:
        line = base[at - 1]
        stripped = line.strip()
        if stripped and not (stripped.startswith("#") and _indent_of(line) <= depth):
            break
        at -= 1
    return at


def _spans(edits: list[tuple[int, int]], blocks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Base line ranges to replace: each edit widened over every block where the original
    differs from the base that it overlaps (so no range ends inside such a block), merged where
    ranges touch."""
    spans = sorted(edits)
    while True:
        widened = []
        for start, end in spans:
            for b1, b2 in blocks:
                if b1 == b2:  # lines only the original has: kept unless strictly inside
                    inside = start < b1 < end
                elif start == end:
                    inside = b1 < start < b2
                else:
                    inside = max(start, b1) < min(end, b2)
                if inside:
                    start, end = min(start, b1), max(end, b2)
            widened.append((start, end))
        widened.sort()
        merged: list[tuple[int, int]] = []
        for start, end in widened:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        if merged == spans:
            return merged
        spans = merged


def _position_maps(
    size: int, opcodes: Sequence[tuple[str, int, int, int, int]]
) -> tuple[list[int], list[int]]:
    """For each base position (0..size), the lowest and highest original position it matches
    (positions inside a differing block are never asked for)."""
    low = [-1] * (size + 1)
    high = [-1] * (size + 1)

    def note(position: int, target: int) -> None:
        low[position] = target if low[position] < 0 else min(low[position], target)
        high[position] = max(high[position], target)

    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            for step in range(i2 - i1 + 1):
                note(i1 + step, j1 + step)
        else:
            note(i1, j1)
            note(i2, j2)
    if size == 0:
        note(0, 0)
    return low, high


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` in UTF-8, as :func:`atomic_write_bytes` does."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, fsync and rename.

    A crash or Ctrl-C at any moment leaves the old file or the new one, never a truncated file,
    and no temporary file behind (a kill -9 in the window leaves a hidden ``.NAME.*.tmp``, which
    nothing reads). The new file keeps the permissions of the file it replaces (a new file gets
    the umask's, not the temporary file's private 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    try:
        # Created inside the try, not by tempfile.mkstemp before it: a Ctrl-C raised the moment
        # open() returns (one that came while it blocked) must remove the file too.
        fd = os.open(tmp, _TEMP_FLAGS, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except FileExistsError:  # from os.open only: the name is taken (1 in 2**64), not ours
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


_TEMP_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)
"""A temporary file is a new file (never an existing file or link), written without newline
translation on Windows: tempfile.mkstemp's flags."""


def _mode_for(path: Path) -> int:
    """Permissions for the new version of ``path``: those of the current file, else the
    umask's default for a new file."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _sync_folder(folder: Path) -> None:
    """fsync a folder so a rename in it survives a power cut (not possible everywhere)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def register_lock(root: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the register's write lock (an exclusive lock on ``<root>/.iotpolicy.lock``) for the
    read-modify-write of a command, so concurrent writers never lose each other's change.

    The lock is a separate file: locking the file being replaced would not serialise writers
    (a rename gives the next writer a new, unlocked file). Raises RegisterLocked after
    ``timeout`` seconds (default :data:`LOCK_TIMEOUT`)."""
    timeout = LOCK_TIMEOUT if timeout is None else timeout
    path = root / LOCK_FILE
    with path.open("a+b") as handle:
        deadline = time.monotonic() + timeout
        while not _try_lock(handle.fileno()):
            if time.monotonic() >= deadline:
                raise RegisterLocked(
                    f"the register is being changed by another iotpolicy command ({path} is "
                    f"locked for more than {timeout:.0f} s); try again"
                )
            time.sleep(0.02)
        try:
            yield
        finally:
            _unlock(handle.fileno())


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

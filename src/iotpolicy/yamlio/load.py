"""Reading a register file: the one place that imports PyYAML (libyaml's C parser).

Reading for ``check`` uses libyaml (PyYAML's C parser) to compose a node tree with line marks and
turns it into plain data: :class:`LDict`, :class:`LList`, :class:`PlainStr` (an unquoted scalar),
``str`` (a quoted scalar) and ``None``. No tag is ever resolved or constructed, so scalar meaning is
left to the models (YAML 1.2: ``version: 4.10`` stays the text "4.10"). Anchors/aliases, explicit
tags, duplicate keys, non-text keys, several documents, YAML 1.1 directives, git conflict markers,
control characters and non-UTF-8 bytes are all refused with a line number.

:func:`needs_quotes` tells, by the same library's reading, which texts must be written quoted.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.cyaml import CParser  # type: ignore[attr-defined]
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.resolver import BaseResolver

from iotpolicy.fsio import content_digest
from iotpolicy.inputs import InputRefused, read_bounded
from iotpolicy.yamlio.nodes import BOOLEANS, INTEGER, NULLS, STR_TAG, LDict, LList, PlainStr

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Register files above this size are refused unread (a record is a few kilobytes)."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and lists accepted in a record."""

_PLAIN, _QUOTED, _MAP, _SEQ = "plain", "quoted", "map", "seq"
_CONFLICT = re.compile(r"^(<{7}|={7}|>{7}|\|{7})(?: |$)", re.MULTILINE)
_CONTROL_CHARACTERS = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff"
)
"""C0 controls but tab, LF and CR, DEL, C1 controls, line and paragraph separators, the BOM, the
noncharacters U+FFFE and U+FFFF, lone surrogates: what register text never holds."""
_CONTROL = re.compile(f"[{_CONTROL_CHARACTERS}]|\r(?!\n)")
"""Those characters, and a CR not ending a line, written as they are in a file's text."""
_CONTROL_IN_VALUE = re.compile(f"[{_CONTROL_CHARACTERS}\r]")
"""Those characters, and any CR, in a parsed scalar or key: written as escapes (``"\\e"``,
``"\\x9b"``, ``"\\0"``) in a double-quoted scalar, the only place YAML turns text into them."""
_ALIAS_MESSAGE = "aliases (*name) are not allowed in the register: write the value out"
_TYPED_START = frozenset("tTfF+-0123456789")
"""First characters of the plain scalars that could mean a boolean or an integer."""
_DIRECTIVE = re.compile(r"^%YAML[ \t]+(\S+)", re.MULTILINE)


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
    if node is None or (node.tag == _PLAIN and node.value in NULLS):
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
        return refused_file(exc)
    except OSError as exc:
        return unreadable_file(exc.strerror or type(exc).__name__)
    return parse_bytes(raw)


def unreadable_file(reason: str) -> Parsed:
    """A file that could not be read (``reason``: the system's words, ``No such file or
    directory``)."""
    return Parsed(None, (YamlProblem(1, f"cannot read file: {reason}"),), None)


def refused_file(exc: InputRefused) -> Parsed:
    """A file not read because of its size or kind (see :mod:`iotpolicy.inputs`)."""
    return Parsed(None, (YamlProblem(1, f"file is {exc}"),), None)


def parse_bytes(raw: bytes) -> Parsed:
    """Parse the bytes of one register file (as read from disk or from a git blob), with their
    content hash; never raises for bad content."""
    digest = content_digest(raw)
    text, problem = decode(raw)
    if text is None:
        assert problem is not None
        return Parsed(None, (problem,), None, digest)
    return dataclasses.replace(parse_text(text), digest=digest)


class _Builder:
    """Turns a composed node tree into LDict/LList/str data, refusing what registers never hold."""

    def __init__(self) -> None:
        self.problems: list[YamlProblem] = []
        self.aliased = False
        self._seen: set[int] = set()

    def _refuse(self, node: Node, message: str) -> None:
        self.problems.append(YamlProblem(node.start_mark.line + 1, message))

    def _control(self, node: Node, text: str, where: str, key: bool = False) -> bool:
        """True (and a problem naming the field, never the text) when ``text``, a parsed
        double-quoted scalar or key, holds a control character."""
        found = _CONTROL_IN_VALUE.search(text)
        if found is None:
            return False
        what = "a key" if key else "the value"
        self._refuse(
            node,
            f"{where or 'record'}: control character U+{ord(found.group()):04X} in {what} "
            "(written as an escape): not allowed in the register",
        )
        return True

    def build(self, node: Node, depth: int, where: str = "") -> Any:
        """The data of ``node`` (at the field path ``where``); refused parts become None and a
        problem."""
        seen = self._seen
        if id(node) in seen:
            self.aliased = True
            self._refuse(node, _ALIAS_MESSAGE)
            return None
        seen.add(id(node))
        tag = node.tag
        if tag == _PLAIN:
            value = node.value
            if value in NULLS:
                return None
            if value[:1] in _TYPED_START and (value.lower() in BOOLEANS or INTEGER.match(value)):
                return PlainStr(value)
            # Interned: statuses, categories, vendors ... repeat across thousands of records.
            return sys.intern(value)
        if tag == _QUOTED:
            value = str(node.value)
            escaped = getattr(node, "style", None) == '"'  # a scalar: only "..." has escapes
            return None if escaped and self._control(node, value, where) else value
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
            prefix = f"{where}." if where else ""
            seq.extend(
                [self.build(item, depth, f"{prefix}{i}") for i, item in enumerate(node.value)]
            )
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
            if key_node.style == '"' and self._control(key_node, key, where, key=True):
                continue
            if key in key_lines:
                self._refuse(key_node, f"duplicate key '{key}'")
                continue
            mapping[key] = self.build(value_node, depth, f"{where}.{key}" if where else key)
            key_lines[key] = key_node.start_mark.line + 1
        return mapping


_YAML11 = yaml.resolver.Resolver()


def needs_quotes(text: str) -> bool:
    """True when ``text`` written plain would read as something else than this text to some YAML
    reader (``yes``, ``1.0``, ``0755``, ``2025-01-01``, ``null`` ...), or not parse at all."""
    if not text or text != text.strip() or "\n" in text:
        return True
    if _YAML11.resolve(yaml.ScalarNode, text, (True, False)) != STR_TAG:  # type: ignore[no-untyped-call]
        return True
    return text.lower() in NULLS or text.lower() in ("true", "false")


def yaml_text(value: object) -> str:
    """``value`` as one YAML scalar: plain when that reads back as the same text, else a
    double-quoted string (JSON's escapes are valid YAML). For templates that write YAML."""
    text = str(value)
    plain = re.fullmatch(r"[^\W_][\w .()/,&+'@-]*", text) is not None
    if plain and not needs_quotes(text) and ": " not in text and " #" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)

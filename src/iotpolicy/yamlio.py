"""The one place that parses YAML.

Reading for ``check`` uses libyaml (PyYAML's C parser) to compose a node tree with line marks and
turns it into plain data: :class:`LDict`, :class:`LList`, :class:`PlainStr` (an unquoted scalar),
``str`` (a quoted scalar) and ``None``. No tag is ever resolved or constructed, so scalar meaning is
left to the models (YAML 1.2: ``version: 4.10`` stays the text "4.10"). Anchors/aliases, explicit
tags, duplicate keys, non-text keys, several documents, YAML 1.1 directives, git conflict markers,
control characters and non-UTF-8 bytes are all refused with a line number.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.cyaml import CParser  # type: ignore[attr-defined]
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.resolver import BaseResolver

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
_DIRECTIVE = re.compile(r"^%YAML[ \t]+(\S+)", re.MULTILINE)


class PlainStr(str):
    """A scalar written without quotes; models decide if it is a boolean, integer or text."""

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
        what = exc.problem or exc.context or "invalid YAML"
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
    """Read and parse one register file; never raises for bad content."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return Parsed(None, (YamlProblem(1, f"cannot read file: {exc.strerror}"),), None)
    if len(raw) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        return Parsed(None, (YamlProblem(1, f"file is larger than {limit} MiB"),), None)
    text, problem = decode(raw)
    if text is None:
        assert problem is not None
        return Parsed(None, (problem,), None)
    return parse_text(text)


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
            return None if value in _NULLS else PlainStr(value)
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
            key = str(key_node.value)
            if key in key_lines:
                self._refuse(key_node, f"duplicate key '{key}'")
                continue
            mapping[key] = self.build(value_node, depth)
            key_lines[key] = key_node.start_mark.line + 1
        return mapping


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, fsync and rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

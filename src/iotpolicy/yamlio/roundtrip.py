"""Writing YAML in the register's style: the one place that imports ruamel.yaml.

ruamel.yaml's round-trip mode is imported only when a command writes: :class:`RoundTrip` edits a
file keeping its comments, key order, quoting and blank lines (its lines merged back into the
original by :mod:`iotpolicy.yamlio.merge`), and :func:`dump_new` writes a new file in the
register's style.
"""

from __future__ import annotations

import collections
import datetime
import functools
import io
import itertools
import re
from collections.abc import Callable, Sequence
from typing import Any

from iotpolicy.yamlio.load import needs_quotes, parse_text
from iotpolicy.yamlio.merge import indent_of, merge_edit
from iotpolicy.yamlio.nodes import STR_TAG, PlainStr, Quoted, value_at

_FOLD_WIDTH = 92
"""Long new texts are folded (``>-``) into lines of at most this many characters."""
_FLOW_ITEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@/+-]*$")
_DOCUMENT_END = re.compile(r"^\.\.\.[ \t]*(?:#.*)?\n(?:[ \t]*(?:#.*)?\n)*\Z", re.MULTILINE)


class YamlEditError(Exception):
    """A file that cannot be edited with the round-trip writer (its message names why)."""


KeyOrder = Callable[[tuple[str | int, ...]], Sequence[str]]
"""The canonical key order of the mapping at a path (where a new key is inserted)."""


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
        base = indent_of(previous) + (2 if previous.lstrip().startswith("- ") else 0)
        depth = indent_of(line) - base
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
        if _flow_words(value) is not None:
            seq.fa.set_flow_style()
        return seq
    return value


def _flow_words(items: Sequence[Any]) -> list[str] | None:
    """The items as text when the list is written in flow style (``[general-manager]``): a
    short list of plain words and numbers; None for a block list."""
    words = [str(item) for item in items if isinstance(item, str | int)]
    if (
        len(words) == len(items)
        and all(_FLOW_ITEM.match(w) and not needs_quotes(w) for w in words)
        and sum(len(w) + 2 for w in words) <= 60
    ):
        return words
    return None


def dump_new(data: Any, header: str) -> str:
    """A new file holding ``data`` in the register's style, starting with the ``header`` line."""
    if isinstance(data, dict) and (text := _simple_text(data)) is not None:
        return f"{header}\n{text}"
    indent = (2, 2, 0) if isinstance(data, list) else (2, 4, 2)
    return f"{header}\n{_dump(_new_file_writer(*indent), _node(data))}"


_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_SIMPLE_PLAIN = re.compile(
    r"[A-Za-z0-9<=](?:[A-Za-z0-9.()/,;'!?%=<~*&+@_:-]*[A-Za-z0-9.()/,;'!?%=<~*&+@_-])?"
    r"(?: [A-Za-z0-9.()/,;'!?%=~*&+@_-](?:[A-Za-z0-9.()/,;'!?%=~*&+@_:-]*"
    r"[A-Za-z0-9.()/,;'!?%=~*&+@_-])?)*"
)
"""Words of ASCII letters, digits and a few marks, one space apart, no word ending in ``:`` (and
version ranges: ``<2016 R2``, ``==V4.8 HF4``)."""
_SIMPLE_FLOAT = re.compile(r"[0-9]{1,6}\.[0-9]{1,6}")
_SIMPLE_QUOTED = re.compile(r"[ !#-\[\]-~]*")
"""Printable ASCII but ``"`` and ``\\``: written inside double quotes as it is."""


class _NotSimple(Exception):
    """Data that :func:`_simple_text` leaves to ruamel."""


def _simple_text(data: dict[str, Any]) -> str | None:
    """``data`` written exactly as ruamel writes it in the register's style (tests compare the
    two), without ruamel's slow emitter, when its keys and values are all of the common simple
    kinds; None for anything else (long, multi-line or non-ASCII text, floats, empty or nested
    lists ...), which ruamel writes."""
    lines: list[str] = []
    try:
        _simple_mapping(data, 0, lines)
    except _NotSimple:
        return None
    return "\n".join(lines) + "\n"


def _simple_mapping(value: dict[Any, Any], indent: int, lines: list[str], lead: str = "") -> None:
    """The entries of a block mapping at ``indent``; the first line starts with ``lead``
    (a list item's ``- ``) instead of spaces."""
    if not value:
        raise _NotSimple
    for index, (key, item) in enumerate(value.items()):
        if not isinstance(key, str) or not _SIMPLE_KEY.fullmatch(key) or not _plain(key):
            raise _NotSimple
        start = lead if index == 0 and lead else " " * indent
        _simple_entry(f"{start}{key}:", item, indent, lines)


def _simple_entry(head: str, item: Any, indent: int, lines: list[str]) -> None:
    """``head`` (``key:``) and its value, nested collections below it."""
    if isinstance(item, dict):
        lines.append(head)
        _simple_mapping(item, indent + 2, lines)
    elif isinstance(item, list) and item:
        flow = _simple_flow(item)
        if flow is not None:
            lines.append(f"{head} {flow}")
            return
        lines.append(head)
        dash = " " * (indent + 2) + "- "
        for element in item:
            if isinstance(element, dict):
                _simple_mapping(element, indent + 4, lines, lead=dash)
            elif isinstance(element, list):
                raise _NotSimple
            else:
                lines.append(dash + _simple_scalar(element))
    elif isinstance(item, list):
        raise _NotSimple
    else:
        lines.append(f"{head} {_simple_scalar(item)}")


def _simple_flow(items: list[Any]) -> str | None:
    """``[a, b]`` when :func:`_node` writes the list in flow style, else None."""
    words = _flow_words(items)
    if words is None:
        return None
    if any(isinstance(item, Quoted | bool) or not _plain(str(item)) for item in items):
        raise _NotSimple
    return f"[{', '.join(words)}]"


def _simple_scalar(value: Any) -> str:
    """A scalar as :func:`_node` and ruamel write it, when that is certain."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and _SIMPLE_FLOAT.fullmatch(text := repr(value)):
        return text  # CVSS scores: 9.8
    if type(value) is datetime.date:
        return value.isoformat()
    if isinstance(value, str) and len(value) <= _FOLD_WIDTH:
        text = str(value)
        if isinstance(value, Quoted) or needs_quotes(text):
            if _SIMPLE_QUOTED.fullmatch(text):
                return f'"{text}"'
        elif _SIMPLE_PLAIN.fullmatch(text) and _plain(text):
            return text
    raise _NotSimple


def _plain(text: str) -> bool:
    """True when ruamel's own reader takes ``text`` written plain as text (so it writes it
    plain)."""
    rt = _ruamel()
    tag = _new_file_writer(2, 4, 2).resolver.resolve(rt.nodes.ScalarNode, text, (True, False))
    return str(getattr(tag, "value", tag)) == STR_TAG


_new_file_writer = functools.lru_cache(maxsize=2)(_writer)
"""The writer of new files, one per indentation, made once (an import writes thousands)."""


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
    return STR_TAG


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
    Constructor.add_constructor(STR_TAG, Constructor.construct_plain)
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

"""The data a register file reads as: line-aware mappings and lists, plain and quoted text.

These types and the scalar grammar they stand for import nothing (no YAML library): the models,
the rules and the secret scan read them without depending on how files are read or written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

NULLS = frozenset({"", "~", "null", "Null", "NULL"})
"""Plain scalars that mean null (an absent value)."""
BOOLEANS = ("true", "false")
"""The booleans of a register, in any case (``yes``/``on`` are text)."""
INTEGER = re.compile(r"[-+]?[0-9]+\Z")
"""An integer of a register: plain decimal digits."""
STR_TAG = "tag:yaml.org,2002:str"


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


class Quoted(str):
    """Text to be written in double quotes: versions, serial and revision numbers, MACs."""

    __slots__ = ()


def value_at(data: Any, path: Sequence[str | int]) -> Any:
    """The value at ``path`` inside ``data`` (mappings and lists), or None when it is not there."""
    node = data
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node

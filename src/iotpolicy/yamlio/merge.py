"""Merging an edit back into a file: only the lines an edit touches change.

ruamel.yaml renders a whole document; :func:`merge_edit` compares its rendering before and after
the edit with the original text and keeps every line the edit did not touch as it was.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

_NULL_VALUE = re.compile(r"(:|^-)(?: (?:~|null|Null|NULL))?((?: #.*)?)$")


def _comparable(line: str) -> str:
    """A line as the merge compares it: indentation kept; spacing inside the line and the
    spelling of null (empty, ``~``, ``null``) do not count."""
    body = line.lstrip(" ")
    body = _NULL_VALUE.sub(r"\1 null\2", " ".join(body.split()))
    return " " * (len(line) - len(line.lstrip(" "))) + body


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


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
    depth = indent_of(first)
    while at > floor:
        line = base[at - 1]
        stripped = line.strip()
        if stripped and not (stripped.startswith("#") and indent_of(line) <= depth):
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

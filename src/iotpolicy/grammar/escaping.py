"""Characters no output may carry as they are, written as visible escapes.

Register text (names, notes, messages) and file names reach terminals, CI logs, SARIF viewers,
XML and Markdown. A control character there can move the cursor, rewrite a log line or hide
text; a lone surrogate (from a file name that is not UTF-8) cannot be encoded at all. Every
output format passes such text through :func:`visible` (and then applies its own escaping for its
syntax), so the reader sees the characters literally and every output stays valid.

This module imports nothing else of the package.
"""

from __future__ import annotations

import re
from typing import Any

_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u2028-\u202e\u2060-\u2069\ufeff"
    "\ufff9-\ufffb\ufffe\uffff\ud800-\udfff]"
)
"""C0 controls but tab and line feed, DEL, C1 controls, the zero-width space and word joiners,
bidirectional embeddings, overrides and isolates (the joiners and marks that scripts need stay),
line and paragraph separators, the byte-order mark, interlinear annotations, the
noncharacters U+FFFE and U+FFFF, and lone surrogates: everything XML 1.0 cannot hold among
them."""


def visible(text: str) -> str:
    """``text`` with CR LF read as LF and every character :data:`_INVISIBLE` matches written as
    ``\\xNN`` (below U+0100) or ``\\uNNNN``: ESC becomes ``\\x1b``, a lone CR ``\\x0d``, the
    byte 0xFF of a file name that is not UTF-8 ``\\xff``. Tabs and line feeds stay; each format
    decides how to show a line break."""
    text = text.replace("\r\n", "\n")
    if not _INVISIBLE.search(text):
        return text
    return _INVISIBLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
        code -= 0xDC00
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_COMMAND = re.compile(r"^([^\S\n]*)(::|##\[)", re.MULTILINE)
"""A line that a CI runner would read as a workflow command: ``::`` (GitHub Actions), or the
older ``##[``, after any white space (the runner trims it, Unicode spaces too)."""


def terminal(text: str, one_line: bool = False) -> str:
    """``text`` as printed to a terminal or a CI log: :func:`visible`, line breaks kept (with
    ``one_line``, written as ``\\n``, so a value stays on its line), and no line starting with a
    workflow command (:func:`no_commands`). Everything the CLI prints goes through it."""
    text = visible(text)
    if one_line:
        text = text.replace("\n", "\\n")
    return no_commands(text)


def no_commands(text: str) -> str:
    """``text`` with no line that starts, after white space, with a workflow command (``::``,
    ``##[``): its first character is written ``\\x3a`` or ``\\x23``. Register text can then
    never raise an annotation or mask a value in a CI log, however a table wraps it. For output
    already made visible (it may carry the colours of a terminal)."""
    return _COMMAND.sub(_defuse, text)


def _defuse(match: re.Match[str]) -> str:
    return f"{match.group(1)}\\x{ord(match.group(2)[0]):02x}{match.group(2)[1:]}"


def one_line(text: str) -> str:
    """:func:`visible` text on one line: each run of white space (line breaks included) becomes
    one space, and the ends are trimmed."""
    return " ".join(visible(text).split())


def visible_strings(node: Any) -> Any:
    """A JSON-like document with every string in it (keys too) passed through :func:`visible`."""
    if isinstance(node, str):
        return visible(node)
    if isinstance(node, dict):
        return {visible(str(key)): visible_strings(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [visible_strings(value) for value in node]
    return node

"""Escaping of register values for the Markdown reports and their Mermaid diagram.

Every value a report prints goes through :func:`finalize` (the Jinja environments' ``finalize``),
so a template cannot forget to escape: a register value never breaks a table, starts a block,
opens a link or code span, or injects HTML. Only text made here is marked :class:`Safe` and printed
as it is. A value that looks like a credential (REG-004's text scan) is printed as ``(redacted)``.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
from functools import lru_cache
from typing import Any

from iotpolicy.grammar.escaping import visible
from iotpolicy.grammar.secrets import REDACTED, looks_secret

NONE = "—"
"""Printed for a missing value (None or an empty list)."""

_MARKDOWN = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "#": "\\#",
        "|": "\\|",
        "~": "\\~",
        "$": "\\$",
        "@": "&#64;",
    }
)
"""HTML entities for ``& < >``; a backslash before Markdown's inline punctuation; ``@`` as an
entity, so no e-mail address in free text becomes a link (see :data:`_LINKLIKE`)."""
_LINKLIKE = re.compile(r"(?i)\b(https?|ftp)://|\b(www)\.")
"""What GFM turns into a link by itself (``https://...``, ``www.``): written with an entity
(``https&#58;//``, ``www&#46;``), so register text shows as text and never links anywhere."""
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")
_WEB = re.compile(r"^https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~%/?#=&+:;,!*@-]*)?$")
"""An e-mail address or a web address simple enough to print as an autolink: nothing in it can
end the link or the table cell."""
_BLOCK_START = re.compile(r"^(?:([-+])(?=\s|$)|(\d{1,9})([.)])(?=\s|$)|([=-])(?=[=-]*\s*$))")
"""What would open a list item, an ordered list item, a setext underline or a thematic break if
a value began a line (``- x``, ``1. x``, ``===``, ``---``); ``1.1`` or ``-5`` open nothing."""
_MERMAID_KEEP = frozenset(" -.,:/()+'")
"""Punctuation kept as it is in Mermaid labels; everything else but letters and digits becomes
an entity code (``_`` too: Mermaid would read ``_x_`` as emphasis)."""


class Safe(str):
    """Text made by the report code (already escaped, or markup of its own): printed as it is."""

    __slots__ = ()


def md(value: Any) -> Safe:
    """``value`` as literal Markdown text, on one line: control characters made visible
    (:func:`~iotpolicy.grammar.escaping.visible`), entities for ``& < > @`` and in what GFM would
    link by itself (``https://``, ``www.``), backslashes before `` ` * _ [ ] # | ~ $ \\``, line
    breaks as ``<br>``, and a line-opening ``-``, ``+``, ``=`` or ``1.`` escaped."""
    if isinstance(value, Safe):
        return value
    return _escaped(plain(value))


@lru_cache(maxsize=8192)
def _escaped(text: str) -> Safe:
    """:func:`md` of a text (cached: reports repeat the same types, names and dates often)."""
    if looks_secret(text):
        return Safe(REDACTED)
    lines = [
        _LINKLIKE.sub(_unlink, line.strip().translate(_MARKDOWN))
        for line in visible(text).splitlines()
    ] or [""]
    return Safe("<br>".join(_BLOCK_START.sub(_escape_start, line, count=1) for line in lines))


def _unlink(match: re.Match[str]) -> str:
    scheme, www = match.group(1), match.group(2)
    return f"{scheme}&#58;//" if scheme else f"{www}&#46;"


def _escape_start(match: re.Match[str]) -> str:
    if match.group(2):
        return f"{match.group(2)}\\{match.group(3)}"
    return "\\" + (match.group(1) or match.group(4))


def contact(value: Any) -> Safe:
    """A contact (an e-mail or web address) as a Markdown autolink (``<anna@example.com>``) when
    it is one and nothing else; any other value as :func:`md` prints it."""
    if isinstance(value, str) and not looks_secret(value):
        text = value.strip()
        if _EMAIL.match(text) or _WEB.match(text):
            return Safe(f"<{text}>")
    return md(value)


def plain(value: Any) -> str:
    """The text of a value: dates in ISO form, enums by value, booleans as yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def finalize(value: Any) -> str:
    """What ``{{ value }}`` prints: Safe text as it is, None and empty lists as a dash, lists
    joined with commas, everything else through :func:`md`."""
    if isinstance(value, Safe):
        return value
    if value is None:
        return NONE
    if isinstance(value, list | tuple):
        return Safe(", ".join(finalize(item) for item in value)) if value else NONE
    return md(value)


def mermaid(value: Any) -> Safe:
    """``value`` as the text of a quoted Mermaid label: one line, letters, digits, spaces and
    ``-.,:/()+'`` as they are, every other character as an entity code (``#34;`` for ``"``),
    so no value can close the label, the diagram's code fence or add a directive."""
    if isinstance(value, Safe):
        return value
    text = " ".join(visible(plain(value)).split())
    if looks_secret(text):
        text = REDACTED
    return Safe("".join(c if c.isalnum() or c in _MERMAID_KEEP else f"#{ord(c)};" for c in text))


def mermaid_id(value: Any, prefix: str = "n") -> Safe:
    """A Mermaid node id for ``value``: ``prefix`` and 12 hex digits of its SHA-256, so a record
    id never appears raw in the diagram's syntax."""
    digest = hashlib.sha256(plain(value).encode("utf-8")).hexdigest()[:12]
    return Safe(f"{prefix}{digest}")

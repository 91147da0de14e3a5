"""Recognising credentials stored in the register (REG-004). Pure functions, no I/O.

Nothing here returns the secret itself: only where it is and what kind of thing it is.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

from iotpolicy.yamlio import LDict, LList

_SECRET_WORDS = frozenset(
    {"password", "passwd", "pwd", "secret", "token", "psk", "community", "credential", "apikey"}
)
_EMPTY = frozenset({"", "~", "null", "none", "[]", "{}"})
# The value is only looked at (lookahead), never consumed, so a later ``key: value`` on the same
# line (a comment after a field, ``password=x`` inside a free-text value) is still found.
_ASSIGNMENT = re.compile(
    r"""(?:^|(?<=[\s#{,?&;(\-]))["']?([A-Za-z0-9_-]+)["']?[ \t]*[:=][ \t]*(?=(.*))"""
)
_CANDIDATE = re.compile(
    r"(?<![a-z0-9])(?:password|passwd|pwd|secret|token|psk|community|credential|apikey"
    r"|api[_-]key|private[_-]key)(?![a-z0-9])|://[^\s/@]*@|private key",
    re.IGNORECASE,
)
"""Anything REG-004 could report contains a match: files without one are not scanned further."""
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_URL_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]+:[^\s/@]+@")


def may_hold_secret(text: str) -> bool:
    """False when ``text`` certainly holds no credential (the fast path for almost every file)."""
    return _CANDIDATE.search(text) is not None


def is_secret_key(key: str) -> bool:
    """True when ``key`` names a credential: password, passwd, pwd, secret, token, psk, community,
    credential, apikey as a whole part between ``_``/``-`` or the ends, or api_key/private_key."""
    parts = [p for p in key.lower().replace("-", "_").split("_") if p]
    if _SECRET_WORDS.intersection(parts):
        return True
    pairs = set(itertools.pairwise(parts))
    return ("api", "key") in pairs or ("private", "key") in pairs


def is_empty_value(value: Any) -> bool:
    """True for a missing or blank value (``null``, ``~``, ``""``, empty list or mapping)."""
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
            text = text[1:-1].strip()  # a quoted blank, as the text scan sees it
        return text.lower() in _EMPTY
    if isinstance(value, dict | list):
        return len(value) == 0
    return False


def _text_value(raw: str) -> str:
    """The value part of ``key: value`` text, without a trailing comment."""
    return re.split(r"\s#", raw, maxsplit=1)[0].strip()


def scan_text(text: str) -> Iterator[tuple[int, str]]:
    """(line, what) for every credential-looking text, comments included."""
    # Lines end at LF only, as the loader counts them (splitlines() would also break at U+2028,
    # form feeds ..., shifting every later line number).
    for number, line in enumerate(text.split("\n"), start=1):
        if _PRIVATE_KEY.search(line):
            yield number, "a private key block"
        if _URL_USERINFO.search(line):
            yield number, "a user:password in a URL"
        for match in _ASSIGNMENT.finditer(line):
            key, value = match.group(1), _text_value(match.group(2))
            if is_secret_key(key) and not is_empty_value(value):
                yield number, f"a value for '{key}'"


def scan_data(data: Any) -> Iterator[tuple[int, str]]:
    """(line, what) for every key naming a credential that holds a non-empty value."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, LDict):
            for key, value in node.items():
                if is_secret_key(key) and not is_empty_value(value):
                    yield node.key_lines[key], f"a value for '{key}'"
                stack.append(value)
        elif isinstance(node, LList):
            stack.extend(node)

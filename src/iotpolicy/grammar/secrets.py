"""Recognising credentials stored in the register (REG-004), and redacting text that holds one.
Pure functions, no I/O.

Nothing here returns the secret itself: only where it is and what kind of thing it is.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

from iotpolicy.yamlio.nodes import LDict, LList

_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "token",
        "psk",
        "wpa",
        "community",
        "credential",
        "apikey",
    }
)
"""The contract's words (controls.md REG-004), plus passphrase and wpa (Wi-Fi keys)."""
REDACTED = "(redacted)"
"""Shown instead of a value or a line that is, or looks like, a credential."""
_EMPTY = frozenset({"", "~", "null", "none", "[]", "{}"})
# The value is only looked at (lookahead), never consumed, so a later ``key: value`` on the same
# line (a comment after a field, ``password=x`` inside a free-text value) is still found.
_ASSIGNMENT = re.compile(
    r"""(?:^|(?<=[\s#{,?&;(\-]))["']?([A-Za-z0-9_-]+)["']?[ \t]*[:=][ \t]*(?=(.*))"""
)
_HINTS = ("pass", "pwd", "secret", "token", "psk", "wpa", "community", "api", "private")
"""Lower-case pieces of text, one of which every credential REG-004 reports contains (besides
"credential", user:password URLs and user/password pairs, checked apart)."""
_ACCOUNT_WORDS = r"admin|administrator|root|user|guest|operator|service|support|default"
_LOGIN_PAIR = re.compile(
    rf"""(?:^|(?<=[\s(:,'"]))({_ACCOUNT_WORDS})\s*/\s*([^\s/,;:()\[\]{{}}]+)""",
    re.IGNORECASE,
)
"""``admin/admin``, ``root/1234``: a user name and a password written as a pair in free text."""
_ROLE_WORDS = frozenset(_ACCOUNT_WORDS.split("|")) | {"viewer", "operators", "users", "staff"}
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_URL_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/@:]+:[^\s/@]+@")


def may_hold_secret(text: str) -> bool:
    """False when ``text`` certainly holds no credential: the fast path for almost every file,
    made of plain substring searches (a regular expression here cost more than the parsing)."""
    low = text.lower()
    if any(hint in low for hint in _HINTS):
        return True
    if low.count("credential") != low.count("credentials"):
        return True
    if "://" in low and "@" in low:
        return True
    return any(f"{word}/" in low or f"{word} /" in low for word in _ACCOUNT_WORDS.split("|"))


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
        if any(_is_login_pair(m.group(1), m.group(2)) for m in _LOGIN_PAIR.finditer(line)):
            yield number, "a user/password pair in text"


def looks_secret(text: str) -> bool:
    """True when REG-004's text scan would find a credential in ``text``."""
    return may_hold_secret(text) and any(True for _ in scan_text(text))


def redact_lines(text: str) -> str:
    """``text`` with each line that looks like it holds a credential replaced by
    :data:`REDACTED` (its indentation kept), as history redacts a value."""
    return "\n".join(
        line[: len(line) - len(line.lstrip())] + REDACTED if looks_secret(line) else line
        for line in text.split("\n")
    )


def _is_login_pair(first: str, second: str) -> bool:
    """True when the part after ``admin/`` looks like a password rather than another role
    (``admin/operator`` names two roles; ``admin/admin``, ``guest/guest``, ``root/1234`` are
    logins)."""
    word = second.strip(".'\"").lower()
    return bool(word) and (word == first.lower() or word not in _ROLE_WORDS)


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

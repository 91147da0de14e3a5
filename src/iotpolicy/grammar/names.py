"""Names from the outside world as register ids: slugs, company names, records named by their
name instead of their id. No I/O."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

_SLUG_BAD = re.compile(r"[^a-z0-9._-]+")
_WORDS = re.compile(r"[a-z0-9]+(?:\.[a-z0-9]+)*")
_LEGAL = frozenset(
    (
        *("ab", "ag", "as", "asa", "bv", "co", "company", "corp", "corporation", "gmbh"),
        *("holding", "holdings", "inc", "incorporated", "kg", "kk", "limited", "llc", "ltd"),
        *("nv", "oy", "oyj", "plc", "pte", "pty", "s.a", "sa", "sarl", "se", "spa", "srl"),
    )
)
"""Legal forms dropped from the end of a company name."""
WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10))}
    | {f"lpt{n}" for n in range(1, 10)}
)
"""File names Windows reserves for devices, with or without an extension (``nul.yaml``)."""


def is_reserved_name(name: str) -> bool:
    """True when Windows cannot hold a file named ``name``: a reserved device name before the
    first dot, in any case (``CON``, ``nul.backup``, ``lpt1.yaml``)."""
    return name.split(".", 1)[0].rstrip(" ").lower() in WINDOWS_RESERVED


def slugify(text: str, fallback: str = "record") -> str:
    """``text`` as a register id: lower case, runs of other characters replaced by ``-``,
    at most 63 characters, never ending in ``.`` (``ICSA-24-289-02`` -> ``icsa-24-289-02``). A
    name Windows reserves gets ``-1`` after it, before any extension (``CON`` -> ``con-1``,
    ``nul.backup`` -> ``nul-1.backup``), so every register can be checked out everywhere."""
    value = _SLUG_BAD.sub("-", text.strip().lower()).strip("-._")
    value = value[:63].rstrip("-._") or fallback
    if is_reserved_name(value):
        head, dot, tail = value.partition(".")
        value = f"{head}-1{dot}{tail}"[:63].rstrip("-._")
    return value


def add_hint(kind: str) -> str:
    """What to do about a reference to a missing vendor, segment or person: the command adding
    one (``add it with iotpolicy add-vendor``)."""
    return f"add it with iotpolicy add-{kind}"


def same_name(a: str, b: str) -> bool:
    """Names compared ignoring case and runs of spaces."""
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def company_key(name: str) -> str:
    """A company name without case, punctuation and legal form: ``Siemens AG`` -> ``siemens``,
    ``Honeywell International Inc.`` -> ``honeywell international``."""
    words = _WORDS.findall(name.lower())
    while len(words) > 1 and words[-1] in _LEGAL:
        words.pop()
    return " ".join(words)


def resolve_record(text: str, names: Mapping[str, str]) -> str | None:
    """The id of the record ``text`` means (``names``: id -> name): the id itself, else the one
    record whose name is ``text`` ignoring case and spaces; None when none or several are."""
    text = text.strip()
    if text in names:
        return text
    found = [record_id for record_id, name in names.items() if same_name(name, text)]
    return found[0] if len(found) == 1 else None


def nearest(text: str, candidates: Iterable[str], count: int = 3) -> list[str]:
    """The (at most ``count``) ``candidates`` closest to ``text``, closest first: what a
    "did you mean" offers for a mistyped id."""
    return difflib.get_close_matches(text.strip(), sorted(set(candidates)), n=count, cutoff=0.6)


def resolve_vendor(name: str, vendors: Mapping[str, str]) -> str | None:
    """The id of the vendor record ``name`` means (``vendors``: id -> name), or None.

    Exact: the id itself, the name as a slug, or the same company name without legal form.
    Otherwise the one vendor whose name starts with the words of ``name`` (or the other way
    round: ``Honeywell`` and ``Honeywell International Inc.``), when exactly one does.
    """
    text = name.strip()
    if not text:
        return None
    if text in vendors:
        return text
    key, as_slug = company_key(text), slugify(text)
    exact = sorted(
        vendor_id
        for vendor_id, vendor_name in vendors.items()
        if vendor_id == as_slug or company_key(vendor_name) == key or company_key(vendor_id) == key
    )
    if exact:
        return exact[0]
    words = key.split()
    prefixed = [
        vendor_id
        for vendor_id, vendor_name in vendors.items()
        if words and _starts_with_words(company_key(vendor_name).split(), words)
    ]
    return prefixed[0] if len(prefixed) == 1 else None


def _starts_with_words(a: list[str], b: list[str]) -> bool:
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    return bool(shorter) and longer[: len(shorter)] == shorter

"""CSAF provider metadata (CSAF 2.0 section 7.1.20): where it is, and what it says.

A feed is written in the register as the metadata's URL (a URL ending in ``/`` names the folder
holding ``provider-metadata.json``), or as the provider's domain; for a domain, the places CSAF
2.0 section 7.3.1 names are tried in order: ``/.well-known/csaf/provider-metadata.json``, the
``CSAF:`` lines of ``/.well-known/security.txt``, then
``https://csaf.data.security.DOMAIN/.well-known/csaf/provider-metadata.json``.

:func:`read_metadata` checks what the fetch relies on (the JSON of the provider schema's required
fields, the keys, the distributions) and reports the first problem in words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from iotpolicy.fetch.http import FetchError, Response, host_of

MAX_METADATA_BYTES = 1024 * 1024
ROLES = frozenset({"csaf_publisher", "csaf_provider", "csaf_trusted_provider"})
TLP_LABELS = frozenset({"UNLABELED", "CLEAR", "WHITE", "GREEN", "AMBER", "AMBER+STRICT", "RED"})
_FINGERPRINT = re.compile(r"^([0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$")
WELL_KNOWN = "/.well-known/csaf/provider-metadata.json"


class ProviderError(Exception):
    """The provider metadata cannot be used; the message says why in one line."""


@dataclass(frozen=True, slots=True)
class ListedKey:
    """A key the metadata lists (``public_openpgp_keys``)."""

    url: str
    fingerprint: str | None
    """Upper case; None when the metadata gives none."""


@dataclass(frozen=True, slots=True)
class RolieFeed:
    """A ROLIE feed of the metadata's distributions."""

    url: str
    tlp: str
    """Its ``tlp_label`` (upper case)."""


@dataclass(frozen=True, slots=True)
class Provider:
    """The parts of a provider's metadata the fetch uses."""

    url: str
    """Where the metadata was read (the feed's id in the register's advisories)."""
    publisher: str
    keys: tuple[ListedKey, ...]
    feeds: tuple[RolieFeed, ...]
    directories: tuple[str, ...]
    """``directory_url`` of each directory distribution (ending in ``/``)."""

    @property
    def host(self) -> str:
        """Every download of the provider must be on this host."""
        return host_of(self.url)


def discover(feed: str, get: Callable[[str, str | None], Response]) -> Provider:
    """Find and read a feed's provider metadata, ``get(url, host)`` downloading (redirects
    staying on ``host``); for a domain, its places are tried in turn. ProviderError when none
    gives valid metadata."""
    text = feed.strip()
    if "://" in text:
        return _read(get, text + ("provider-metadata.json" if text.endswith("/") else ""))
    domain = text.strip("/")
    problems: list[str] = []
    for url in _places(domain, get, problems):
        try:
            return _read(get, url)
        except ProviderError as exc:
            problems.append(str(exc))
    raise ProviderError(f"no provider metadata found for {domain} ({problems[0]})")


def _places(
    domain: str, get: Callable[[str, str | None], Response], problems: list[str]
) -> Iterator[str]:
    """Where a domain's metadata may be (CSAF 2.0 section 7.3.1), in order."""
    yield f"https://{domain}{WELL_KNOWN}"
    url = f"https://{domain}/.well-known/security.txt"
    try:
        yield from security_txt_urls(get(url, host_of(url)).body.decode("utf-8", "replace"))
    except FetchError as exc:
        problems.append(str(exc))
    yield f"https://csaf.data.security.{domain}{WELL_KNOWN}"


def security_txt_urls(text: str) -> list[str]:
    """The ``CSAF:`` URLs of a security.txt (RFC 9116), in order."""
    found = []
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "csaf" and value.strip().startswith("https://"):
            found.append(value.strip())
    return found


def _read(get: Callable[[str, str | None], Response], url: str) -> Provider:
    try:
        response = get(url, host_of(url))
    except FetchError as exc:
        raise ProviderError(str(exc)) from None
    return read_metadata(response.body, response.url)


def read_metadata(raw: bytes, url: str) -> Provider:
    """The provider metadata read from ``url``; ProviderError with the first problem."""

    def fail(what: str) -> ProviderError:
        return ProviderError(f"{url}: not valid CSAF provider metadata ({what})")

    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise fail("not JSON") from None
    if not isinstance(data, dict):
        raise fail("not a JSON object")
    missing = [
        key
        for key in ("canonical_url", "last_updated", "metadata_version", "publisher", "role")
        if key not in data
    ]
    if missing:
        raise fail(f"{', '.join(missing)} missing")
    if data["metadata_version"] != "2.0":
        raise fail("metadata_version is not 2.0")
    if data["role"] not in ROLES:
        raise fail(f"role is not one of {', '.join(sorted(ROLES))}")
    publisher = data["publisher"]
    if not isinstance(publisher, dict) or not _text(publisher.get("name")):
        raise fail("publisher.name missing")
    listed_keys = _list(data, "public_openpgp_keys", fail)
    keys = [_key(item, index, fail) for index, item in enumerate(listed_keys)]
    feeds: list[RolieFeed] = []
    directories: list[str] = []
    for index, item in enumerate(_list(data, "distributions", fail)):
        if not isinstance(item, dict):
            raise fail(f"distributions[{index}] is not an object")
        directory = item.get("directory_url")
        if directory is not None:
            if not _text(directory):
                raise fail(f"distributions[{index}].directory_url is not a URL")
            directories.append(directory.strip().rstrip("/") + "/")
        rolie = item.get("rolie")
        if rolie is not None:
            listed = rolie.get("feeds") if isinstance(rolie, dict) else None
            if not isinstance(listed, list):
                raise fail(f"distributions[{index}].rolie.feeds is not a list")
            for number, feed in enumerate(listed):
                where = f"distributions[{index}].rolie.feeds[{number}]"
                if not isinstance(feed, dict) or not _text(feed.get("url")):
                    raise fail(f"{where}.url missing")
                label = str(feed.get("tlp_label", "")).strip().upper()
                if label not in TLP_LABELS:
                    raise fail(f"{where}.tlp_label is not a TLP label")
                feeds.append(RolieFeed(feed["url"].strip(), label))
    if not feeds and not directories:
        raise fail("no distribution: neither a ROLIE feed nor a directory_url")
    return Provider(
        url=url,
        publisher=publisher["name"].strip(),
        keys=tuple(keys),
        feeds=tuple(feeds),
        directories=tuple(directories),
    )


def _key(item: Any, index: int, fail: Callable[[str], ProviderError]) -> ListedKey:
    where = f"public_openpgp_keys[{index}]"
    if not isinstance(item, dict) or not _text(item.get("url")):
        raise fail(f"{where}.url missing")
    fingerprint = item.get("fingerprint")
    if fingerprint is not None and not (
        isinstance(fingerprint, str) and _FINGERPRINT.match(fingerprint.strip())
    ):
        raise fail(f"{where}.fingerprint is not a fingerprint of 40 or 64 hex digits")
    return ListedKey(item["url"].strip(), fingerprint.strip().upper() if fingerprint else None)


def _list(data: dict[str, Any], key: str, fail: Callable[[str], ProviderError]) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise fail(f"{key} is not a list")
    return value


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())

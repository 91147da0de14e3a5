"""One fetch over every feed: discover the provider, pick the pinned keys, read the listings,
download what is new in parallel and verify it. No printing, no register: the caller says which
feeds to read and where each one ended last time, and gets verified documents and refusals back
as data (:class:`FetchResult`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from iotpolicy.fetch.etags import EtagStore
from iotpolicy.fetch.http import FetchError, Http, Response, shown
from iotpolicy.fetch.listing import (
    MAX_LISTING_BYTES,
    Entry,
    directory_entries,
    rolie_entries,
)
from iotpolicy.fetch.provider import MAX_METADATA_BYTES, Provider, ProviderError, discover
from iotpolicy.fetch.verify import Keyring, hash_problem, read_certs, tlp_problem
from iotpolicy.grammar.names import slugify

MAX_SIDECAR_BYTES = 64 * 1024
"""Largest hash file, signature or key accepted."""
Progress = Callable[[int, int], None]
"""Called with (documents done, documents to do) as downloads finish."""


@dataclass(frozen=True, slots=True)
class Source:
    """A feed to fetch, as the register names it."""

    label: str
    """Where the register names it (``vendors/acme.yaml``, ``policy.yaml advisory_feeds[0]``)."""
    url: str
    """The provider metadata URL, or the provider's domain."""
    keys: tuple[str, ...]
    """The pinned OpenPGP fingerprints (upper case)."""
    vendor: str | None = None
    """The vendor whose own feed it is; None for a feed serving many vendors."""
    entry: int | None = None
    """For a shared feed: its index in ``settings.advisory_feeds``."""


@dataclass(frozen=True, slots=True)
class Options:
    """How to fetch."""

    default_since: date
    """Where a feed never fetched before starts."""
    since: date | None = None
    """Start every feed here instead (``--since``); no conditional requests then."""
    ended: Mapping[str, date] = field(default_factory=dict)
    """Provider metadata URL -> the latest date of the advisories recorded from it."""
    recorded: Mapping[str, date] = field(default_factory=dict)
    """Document name (the tracking id as a slug) -> the latest revision date recorded."""
    skip: frozenset[str] = frozenset()
    """Document ids (slugs of tracking ids) never downloaded nor reported."""
    tlp: frozenset[str] = frozenset({"CLEAR", "WHITE"})
    trust_on_first_use: bool = False
    parallel: int = 4
    timeout: float = 30.0
    retries: int = 2
    max_bytes: int = 10 * 1024 * 1024
    allow_http: bool = False
    etags: EtagStore | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A verified document: its hash and signature checked against the provider's keys."""

    source: Source
    feed: str
    """The provider metadata URL it was listed under."""
    url: str
    data: bytes
    changed_on: date
    listing: str
    """The feed or changes.csv that listed it."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """A document (or a listing entry) that was not accepted, and why."""

    source: Source
    what: str
    """The URL refused."""
    reason: str


@dataclass(frozen=True, slots=True)
class Listing:
    """A listing read in full (200), with what its server said of its version."""

    feed: str
    url: str
    etag: str | None
    last_modified: str | None


@dataclass
class ProviderResult:
    """What happened with one source."""

    source: Source
    feed: str | None = None
    """The provider metadata URL, once found."""
    skipped: str | None = None
    """Why the whole provider was skipped (metadata, keys), or None."""
    since: date | None = None
    listed: int = 0
    new: int = 0
    downloaded: int = 0
    unchanged_listings: int = 0
    """Listings answered 304 Not Modified."""
    trusted: tuple[str, ...] = ()
    """Fingerprints taken on first use (``--trust-on-first-use``), to record."""
    offered: tuple[str, ...] = ()
    """Fingerprints the provider lists that are not pinned."""
    notes: list[str] = field(default_factory=list)
    """Things to know that are not refusals (feeds of another TLP not read)."""


@dataclass
class FetchResult:
    """Everything one fetch found."""

    providers: list[ProviderResult] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    listings: list[Listing] = field(default_factory=list)
    """Listings fully read with no refusal among their entries: their ETags may be kept."""
    skipped_by_option: int = 0

    def distrust(self, listing: str) -> None:
        """Keep no ETag for a listing with a refused entry: the next fetch reads it again."""
        self.listings = [x for x in self.listings if x.url != listing]


def fetch(
    sources: Sequence[Source], options: Options, progress: Progress | None = None
) -> FetchResult:
    """Fetch every source in turn (downloads of one source run in parallel)."""
    result = FetchResult()
    with (
        Http(
            timeout=options.timeout,
            retries=options.retries,
            parallel=options.parallel,
            allow_http=options.allow_http,
        ) as http,
        ThreadPoolExecutor(max_workers=options.parallel) as pool,
    ):
        for source in sources:
            _Run(source, options, http, pool, result, progress).go()
    return result


def download(url: str, options: Options, max_bytes: int) -> bytes:
    """One file from any host (CISA's KEV catalog), with the same rules as the feeds' downloads
    (https, or http to a loopback address; timeout, retries, size cap); FetchError on failure."""
    with Http(
        timeout=options.timeout,
        retries=options.retries,
        parallel=1,
        allow_http=options.allow_http,
    ) as http:
        return http.get(url, host=None, max_bytes=max_bytes).body


class _Run:
    """The fetch of one source."""

    def __init__(
        self,
        source: Source,
        options: Options,
        http: Http,
        pool: ThreadPoolExecutor,
        result: FetchResult,
        progress: Progress | None,
    ) -> None:
        self.source, self.options, self.http, self.pool = source, options, http, pool
        self.result, self.progress = result, progress
        self.report = ProviderResult(source)
        result.providers.append(self.report)

    def refuse(self, what: str, reason: str) -> None:
        self.result.refusals.append(Refusal(self.source, shown(what), reason))

    def go(self) -> None:
        try:
            provider = discover(self.source.url, self._metadata)
        except ProviderError as exc:
            self.report.skipped = str(exc)
            return
        self.report.feed = provider.url
        pinned = self._pinned(provider)
        if pinned is None:
            return
        ended = self.options.ended.get(provider.url)
        since = self.options.since or ended or self.options.default_since
        self.report.since = since
        state = ended.isoformat() if ended else ""
        entries = self._list(provider, state)
        self.report.listed = len(entries)
        wanted = [e for e in entries if self._wanted(e, since)]
        self.report.new = len(wanted)
        if not wanted:
            return
        keyring = self._keyring(provider, pinned)
        if keyring is None:
            return
        jobs = [self.pool.submit(self._download, e, provider, keyring) for e in wanted]
        for done, (entry, job) in enumerate(zip(wanted, jobs, strict=True), start=1):
            outcome = job.result()
            if self.progress is not None:
                self.progress(done, len(wanted))
            if isinstance(outcome, Document):
                self.result.documents.append(outcome)
            elif outcome is not None:
                self.refuse(entry.url, outcome)
                self._distrust(entry.listing)
            else:
                self.result.skipped_by_option += 1
        self.report.downloaded = len(wanted)

    # -- the provider ----------------------------------------------------------------------------

    def _metadata(self, url: str, host: str | None) -> Response:
        return self.http.get(url, host=host, max_bytes=MAX_METADATA_BYTES)

    def _pinned(self, provider: Provider) -> frozenset[str] | None:
        """The fingerprints trusted for this provider; None (provider skipped) when none."""
        listed = [k.fingerprint for k in provider.keys if k.fingerprint]
        pinned = frozenset(self.source.keys)
        if not pinned:
            if not self.options.trust_on_first_use or not listed:
                self.report.skipped = (
                    f"no advisory_keys pinned; the provider lists {_keys(listed)}: check them "
                    "and pin them, or run with --trust-on-first-use to record them"
                    if listed
                    else "no advisory_keys pinned, and the provider lists no key fingerprint"
                )
                return None
            self.report.trusted = tuple(dict.fromkeys(listed))
            return frozenset(listed)
        self.report.offered = tuple(f for f in dict.fromkeys(listed) if f not in pinned)
        if not pinned & set(listed):
            self.report.skipped = (
                f"none of the pinned keys is listed by the provider (it lists {_keys(listed)}): "
                "a key rotation? Review it and update the pinned fingerprints"
            )
            return None
        return pinned

    def _keyring(self, provider: Provider, pinned: frozenset[str]) -> Keyring | None:
        """The pinned keys, downloaded from the provider and checked against their
        fingerprints; None (provider skipped) when none can be had."""
        certs = []
        problems = []
        for key in provider.keys:
            if key.fingerprint not in pinned:
                continue
            try:
                raw = self.http.get(key.url, host=provider.host, max_bytes=MAX_SIDECAR_BYTES)
                found = [c for c in read_certs(raw.body) if c.fingerprint.upper() in pinned]
            except (FetchError, ValueError) as exc:
                problems.append(str(exc) if isinstance(exc, FetchError) else f"{key.url}: {exc}")
                continue
            if not found:
                problems.append(
                    f"{shown(key.url)}: holds no key with fingerprint {key.fingerprint}"
                )
            certs += [c for c in found if not c.is_revoked]
        if not certs:
            self.report.skipped = "no pinned key could be downloaded: " + "; ".join(problems)
            return None
        self.report.notes += problems
        return Keyring(certs)

    # -- the listings ----------------------------------------------------------------------------

    def _list(self, provider: Provider, state: str) -> list[Entry]:
        """Every entry of the provider's allowed listings (duplicates once)."""
        found: dict[str, Entry] = {}
        readers: list[tuple[str, Callable[[bytes, str], tuple[list[Entry], list[str]]]]] = []
        for feed in provider.feeds:
            if feed.tlp not in self.options.tlp:
                self.report.notes.append(f"{shown(feed.url)}: a TLP:{feed.tlp} feed; not read")
                continue
            readers.append((feed.url, partial(rolie_entries, tlp=feed.tlp)))
        for directory in provider.directories:
            readers.append(
                (directory + "changes.csv", partial(directory_entries, directory=directory))
            )
        for url, read in readers:
            for entry in self._read_listing(provider, url, state, read):
                found.setdefault(entry.url, entry)
        return list(found.values())

    def _read_listing(
        self,
        provider: Provider,
        url: str,
        state: str,
        read: Callable[[bytes, str], tuple[list[Entry], list[str]]],
    ) -> list[Entry]:
        etags = self.options.etags
        known = etags.get(url, state) if etags is not None and not self.options.since else None
        try:
            response = self.http.get(
                url,
                host=provider.host,
                max_bytes=MAX_LISTING_BYTES,
                etag=known.etag if known else None,
                last_modified=known.last_modified if known else None,
            )
        except FetchError as exc:
            self.refuse(url, f"listing not read: {_reason(exc, url)}")
            return []
        if response.status == 304:
            self.report.unchanged_listings += 1
            return []
        entries, problems = read(response.body, url)
        for problem in problems:
            self.refuse(url, problem.removeprefix(f"{url}: "))
        if not problems:
            self.result.listings.append(
                Listing(provider.url, url, response.etag, response.last_modified)
            )
        return entries

    def _distrust(self, listing: str) -> None:
        self.result.distrust(listing)

    def _wanted(self, entry: Entry, since: date) -> bool:
        if entry.changed_on < since:
            return False
        names = {_slug(entry.name), _slug(entry.document_id or "")} - {""}
        if names & self.options.skip:
            self.result.skipped_by_option += 1
            return False
        recorded = [self.options.recorded[n] for n in names if n in self.options.recorded]
        return not recorded or max(recorded) < entry.changed_on

    # -- one document ----------------------------------------------------------------------------

    def _download(self, entry: Entry, provider: Provider, keys: Keyring) -> Document | str | None:
        """The verified document, or why it is refused (None: skipped by ``--skip``)."""
        host = provider.host
        try:
            data = self.http.get(entry.url, host=host, max_bytes=self.options.max_bytes).body
            problem = self._hash_problem(entry, data, host)
            if problem is None:
                signature = self._sidecar(entry.signature, host, "signature (.asc)")
                problem = keys.signature_problem(data, signature)
        except FetchError as exc:
            return _reason(exc, entry.url)
        problem = problem or tlp_problem(data, entry.tlp, self.options.tlp)
        if problem is not None:
            return problem
        if _tracking_slug(data) in self.options.skip:
            return None
        return Document(self.source, provider.url, entry.url, data, entry.changed_on, entry.listing)

    def _hash_problem(self, entry: Entry, data: bytes, host: str) -> str | None:
        """Check the strongest hash published (a missing ``.sha512`` falls back to SHA-256)."""
        for algorithm, url in entry.hashes:
            try:
                published = self.http.get(url, host=host, max_bytes=MAX_SIDECAR_BYTES).body
            except FetchError as exc:
                if exc.status == 404:
                    continue
                raise
            return hash_problem(data, published, algorithm)
        return "no hash published (neither .sha512 nor .sha256)"

    def _sidecar(self, url: str, host: str, what: str) -> bytes:
        try:
            return self.http.get(url, host=host, max_bytes=MAX_SIDECAR_BYTES).body
        except FetchError as exc:
            if exc.status == 404:
                raise FetchError(f"no {what} published") from None
            raise


def _reason(exc: FetchError, url: str) -> str:
    """A download error without the URL the refusal names already."""
    return str(exc).removeprefix(f"{shown(url)}: ")


def _keys(fingerprints: Iterable[str]) -> str:
    listed = list(fingerprints)
    return ("key " if len(listed) == 1 else "keys ") + ", ".join(listed) if listed else "no key"


def _slug(text: str) -> str:
    return slugify(text, "") if text else ""


def _tracking_slug(data: bytes) -> str:
    """The document's tracking id as a slug ("" when it has none)."""
    try:
        tracking = json.loads(data.decode("utf-8-sig"))["document"]["tracking"]["id"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        return ""
    return _slug(tracking) if isinstance(tracking, str) else ""

"""Fetching CSAF advisories from the providers' own feeds, verified (``advisories fetch``).

- :mod:`~iotpolicy.fetch.http`: downloads (httpx; system trust store; timeouts, retries, size
  cap, same-host redirects, conditional requests);
- :mod:`~iotpolicy.fetch.provider`: finding and checking the provider metadata;
- :mod:`~iotpolicy.fetch.listing`: ROLIE feeds and directory ``changes.csv``;
- :mod:`~iotpolicy.fetch.verify`: hashes, OpenPGP signatures (pysequoia), TLP;
- :mod:`~iotpolicy.fetch.etags`: the ETags kept between fetches;
- :mod:`~iotpolicy.fetch.state`: the feeds the register names, and where each one ended;
- :mod:`~iotpolicy.fetch.fetcher`: one fetch over every feed, in parallel.

No typer and no printing: the command gets verified documents and refusals back as data.
"""

from __future__ import annotations

from iotpolicy.fetch.etags import EtagStore, Validator
from iotpolicy.fetch.fetcher import (
    Document,
    FetchResult,
    Listing,
    Options,
    ProviderResult,
    Refusal,
    Source,
    download,
    fetch,
)
from iotpolicy.fetch.http import FetchError, Http, shown
from iotpolicy.fetch.state import State, feed_sources, feed_state

__all__ = [
    "Document",
    "EtagStore",
    "FetchError",
    "FetchResult",
    "Http",
    "Listing",
    "Options",
    "ProviderResult",
    "Refusal",
    "Source",
    "State",
    "Validator",
    "download",
    "feed_sources",
    "feed_state",
    "fetch",
    "shown",
]

"""What the register says about fetching: which feeds to read, with which pinned keys, and where
each one ended last time.

The state lives in the register itself, not in a cache: each advisory fetched records the
provider metadata URL it came from (``feed``), so the end of a feed's last fetch is the latest
``revised_on`` (else ``published_on``) of the advisories recorded from it. A scheduled job in a
fresh clone is therefore as incremental as one that kept its cache.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from iotpolicy.fetch.fetcher import Source
from iotpolicy.models import Advisory, Settings, Vendor


@dataclass(frozen=True, slots=True)
class State:
    """Where the register's feeds ended."""

    ended: dict[str, date]
    """Provider metadata URL -> the latest date of the advisories recorded from it."""
    recorded: dict[str, date]
    """Advisory id -> its latest date (revision, else publication)."""


def feed_sources(
    vendors: Iterable[Vendor], settings: Settings, only: Iterable[str] = ()
) -> list[Source]:
    """The feeds to read: each vendor's own (``advisory_feed``), then the shared ones of
    ``settings.advisory_feeds``; with ``only`` (vendor ids), just those vendors' own feeds."""
    chosen = set(only)
    found = [
        Source(f"vendors/{v.id}.yaml", v.advisory_feed, tuple(v.advisory_keys), v.id)
        for v in sorted(vendors, key=lambda v: v.id)
        if v.advisory_feed and (not chosen or v.id in chosen)
    ]
    if not chosen:
        found += [
            Source(
                f"policy.yaml settings.advisory_feeds[{index}]",
                feed.url,
                tuple(feed.keys),
                entry=index,
            )
            for index, feed in enumerate(settings.advisory_feeds)
        ]
    return found


def feed_state(advisories: Iterable[Advisory]) -> State:
    """Where each feed ended, and the latest date recorded for each advisory."""
    ended: dict[str, date] = {}
    recorded: dict[str, date] = {}
    for advisory in advisories:
        when = advisory.revised_on or advisory.published_on
        if when is None:
            continue
        recorded[advisory.id] = max(when, recorded.get(advisory.id, when))
        if advisory.feed:
            ended[advisory.feed] = max(when, ended.get(advisory.feed, when))
    return State(ended, recorded)

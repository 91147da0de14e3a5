"""Compliance over time: the register as it was at the end of each period (read from git), checked
with today's rules as of that period's end.

Each period's point is the last first-parent commit of the current branch on or before its end
(committer date, UTC); a period without a commit of its own repeats the previous commit's register
at the later date (dates move even when files do not) and is marked. Every file version is parsed
and validated once per run (:class:`~iotpolicy.gittree.CommitLoader`); only the rules run again
for each point.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from iotpolicy.engine import evaluate, select_rules
from iotpolicy.findings import CheckResult
from iotpolicy.gitlog import SHORT_HASH, GitError, first_parent_commits, last_commit_on
from iotpolicy.gittree import CommitLoader
from iotpolicy.models import Device
from iotpolicy.models.enums import Status
from iotpolicy.register import Register
from iotpolicy.rules import RULES

PERIODS = ("week", "month", "quarter")
"""What ``--every`` takes: weeks end on Sunday, months and quarters on the calendar."""
NOTE = "today's rules applied to the register as it was at each point (read from git)"


def period_end(day: date, every: str) -> date:
    """The last day of the period holding ``day``."""
    if every == "week":
        return day + timedelta(days=6 - day.weekday())
    month = day.month if every == "month" else 3 * ((day.month - 1) // 3) + 3
    return date(day.year, month, calendar.monthrange(day.year, month)[1])


def period_ends(start: date, end: date, every: str) -> list[date]:
    """The ends of the periods from ``start`` to ``end``, the last one clamped to ``end``."""
    ends: list[date] = []
    day = start
    while day <= end:
        ends.append(min(period_end(day, every), end))
        day = ends[-1] + timedelta(days=1)
    return ends


def default_start(end: date, every: str) -> date:
    """The first day of the twelve months (in whole periods) up to ``end``."""
    year_before = date(end.year - 1, end.month, min(end.day, 28))
    return period_end(year_before, every) + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Events:
    """What changed in the register since the previous point."""

    revisions: tuple[str, ...] = ()
    """Policy revisions (numbers) approved: with an approval now, none at the previous point."""
    advisories: tuple[str, ...] = ()
    incidents: tuple[str, ...] = ()
    devices_added: tuple[str, ...] = ()
    devices_retired: tuple[str, ...] = ()
    """Devices that became retired or disposed."""

    def to_dict(self) -> dict[str, list[str]]:
        """The ``events`` object of trend's JSON."""
        return {
            "revisions": list(self.revisions),
            "advisories": list(self.advisories),
            "incidents": list(self.incidents),
            "devices_added": list(self.devices_added),
            "devices_retired": list(self.devices_retired),
        }


@dataclass(frozen=True, slots=True)
class Point:
    """The check of one period's end."""

    end: date
    """The period's end: the as-of date of its check."""
    commit: str
    """Full hash of the commit read."""
    committed: date
    """That commit's committer date (UTC)."""
    repeated: bool
    """True when no commit was made in the period: the previous state at the later date."""
    errors: int
    warnings: int
    suppressed: int
    active_devices: int
    rules: dict[str, int]
    """Unsuppressed findings per rule."""
    sites: dict[str, int]
    """Unsuppressed findings about devices, per site of the device."""
    events: Events = field(default_factory=Events)

    @property
    def short(self) -> str:
        """The commit's first :data:`~iotpolicy.gitlog.SHORT_HASH` characters."""
        return self.commit[:SHORT_HASH]

    @property
    def families(self) -> dict[str, int]:
        """Unsuppressed findings per rule family (every family of the catalogue)."""
        counts = dict.fromkeys(sorted({r.family for r in RULES.values()}), 0)
        for rule, count in self.rules.items():
            counts[RULES[rule].family] += count
        return counts

    def to_dict(self) -> dict[str, Any]:
        """One point of trend's JSON."""
        return {
            "end": self.end.isoformat(),
            "commit": self.commit,
            "committed": self.committed.isoformat(),
            "repeated": self.repeated,
            "errors": self.errors,
            "warnings": self.warnings,
            "suppressed": self.suppressed,
            "active_devices": self.active_devices,
            "families": self.families,
            "sites": dict(sorted(self.sites.items())),
            "events": self.events.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Mover:
    """A rule whose count of unsuppressed findings changed between the first and last point."""

    rule: str
    first: int
    last: int

    @property
    def change(self) -> int:
        """Last minus first."""
        return self.last - self.first


@dataclass(frozen=True, slots=True)
class Trend:
    """The points of one run."""

    register: str
    start: date
    end: date
    every: str
    points: tuple[Point, ...]
    tool: str

    @property
    def sites(self) -> list[str]:
        """Every site with findings at some point, sorted."""
        return sorted({site for point in self.points for site in point.sites})

    def movers(self) -> list[Mover]:
        """Rules whose counts changed between the first and the last point, biggest change
        first."""
        if not self.points:
            return []
        first, last = self.points[0].rules, self.points[-1].rules
        found = [Mover(r, first.get(r, 0), last.get(r, 0)) for r in sorted(first | last)]
        return sorted((m for m in found if m.change), key=lambda m: (-abs(m.change), m.rule))

    def to_dict(self) -> dict[str, Any]:
        """trend's JSON document."""
        return {
            "register": self.register,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "every": self.every,
            "tool": self.tool,
            "note": NOTE,
            "points": [point.to_dict() for point in self.points],
            "movers": [
                {"rule": m.rule, "first": m.first, "last": m.last, "change": m.change}
                for m in self.movers()
            ],
        }


@dataclass
class _Seen:
    """What the previous point's register held, for the events of the next."""

    revisions: set[str] = field(default_factory=set)
    advisories: set[str] = field(default_factory=set)
    incidents: set[str] = field(default_factory=set)
    devices: set[str] = field(default_factory=set)
    retired: set[str] = field(default_factory=set)


def compute_trend(
    root: Path, label: str, start: date, end: date, every: str, tool: str, tip: str = "HEAD"
) -> Trend:
    """The trend of the register at ``root`` over ``start``..``end``: one point per period
    end from the first period with a commit holding the register, in the first-parent history
    of ``tip`` (HEAD, or a full commit hash); GitError (one line) when there is none, or a
    shallow clone lacks the history."""
    commits, shallow = first_parent_commits(root, tip)
    chosen: list[tuple[date, Any]] = []
    for day in period_ends(start, end, every):
        try:
            chosen.append((day, last_commit_on(commits, day, shallow)))
        except GitError:
            if shallow:  # the history before the oldest commit fetched is missing
                raise
    if not chosen:
        raise GitError(f"no commit of the current branch on or before {end.isoformat()}")
    loader = CommitLoader(root)
    loader.read(found.commit for _, found in chosen)
    chosen = [(day, found) for day, found in chosen if loader.holds_register(found.commit)]
    if not chosen:
        raise GitError(f"the register did not exist on or before {end.isoformat()}")
    rules = select_rules()
    points: list[Point] = []
    seen: _Seen | None = None
    for day, found in chosen:
        register = loader.load(found.commit)
        result = evaluate(register, day, rules, label)
        repeated = bool(points) and points[-1].commit == found.commit
        seen, events = _events(register, seen)
        points.append(_point(day, found.commit, found.day, repeated, register, result, events))
    return Trend(label, start, end, every, tuple(points), tool)


def _point(
    day: date,
    commit: str,
    committed: date,
    repeated: bool,
    register: Register,
    result: CheckResult,
    events: Events,
) -> Point:
    site_of = {r.subject: site for r in register.of("device") if (site := _site(r.model))}
    open_ = [f for f in result.findings if f.suppressed_by is None]
    summary = result.summary
    return Point(
        end=day,
        commit=commit,
        committed=committed,
        repeated=repeated,
        errors=summary.errors,
        warnings=summary.warnings,
        suppressed=summary.suppressed,
        active_devices=sum(f.status == Status.ACTIVE for f in register.device_facts()),
        rules=dict(sorted(Counter(f.rule for f in open_).items())),
        sites=dict(Counter(site_of[f.subject] for f in open_ if f.subject in site_of)),
        events=events,
    )


def _events(register: Register, seen: _Seen | None) -> tuple[_Seen, Events]:
    """What ``register`` holds for the next point, and what changed since ``seen``."""
    policy = register.policy.model if register.policy is not None else None
    now = _Seen(
        revisions={r.number for r in policy.revisions if r.approvals} if policy else set(),
        advisories=_ids(register, "advisory"),
        incidents=_ids(register, "incident"),
        devices={f.id for f in register.device_facts() if f.id is not None},
        retired={
            f.id
            for f in register.device_facts()
            if f.id is not None and f.status in (Status.RETIRED, Status.DISPOSED)
        },
    )
    if seen is None:
        return now, Events()
    return now, Events(
        revisions=tuple(sorted(now.revisions - seen.revisions)),
        advisories=tuple(sorted(now.advisories - seen.advisories)),
        incidents=tuple(sorted(now.incidents - seen.incidents)),
        devices_added=tuple(sorted(now.devices - seen.devices)),
        devices_retired=tuple(sorted(now.retired - seen.retired)),
    )


def _ids(register: Register, kind: str) -> set[str]:
    return {r.model.id for r in register.of(kind) if r.model is not None}


def _site(device: Device | None) -> str | None:
    return device.location.site if device is not None and device.location is not None else None

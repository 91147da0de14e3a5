"""``iotpolicy trend``'s outputs: a table (with a sparkline per series on a terminal), JSON, CSV."""

from __future__ import annotations

import csv
import io
import json

from rich import box
from rich.table import Table

from iotpolicy.formats.text import console_text
from iotpolicy.grammar.escaping import visible_strings
from iotpolicy.trend import NOTE, Point, Trend

SERIES = ("errors", "warnings", "suppressed", "active_devices")
"""The series of the table and the sparklines, as the JSON names them."""
_BARS = "▁▂▃▄▅▆▇█"
REPEATED = "="
"""Marks a period without a commit of its own (the previous state at the later date)."""


def sparkline(values: list[int]) -> str:
    """One bar character per value, scaled from the lowest to the highest."""
    low, high = min(values, default=0), max(values, default=0)
    span = high - low
    return "".join(_BARS[(v - low) * (len(_BARS) - 1) // span if span else 0] for v in values)


def render_trend(trend: Trend, fmt: str, terminal: bool = False) -> str:
    """``trend`` as ``text``, ``json`` or ``csv``; sparklines only on a ``terminal``."""
    if fmt == "json":
        return json.dumps(visible_strings(trend.to_dict()), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return _csv(trend)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("period end", "commit", "", *(s.replace("_", " ") for s in SERIES)):
        table.add_column(column, justify="right" if column in SERIES else "left")
    for point in trend.points:
        marker = REPEATED if point.repeated else ""
        counts = [str(getattr(point, series)) for series in SERIES]
        table.add_row(point.end.isoformat(), point.short, marker, *counts)
    lines = []
    if terminal:
        for series in SERIES:
            values = [getattr(p, series) for p in trend.points]
            lines.append(f"{series.replace('_', ' '):<15}{sparkline(values)}")
    movers = trend.movers()
    if movers:
        changes = ", ".join(f"{m.rule} {m.first}->{m.last}" for m in movers[:5])
        lines.append(f"biggest movers, first to last point: {changes}")
    if any(p.repeated for p in trend.points):
        lines.append(f"{REPEATED} no commit in that period: the previous state at the later date")
    lines.append(f"iotpolicy {trend.tool}: {NOTE}")
    return console_text([table], 100, terminal) + "\n".join(lines) + "\n"


def _csv(trend: Trend) -> str:
    """One row per point: the series, then a column per rule family and per site."""
    families = sorted(trend.points[0].families) if trend.points else []
    sites = trend.sites
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    head = ["end", "commit", "committed", "repeated", *SERIES]
    out.writerow(head + [f"family {f}" for f in families] + [f"site {s}" for s in sites])
    for point in trend.points:
        out.writerow(_row(point, families, sites))
    return buffer.getvalue()


def _row(point: Point, families: list[str], sites: list[str]) -> list[str | int]:
    found = point.families
    fixed: list[str | int] = [
        point.end.isoformat(),
        point.commit,
        point.committed.isoformat(),
        "yes" if point.repeated else "no",
        *(getattr(point, series) for series in SERIES),
    ]
    return fixed + [found[f] for f in families] + [point.sites.get(s, 0) for s in sites]

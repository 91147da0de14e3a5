"""The rule catalogue as a table, JSON or Markdown (``iotpolicy rules``)."""

from __future__ import annotations

import json

from rich import box
from rich.table import Table

from iotpolicy.formats.text import console_text
from iotpolicy.rules import RULES, Rule


def catalogue() -> list[Rule]:
    """Every rule, by id."""
    return sorted(RULES.values(), key=lambda r: r.id)


def rule_dict(rule: Rule) -> dict[str, object]:
    """One rule as JSON."""
    return {
        "id": rule.id,
        "severity": rule.severity_label,
        "title": rule.title,
        "source": rule.source,
        "controls": list(rule.controls),
        "description": rule.doc,
    }


def render_catalogue(fmt: str, colour: bool = False) -> str:
    """The catalogue in ``fmt``: table, json or markdown."""
    rules = catalogue()
    if fmt == "json":
        return json.dumps([rule_dict(r) for r in rules], indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        from iotpolicy.reports import render  # Jinja only for this format (check starts faster)

        return render("rules.md.j2", rules=rules)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("id", "severity", "title", "source", "controls"):
        table.add_column(column, overflow="fold")
    for rule in rules:
        table.add_row(
            rule.id, rule.severity_label, rule.title, rule.source, "; ".join(rule.controls)
        )
    return console_text([table], 140, colour)

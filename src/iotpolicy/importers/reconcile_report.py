"""A reconciliation as text, JSON or Markdown (``reconcile --format``)."""

from __future__ import annotations

import dataclasses
import json

from iotpolicy.grammar.escaping import one_line, terminal
from iotpolicy.grammar.secrets import shown
from iotpolicy.importers.reconcile import (
    DISCREPANCY_CONTROLS,
    DISCREPANCY_TITLES,
    Discrepancy,
    Reconciliation,
)
from iotpolicy.wording import plural


def render(result: Reconciliation, fmt: str) -> str:
    """The reconciliation as ``text``, ``json`` or ``markdown``; a message that would echo a
    credential-looking name from the scan or the register shows ``(redacted)``."""
    items = tuple(dataclasses.replace(i, message=shown(i.message)) for i in result.items)
    scan = dataclasses.replace(result.scan, scanner=shown(result.scan.scanner))
    result = dataclasses.replace(result, items=items, scan=scan)
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return _markdown(result)
    return _text(result)


def _headline(result: Reconciliation) -> str:
    started = f", started {result.scan.started}" if result.scan.started else ""
    return (
        f"{result.source} ({result.scan.scanner}{started}): {len(result.scan.hosts)} hosts up, "
        f"{len(result.matched)} matched to devices"
    )


def _text(result: Reconciliation) -> str:
    lines = [terminal(_headline(result), one_line=True)]
    for kind in Discrepancy:
        mine = [i for i in result.items if i.kind is kind]
        if mine:
            lines += ["", f"{DISCREPANCY_TITLES[kind]} ({kind.value}: {len(mine)})"]
            lines += [f"  {terminal(item.message, one_line=True)}" for item in mine]
    total = len(result.items)
    lines += [
        "",
        f"{plural(total, 'item')} {'needs' if total == 1 else 'need'} attention"
        if total
        else "Nothing needs attention: the network matches the register",
    ]
    return "\n".join(lines) + "\n"


def _cell(text: str | None) -> str:
    return one_line(text or "").replace("|", "\\|")


def _markdown(result: Reconciliation) -> str:
    lines = ["# Network scan reconciliation", "", _cell(_headline(result)), ""]
    lines += ["| what | count |", "|---|---|"]
    lines += [
        f"| {DISCREPANCY_TITLES[k]} | {n} |"
        for k, n in zip(Discrepancy, result.counts().values(), strict=True)
    ]
    for kind in Discrepancy:
        mine = [i for i in result.items if i.kind is kind]
        if not mine:
            continue
        lines += ["", f"## {DISCREPANCY_TITLES[kind]}", ""]
        lines += [f"Controls: {', '.join(DISCREPANCY_CONTROLS[kind])}", ""]
        lines += [
            "| device | address | MAC | segment | port | finding |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {_cell(i.device) or '-'} | {_cell(i.ip)} | {_cell(i.mac)} | {_cell(i.segment)} "
            f"| {_cell(i.port)} | {_cell(i.message)} |"
            for i in mine
        ]
    if not result.items:
        lines += ["", "Nothing needs attention: the network matches the register."]
    return "\n".join(lines) + "\n"

"""Shell-completion callbacks: record ids from the register, rule ids from the catalogue.

Typer calls these while the shell completes a word (``iotpolicy --install-completion`` installs the
shell's side), handing them a ``typer.Context``; only typer's public API is used (not click, which
recent typer releases no longer install). The register is the one the command would use:
``--register`` when it is already on the command line, else ``IOTPOLICY_REGISTER``, else the usual
discovery. Ids are the file names of the record folders (REG-002 makes an id match its file name),
so completing never parses YAML and stays fast on large registers. A callback never raises: any
problem completes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

import typer

from iotpolicy.kinds import KINDS, folder_kinds
from iotpolicy.register import find_register
from iotpolicy.rules import RULES


def complete_device_id(ctx: typer.Context, incomplete: str) -> list[str]:
    """Device ids starting with ``incomplete``."""
    return record_ids(ctx, "device", incomplete)


def complete_vendor_id(ctx: typer.Context, incomplete: str) -> list[str]:
    """Vendor ids starting with ``incomplete``."""
    return record_ids(ctx, "vendor", incomplete)


def complete_segment_id(ctx: typer.Context, incomplete: str) -> list[str]:
    """Segment ids starting with ``incomplete``."""
    return record_ids(ctx, "segment", incomplete)


def complete_exception_id(ctx: typer.Context, incomplete: str) -> list[str]:
    """Exception ids starting with ``incomplete``."""
    return record_ids(ctx, "exception", incomplete)


def complete_record_id(ctx: typer.Context, incomplete: str) -> list[str]:
    """Ids of records of any kind (for ``history ID``), sorted, without repeats."""
    found = {i for kind in folder_kinds() for i in record_ids(ctx, kind.name, incomplete)}
    return sorted(found)


def complete_rule_id(incomplete: str) -> list[tuple[str, str]]:
    """Rule ids (any case typed) with their titles as help."""
    try:
        wanted = incomplete.strip().upper()
        return [
            (rule.id, rule.title)
            for rule in sorted(RULES.values(), key=lambda r: r.id)
            if rule.id.startswith(wanted)
        ]
    except Exception:  # completion must never fail the shell
        return []


def record_ids(ctx: typer.Context | None, kind: str, incomplete: str) -> list[str]:
    """Ids (file stems) of the records of ``kind`` starting with ``incomplete``, sorted."""
    try:
        root = completion_register(ctx)
        if root is None:
            return []
        folder = root / str(KINDS[kind].folder)
        stems = (
            entry.name.removesuffix(".yaml")
            for entry in os.scandir(folder)
            if entry.name.endswith(".yaml") and not entry.name.startswith(".")
        )
        return sorted(stem for stem in stems if stem.startswith(incomplete))
    except Exception:  # completion must never fail the shell
        return []


class _Context(Protocol):
    """What completion reads of a context and its parents (typer types ``parent`` as its own
    click copy's context, which has no public name)."""

    @property
    def params(self) -> dict[str, Any]: ...

    @property
    def parent(self) -> _Context | None: ...


def completion_register(ctx: _Context | None) -> Path | None:
    """The register a command being completed would use, or None when there is none."""
    explicit: str | None = None
    node = ctx
    while node is not None and explicit is None:
        value = (node.params or {}).get("register")
        explicit = value if isinstance(value, str) and value else None
        node = node.parent
    explicit = explicit or os.environ.get("IOTPOLICY_REGISTER") or None
    try:
        return find_register(explicit)
    except Exception:
        return None

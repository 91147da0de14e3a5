"""Devices from a spreadsheet inventory: each row validated as a device (its model, its IP address
in its segment and unused), then a draft that creates the record or changes the fields the row
sets (comments kept). :func:`sheet_rows` reads the rows, :func:`device_drafts` plans them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from iotpolicy.importers.common import record_names
from iotpolicy.importers.spreadsheet import (
    CellError,
    ColumnMap,
    RowValues,
    Sheet,
    nest,
    resolve_references,
    row_values,
)
from iotpolicy.models import Device
from iotpolicy.models.base import error_message
from iotpolicy.models.enums import (
    Status,
)
from iotpolicy.register import Register, schema_comment
from iotpolicy.writing.draft import Draft
from iotpolicy.writing.forms import DEVICE
from iotpolicy.writing.snapshot import Snapshot
from iotpolicy.yamlio.nodes import Quoted
from iotpolicy.yamlio.roundtrip import RoundTrip, YamlEditError, dump_new

QUOTED_FIELDS = frozenset({"serial", "firmware.version", "network.mac"})
"""Texts always written in quotes, as the editing commands write them."""


QUOTED_KEYS = frozenset({"from_version", "to_version", "serial"})
"""The same inside the entries of ``changes``."""


@dataclass(frozen=True)
class RowPlan:
    """What one row does."""

    row: int
    device: str
    action: str
    """created, updated or unchanged."""
    fields: tuple[str, ...]
    """The fields it sets (for an update: the ones that change)."""
    planned: bool = False
    """A new device without a status: planned, as ``add-device`` makes it."""


def device_drafts(
    snap: Snapshot,
    read: tuple[list[RowValues], list[CellError]],
    columns: ColumnMap,
    plan: list[RowPlan],
    source: str,
) -> tuple[list[Draft], list[CellError]]:
    """A draft per row that creates or changes a device, and every row's problems."""
    rows, errors = read
    bad_rows = {e.row for e in errors}
    register = snap.register
    existing = {r.raw_id: r for r in register.of("device") if r.raw_id}
    drafts: list[Draft] = []
    used_ips: dict[str, int] = {}
    for row in rows:
        record = existing.get(row.id)
        rel = DEVICE.file(row.id)
        if (record is None and (register.root / rel).exists()) or (record and record.model is None):
            errors.append(CellError(row.row, None, f"{rel} is not valid; fix it first"))
            continue
        current = _plain(record.model.model_dump(exclude_none=True)) if record else {}
        given = nest(row.values)
        planned = record is None and "status" not in given
        if planned:
            given["status"] = Status.PLANNED.value
        device, problems = row_problems(snap, row, _merge(current, given), columns, used_ips)
        if device is None or problems or row.row in bad_rows:
            errors.extend(problems)
            continue
        new = _plain(device.model_dump(exclude_none=True))
        if record is None:
            text = dump_new(_quoted("", new), schema_comment(rel))
            drafts.append(Draft(rel, text, row.id, f"Add device {row.id}", True))
            plan.append(RowPlan(row.row, row.id, "created", tuple(row.values), planned))
            continue
        changed = [path for path in row.values if _get(current, path) != _get(new, path)]
        if not changed:
            plan.append(RowPlan(row.row, row.id, "unchanged", ()))
            continue
        try:
            doc = RoundTrip(register.texts[record.file])
            for path in changed:
                doc.set(tuple(path.split(".")), _quoted(path, _get(new, path)), DEVICE.key_order)
            text = doc.text()
        except YamlEditError as exc:
            errors.append(CellError(row.row, None, f"{rel} {exc}; edit it by hand"))
            continue
        message = f"Update device {row.id} from {source}"
        drafts.append(Draft(record.file, text, row.id, message, False))
        plan.append(RowPlan(row.row, row.id, "updated", tuple(changed)))
    return drafts, errors


def row_problems(
    snap: Snapshot,
    row: RowValues,
    merged: dict[str, Any],
    columns: ColumnMap,
    used_ips: dict[str, int],
) -> tuple[Device | None, list[CellError]]:
    """The device a row makes, and what is wrong with it: its model, and its IP address (inside
    its segment, not used by another device, nor by an earlier row)."""
    try:
        device = Device.model_validate(merged)
    except ValidationError as exc:
        return None, [
            CellError(
                row.row,
                columns.column(".".join(str(p) for p in error["loc"])),
                _describe(error),
            )
            for error in exc.errors(include_url=False, include_input=False)
        ]
    ip = device.network.ip if device.network else None
    if ip is None or ("network.ip" not in row.values and "network.segment" not in row.values):
        return device, []
    segment = device.network.segment if device.network else None
    problem = snap.ip_problem(ip, segment, device.id)
    if problem is None and ip in used_ips:
        problem = f"{ip} is already used by row {used_ips[ip]}"
    used_ips.setdefault(ip, row.row)
    column = columns.column("network.ip") or columns.column("network.segment")
    return device, [CellError(row.row, column, problem)] if problem else []


def _describe(error: Any) -> str:
    """A model error in words (the value itself is never repeated)."""
    where = ".".join(str(p) for p in error["loc"])
    match error["type"]:
        case "missing":
            return f"{where} is required"
        case "enum":
            expected = error.get("ctx", {}).get("expected", "").replace("'", "")
            return f"{where} must be one of {expected}"
        case _:
            return f"{where}: {error_message(error)}"


def _merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _get(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for step in path.split("."):
        node = node.get(step) if isinstance(node, dict) else None
    return node


def _plain(value: Any) -> Any:
    """A model dump as YAML-ready data: enums as their words, tuples as lists, no None."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None and v != ()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


def _quoted(path: str, value: Any) -> Any:
    """``value`` (at dotted ``path``) with versions, serials and MACs as :class:`Quoted`."""
    if isinstance(value, dict):
        return {k: _quoted(f"{path}.{k}".lstrip("."), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_quoted(f"{path}.item", v) for v in value]
    tail = path.rsplit(".", 1)[-1]
    if isinstance(value, str) and (path in QUOTED_FIELDS or tail in QUOTED_KEYS):
        return Quoted(value)
    return value


def sheet_rows(
    register: Register, sheet: Sheet, columns: ColumnMap
) -> tuple[list[RowValues], list[CellError]]:
    """The rows of ``sheet`` as field values, references resolved against ``register`` (a vendor,
    person or segment named by its name instead of its id), and the problems of their cells."""
    rows, errors = row_values(sheet, columns)
    names = {k: record_names(register, k) for k in ("vendor", "person", "segment")}
    resolved, more = resolve_references(rows, columns, names)
    return resolved, errors + more

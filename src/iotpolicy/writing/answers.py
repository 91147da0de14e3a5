"""From options and prompts to values: each field's text parsed as its table says, the missing
ones asked for in the table's order (through the CLI's callbacks), defaults applied."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from iotpolicy.errors import UsageError
from iotpolicy.writing.fields import (
    Field,
    Values,
)
from iotpolicy.writing.forms import Form, Prompt, Tell
from iotpolicy.writing.snapshot import Snapshot, listing


def parse_options(fields: Iterable[Field], given: Mapping[str, Any]) -> Values:
    """The option values given (text, flags, repeated texts), parsed; a UsageError listing every
    bad one (the value itself is never repeated: it might be a secret typed in the wrong place)."""
    values: Values = {}
    problems: list[str] = []
    for fld in fields:
        raw = given.get(fld.key)
        if raw is None or raw == [] or raw == ():
            continue
        try:
            if fld.flag:
                values[fld.key] = bool(raw)
            elif fld.many:
                values[fld.key] = _many(fld, raw)
            else:
                values[fld.key] = fld.parse(str(raw))
        except ValueError as exc:
            problems.append(f"iotpolicy: {fld.option}: {_reason(exc)}")
    if problems:
        raise UsageError(
            f"bad option value{'s' if len(problems) > 1 else ''}; nothing was written",
            tuple(problems),
        )
    return values


def _many(fld: Field, raws: Iterable[str]) -> list[Any]:
    items: list[Any] = []
    for raw in raws:
        parsed = fld.parse(raw)
        items.extend(parsed if isinstance(parsed, list) else [parsed])
    return items


def _reason(exc: ValueError) -> str:
    return str(exc).removeprefix("Value error, ")


def fill(
    kind: Form | None,
    fields: Sequence[Field],
    values: Values,
    snap: Snapshot,
    ask: Prompt,
    tell: Tell,
    own: str | None = None,
) -> dict[str, list[str]]:
    """Ask for every missing field that is to be asked, in table order, checking each answer as
    it is typed (its form, then against the register) and asking again until it is right. An
    empty answer skips an optional field and ends a list. Returns the answers as typed, by field
    key (to repeat them as options)."""
    typed: dict[str, list[str]] = {}
    for fld in fields:
        if fld.key in values or not fld.asked(values):
            continue
        options = snap.choices(fld)
        hint = f" ({listing(options)})" if options and not fld.flag else ""
        if fld.flag:
            hint = " (yes/no)"
        optional = "" if fld.required else " (Enter to skip)"
        if fld.many:
            items: list[Any] = []
            while True:
                more = " (Enter when done)" if items or not fld.required else ""
                answer = ask(fld.label, f"{hint}{more}", "" if items or not fld.required else None)
                if not answer.strip():
                    if items or not fld.required:
                        break
                    tell(f"  {fld.label}: at least one is needed")
                    continue
                value = _checked(kind, fld, answer, values, snap, own, tell)
                if value is not None:
                    items.extend(value if isinstance(value, list) else [value])
                    typed.setdefault(fld.key, []).append(answer.strip())
            if items:
                values[fld.key] = items
            continue
        default = snap.default(kind, fld)
        if default is None and not fld.required:
            default = ""
        while True:
            answer = ask(fld.label, f"{hint}{optional if not default else ''}", default)
            if not answer.strip():
                if not fld.required:
                    break
                tell(f"  {fld.label} is required")
                continue
            value = _checked(kind, fld, answer, values, snap, own, tell)
            if value is not None:
                values[fld.key] = value
                typed[fld.key] = [answer.strip()]
                break
    return typed


def _checked(
    kind: Form | None,
    fld: Field,
    answer: str,
    values: Values,
    snap: Snapshot,
    own: str | None,
    tell: Tell,
) -> Any:
    """The parsed, checked answer, or None after telling what is wrong."""
    try:
        value = fld.parse(answer)
    except ValueError as exc:
        tell(f"  {fld.label}: {_reason(exc)}")
        return None
    problem = snap.check(kind, fld, value, values, own)
    if problem:
        tell(f"  {fld.label}: {problem}")
        return None
    return value


def missing(fields: Iterable[Field], values: Values) -> list[str]:
    """Options of the required fields without a value."""
    return [f.option for f in fields if f.required and f.key not in values]


def apply_defaults(
    kind: Form | None, fields: Iterable[Field], values: Values, snap: Snapshot
) -> None:
    """Fill in the default of every field not given (see :meth:`Snapshot.default`)."""
    for fld in fields:
        if fld.key not in values:
            default = snap.default(kind, fld)
            if default is not None:
                values[fld.key] = fld.parse(default)

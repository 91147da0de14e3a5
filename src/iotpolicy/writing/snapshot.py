"""The register as read at one moment, with the indexes the checks and prompts of a change use:
the choices a field offers, whether a reference or an IP address is acceptable, the record a
command changes (:class:`Snapshot`), and the refusal of a change (:class:`Refused`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from datetime import date
from functools import cached_property
from typing import Any

from iotpolicy.domain.exceptions import UNSUPPRESSIBLE
from iotpolicy.engine import context
from iotpolicy.errors import RefusedError, UsageError
from iotpolicy.grammar.names import add_hint, nearest
from iotpolicy.kinds import KINDS as RECORD_KINDS
from iotpolicy.models import Device
from iotpolicy.models.base import is_slug
from iotpolicy.models.enums import Status
from iotpolicy.register import (
    Record,
    Register,
)
from iotpolicy.rules import RULES
from iotpolicy.view import Context
from iotpolicy.writing.fields import (
    Field,
    Ref,
    Values,
)
from iotpolicy.writing.forms import DEVICE, Form

_SHOWN_CHOICES = 15
"""At most this many choices are listed in a prompt or a message."""


class Refused(RefusedError):
    """The command's result would be invalid: nothing was written. ``details`` holds one
    ``file:line: field: what`` line per problem."""


class Snapshot:
    """The register as read at one moment, with the indexes the checks and prompts use. Give
    the register, or a function reading it on first use (answers given as options need it only
    for a default)."""

    def __init__(self, register: Register | Callable[[], Register], today: date) -> None:
        self._register = register
        self.today = today

    @cached_property
    def register(self) -> Register:
        """The register (read now if it was not yet)."""
        return self._register if isinstance(self._register, Register) else self._register()

    @cached_property
    def ctx(self) -> Context:
        """The rules' view of the register (valid records, people, GMs, settings)."""
        return context(self.register, self.today)

    def ids(self, kind: str) -> set[str]:
        """Every id in use for ``kind`` (invalid records and unreadable files included)."""
        records = self.register.of(kind)
        found = {r.raw_id for r in records if r.raw_id is not None}
        return found | self.register.unreadable.get(kind, set())

    def choices(self, fld: Field) -> list[str]:
        """What a prompt offers for ``fld``: its vocabulary or the ids it may name."""
        if fld.choices:
            return list(fld.choices)
        match fld.ref:
            case Ref.VENDOR:
                return sorted(self.ids("vendor"))
            case Ref.SEGMENT:
                return sorted(self.ids("segment"))
            case Ref.PERSON:
                return sorted(self.ctx.people)
            case Ref.GM:
                return sorted(self.ctx.gms)
            case Ref.FLOW_TARGET:
                return [*sorted(self.ids("segment")), "internet"]
            case Ref.RULE:
                return sorted(r for r in RULES if r.split("-")[0] not in UNSUPPRESSIBLE)
        if fld.key == "remote_access":
            return ["none", *self.ctx.settings.approved_remote_access]
        if fld.key == "remote_method":
            return list(self.ctx.settings.approved_remote_access)
        return []

    def default(self, kind: Form | None, fld: Field) -> str | None:
        """The value of a field not given: its table default, today for a date of approval or
        of a change, the next free exception id."""
        if fld.default is not None:
            return fld.default
        if fld.key in ("approved_on", "date", "on"):
            return self.today.isoformat()
        if kind is not None and kind.name == "exception" and fld.key == "id":
            taken = self.ids("exception")
            number = 1
            while f"exc-{self.today.year}-{number:03d}" in taken:
                number += 1
            return f"exc-{self.today.year}-{number:03d}"
        return None

    def check(
        self, kind: Form | None, fld: Field, value: Any, values: Values, own: str | None
    ) -> str | None:
        """What is wrong with ``value`` for ``fld`` given the other answers (``values``), or
        None. ``own``: the id of the record being changed (its own IP is not "in use")."""
        if fld.key == "id" and own is None and kind is not None:
            return self._new_id(kind, value)
        if fld.ref is not None:
            items = value if isinstance(value, list) else [value]
            for item in items:
                target = item["to"] if isinstance(item, dict) else item
                problem = self.reference_problem(fld.ref, target)
                if problem:
                    return problem
        checks: dict[str, Callable[[], str | None]] = {
            "ip": lambda: self.ip_problem(value, values.get("segment"), own),
            "remote_access": lambda: self._listed(value, ["none", *self._approved()]),
            "remote_method": lambda: self._listed(value, self._approved()),
            "expires_on": lambda: self._expiry(values.get("approved_on"), value),
        }
        return checks[fld.key]() if fld.key in checks else None

    def _approved(self) -> list[str]:
        return list(self.ctx.settings.approved_remote_access)

    def _new_id(self, kind: Form, value: str) -> str | None:
        if value in self.ids(kind.name) or (
            kind.folder and (self.register.root / kind.file(value)).exists()
        ):
            return f"{kind.name} {value} already exists ({kind.file(value)})"
        return None

    def reference_problem(self, ref: Ref, value: str) -> str | None:
        """Why ``value`` does not name a record of the ``ref`` kind, or None."""
        match ref:
            case Ref.VENDOR | Ref.SEGMENT:
                known = self.ids(ref.value)
            case Ref.PERSON:
                known = self.ids("person")
            case Ref.GM:
                if value in self.ctx.gms:
                    return None
                gms = (
                    ", ".join(sorted(self.ctx.gms))
                    or "none yet: add one with iotpolicy add-person --role general-manager"
                )
                return f"'{value}' is not a general manager (general managers: {gms})"
            case Ref.RULE:
                if value not in RULES:
                    return f"'{value}' is not a rule id (see iotpolicy rules)"
                if value.split("-")[0] in UNSUPPRESSIBLE:
                    return f"{value} findings cannot be suppressed by an exception"
                return None
            case Ref.SUBJECT:
                known = set().union(*(self.ids(k) for k, rk in RECORD_KINDS.items() if rk.has_ids))
                known.add("policy")
                if value in known:
                    return None
                return f"'{value}' is not the id of a record in the register (or policy)"
            case Ref.FLOW_TARGET:
                known = self.ids("segment") | {"internet"}
        if value in known:
            return None
        problem = f"'{value}' is not a known {ref.value}; known: {listing(sorted(known))}"
        if ref in (Ref.VENDOR, Ref.SEGMENT, Ref.PERSON):
            problem += f"; {add_hint(ref.value)}"
        return problem

    def ip_problem(self, value: str, segment_id: str | None, own: str | None) -> str | None:
        """Outside the segment's CIDR, or used by another planned or active device."""
        address = ipaddress.ip_address(value)
        segment = self.ctx.segments.get(segment_id) if segment_id else None
        if segment is not None:
            network = ipaddress.ip_network(segment.cidr.strip(), strict=False)
            if address not in network:
                return f"{value} is outside segment {segment.id} ({segment.cidr})"
        for device_id, file in self._addresses.get(address, ()):
            if device_id != own:
                return f"{value} is already used by {device_id} ({file})"
        return None

    @cached_property
    def _addresses(
        self,
    ) -> dict[ipaddress.IPv4Address | ipaddress.IPv6Address, list[tuple[str, str]]]:
        """The (id, file) of the planned and active devices at each IP address, in file order:
        built once, so checking a row's address costs the same however large the register."""
        found: dict[ipaddress.IPv4Address | ipaddress.IPv6Address, list[tuple[str, str]]] = {}
        for record in self.ctx.devices:
            device = record.model
            ip = device.network.ip if device.network else None
            if ip is not None and device.status in (Status.PLANNED, Status.ACTIVE):
                found.setdefault(ipaddress.ip_address(ip.strip()), []).append(
                    (device.id, record.file)
                )
        return found

    @staticmethod
    def _listed(value: str, allowed: list[str]) -> str | None:
        if value in allowed:
            return None
        return f"must be one of {', '.join(allowed)} (settings.approved_remote_access)"

    def _expiry(self, approved: date | None, expires: date) -> str | None:
        """Expiry after approval, within settings.exception_max_days, not already past."""
        limit = self.ctx.settings.exception_max_days
        if expires < self.today:
            return f"{expires} has already passed"
        if approved is None:
            return None
        if expires < approved:
            return f"{expires} is before the approval date {approved}"
        if (expires - approved).days > limit:
            return (
                f"{expires} is {(expires - approved).days} days after the approval; an exception "
                f"lasts at most {limit} days (settings.exception_max_days)"
            )
        return None

    def valid_file(self, rel: str) -> None:
        """Refuse to edit a file that does not read as valid (it is left untouched)."""
        problems = [p for p in self.register.problems if p.file == rel]
        if problems:
            raise Refused(
                f"{rel} is not valid; fix it first (nothing was written)",
                tuple(f"{rel}:{p.line}: {p.message} (REG-001)" for p in problems),
            )

    def device(self, device_id: str) -> Record[Device]:
        """The valid device record ``device_id``; UsageError or Refused when there is none."""
        rel = DEVICE.file(device_id) if is_slug(device_id) else None
        if rel is None or not (self.register.root / rel).is_file():
            close = nearest(device_id, self.ids("device"))
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UsageError(
                f"no device '{device_id}' in the register (devices/{device_id}.yaml){hint}"
            )
        self.valid_file(rel)
        record = next((r for r in self.register.of("device") if r.file == rel), None)
        if record is None or record.model is None:
            raise Refused(f"{rel} is not a valid device record; fix it first (nothing was written)")
        return record


def listing(items: Sequence[str]) -> str:
    """``a, b, c`` (at most _SHOWN_CHOICES, then how many more)."""
    if not items:
        return "none"
    shown = ", ".join(items[:_SHOWN_CHOICES])
    more = len(items) - _SHOWN_CHOICES
    return f"{shown} and {more} more" if more > 0 else shown

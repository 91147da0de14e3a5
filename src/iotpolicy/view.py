"""The register's query layer: what rules, reports, the review, the editing commands and OSCAL
read of a loaded register as of a date (valid records by kind, people and general managers,
active devices, segments and vendors by id, the subjects of a scope), computed once each.

:func:`iotpolicy.engine.context` builds it (with the rule catalogue for references); nothing
here evaluates a rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from iotpolicy.kinds import kind_of_folder
from iotpolicy.models import Device, Person, Segment, Settings, Vendor
from iotpolicy.models.enums import Role, Status
from iotpolicy.register import DeviceFacts, Record, Register

SCOPES = (
    "active-devices",
    "retired-devices",
    "segments",
    "vendors",
    "exceptions",
    "policy",
    "records",
)
"""What a rule judges: active devices; retired or disposed devices; segments; vendors;
exceptions; the policy document; every record and file of the register (the REG rules)."""


@dataclass
class Context:
    """Everything a rule may read: the register, the as-of date and derived indexes."""

    register: Register
    as_of: date
    known_rules: frozenset[str] = frozenset()
    """Every rule id of the catalogue (for references), whatever --rule selects."""
    _subjects: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def secret_files(self) -> frozenset[str]:
        """Files whose text may hold a credential (REG-004's and every output's fast path)."""
        return frozenset(self.register.flagged)

    @cached_property
    def settings(self) -> Settings:
        """policy.yaml settings, or the defaults."""
        policy = self.register.policy
        return policy.model.settings if policy and policy.model else Settings()

    def valid(self, kind: str) -> list[Record[Any]]:
        """Records of ``kind`` that passed their model (the only ones non-REG rules evaluate)."""
        return [r for r in self.register.of(kind) if r.model is not None]

    @cached_property
    def people(self) -> dict[str, Person]:
        """Valid people by id (the first of a duplicated id)."""
        result: dict[str, Person] = {}
        for record in self.register.people:
            if record.model is not None:
                result.setdefault(record.model.id, record.model)
        return result

    @cached_property
    def gms(self) -> frozenset[str]:
        """Ids of the people holding the general-manager role."""
        return frozenset(
            pid for pid, person in self.people.items() if Role.GENERAL_MANAGER in person.roles
        )

    def is_gm(self, person_id: str | None) -> bool:
        """True when ``person_id`` names a general manager."""
        return person_id is not None and person_id in self.gms

    @cached_property
    def devices(self) -> list[Record[Device]]:
        """Valid device records (only the files read this time when the check cache is used:
        rules comparing devices with each other read :attr:`device_facts`)."""
        return self.valid("device")

    @property
    def device_facts(self) -> list[DeviceFacts]:
        """Facts of every device file holding a record, read or cached, in path order (the
        register computes them once)."""
        return self.register.device_facts()

    @cached_property
    def active_devices(self) -> list[Record[Device]]:
        """Valid devices whose status is active."""
        return [r for r in self.devices if r.model.status is Status.ACTIVE]

    def subjects(self, scope: str) -> tuple[str, ...]:
        """The subjects of a :data:`SCOPES` entry, sorted, each once (cached per scope)."""
        if scope not in self._subjects:
            self._subjects[scope] = tuple(sorted(set(self._scope_subjects(scope))))
        return self._subjects[scope]

    def _scope_subjects(self, scope: str) -> Iterable[str]:
        facts = self.device_facts
        if scope == "active-devices":
            return (f.subject for f in facts if f.status == Status.ACTIVE)
        if scope == "retired-devices":
            return (f.subject for f in facts if f.status in (Status.RETIRED, Status.DISPOSED))
        if scope == "policy":
            return ("policy",) if self.register.policy is not None else ()
        if scope == "records":
            register = self.register
            return [
                *(r.subject for r in register.all_records()),
                *(f.subject for f in facts),
                *(stem for stems in register.unreadable.values() for stem in stems),
                *(problem.subject for problem in register.problems),  # whole files: people ...
            ]
        kind = kind_of_folder(scope)  # segments, vendors, exceptions: their valid records
        assert kind is not None, scope
        return (r.subject for r in self.valid(kind.name))

    @cached_property
    def segments(self) -> dict[str, Segment]:
        """Valid segments by id."""
        return _by_id(self.valid("segment"))

    @cached_property
    def vendors(self) -> dict[str, Vendor]:
        """Valid vendors by id."""
        return _by_id(self.valid("vendor"))


def _by_id(records: Sequence[Record[Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for record in records:
        result.setdefault(record.model.id, record.model)
    return result

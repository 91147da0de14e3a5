"""What every rule needs: the Rule record, the registry, the evaluation Context and Violations.

Rules are plain functions decorated with :func:`rule`; the docstring is the rule's documentation.
A rule yields :class:`Violation` objects; the engine turns them into findings with the rule's id,
severity and controls, and applies exceptions. Rules do no I/O and print nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from iotpolicy.findings import Severity
from iotpolicy.models import Device, Person, Segment, Settings, Vendor
from iotpolicy.models.enums import Role, Status
from iotpolicy.register import DeviceFacts, Record, Register
from iotpolicy.secrets import may_hold_secret

RULE_ID = re.compile(r"^[A-Z]{2,4}-[0-9]{3}$")
Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Violation:
    """A failed condition found by a rule, before the engine makes it a Finding."""

    subject: str
    file: str
    line: int
    message: str
    severity: Severity | None = None
    """None: the rule's default severity."""


@dataclass(frozen=True)
class Rule:
    """One control of the catalogue (controls.md)."""

    id: str
    severity: Severity
    """Default severity; rules marked ``error / warning`` report warnings with an explicit one."""
    title: str
    source: str
    """Clause of P35S (or of the related policy or standard)."""
    controls: tuple[str, ...]
    """Framework references, one per entry."""
    check: Callable[[Context], Iterable[Violation]] = field(repr=False, compare=False)
    also_warning: bool = False
    """True for the ``error / warning`` rules."""
    across_devices: bool = False
    """True when a finding about one device depends on other devices (duplicates, the first of a
    type): such a rule reads :attr:`Context.device_facts`, and its findings are never cached."""
    scope: str = "active-devices"
    """The subjects the rule judges (see :data:`SCOPES`): a subject without a finding passed."""

    @property
    def doc(self) -> str:
        """The rule's documentation: its function's docstring."""
        return _dedent(self.check.__doc__ or "")

    @property
    def family(self) -> str:
        """The id's prefix: REG, INV, SEG ..."""
        return self.id.split("-")[0]

    @property
    def severity_label(self) -> str:
        """``error``, ``warning`` or ``error / warning``."""
        return "error / warning" if self.also_warning else self.severity.value


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

RULES: dict[str, Rule] = {}
"""The registry: every rule by id, filled as the rule modules are imported."""


def rule(
    rule_id: str,
    severity: str,
    title: str,
    source: str,
    controls: str,
    across_devices: bool = False,
    scope: str = "active-devices",
) -> Callable[[Callable[[Context], Iterable[Violation]]], Callable[[Context], Iterable[Violation]]]:
    """Register the decorated function as rule ``rule_id``; ``severity`` is ``error``,
    ``warning`` or ``error / warning``; ``controls`` is written as in the catalogue."""

    def register(check: Callable[[Context], Iterable[Violation]]) -> Callable[..., Any]:
        if scope not in SCOPES:
            raise ValueError(f"rule {rule_id}: unknown scope {scope!r}")
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} registered twice")
        RULES[rule_id] = Rule(
            id=rule_id,
            severity=Severity(severity.split("/")[0].strip()),
            title=title,
            source=source,
            controls=split_controls(controls),
            check=check,
            also_warning="/" in severity,
            across_devices=across_devices,
            scope=scope,
        )
        return check

    return register


_FRAMEWORK = re.compile(r"^(ISO|NIST|IEC|ETSI|NIS2|GDPR|DORA)\b")


def split_controls(text: str) -> tuple[str, ...]:
    """``NIST AC-3, AC-6; ISO 27002 5.17`` -> ``NIST AC-3``, ``NIST AC-6``, ``ISO 27002 5.17``."""
    result: list[str] = []
    for group in text.split(";"):
        items = [item.strip() for item in group.split(",") if item.strip()]
        if not items:
            continue
        prefix = items[0].rsplit(" ", 1)[0]
        result.append(items[0])
        result.extend(item if _FRAMEWORK.match(item) else f"{prefix} {item}" for item in items[1:])
    return tuple(result)


def norm(text: str | None) -> str:
    """Text as compared for names: case and surrounding spaces ignored."""
    return (text or "").strip().lower()


def present(value: Any) -> bool:
    """True when a value is given: not None, not blank text, not an empty list."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, tuple | list):
        return len(value) > 0
    return True


class Failures:
    """The failed conditions of one rule on one record, collected into one violation."""

    def __init__(self, record: Record[Any]) -> None:
        self.record = record
        self._items: list[tuple[int, str, Severity | None]] = []

    def add(self, path: Path, message: str, severity: Severity | None = None) -> None:
        """Record a failed condition at ``path`` (a missing key reports its parent's line)."""
        self._items.append((self.record.line(*path), message, severity))

    def __bool__(self) -> bool:
        return bool(self._items)

    def violation(self) -> Violation | None:
        """One violation at the first failing line naming every failure; an error when any
        failure is an error (or uses the default severity)."""
        if not self._items:
            return None
        severities = {s for _, _, s in self._items}
        severity = Severity.WARNING if severities == {Severity.WARNING} else None
        return Violation(
            subject=self.record.subject,
            file=self.record.file,
            line=min(line for line, _, _ in self._items),
            message="; ".join(message for _, message, _ in self._items),
            severity=severity,
        )


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
        texts = self.register.texts
        return frozenset(file for file, text in texts.items() if may_hold_secret(text))

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
        kind = {"segments": "segment", "vendors": "vendor", "exceptions": "exception"}[scope]
        return (r.subject for r in self.valid(kind))

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


def _dedent(text: str) -> str:
    lines = text.strip("\n").splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    cut = min(indents, default=0)
    return (
        "\n".join([lines[0].strip(), *(line[cut:] for line in lines[1:])]).strip() if lines else ""
    )

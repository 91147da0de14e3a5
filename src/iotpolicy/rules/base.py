"""What every rule needs: the Rule record, the registry and Violations (the Context they read is
:class:`iotpolicy.view.Context`).

Rules are plain functions decorated with :func:`rule`; the docstring is the rule's documentation.
A rule yields :class:`Violation` objects; the engine turns them into findings with the rule's id,
severity and controls, and applies exceptions. Rules do no I/O and print nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from iotpolicy.findings import Severity
from iotpolicy.register import Record
from iotpolicy.view import SCOPES, Context

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
    properties: tuple[tuple[str, Any], ...] = ()
    """Facts for the machine formats (see ``Finding.properties``)."""


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


def _dedent(text: str) -> str:
    lines = text.strip("\n").splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    cut = min(indents, default=0)
    return (
        "\n".join([lines[0].strip(), *(line[cut:] for line in lines[1:])]).strip() if lines else ""
    )

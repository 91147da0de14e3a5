"""Framework coverage: which controls the rules evidence, and which of them have findings.

Built from each rule's ``controls`` (``NIST SC-7``, ``ISO 27002 5.17`` ...), so the tables follow
the catalogue without a mapping of their own.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from iotpolicy.findings import CheckResult
from iotpolicy.rules import Rule

FRAMEWORKS: tuple[tuple[str, str], ...] = (
    ("ISO 27002", "ISO/IEC 27002"),
    ("NIST", "NIST SP 800-53"),
    ("NIS2", "NIS2 Directive"),
    ("IEC 62443-3-3", "IEC 62443-3-3"),
    ("GDPR", "GDPR"),
    ("ISO 27001", "ISO/IEC 27001"),
    ("ETSI EN 303 645", "ETSI EN 303 645"),
)
"""(prefix in the catalogue, name in reports), in the order reports list them; a control with
another prefix goes under its first word."""

OPEN, SUPPRESSED, CLEAR = "findings open", "suppressed by exception", "no findings"
"""A control's status: some rule evidencing it has unsuppressed findings; only suppressed ones;
none."""


@dataclass(frozen=True, slots=True)
class ControlCoverage:
    """One control of a framework and the rules that evidence it."""

    control: str
    """The control within its framework (``SC-7``, ``5.17``, ``Art. 32``)."""
    rules: tuple[str, ...]
    """Ids of the rules that evidence it."""
    open_rules: tuple[str, ...]
    """Those of them with unsuppressed findings."""
    suppressed_rules: tuple[str, ...]
    """Those with suppressed findings only."""

    @property
    def status(self) -> str:
        """findings open, suppressed by exception, or no findings."""
        return OPEN if self.open_rules else SUPPRESSED if self.suppressed_rules else CLEAR


@dataclass(frozen=True, slots=True)
class FrameworkCoverage:
    """Every control of one framework the catalogue maps to."""

    name: str
    """The framework's name in reports."""
    controls: tuple[ControlCoverage, ...]
    """Its controls in natural order (5.2 before 5.17, AC-3 before AC-17)."""

    @property
    def rules(self) -> tuple[str, ...]:
        """Every rule that evidences some control of it."""
        return tuple(sorted({rule for control in self.controls for rule in control.rules}))

    @property
    def with_findings(self) -> int:
        """How many of its controls have unsuppressed findings."""
        return sum(control.status == OPEN for control in self.controls)


def split_control(reference: str) -> tuple[str, str]:
    """``NIST SC-7`` -> (``NIST SP 800-53``, ``SC-7``): the framework's name and the control."""
    for prefix, name in FRAMEWORKS:
        if reference.startswith(prefix + " "):
            return name, reference[len(prefix) + 1 :]
    first, _, rest = reference.partition(" ")
    return first, rest or first


def natural_key(text: str) -> tuple[tuple[int, str], ...]:
    """Sort key comparing runs of digits as numbers (``5.2`` < ``5.17``, ``AC-3`` < ``AC-17``)."""
    return tuple(
        (int(part), "") if part.isdigit() else (-1, part)
        for part in re.split(r"(\d+)", text)
        if part
    )


def coverage(rules: Iterable[Rule], result: CheckResult) -> list[FrameworkCoverage]:
    """Per framework, each control with the rules evidencing it and their findings' state."""
    open_rules = {f.rule for f in result.findings if f.suppressed_by is None}
    suppressed = {f.rule for f in result.findings if f.suppressed_by is not None} - open_rules
    by_control: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for rule in rules:
        for reference in rule.controls:
            framework, control = split_control(reference)
            by_control[framework][control].add(rule.id)
    order = [name for _, name in FRAMEWORKS]
    names = sorted(by_control, key=lambda n: (order.index(n) if n in order else len(order), n))
    return [
        FrameworkCoverage(
            name=name,
            controls=tuple(
                ControlCoverage(
                    control=control,
                    rules=tuple(sorted(ids)),
                    open_rules=tuple(sorted(ids & open_rules)),
                    suppressed_rules=tuple(sorted(ids & suppressed)),
                )
                for control, ids in sorted(
                    by_control[name].items(), key=lambda i: natural_key(i[0])
                )
            ),
        )
        for name in names
    ]

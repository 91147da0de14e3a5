"""Severity, Finding and CheckResult: the data every rule produces and every format reads.

This module imports nothing else of the package.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any


class Severity(enum.StrEnum):
    """How serious a finding is; errors fail ``check``, warnings only under ``--strict``."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One failed condition of one rule about one subject."""

    rule: str
    """Rule id, e.g. ``SEG-001``."""
    severity: Severity
    """Severity of this finding (rules with two severities choose per finding)."""
    subject: str
    """Id of the record the finding is about, ``policy``, ``people`` or the file stem."""
    file: str
    """Path relative to the register folder, ``/``-separated."""
    line: int
    """1-based line of the offending key."""
    message: str
    """What is wrong, never repeating a secret."""
    controls: tuple[str, ...] = ()
    """Framework references, one per entry (``NIST AC-3``)."""
    suppressed_by: str | None = None
    """Id of the valid exception that suppresses it, or None."""
    properties: tuple[tuple[str, Any], ...] = ()
    """Facts beyond the message that machine formats carry as they are, as (name, value) pairs
    (FW-002: the advisories' ``cvss`` and known-exploited status). Not part of the JSON
    contract."""

    def __post_init__(self) -> None:
        if self.line < 1:
            raise ValueError(f"line numbers are 1-based, got {self.line} for {self.rule}")

    def suppressed(self, exception_id: str) -> Finding:
        """This finding, marked as suppressed by ``exception_id``."""
        return replace(self, suppressed_by=exception_id)

    @property
    def sort_key(self) -> tuple[str, int, str, str, str]:
        """File, line, rule, subject, message: the order of every output."""
        return (self.file, self.line, self.rule, self.subject, self.message)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of one finding (cli.md)."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "subject": self.subject,
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "controls": list(self.controls),
            "suppressed_by": self.suppressed_by,
        }


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts shown after the findings."""

    errors: int
    """Unsuppressed errors."""
    warnings: int
    """Unsuppressed warnings."""
    suppressed: int
    """Suppressed findings of either severity."""
    devices: int
    """Device files found."""

    def to_dict(self) -> dict[str, int]:
        """The ``summary`` object of the JSON contract."""
        return {
            "errors": self.errors,
            "warnings": self.warnings,
            "suppressed": self.suppressed,
            "devices": self.devices,
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The finished result of a check: sorted findings and their summary."""

    register: str
    """The register path as given on the command line."""
    as_of: date
    """The date every rule was evaluated on."""
    findings: tuple[Finding, ...]
    """All findings, suppressed ones included, in output order."""
    devices: int
    """Device files found."""
    rules: tuple[str, ...] = field(default=())
    """Ids of the rules that were evaluated."""
    subjects: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Rule id -> the subjects it judged, findings or not (only when asked of the engine: the
    JUnit format lists a passing testcase for each)."""
    repository_path: str | None = None
    """The register folder relative to the top of its git work tree (``/``-separated, ``""`` when
    the register is the top), or None when it is not inside a repository (or it is unknown). The
    CI formats use it to name files relative to the repository root."""
    at: str | None = None
    """The commit the register was read from (``check --at``), or None for the working tree."""
    tool: str | None = None
    """The iotpolicy version that checked it (given with ``at``)."""

    def path_of(self, file: str) -> str:
        """A finding's ``file`` relative to the repository root when that is known, else relative
        to the register folder."""
        if not self.repository_path:
            return file
        return f"{self.repository_path}/{file}"

    @property
    def summary(self) -> Summary:
        """Counts of unsuppressed errors and warnings, and of suppressed findings."""
        open_ = [f for f in self.findings if f.suppressed_by is None]
        return Summary(
            errors=sum(f.severity is Severity.ERROR for f in open_),
            warnings=sum(f.severity is Severity.WARNING for f in open_),
            suppressed=len(self.findings) - len(open_),
            devices=self.devices,
        )

    def failed(self, strict: bool = False) -> bool:
        """True when the check fails: unsuppressed errors, or warnings under ``strict``."""
        s = self.summary
        return s.errors > 0 or (strict and s.warnings > 0)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``check --format json``."""
        document: dict[str, Any] = {"register": self.register, "as_of": self.as_of.isoformat()}
        if self.at is not None:  # audit evidence: which commit, checked by which tool
            document |= {"at": self.at, "tool": self.tool}
        document |= {
            "findings": [f.to_dict() for f in self.findings],
            "summary": self.summary.to_dict(),
        }
        return document

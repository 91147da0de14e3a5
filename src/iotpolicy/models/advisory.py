"""advisories/<id>.yaml: vendor security advisories and end-of-life notices."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from iotpolicy.grammar.versions import range_problem
from iotpolicy.models.base import Date, Model, Problems, Score, Text
from iotpolicy.models.enums import (
    AdvisoryKind,
    AdvisoryStatus,
    Justification,
    Ransomware,
    TriageStatus,
)


def _valid_range(text: str) -> str:
    """A version range as controls.md (*Versions*) reads it (``>=2.0,<2.1``, ``*``)."""
    problem = range_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text


VersionRange = Annotated[Text, AfterValidator(_valid_range)]


class Affected(Model):
    """Products an advisory affects: named by model, part number or CPE (any of them matches)."""

    model: Text | None = Field(
        None, description="Model name, matched ignoring case and surrounding spaces."
    )
    part_number: Text | None = Field(
        None,
        description="The vendor's order or article number; CSAF's * and ? wildcards allowed.",
    )
    cpe: Text | None = Field(None, description="CPE name, matched as written (ignoring case).")
    versions: VersionRange = Field(
        "*", description="Version range: <, <=, ==, >=, > joined by commas; *."
    )

    @model_validator(mode="after")
    def _names_a_product(self) -> Affected:
        if not any(
            value is not None and value.strip()
            for value in (self.model, self.part_number, self.cpe)
        ):
            raise ValueError("names no product: give model, part_number or cpe")
        return self


class KnownExploited(Model):
    """A CVE of the advisory listed in CISA's Known Exploited Vulnerabilities catalog."""

    cve: Text = Field(description="The CVE id.")
    date_added: Date | None = Field(None, description="When CISA added it to the catalog.")
    due_date: Date | None = Field(None, description="CISA's remediation due date.")
    ransomware: Ransomware | None = Field(
        None, description="Known use in ransomware campaigns: known or unknown."
    )


class Triage(Model):
    """A per-device decision on the advisory (VEX, scoped to one device)."""

    device: Text = Field(description="Device id.")
    status: TriageStatus = Field(description="affected, not-affected or candidate.")
    justification: Justification | None = Field(
        None, description="Why the device is not affected (required for not-affected)."
    )
    note: Text | None = Field(None, description="What was found.")
    by: Text | None = Field(
        None, description="Person id of who decided (required for affected and not-affected)."
    )
    on: Date | None = Field(None, description="Date of the decision.")
    for_version: Text | None = Field(
        None, description="The device's firmware version the decision was made for."
    )
    for_revision: Text | None = Field(
        None, description="The advisory revision the decision was made for."
    )

    def missing(self) -> tuple[str, ...]:
        """The fields this decision needs and lacks (a candidate needs none)."""
        if self.status is TriageStatus.CANDIDATE:
            return ()
        needed = ["by"]
        if self.status is TriageStatus.NOT_AFFECTED:
            needed.insert(0, "justification")
        return tuple(name for name in needed if not (getattr(self, name) or "").strip())

    @property
    def decides(self) -> bool:
        """True for a complete affected / not-affected decision (lapsed or not)."""
        return self.status is not TriageStatus.CANDIDATE and not self.missing()


class Advisory(Model):
    """A vulnerability advisory or end-of-life notice received from a vendor."""

    id: Text = Field(description="Advisory id (a slug), the file name.")
    vendor: Text = Field(description="Vendor id.")
    kind: AdvisoryKind = Field(description="vulnerability or end-of-life.")
    title: Text | None = Field(None, description="Title.")
    published_on: Date | None = Field(None, description="Publication date.")
    received_on: Date | None = Field(None, description="Date it reached the organisation.")
    affects: tuple[Affected, ...] = Field(description="Affected models and versions.")
    status: AdvisoryStatus = Field(description="open, mitigated or not-applicable.")
    cves: tuple[Text, ...] = Field((), description="CVE ids.")
    cvss: Score | None = Field(
        None, description="The highest CVSS base score of the advisory (v3, else v2)."
    )
    reference: Text | None = Field(None, description="Vendor reference or URL.")
    revision: Text | None = Field(
        None, description="Revision of the vendor's document (CSAF tracking.version)."
    )
    revised_on: Date | None = Field(
        None, description="Date of that revision (CSAF tracking.current_release_date)."
    )
    feed: Text | None = Field(
        None,
        description="The CSAF provider metadata URL it was fetched from (advisories fetch).",
    )
    note: Text | None = Field(None, description="Note on the advisory as a whole.")
    known_exploited: tuple[KnownExploited, ...] = Field(
        (), description="Its CVEs in CISA's Known Exploited Vulnerabilities catalog."
    )
    triage: tuple[Triage, ...] = Field((), description="Per-device decisions, one per device.")

    def problems(self) -> Problems:
        """A decision lacking its justification or its author, and a device triaged twice: each
        is a REG-001 problem, and that entry decides nothing (the device stays undecided)."""
        first: dict[str, int] = {}
        for index, entry in enumerate(self.triage):
            for name in entry.missing():
                yield (
                    ("triage", index, name),
                    f"triage.{index}.{name}: required for a {entry.status.value} decision; "
                    "without it the entry decides nothing",
                )
            device = entry.device.strip()
            if device in first:
                yield (
                    ("triage", index, "device"),
                    f"triage.{index}.device: '{device}' is triaged already in "
                    f"triage.{first[device]}; one entry per device (this one decides nothing)",
                )
            first.setdefault(device, index)

    def triage_of(self, device: str) -> Triage | None:
        """The first triage entry naming ``device`` (later ones are REG-001 problems)."""
        return next((entry for entry in self.triage if entry.device.strip() == device), None)

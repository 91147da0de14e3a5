"""advisories/<id>.yaml: vendor security advisories and end-of-life notices."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from iotpolicy.models.base import Date, Model, Text
from iotpolicy.models.enums import AdvisoryKind, AdvisoryStatus
from iotpolicy.versions import range_problem


def _valid_range(text: str) -> str:
    """A version range as controls.md (*Versions*) reads it (``>=2.0,<2.1``, ``*``)."""
    problem = range_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text


VersionRange = Annotated[Text, AfterValidator(_valid_range)]


class Affected(Model):
    """Products an advisory affects."""

    model: Text = Field(description="Model name, matched ignoring case and surrounding spaces.")
    versions: VersionRange = Field(
        "*", description="Version range: <, <=, ==, >=, > joined by commas; *."
    )


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
    reference: Text | None = Field(None, description="Vendor reference or URL.")
    revision: Text | None = Field(
        None, description="Revision of the vendor's document (CSAF tracking.version)."
    )
    revised_on: Date | None = Field(
        None, description="Date of that revision (CSAF tracking.current_release_date)."
    )
    note: Text | None = Field(None, description="Triage note.")

"""incidents/<id>.yaml: incidents and audit findings that touched IoT/OT (P30S)."""

from __future__ import annotations

from pydantic import Field

from iotpolicy.models.base import Date, Model, Text
from iotpolicy.models.enums import IncidentKind


class Incident(Model):
    """An incident or audit finding."""

    id: Text = Field(description="Incident id (a slug), the file name.")
    date: Date = Field(description="Date it occurred.")
    kind: IncidentKind = Field(description="incident or audit-finding.")
    devices: tuple[Text, ...] = Field((), description="Ids of the devices involved.")
    summary: Text = Field(description="What happened.")
    reference: Text | None = Field(None, description="Ticket or report reference.")

"""exceptions/<id>.yaml: risk acceptances that suppress a rule for named subjects."""

from __future__ import annotations

from pydantic import Field

from iotpolicy.models.base import Date, Model, Text


class PolicyException(Model):
    """A time-limited, GM-approved risk acceptance."""

    id: Text = Field(description="Exception id (a slug), the file name.")
    rule: Text = Field(description="Id of the rule it suppresses.")
    subjects: tuple[Text, ...] = Field(description="Ids of the records it covers, or policy.")
    justification: Text | None = Field(None, description="Why the risk is accepted.")
    compensating_controls: Text | None = Field(None, description="What reduces the risk meanwhile.")
    approved_by: Text | None = Field(None, description="Person id of the approving GM.")
    approved_on: Date | None = Field(None, description="Date of approval.")
    expires_on: Date | None = Field(None, description="Last day it is valid.")

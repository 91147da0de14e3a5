"""people.yaml: the people who own, approve and review."""

from __future__ import annotations

from pydantic import Field

from iotpolicy.models.base import Model, Text
from iotpolicy.models.enums import Role


class Person(Model):
    """Someone named in the register."""

    id: Text = Field(description="Person id (a slug), used by every person field.")
    name: Text = Field(description="Full name.")
    title: Text | None = Field(None, description="Job title.")
    roles: tuple[Role, ...] = Field(description="Roles towards the policy.")
    email: Text | None = Field(None, description="E-mail address.")
    phone: Text | None = Field(None, description="Phone number, printed on site notices.")

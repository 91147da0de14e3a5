"""segments/<id>.yaml: network segments (zones) and the flows allowed out of them."""

from __future__ import annotations

from pydantic import Field

from iotpolicy.models.base import Cidr, Int, Model, Port, Text, Word
from iotpolicy.models.enums import Protocol, Zone


class Flow(Model):
    """Traffic allowed to leave the segment (a conduit); nothing else is allowed."""

    to: Text = Field(description="Target segment id, or the word internet.")
    service: Word | None = Field(None, description="Service name; never any.")
    port: Port | None = Field(None, description="Destination port; never any.")
    protocol: Protocol | None = Field(None, description="tcp or udp.")
    purpose: Text | None = Field(None, description="Why this flow is needed.")


class Segment(Model):
    """A network segment in one security zone."""

    id: Text = Field(description="Segment id (a slug), the file name.")
    name: Text = Field(description="Descriptive name.")
    zone: Zone = Field(description="Security zone.")
    cidr: Cidr = Field(description="Address range in CIDR notation.")
    site: Text | None = Field(None, description="Site the segment is at.")
    vlan: Int | None = Field(None, description="VLAN id.")
    description: Text | None = Field(None, description="Free text.")
    flows: tuple[Flow, ...] = Field((), description="Flows allowed out of this segment.")

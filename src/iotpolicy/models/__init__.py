"""Pydantic models of every record kind; no file I/O."""

from iotpolicy.models.advisory import Advisory, Affected
from iotpolicy.models.device import Device
from iotpolicy.models.exception import PolicyException
from iotpolicy.models.incident import Incident
from iotpolicy.models.people import Person
from iotpolicy.models.policy import Policy, Revision, Settings
from iotpolicy.models.segment import Flow, Segment
from iotpolicy.models.vendor import Vendor

__all__ = [
    "Advisory",
    "Affected",
    "Device",
    "Flow",
    "Incident",
    "Person",
    "Policy",
    "PolicyException",
    "Revision",
    "Segment",
    "Settings",
    "Vendor",
]

"""The rule catalogue: importing this package registers every rule of controls.md in RULES."""

from iotpolicy.rules import (  # noqa: F401  (imported for their @rule registrations)
    access,
    config,
    exceptions,
    firmware,
    inventory,
    lifecycle,
    monitoring,
    network,
    policy,
    reg,
    vendors,
)
from iotpolicy.rules.base import RULES, Rule, Violation

__all__ = ["RULES", "Rule", "Violation"]

"""iotpolicy: enforce an IoT/OT security policy (P35S) over a register of YAML files."""

__version__ = "0.1.0"

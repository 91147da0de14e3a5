"""The closed vocabularies of the register (register.md)."""

from __future__ import annotations

import enum


class Category(enum.StrEnum):
    """Whether a device is an IoT or an OT device."""

    IOT = "iot"
    OT = "ot"


class Status(enum.StrEnum):
    """Life-cycle state of a device."""

    PLANNED = "planned"
    ACTIVE = "active"
    RETIRED = "retired"
    DISPOSED = "disposed"


class Zone(enum.StrEnum):
    """Security zone of a network segment."""

    OT = "ot"
    IOT = "iot"
    MANAGEMENT = "management"
    DMZ = "dmz"
    CORPORATE = "corporate"
    GUEST = "guest"


class Protocol(enum.StrEnum):
    """Transport protocol of a flow or service; ``any`` only so SEG-004 can report it."""

    TCP = "tcp"
    UDP = "udp"
    ANY = "any"


class Role(enum.StrEnum):
    """A person's role towards the policy."""

    GENERAL_MANAGER = "general-manager"
    OPERATIONS_MANAGER = "operations-manager"
    STAFF = "staff"
    CONTRACTOR = "contractor"
    AUDITOR = "auditor"


class AccountRole(enum.StrEnum):
    """Privilege level of a device account."""

    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"
    SERVICE = "service"


class IntegrityMethod(enum.StrEnum):
    """How the installed firmware's integrity was verified."""

    SHA256 = "sha256"
    VENDOR_SIGNATURE = "vendor-signature"
    SIGNED_PACKAGE = "signed-package"


class ChangeKind(enum.StrEnum):
    """Kind of a recorded device change (4.2.3)."""

    COMMISSIONING = "commissioning"
    FIRMWARE_UPDATE = "firmware-update"
    CONFIGURATION = "configuration"
    REPLACEMENT = "replacement"
    RELOCATION = "relocation"
    RETIREMENT = "retirement"
    DISPOSAL = "disposal"


class Trigger(enum.StrEnum):
    """What caused a policy revision (9.2)."""

    INITIAL = "initial"
    ANNUAL = "annual"
    NEW_DEVICE_TYPE = "new-device-type"
    ADVISORY = "advisory"
    END_OF_LIFE = "end-of-life"
    INCIDENT = "incident"
    AUDIT = "audit"
    REGULATION = "regulation"
    OTHER = "other"


class AdvisoryKind(enum.StrEnum):
    """A vulnerability advisory or an end-of-life notice."""

    VULNERABILITY = "vulnerability"
    END_OF_LIFE = "end-of-life"


class AdvisoryStatus(enum.StrEnum):
    """Triage state of an advisory."""

    OPEN = "open"
    MITIGATED = "mitigated"
    NOT_APPLICABLE = "not-applicable"


class IncidentKind(enum.StrEnum):
    """An incident or an audit finding (P30S)."""

    INCIDENT = "incident"
    AUDIT_FINDING = "audit-finding"


class TriageStatus(enum.StrEnum):
    """A per-device decision on an advisory (``triage`` entries)."""

    AFFECTED = "affected"
    NOT_AFFECTED = "not-affected"
    CANDIDATE = "candidate"


class Justification(enum.StrEnum):
    """Why a device is not affected: the CSAF / VEX vocabulary."""

    COMPONENT_NOT_PRESENT = "component_not_present"
    VULNERABLE_CODE_NOT_PRESENT = "vulnerable_code_not_present"
    VULNERABLE_CODE_NOT_IN_EXECUTE_PATH = "vulnerable_code_not_in_execute_path"
    VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY = (
        "vulnerable_code_cannot_be_controlled_by_adversary"
    )
    INLINE_MITIGATIONS_ALREADY_EXIST = "inline_mitigations_already_exist"


class Ransomware(enum.StrEnum):
    """CISA KEV's ``knownRansomwareCampaignUse``, in lower case."""

    KNOWN = "known"
    UNKNOWN = "unknown"

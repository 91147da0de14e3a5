"""devices/<id>.yaml: one IoT or OT device."""

from __future__ import annotations

from pydantic import Field

from iotpolicy.models.base import (
    Bool,
    Count,
    Date,
    IpAddress,
    Mac,
    Model,
    PortNumber,
    Text,
    Word,
)
from iotpolicy.models.enums import (
    AccountRole,
    Category,
    ChangeKind,
    IntegrityMethod,
    Protocol,
    Status,
)


class Location(Model):
    """Where the device is installed."""

    site: Text | None = Field(None, description="Site id or name.")
    area: Text | None = Field(None, description="Room, hall, cabinet ...")


class Network(Model):
    """Where the device sits on the network and who approved its access (4.1.4)."""

    segment: Text | None = Field(None, description="Segment id.")
    ip: IpAddress | None = Field(None, description="IP address, inside the segment's CIDR.")
    mac: Mac | None = Field(None, description="MAC address.")
    hostname: Text | None = Field(None, description="DNS name.")
    access_approved_by: Text | None = Field(None, description="Person id of the approving GM.")
    access_approved_on: Date | None = Field(None, description="Date network access was approved.")


class Service(Model):
    """A service left enabled, with its reason."""

    name: Word = Field(description="Service name, lower case (s7comm, https, telnet ...).")
    port: PortNumber | None = Field(None, description="Port number.")
    protocol: Protocol | None = Field(None, description="tcp or udp.")
    justification: Text | None = Field(None, description="Why it stays enabled.")


class Hardening(Model):
    """Secure-deployment facts (3.1)."""

    default_credentials_changed: Bool | None = Field(
        None, description="Factory credentials changed."
    )
    credentials_changed_on: Date | None = Field(None, description="When they were changed.")
    unused_services_disabled: Bool | None = Field(None, description="Unused services disabled.")
    services: tuple[Service, ...] = Field((), description="Services that stay enabled.")


class Account(Model):
    """An account on the device."""

    name: Text | None = Field(None, description="Account name.")
    role: AccountRole | None = Field(None, description="admin, operator, viewer or service.")
    shared: Bool | None = Field(None, description="True when several people use it.")


class Access(Model):
    """Accounts and remote access."""

    accounts: tuple[Account, ...] = Field((), description="Accounts on the device.")
    remote_access: Text | None = Field(
        None, description="none, or one of settings.approved_remote_access."
    )


class Integrity(Model):
    """How the installed firmware was verified."""

    method: IntegrityMethod | None = Field(None, description="sha256, vendor-signature ...")
    verified_on: Date | None = Field(None, description="Date of the verification.")
    verified_by: Text | None = Field(None, description="Person id of who verified it.")


class Firmware(Model):
    """The firmware installed."""

    version: Text | None = Field(None, description="Installed version, always text.")
    updated_on: Date | None = Field(None, description="Date of the last update.")
    integrity: Integrity | None = Field(None, description="Integrity verification.")


class Monitoring(Model):
    """Logging of the device's events (3.3)."""

    logging: Bool | None = Field(None, description="True when events are logged centrally.")
    destination: Text | None = Field(None, description="Where the logs go.")


class Backup(Model):
    """Configuration backups."""

    last_config_backup: Date | None = Field(None, description="Date of the last backup.")
    location: Text | None = Field(None, description="Where backups are kept.")


class PersonalData(Model):
    """Processing of personal data (P17S, GDPR)."""

    processes: Bool | None = Field(None, description="True when the device records people.")
    dpia: Text | None = Field(None, description="Reference of the DPIA or record of processing.")
    retention_days: Count | None = Field(None, description="How long recordings are kept.")


class Change(Model):
    """A change to the device (4.2.3)."""

    date: Date = Field(description="Date of the change.")
    kind: ChangeKind = Field(description="Kind of change.")
    summary: Text | None = Field(None, description="What was done.")
    by: Text | None = Field(None, description="Person id of who did it.")
    from_version: Text | None = Field(None, description="Firmware before (firmware-update).")
    to_version: Text | None = Field(None, description="Firmware after (firmware-update).")
    serial: Text | None = Field(None, description="New serial number (replacement).")


class Disposal(Model):
    """How a retired device was taken out of service."""

    date: Date | None = Field(None, description="Date of retirement or disposal.")
    data_wiped: Bool | None = Field(None, description="Stored data wiped.")
    credentials_revoked: Bool | None = Field(None, description="Its credentials revoked.")
    removed_from_network: Bool | None = Field(None, description="Removed from the network.")
    by: Text | None = Field(None, description="Person id of who did it.")
    method: Text | None = Field(None, description="How it was disposed of.")


class Device(Model):
    """One IoT or OT device."""

    id: Text = Field(description="Device id (a slug), the file name.")
    name: Text = Field(description="Descriptive name.")
    category: Category = Field(description="iot or ot.")
    type: Word = Field(description="Device type: camera, plc, hmi, printer ...")
    status: Status = Field(description="planned, active, retired or disposed.")
    vendor: Text | None = Field(None, description="Vendor id.")
    model: Text | None = Field(None, description="Model name as the vendor writes it.")
    part_number: Text | None = Field(
        None, description="The vendor's order or article number, as advisories name it."
    )
    cpe: Text | None = Field(None, description="CPE name of the product (cpe:2.3:...).")
    serial: Text | None = Field(None, description="Serial number.")
    owner: Text | None = Field(None, description="Person id of the owner.")
    location: Location | None = Field(None, description="Where it is installed.")
    commissioned_on: Date | None = Field(None, description="Date it went live.")
    network: Network | None = Field(None, description="Network placement.")
    hardening: Hardening | None = Field(None, description="Secure-deployment facts.")
    access: Access | None = Field(None, description="Accounts and remote access.")
    firmware: Firmware | None = Field(None, description="Installed firmware.")
    monitoring: Monitoring | None = Field(None, description="Logging.")
    backup: Backup | None = Field(None, description="Configuration backups.")
    personal_data: PersonalData | None = Field(None, description="Personal-data processing.")
    end_of_support: Date | None = Field(None, description="Vendor's end of support date.")
    documentation: tuple[Text, ...] = Field((), description="Documents describing the device.")
    changes: tuple[Change, ...] = Field((), description="Every change, oldest first.")
    disposal: Disposal | None = Field(None, description="Disposal record once retired.")
    notes: Text | None = Field(None, description="Free text.")

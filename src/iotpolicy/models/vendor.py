"""vendors/<id>.yaml: vendors, integrators and service companies."""

from __future__ import annotations

from pydantic import Field

from iotpolicy.models.base import Bool, Date, Fingerprint, Model, Text


class Agreement(Model):
    """The contract with the vendor."""

    reference: Text | None = Field(None, description="Contract reference.")
    signed_on: Date | None = Field(None, description="Date it was signed.")
    security_clauses: Bool | None = Field(
        None, description="True when it obliges secure installation, configuration and maintenance."
    )


class RemoteMaintenance(Model):
    """Whether and how the vendor maintains devices remotely."""

    allowed: Bool | None = Field(None, description="True when remote maintenance is allowed.")
    method: Text | None = Field(None, description="One of settings.approved_remote_access.")
    supervised: Bool | None = Field(None, description="True when sessions are supervised.")


class Vendor(Model):
    """A vendor, integrator or service company."""

    id: Text = Field(description="Vendor id (a slug), the file name.")
    name: Text = Field(description="Company name.")
    security_contact: Text | None = Field(None, description="Where to report vulnerabilities.")
    agreement: Agreement | None = Field(None, description="The agreement with security clauses.")
    assessed_on: Date | None = Field(None, description="Last assessment by the GM (4.1.3).")
    assessed_by: Text | None = Field(None, description="Person id of the assessing GM.")
    remote_maintenance: RemoteMaintenance | None = Field(None, description="Remote maintenance.")
    advisory_feed: Text | None = Field(
        None, description="The vendor's CSAF provider metadata URL, or its domain."
    )
    advisory_keys: tuple[Fingerprint, ...] = Field(
        (), description="OpenPGP fingerprints trusted for the feed's signatures."
    )
    notes: Text | None = Field(None, description="Free text.")

"""policy.yaml: the document header, settings and revision history."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

from iotpolicy.models.base import Count, Date, Fingerprint, Model, Text, Word
from iotpolicy.models.enums import Trigger

DEFAULT_REMOTE_ACCESS = ("vpn", "jump-host")
DEFAULT_INSECURE_SERVICES = ("telnet", "ftp", "tftp", "http", "snmpv1", "snmpv2c", "upnp", "smbv1")


_URL = "The provider metadata URL, or the provider's domain."


class AdvisoryFeed(Model):
    """A CSAF provider serving many vendors (CISA's ICS feed, CERT@VDE)."""

    url: Text = Field(description=_URL)
    keys: tuple[Fingerprint, ...] = Field(
        (), description="OpenPGP fingerprints trusted for its signatures."
    )


def _feed(value: Any) -> Any:
    """A feed written as its URL alone."""
    return {"url": value} if isinstance(value, str) else value


_FEED_SCHEMA = {
    "anyOf": [
        {"type": "string", "description": _URL},
        {
            "type": "object",
            "description": "A provider and the keys trusted for its signatures.",
            "properties": {
                "url": {"type": "string", "title": "Url", "description": _URL},
                "keys": {
                    "type": "array",
                    "items": {"type": "string"},
                    "title": "Keys",
                    "description": "OpenPGP fingerprints trusted for its signatures.",
                },
            },
            "required": ["url"],
            "additionalProperties": False,
        },
    ]
}
Feed = Annotated[AdvisoryFeed, BeforeValidator(_feed), WithJsonSchema(_FEED_SCHEMA)]


class Settings(Model):
    """Tunable limits of the policy; every key optional, defaults as in the policy text."""

    review_interval_months: Count = Field(12, description="Months between policy reviews (9.1.1).")
    review_warning_days: Count = Field(
        30, description="Warn this many days before a review is due."
    )
    approved_remote_access: tuple[Word, ...] = Field(
        DEFAULT_REMOTE_ACCESS, description="Remote-access methods the policy allows (P9S)."
    )
    insecure_services: tuple[Word, ...] = Field(
        DEFAULT_INSECURE_SERVICES, description="Services that must not stay enabled (3.1)."
    )
    end_of_support_warning_days: Count = Field(
        180, description="Warn this long before end of support."
    )
    vendor_assessment_max_age_months: Count = Field(
        12, description="Re-assess vendors this often (4.1.3)."
    )
    backup_max_age_days: Count = Field(90, description="Maximum age of an OT configuration backup.")
    exception_max_days: Count = Field(365, description="Longest an exception may last.")
    exception_warning_days: Count = Field(
        30, description="Warn this long before an exception expires."
    )
    max_admin_accounts: Count = Field(2, description="Most admin accounts a device may have.")
    advisory_feeds: tuple[Feed, ...] = Field(
        (), description="CSAF providers serving many vendors: a URL, or {url, keys}."
    )
    kev_feed: Text | None = Field(
        None, description="URL of CISA's Known Exploited Vulnerabilities catalog (JSON)."
    )


class Approval(Model):
    """A signature approving a revision."""

    by: Text | None = Field(None, description="Person id of the approver (a general manager).")
    title: Text | None = Field(None, description="The approver's title as signed.")
    date: Date | None = Field(None, description="Date of the approval.")


class Communication(Model):
    """How and to whom a revision was communicated (9.4)."""

    on: Date | None = Field(None, description="Date it was communicated.")
    channels: tuple[Text, ...] = Field((), description="Channels used (email, shared-folder ...).")
    audience: tuple[Text, ...] = Field((), description="Who was reached: staff, vendors ...")


class Revision(Model):
    """One approved (or pending) version of the policy document."""

    number: Text = Field(description='Version number, e.g. "1.1".')
    date: Date = Field(description="Date of the revision.")
    trigger: Trigger | None = Field(None, description="What caused the revision (9.2).")
    changes: Text | None = Field(None, description="Summary of what changed.")
    reviewed_by: tuple[Text, ...] | None = Field(None, description="Person ids of the reviewers.")
    process_owner: Text | None = Field(None, description="Person id of the process owner.")
    approvals: tuple[Approval, ...] | None = Field(None, description="Approvals of this revision.")
    communicated: Communication | None = Field(None, description="Its communication (9.4).")


class Policy(Model):
    """The policy document's header, settings and revision history."""

    document: Text = Field(description="Document number, e.g. P35S.")
    title: Text = Field(description="Title of the policy.")
    organization: Text | None = Field(None, description="The organisation the policy governs.")
    owner: Text | None = Field(None, description="Person id of the document owner.")
    effective_date: Date | None = Field(None, description="Date the policy took effect.")
    classification: Text | None = Field(None, description="Classification printed on every report.")
    settings: Settings = Field(default_factory=Settings, description="Tunable limits.")
    revisions: tuple[Revision, ...] = Field(description="Revision history, oldest first.")

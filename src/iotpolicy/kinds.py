"""The record-kind table: what each kind of record is, in one place.

A kind has a name, where its records live (a folder of one file per record, or one file), its
model, its schema's title and description, how its ids are checked, and the references its
records hold (a path into the record and what the value must name). The loader, REG-002/003,
the editing commands, the JSON Schemas, history, the reports, the review and shell completion
all read :data:`KINDS`; adding a kind is one :func:`add_kind` call (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from iotpolicy.models import (
    Advisory,
    Device,
    Incident,
    Person,
    Policy,
    PolicyException,
    Segment,
    Vendor,
)
from iotpolicy.models.base import Model

POLICY_FILE = "policy.yaml"
PEOPLE_FILE = "people.yaml"


@dataclass(frozen=True)
class Reference:
    """A value inside a record that must name another record (REG-003)."""

    path: tuple[str, ...]
    """Keys down to the value; ``*`` walks every item of a list."""
    target: str
    """A kind of :data:`KINDS`, or one of :data:`TARGETS`' other entries (``rule`` ...)."""


@dataclass(frozen=True)
class RecordKind:
    """One kind of record of the register."""

    name: str
    """device, vendor ...: the ``kind`` of its records, the name of its schema's file."""
    model: type[Model]
    """The pydantic model a record is validated against."""
    title: str
    """Title of its JSON Schema."""
    description: str
    """Description of its JSON Schema (what a record of this kind is)."""
    folder: str | None = None
    """Folder holding one ``<id>.yaml`` per record; None for the kinds kept in one :attr:`file`."""
    file: str | None = None
    """The one file holding the kind (policy.yaml; people.yaml, a list of records)."""
    references: tuple[Reference, ...] = ()
    """The references a record holds, checked by REG-003."""
    schema: str = ""
    """Name of its schema (``<schema>.schema.json``); the kind's name when empty."""
    word: str = ""
    """How a REG-003 message names a record of this kind (``{}``: the id)."""
    subject: str = ""
    """Subject of findings about its file as a whole (policy, people); empty: the record id."""

    @property
    def schema_name(self) -> str:
        """``<schema_name>.schema.json`` is the kind's schema."""
        return self.schema or self.name

    @property
    def has_ids(self) -> bool:
        """True when records have an ``id`` that REG-002 checks (all but the policy)."""
        return self.name != "policy"

    @property
    def id_is_file_name(self) -> bool:
        """True when a record's id must be its file's name (one file per record)."""
        return self.folder is not None

    def path_of(self, record_id: str) -> str:
        """The file holding record ``record_id``, relative to the register."""
        return f"{self.folder}/{record_id}.yaml" if self.folder else str(self.file)

    def named(self, record_id: str) -> str:
        """The words REG-003 uses for a record of this kind."""
        return (self.word or f"{self.name} ({self.folder}/{{}}.yaml)").format(record_id)


KINDS: dict[str, RecordKind] = {}
"""Every record kind by name, in the register's order (policy, person, then the folders)."""


def add_kind(kind: RecordKind) -> RecordKind:
    """Add ``kind`` to :data:`KINDS` (a name or folder already taken is a ValueError)."""
    if kind.name in KINDS or kind.name in TARGETS:
        raise ValueError(f"record kind {kind.name!r} defined twice")
    if kind.folder is not None and kind.folder in {k.folder for k in KINDS.values()}:
        raise ValueError(f"record kind {kind.name!r}: folder {kind.folder!r} is taken")
    if (kind.folder is None) == (kind.file is None):
        raise ValueError(f"record kind {kind.name!r}: give a folder or a file")
    KINDS[kind.name] = kind
    return kind


def remove_kind(name: str) -> None:
    """Take a kind out of :data:`KINDS` again (tests that add one)."""
    del KINDS[name]


def folder_kinds() -> Iterator[RecordKind]:
    """The kinds with one file per record in a folder, in register order."""
    return (kind for kind in KINDS.values() if kind.folder is not None)


def kind_of_folder(folder: str) -> RecordKind | None:
    """The kind whose records live in ``folder``, or None."""
    return next((kind for kind in folder_kinds() if kind.folder == folder), None)


def kind_of_file(rel: str) -> RecordKind | None:
    """The kind of the file ``rel`` (relative, ``/``-separated): a record file of a folder kind
    (directly in its folder, ending in ``.yaml``), policy.yaml or people.yaml; else None."""
    folder, _, name = rel.rpartition("/")
    if not folder:
        return next((k for k in KINDS.values() if k.file == rel), None)
    if "/" in folder or not name.endswith(".yaml"):
        return None
    return kind_of_folder(folder)


TARGETS: dict[str, str] = {
    "flow-target": "segment id or the word internet",
    "rule": "rule id of the catalogue (see iotpolicy rules)",
    "subject": "record id or the word policy",
}
"""The reference targets that are not a record kind, with the words REG-003 uses for them."""


def _refs(*pairs: tuple[str, str]) -> tuple[Reference, ...]:
    """``("network.segment", "segment")`` ... -> references."""
    return tuple(Reference(tuple(path.split(".")), target) for path, target in pairs)


add_kind(
    RecordKind(
        "policy",
        Policy,
        "Policy",
        f"{POLICY_FILE}: the policy document's header (number, title, owner), its tunable "
        "settings and its revision history.",
        file=POLICY_FILE,
        references=_refs(
            ("owner", "person"),
            ("revisions.*.reviewed_by.*", "person"),
            ("revisions.*.process_owner", "person"),
            ("revisions.*.approvals.*.by", "person"),
        ),
        subject="policy",
    )
)
add_kind(
    RecordKind(
        "person",
        Person,
        "People",
        f"{PEOPLE_FILE}: a list of the people who own devices and approve, review or audit; "
        "other records name them by id.",
        file=PEOPLE_FILE,
        schema="people",
        word="person in people.yaml",
        subject="people",
    )
)
add_kind(
    RecordKind(
        "segment",
        Segment,
        "Segment",
        "segments/<id>.yaml: a network segment in one security zone and the flows allowed out "
        "of it.",
        folder="segments",
        references=_refs(("flows.*.to", "flow-target")),
    )
)
add_kind(
    RecordKind(
        "vendor",
        Vendor,
        "Vendor",
        "vendors/<id>.yaml: a vendor, integrator or service company: its security contact, "
        "agreement, assessment and remote maintenance.",
        folder="vendors",
        references=_refs(("assessed_by", "person")),
    )
)
add_kind(
    RecordKind(
        "device",
        Device,
        "Device",
        "devices/<id>.yaml: one IoT or OT device: identity, placement, hardening, accounts, "
        "firmware, monitoring, backups and its changes.",
        folder="devices",
        references=_refs(
            ("vendor", "vendor"),
            ("owner", "person"),
            ("network.segment", "segment"),
            ("network.access_approved_by", "person"),
            ("firmware.integrity.verified_by", "person"),
            ("changes.*.by", "person"),
            ("disposal.by", "person"),
        ),
    )
)
add_kind(
    RecordKind(
        "exception",
        PolicyException,
        "Exception",
        "exceptions/<id>.yaml: a time-limited risk acceptance, approved by a general manager, "
        "that suppresses one rule for the subjects it names.",
        folder="exceptions",
        references=_refs(("rule", "rule"), ("subjects.*", "subject"), ("approved_by", "person")),
    )
)
add_kind(
    RecordKind(
        "advisory",
        Advisory,
        "Advisory",
        "advisories/<id>.yaml: a vendor's security advisory or end-of-life notice and the "
        "products it affects.",
        folder="advisories",
        references=_refs(
            ("vendor", "vendor"), ("triage.*.device", "device"), ("triage.*.by", "person")
        ),
    )
)
add_kind(
    RecordKind(
        "incident",
        Incident,
        "Incident",
        "incidents/<id>.yaml: an incident or audit finding that involved IoT/OT devices.",
        folder="incidents",
        references=_refs(("devices.*", "device")),
    )
)

__all__ = [
    "KINDS",
    "PEOPLE_FILE",
    "POLICY_FILE",
    "TARGETS",
    "RecordKind",
    "Reference",
    "add_kind",
    "folder_kinds",
    "kind_of_file",
    "kind_of_folder",
    "remove_kind",
]

"""The open advisories as of a date, and those naming a device: FW-002, LIF-001 and the reports
ask here (which entries name a device: :mod:`iotpolicy.domain.affected`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from iotpolicy.domain.affected import names_device
from iotpolicy.models import Advisory, Device
from iotpolicy.models.enums import AdvisoryKind, AdvisoryStatus
from iotpolicy.register import Record
from iotpolicy.view import Context


def matching_advisories(ctx: Context, device: Device, kind: AdvisoryKind) -> list[Advisory]:
    """Open advisories of ``kind`` received on or before as-of (or undated) whose ``affects``
    name ``device`` (vendor, product, firmware in range: see :mod:`iotpolicy.domain.affected`)."""
    return [a for a in open_advisories(ctx, kind) if names_device(a, device)]


def open_advisories(ctx: Context, kind: AdvisoryKind) -> Iterator[Advisory]:
    """Valid ``open`` advisories of ``kind`` received on or before as-of, or undated."""
    records: list[Record[Any]] = ctx.valid("advisory")
    for record in records:
        advisory: Advisory = record.model
        if advisory.kind is not kind or advisory.status is not AdvisoryStatus.OPEN:
            continue
        if advisory.received_on is None or advisory.received_on <= ctx.as_of:
            yield advisory

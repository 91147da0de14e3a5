"""The forms of the record kinds the ``add-*`` commands create (their field tables, in the file's
key order) and the canonical key order of any model's mapping, where an edit inserts a new key."""

from __future__ import annotations

import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from iotpolicy.kinds import KINDS as RECORD_KINDS
from iotpolicy.writing.fields import (
    CHANGE_EXCLUDED,
    DEVICE_FIELDS,
    EXCEPTION_FIELDS,
    PERSON_FIELDS,
    SEGMENT_FIELDS,
    VENDOR_FIELDS,
    Field,
)

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Form:
    """The form of a record kind that the ``add-*`` commands create: its fields, in key order."""

    name: str
    """device, vendor, segment, person or exception: a kind of :data:`iotpolicy.kinds.KINDS`."""
    fields: tuple[Field, ...]
    """Its field table, in the file's key order."""

    @property
    def model(self) -> type[BaseModel]:
        """Its pydantic model."""
        return RECORD_KINDS[self.name].model

    @property
    def folder(self) -> str | None:
        """Its folder, or None for people (entries of people.yaml)."""
        return RECORD_KINDS[self.name].folder

    def file(self, record_id: str) -> str:
        """The file holding record ``record_id``, relative to the register."""
        return RECORD_KINDS[self.name].path_of(record_id)

    def key_order(self, path: Path_) -> Sequence[str]:
        """Canonical key order of the mapping at ``path`` of a record: the field table's order,
        then the model's (for keys without an option, such as ``changes``)."""
        keys = tuple(path[1:] if self.folder is None else path)  # people.yaml: skip the index
        depth = len(keys)
        named = [
            f.path[depth] for f in self.fields if len(f.path) > depth and f.path[:depth] == keys
        ]
        return list(dict.fromkeys([*named, *model_order(self.model, keys)]))


FORMS: dict[str, Form] = {
    "device": Form("device", DEVICE_FIELDS),
    "vendor": Form("vendor", VENDOR_FIELDS),
    "segment": Form("segment", SEGMENT_FIELDS),
    "person": Form("person", PERSON_FIELDS),
    "exception": Form("exception", EXCEPTION_FIELDS),
}
"""The forms of the kinds ``add-*`` creates, by record kind."""


DEVICE = FORMS["device"]


CHANGE_FIELDS: tuple[Field, ...] = tuple(f for f in DEVICE_FIELDS if f.name not in CHANGE_EXCLUDED)
"""The device fields ``record-change`` takes as options (the change kind sets the others)."""


Prompt = Callable[[str, str, str | None], str]
"""Prompt callback: (label, hint shown after it, default or None) -> the typed answer."""


Tell = Callable[[str], None]
"""Message callback (problems with an answer, hints)."""


def model_order(model: type[BaseModel], path: Path_) -> list[str]:
    """The fields, in order, of the model of the mapping at ``path`` inside a ``model`` record
    (list indexes are stepped through); none when ``path`` leads out of the model."""
    inner = _model_at(model, [k for k in path if isinstance(k, str)])
    return list(inner.model_fields) if inner is not None else []


def _model_at(model: type[BaseModel], keys: Sequence[str]) -> type[BaseModel] | None:
    """The model of the mapping reached through ``keys`` (list items are stepped through)."""
    current: type[BaseModel] | None = model
    for key in keys:
        if current is None or key not in current.model_fields:
            return None
        current = _inner_model(current.model_fields[key].annotation)
    return current


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``X | None`` or ``tuple[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None

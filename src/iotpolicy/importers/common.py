"""What every importer reads of its input and of the register: the input file's bytes, the
valid records of a kind, the names of records by id, the policy's settings."""

from __future__ import annotations

from typing import Any

from iotpolicy.models import Settings
from iotpolicy.register import Register


def record_names(register: Register, kind: str) -> dict[str, str]:
    """id -> name of the valid records of ``kind`` (``person`` for people.yaml)."""
    records = register.of(kind)
    return {r.model.id: r.model.name for r in records if r.model is not None}


def settings_of(register: Register) -> Settings:
    policy = register.policy.model if register.policy is not None else None
    return policy.settings if policy is not None else Settings()


def valid_models(register: Register, kind: str) -> list[Any]:
    return [r.model for r in register.of(kind) if r.model is not None]

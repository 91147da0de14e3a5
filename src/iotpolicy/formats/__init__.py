"""Output formats of ``check``: each takes a finished CheckResult and returns text."""

from __future__ import annotations

from collections.abc import Callable

from iotpolicy.findings import CheckResult
from iotpolicy.formats.json_format import render_json
from iotpolicy.formats.text import render_text

Formatter = Callable[[CheckResult, bool], str]
"""(result, colour) -> text; machine formats ignore colour."""

FORMATS: dict[str, Formatter] = {
    "text": render_text,
    "json": lambda result, _colour: render_json(result),
}

__all__ = ["FORMATS", "Formatter", "render_json", "render_text"]

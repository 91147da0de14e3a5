"""Output formats of ``check``: each takes a finished CheckResult and returns text.

A format's module is imported when it is used, so ``check --format json`` does not load rich.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from iotpolicy.findings import CheckResult

Formatter = Callable[[CheckResult, bool], str]
"""(result, colour) -> text; machine formats ignore colour."""

FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json_format",
    "sarif": "sarif",
    "junit": "junit",
    "github": "github",
    "gitlab": "gitlab",
}
"""Format name -> its module in this package, which defines ``render_<name>``."""


def render(name: str, result: CheckResult, colour: bool = False) -> str:
    """``result`` in the format ``name``; colour only applies to ``text``."""
    module = importlib.import_module(f"iotpolicy.formats.{FORMATS[name]}")
    renderer = getattr(module, f"render_{name}")
    return renderer(result, colour) if name == "text" else renderer(result)  # type: ignore[no-any-return]


__all__ = ["FORMATS", "Formatter", "render"]

"""Output formats of ``check``: each takes a finished CheckResult and returns text."""

from __future__ import annotations

from collections.abc import Callable

from iotpolicy.findings import CheckResult
from iotpolicy.formats.github import render_github
from iotpolicy.formats.gitlab import render_gitlab
from iotpolicy.formats.json_format import render_json
from iotpolicy.formats.junit import render_junit
from iotpolicy.formats.sarif import render_sarif
from iotpolicy.formats.text import render_text

Formatter = Callable[[CheckResult, bool], str]
"""(result, colour) -> text; machine formats ignore colour."""

FORMATS: dict[str, Formatter] = {
    "text": render_text,
    "json": lambda result, _colour: render_json(result),
    "sarif": lambda result, _colour: render_sarif(result),
    "junit": lambda result, _colour: render_junit(result),
    "github": lambda result, _colour: render_github(result),
    "gitlab": lambda result, _colour: render_gitlab(result),
}

__all__ = [
    "FORMATS",
    "Formatter",
    "render_github",
    "render_gitlab",
    "render_json",
    "render_junit",
    "render_sarif",
    "render_text",
]

"""Output formats of ``check``: one registry of :class:`Format` objects, each taking a finished
CheckResult and returning text.

A format's module is imported when it is used, so ``check --format json`` does not load rich.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from iotpolicy.findings import CheckResult

Formatter = Callable[[CheckResult, bool], str]
"""(result, colour) -> text; machine formats ignore colour."""


@dataclass(frozen=True)
class Format:
    """One output format of ``check``."""

    name: str
    """What ``--format`` takes."""
    load: Callable[[], Formatter]
    """Imports the format's module and returns its formatter."""
    repository_paths: bool = False
    """True when it names files relative to the repository root (CI annotations and reports)."""

    def render(self, result: CheckResult, colour: bool = False) -> str:
        """``result`` in this format; colour only applies to ``text``."""
        return self.load()(result, colour)


def _text() -> Formatter:
    from iotpolicy.formats.text import render_text

    return lambda result, colour: render_text(result, colour)


def _json() -> Formatter:
    from iotpolicy.formats.json_format import render_json

    return lambda result, _: render_json(result)


def _sarif() -> Formatter:
    from iotpolicy.formats.sarif import render_sarif

    return lambda result, _: render_sarif(result)


def _junit() -> Formatter:
    from iotpolicy.formats.junit import render_junit

    return lambda result, _: render_junit(result)


def _github() -> Formatter:
    from iotpolicy.formats.github import render_github

    return lambda result, _: render_github(result)


def _gitlab() -> Formatter:
    from iotpolicy.formats.gitlab import render_gitlab

    return lambda result, _: render_gitlab(result)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("text", _text),
        Format("json", _json),
        Format("sarif", _sarif, repository_paths=True),
        Format("junit", _junit, repository_paths=True),
        Format("github", _github, repository_paths=True),
        Format("gitlab", _gitlab, repository_paths=True),
    )
}
"""Every format of ``check`` by name, in the order help lists them."""


def render(name: str, result: CheckResult, colour: bool = False) -> str:
    """``result`` in the format ``name``; colour only applies to ``text``."""
    return FORMATS[name].render(result, colour)


__all__ = ["FORMATS", "Format", "Formatter", "render"]

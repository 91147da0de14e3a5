"""Markdown reports for auditors and managers (``iotpolicy report``) and the Jinja environments.

:func:`render_reports` turns a :class:`ReportInput` (the register, its check result, its git state
and history) into the text of each report and ``index.md``; nothing here writes files or runs git.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

from iotpolicy.reports.templating import (
    MAX_OUTPUT_BYTES,
    OVERRIDE_FOLDER,
    PARTIALS,
    TemplateRefused,
    environment,
    overrides,
    render,
    render_report,
)
from iotpolicy.reports.views import REPORTS, Report, ReportInput, ReportLink, common, index

INDEX = "index"
"""The index page: ``index.md.j2`` -> ``index.md``, always rendered."""
LINT_CONFIG = ".markdownlint.yaml"
"""The markdownlint settings written beside the reports (``templates/markdownlint.yaml``): the
reports pass markdownlint with them."""
OUTPUT_FOLDER = "reports"
"""Where ``iotpolicy report`` writes by default (relative to where it runs: in the register when
it runs there, which is why init's .gitignore lists it and review does not count it as a change)."""

__all__ = [
    "INDEX",
    "LINT_CONFIG",
    "MAX_OUTPUT_BYTES",
    "OUTPUT_FOLDER",
    "REPORTS",
    "Report",
    "ReportInput",
    "TemplateRefused",
    "environment",
    "render",
    "render_reports",
    "unknown_overrides",
]


def render_reports(data: ReportInput, kinds: Sequence[str]) -> dict[str, str]:
    """File name -> text of :data:`LINT_CONFIG`, of the reports ``kinds`` (all when empty, in
    :data:`REPORTS` order) and of ``index.md`` linking them. A register's ``templates/`` overrides
    are used, sandboxed; a failure there raises TemplateRefused and nothing is returned."""
    chosen = [kind for name, kind in REPORTS.items() if not kinds or name in kinds]
    root = data.register.root
    base = common(data)
    config = files("iotpolicy.templates").joinpath("markdownlint.yaml").read_text("utf-8")
    rendered: dict[str, str] = {LINT_CONFIG: config}
    for kind in chosen:
        context = {**base, **kind.build(data), "title": kind.title}
        rendered[kind.file] = render_report(kind.template, context, root)
    links = [ReportLink(kind.title, kind.file, kind.description) for kind in chosen]
    context = {**base, **index(data, links), "title": "Compliance reports"}
    rendered[f"{INDEX}.md"] = render_report(f"{INDEX}.md.j2", context, root)
    return rendered


def unknown_overrides(root: Path) -> list[str]:
    """Files of the register's ``templates/`` folder that override nothing (a misspelt name)."""
    known = {kind.template for kind in REPORTS.values()} | {f"{INDEX}.md.j2", "review.md.j2"}
    return [
        f"{OVERRIDE_FOLDER}/{name}"
        for name in overrides(root)
        if name not in known and not name.startswith(PARTIALS)
    ]

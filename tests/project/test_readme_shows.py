"""The README shows rather than tells: the example register's network picture and compliance
summary are the reports' own text (tests/data/reports, the snapshots of the rendered reports),
and each CI job it offers to copy is the tested file in docs/ci/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.paths import REPO

ROOT = REPO
README = (ROOT / "README.md").read_text(encoding="utf-8")
REPORTS = ROOT / "tests" / "data" / "reports"


def between(name: str) -> str:
    """The README's text between ``<!-- NAME: begin -->`` and ``<!-- NAME: end -->``."""
    match = re.search(
        rf"<!-- {re.escape(name)}: begin -->\n(.*?)\n<!-- {re.escape(name)}: end -->", README, re.S
    )
    assert match, name
    return match.group(1)


def section(text: str, heading: str) -> str:
    """The body of a ``## heading`` of a report, up to the next heading."""
    return text.split(f"## {heading}\n\n", 1)[1].split("\n\n## ", 1)[0]


def test_the_readme_shows_the_example_registers_network_picture() -> None:
    network = (REPORTS / "network.md").read_text(encoding="utf-8")
    diagram = network.split("```mermaid\n", 1)[1].split("\n```\n", 1)[0]
    assert between("network.md of the example register") == f"```mermaid\n{diagram}\n```"
    assert diagram.startswith('flowchart LR\n  subgraph site_main_plant["Site: main-plant"]\n')


def test_the_readme_shows_the_example_registers_compliance_summary() -> None:
    compliance = (REPORTS / "compliance.md").read_text(encoding="utf-8")
    shown = between("compliance.md of the example register")
    assert shown == f"{section(compliance, 'Summary')}\n\n{section(compliance, 'Open findings')}"
    assert shown.startswith("| Measure | Value |\n|---|---|\n| Result | ")


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", README, re.S | re.M)


def without_header(path: Path) -> str:
    """The CI file without its leading comment lines (the README says where to save it)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    comment = "//" if path.name == "Jenkinsfile" else "#"
    while lines and lines[0].startswith(comment):
        lines.pop(0)
    return "".join(lines)


@pytest.mark.parametrize(
    ("language", "file"),
    [
        ("yaml", "github-actions.yml"),
        ("yaml", "gitlab-ci.yml"),
        ("groovy", "Jenkinsfile"),
    ],
)
def test_each_ci_job_to_copy_is_the_tested_file(language: str, file: str) -> None:
    assert without_header(ROOT / "docs" / "ci" / file) in code_blocks(language)

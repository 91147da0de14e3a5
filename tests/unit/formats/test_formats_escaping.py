"""No register text can break a ``check`` format or the job summary: ``%``, ``,``, ``:``, line
breaks, ``]]>``, ESC and other control characters, bidirectional overrides, a file name that is
not UTF-8 (a lone surrogate in Python), Markdown, HTML and Mermaid syntax. Every format stays
valid for its consumer and shows the text literally, control characters as their escapes
(``iotpolicy.grammar.escaping.visible``)."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from iotpolicy.grammar.escaping import one_line, visible
from iotpolicy.yamlio import load as yamlio_load
from tests.conftest import Run, edited_baseline, write_register
from tests.unit.formats.test_ci_formats import (
    PREFIX,
    assert_valid_code_quality,
    assert_valid_junit,
    assert_valid_sarif,
    git_init,
)

AS_OF = "2026-11-25"
VALUE = (
    'seg | *x* <b>bold</b> 50%2C a,b: c ]]> `y` "]-->z[ %%{init}%% \x1b[31mred\x1b[0m\x07'
    "\u202eevil\u2028line\r\nnext %0A"
)
"""A segment reference a device names: REG-003 and SEG-001's neighbours quote it."""
SHOWN = visible(VALUE)
"""How every format shows it (then escaped for the format's own syntax)."""
BAD_NAME = os.fsdecode(b"cam-\xff\x1bname.yaml")
"""A device file whose name is not UTF-8 and holds ESC: REG-002 quotes it."""


@pytest.fixture(scope="module")
def lenient_loader() -> Iterator[None]:
    """The loader told to let control characters written as escapes through. It refuses them
    (REG-001: tests/data/hostile/escaped-control.yaml); here they reach the findings anyway, so
    that each format is proven to escape them on its own (defence in depth)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yamlio_load, "_CONTROL_IN_VALUE", re.compile("(?!)"))
        yield


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory, lenient_loader: None) -> dict[str, Run]:
    """Every check format, and the job summary, of the hostile register."""
    from typer.testing import CliRunner

    from iotpolicy.cli import load_commands

    app = load_commands()
    repo = tmp_path_factory.mktemp("hostile")
    git_init(repo)
    root = write_register(
        repo / PREFIX, edited_baseline({"devices/cam-01.yaml": {"network.segment": VALUE}})
    )
    (root / "devices" / BAD_NAME).write_text(
        "id: cam-09\nname: X\ncategory: iot\ntype: camera\nstatus: planned\n", encoding="utf-8"
    )
    summary = repo / "summary.md"
    found: dict[str, Run] = {}
    for fmt in ("text", "json", "sarif", "junit", "github", "gitlab"):
        env = {"GITHUB_ACTIONS": "false", "GITHUB_STEP_SUMMARY": str(summary)}
        run = CliRunner().invoke(
            app,
            ["check", "--register", str(root), "--as-of", AS_OF, "--format", fmt],
            env=env,
            catch_exceptions=False,
        )
        assert run.exit_code == 1, (fmt, run.stderr)
        found[fmt] = Run(run.exit_code, run.stdout, run.stderr)
    found["summary"] = Run(0, summary.read_text(encoding="utf-8"), "")
    return found


def invisible(text: str) -> list[str]:
    """Characters no output may carry raw (line feeds and tabs aside)."""
    return re.findall("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\ud800-\udfff]", text)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github", "gitlab", "summary"])
def test_no_control_character_or_surrogate_reaches_any_output(
    outputs: dict[str, Run], fmt: str
) -> None:
    text = outputs[fmt].stdout
    assert invisible(text) == []
    text.encode("utf-8")  # no lone surrogate: every output can be written


def test_json_shows_the_text_with_its_control_characters_escaped(outputs: dict[str, Run]) -> None:
    findings = outputs["json"].json["findings"]
    messages = [f["message"] for f in findings]
    assert any(SHOWN in m for m in messages)
    assert any("cam-\\xff\\x1bname.yaml" in f["file"] for f in findings)


def test_sarif_stays_valid_and_shows_the_text(outputs: dict[str, Run]) -> None:
    log = outputs["sarif"].json
    assert_valid_sarif(log)
    results = log["runs"][0]["results"]
    assert any(SHOWN in r["message"]["text"] for r in results)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert f"{PREFIX}/devices/cam-%FF%1Bname.yaml" in uris  # the file's own bytes


def test_junit_stays_valid_and_shows_the_text(outputs: dict[str, Run]) -> None:
    text = outputs["junit"].stdout
    assert_valid_junit(text)
    failures = list(ET.fromstring(text).iter("failure"))
    assert any(one_line(VALUE) in (f.get("message") or "") for f in failures)
    assert any(SHOWN in (f.text or "") for f in failures)  # ]]> and <b> read back as written


def test_github_commands_keep_to_one_line_and_decode_to_the_text(outputs: dict[str, Run]) -> None:
    lines = outputs["github"].stdout.splitlines()
    command = re.compile(r"::(error|warning|notice) (file=[^,:]*,line=\d+,title=[^,:]+)::(.*)")
    decoded = []
    for line in lines:
        match = command.fullmatch(line)
        assert match, line
        message = match.group(3)
        for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%25", "%")):
            message = message.replace(code, char)
        decoded.append(message)
    assert any(SHOWN in message for message in decoded)
    assert any("cam-\\xff\\x1bname.yaml" in line for line in lines)


def test_gitlab_stays_valid_with_one_line_descriptions(outputs: dict[str, Run]) -> None:
    issues = outputs["gitlab"].json
    assert_valid_code_quality(issues)
    assert any(one_line(VALUE) in issue["description"] for issue in issues)


def test_text_shows_the_escapes_not_the_characters(outputs: dict[str, Run]) -> None:
    text = outputs["text"].stdout
    assert "\\x1b[31mred\\x1b[0m\\x07" in text.replace("\n", "")
    assert "cam-\\xff\\x1bname.yaml" in text


def test_the_job_summary_shows_the_text_as_markdown_text(outputs: dict[str, Run]) -> None:
    summary = outputs["summary"].stdout
    assert "\\\\x1b\\[31mred" in summary  # the escape, its bracket escaped for Markdown
    assert "&lt;b&gt;bold&lt;/b&gt;" in summary and "<b>" not in summary
    assert "seg \\| \\*x\\*" in summary
    for row in (line for line in summary.splitlines() if line.startswith("| ")):
        assert len(re.split(r"(?<!\\)\|", row)) in (7,), row  # no value splits a cell


@pytest.mark.usefixtures("lenient_loader")
def test_oscal_stays_valid_with_the_same_text(cli: Callable[..., Run], tmp_path: Path) -> None:
    from tests.unit.formats.test_oscal import RESULTS_SCHEMA, load, nist_valid

    root = write_register(
        tmp_path / "register", edited_baseline({"devices/cam-01.yaml": {"network.segment": VALUE}})
    )
    run = cli("export", "oscal", "--register", str(root), "--as-of", AS_OF)
    assert run.exit_code == 0, run.stderr
    assert invisible(run.stdout) == []
    document: dict[str, Any] = run.json
    load(document)
    segments = [
        p["value"]
        for item in document["assessment-results"]["results"][0]["local-definitions"][
            "inventory-items"
        ]
        for p in item["props"]
        if p["name"] == "segment"
    ]
    assert one_line(VALUE) in segments
    nist_valid(document, json.loads(RESULTS_SCHEMA.read_text(encoding="utf-8")), tmp_path / "s")

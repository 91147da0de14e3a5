"""No register value can break a report: Markdown and HTML metacharacters, newlines and Mermaid
syntax render as literal text in every report and in the network diagram."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from iotpolicy.reports import REPORTS
from iotpolicy.reports.markdown import Safe, finalize, md, mermaid, mermaid_id
from tests.conftest import Run
from tests.support.gitrepo import GitRepo

HOSTILE = (
    "Evil | name `code` <script>alert(1)</script> *b* _i_ [l](http://e.example) #h ~s~ $x$ "
    "\\ &amp;\n"
    '- second line "]-->x[ %%{init: {"securityLevel": "loose"}}%% ```'
)
"""A value with every kind of metacharacter: table pipe, code span, HTML, emphasis, link, heading,
strike-through, maths, backslash, entity, a newline opening a list, Mermaid syntax and a fence."""
ESCAPED = (
    "Evil \\| name \\`code\\` &lt;script&gt;alert(1)&lt;/script&gt; \\*b\\* \\_i\\_ "
    "\\[l\\](http&#58;//e.example) \\#h \\~s\\~ \\$x\\$ \\\\ &amp;amp;<br>"
    '\\- second line "\\]--&gt;x\\[ %%{init: {"securityLevel": "loose"}}%% \\`\\`\\`'
)
"""HOSTILE as every report prints it."""
SEGMENT = "ot-line1"
UNKNOWN_TARGET = 'x"]-->y['


def hostile_edits() -> dict[str, Any]:
    """The baseline register with HOSTILE in a value of every record kind the reports print, and
    two forbidden flows (guest -> ot, ot -> internet)."""
    return {
        "policy.yaml": {
            "classification": HOSTILE,
            "organization": HOSTILE,
            "revisions.1.changes": HOSTILE,
        },
        "people.yaml": {"1.name": HOSTILE, "1.phone": HOSTILE},
        "devices/plc-01.yaml": {"name": HOSTILE, "location.area": HOSTILE, "model": HOSTILE},
        "devices/sensor-02.yaml": {"location": {"site": HOSTILE}},
        "vendors/siemens.yaml": {"name": HOSTILE, "agreement.reference": HOSTILE},
        "segments/ot-line1.yaml": {
            "name": HOSTILE,
            "flows.1": {
                "to": "internet",
                "service": "https",
                "port": 443,
                "protocol": "tcp",
                "purpose": HOSTILE,
            },
            "flows.2": {"to": UNKNOWN_TARGET, "service": "ssh", "port": 22, "protocol": "tcp"},
        },
        "segments/guest.yaml": {
            "id": "guest",
            "name": "Guest Wi-Fi",
            "zone": "guest",
            "cidr": "192.168.9.0/24",
            "flows": [
                {
                    "to": SEGMENT,
                    "service": "modbus",
                    "port": 502,
                    "protocol": "tcp",
                    "purpose": "Should never exist",
                }
            ],
        },
        "exceptions/exc-1.yaml": {
            "id": "exc-1",
            "rule": "CFG-003",
            "subjects": ["plc-01"],
            "justification": HOSTILE,
            "compensating_controls": HOSTILE,
            "approved_by": "anna-berg",
            "approved_on": "2026-01-01",
            "expires_on": "2026-12-31",
        },
        "advisories/adv-1.yaml": {
            "id": "adv-1",
            "vendor": "siemens",
            "kind": "vulnerability",
            "title": HOSTILE,
            "received_on": "2026-01-01",
            "affects": [{"model": HOSTILE, "versions": "*"}],
            "status": "open",
        },
    }


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Every report of the hostile register, committed twice so the changes report has fields."""
    from typer.testing import CliRunner

    from iotpolicy.cli import load_commands

    app = load_commands()
    from tests.conftest import edited_baseline

    repo = GitRepo(tmp_path_factory.mktemp("hostile"))
    repo.commit("Baseline", "2026-01-01T09:00:00+00:00", edited_baseline({}))
    repo.commit(HOSTILE, "2026-02-01T09:00:00+00:00", edited_baseline(hostile_edits()))
    out = repo.top / "out"
    args = ["report", "--register", str(repo.register), "--as-of", "2026-11-25", "-o", str(out)]
    run = CliRunner().invoke(app, args, catch_exceptions=False)
    assert run.exit_code == 0, run.stderr
    return {path.name: path.read_text(encoding="utf-8") for path in out.glob("*.md")}


def cells(row: str) -> list[str]:
    """The cells of a Markdown table row, split at pipes that are not escaped."""
    return re.split(r"(?<!\\)\|", row.strip())[1:-1]


def tables(text: str) -> list[list[str]]:
    """Every table of a Markdown text (outside code blocks), as its list of rows."""
    found: list[list[str]] = []
    current: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("|"):
            current.append(line)
        elif current:
            found.append(current)
            current = []
    return found


def mermaid_block(text: str) -> list[str]:
    """The lines of the Mermaid diagram."""
    return text.split("```mermaid\n", 1)[1].split("\n```\n", 1)[0].splitlines()


def test_every_report_prints_the_hostile_value_escaped(reports: dict[str, str]) -> None:
    """The classification (every header) and the organisation carry it into every report."""
    assert len(reports) == 10
    for name, text in reports.items():
        assert f"**Classification:** {ESCAPED}" in text, name
        assert "<script" not in text, name
        assert not re.search(r"(?<!\\)\]\(http", text), name  # no link opens
        assert "\n- second line" not in text, name


@pytest.mark.parametrize(
    ("report", "count"),
    [
        ("inventory.md", 3),  # device name, model, area (planned device's site too)
        ("vendors.md", 4),
        ("exceptions.md", 3),
        ("policy.md", 3),
        ("site.md", 3),
        ("network.md", 2),
        ("changes.md", 2),
    ],
)
def test_each_report_prints_the_values_it_holds_escaped(
    reports: dict[str, str], report: str, count: int
) -> None:
    """Beyond the header, each report prints the hostile values of its own records, escaped."""
    body = reports[report].split("\n", 3)[3]  # after the classification line
    assert body.count(ESCAPED) >= count


@pytest.mark.parametrize("name", [f"{kind}.md" for kind in REPORTS])
def test_no_value_breaks_a_table(reports: dict[str, str], name: str) -> None:
    """Every row of every table has as many cells as its header."""
    found = tables(reports[name])
    assert found, name
    for table in found:
        width = len(cells(table[0]))
        assert all(len(cells(row)) == width for row in table), (name, table[0])


def test_the_mermaid_diagram_holds_no_raw_value(reports: dict[str, str]) -> None:
    lines = mermaid_block(reports["network.md"])
    assert lines[0] == "flowchart LR"
    node = r"(?:seg|unknown)_[a-z0-9_]+|internet"
    box = r"(?:site|zone)_[a-z0-9_]+"
    # Quoted; inside only entity codes, <br> and no quote, backtick, bracket, brace, pipe, %.
    label = r'"(?:[^"`<>%#\[\]{}|;]|#\d+;|<br>)*"'
    patterns = [
        rf" +subgraph {box}\[{label}\]",
        rf" +(?:{node})\[{label}\]",
        " +end",
        r'  internet\(\["Internet"\]\)',
        rf"  (?:{node}) (?:-->|==>|-\.->)\|{label}\| (?:{node})",
        r"  linkStyle \d+ stroke:#(?:d00000|b35900),stroke-width:\dpx,color:#(?:d00000|b35900)",
        "  classDef unknown fill:#fff4ce,stroke:#b35900,stroke-width:2px,stroke-dasharray:5 5,"
        "color:#000000",
        r"  class unknown_[a-z0-9_]+ unknown",
    ]
    for line in lines[1:]:
        assert any(re.fullmatch(p, line) for p in patterns), line
    diagram = "\n".join(lines)
    assert "<br>" not in diagram  # Mermaid would read such a label as HTML, then as Markdown
    assert SEGMENT not in diagram.replace("(ot-line1, ", "")  # ids only inside labels
    assert "#34;#93;--#62;x#91;" in diagram  # the hostile name's Mermaid syntax, as entities
    assert "seg_ot_line1[" in diagram  # readable ids
    assert 'unknown_x_y["UNKNOWN TARGET: x#34;#93;--#62;y#91; (not a segment)"]' in diagram
    assert "  class unknown_x_y unknown" in diagram


def arrows_of(lines: list[str]) -> list[str]:
    """The diagram's arrows, in order (linkStyle counts them so)."""
    return [line for line in lines if re.search(r" (?:-->|==>|-\.->)\|", line)]


def test_forbidden_flows_and_unknown_targets_are_marked_in_colour_and_words(
    reports: dict[str, str],
) -> None:
    lines = mermaid_block(reports["network.md"])
    arrows = arrows_of(lines)
    forbidden = [i for i, line in enumerate(arrows) if " ==>|" in line]
    assert [arrows[i].split()[0] for i in forbidden] == ["seg_guest", "seg_ot_line1"]
    assert arrows[forbidden[0]].endswith("| seg_ot_line1")
    assert arrows[forbidden[1]].endswith("| internet")
    assert all('|"FORBIDDEN: ' in arrows[i] for i in forbidden)
    styles = [line for line in lines if line.startswith("  linkStyle")]
    red = [int(line.split()[1]) for line in styles if "#d00000" in line]
    amber = [int(line.split()[1]) for line in styles if "#b35900" in line]
    assert red == forbidden
    [unknown] = [i for i, line in enumerate(arrows) if line.endswith("| unknown_x_y")]
    assert amber == [unknown] and " -.->|" in arrows[unknown]
    table = reports["network.md"].split("## Flows", 1)[1]
    assert "**forbidden:** guest segment has a flow to ot segment 'ot-line1'" in table
    assert "**forbidden:** ot segment has a flow to the internet" in table
    assert '| x"\\]--&gt;y\\[ (**unknown target**) |' in table


def test_a_value_that_looks_like_a_credential_is_not_printed(
    cli: Callable[..., Run], make_register: Callable[..., Path], tmp_path: Path
) -> None:
    """REG-004 reports it; the reports print (redacted) instead of the value."""
    root = make_register(
        {"devices/plc-01.yaml": {"location.area": "Cabinet 3, login admin/admin1234"}}
    )
    out = tmp_path / "out"
    run = cli("report", "--register", str(root), "--as-of", "2026-11-25", "-o", str(out))
    assert run.exit_code == 0, run.stderr
    for path in out.iterdir():
        assert "admin1234" not in path.read_text(encoding="utf-8"), path.name
    assert "(redacted)" in (out / "site.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a|b", "a\\|b"),
        ("`x`", "\\`x\\`"),
        ("<script>&", "&lt;script&gt;&amp;"),
        ("one\ntwo\r\nthree", "one<br>two<br>three"),
        ("- item", "\\- item"),
        ("1. item", "1\\. item"),
        ("---", "\\---"),
        ("4.10", "4.10"),
        ("-5", "-5"),
        ("# h", "\\# h"),
        ("[x](y)", "\\[x\\](y)"),
        ("a_b*c~d$e\\f", "a\\_b\\*c\\~d\\$e\\\\f"),
        ("password: hunter2", "(redacted)"),
        ("mail ole@example.com", "mail ole&#64;example.com"),
        (
            "see https://x.example/a or www.x.example",
            "see https&#58;//x.example/a or www&#46;x.example",
        ),
        ("esc \x1b[31m red\u202e", "esc \\\\x1b\\[31m red\\\\u202e"),
    ],
)
def test_md_escapes_markdown_and_html(value: str, expected: str) -> None:
    assert md(value) == expected


def test_finalize_prints_every_kind_of_value() -> None:
    import datetime as dt

    assert finalize(None) == "—"
    assert finalize(True) == "yes"
    assert finalize(False) == "no"
    assert finalize(()) == "—"
    assert finalize(("a|b", None)) == "a\\|b, —"
    assert finalize(dt.date(2026, 1, 2)) == "2026-01-02"
    assert finalize(Safe("<br>")) == "<br>"
    assert finalize(42) == "42"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"]-->x[', "#34;#93;--#62;x#91;"),
        ("%%{init}%%", "#37;#37;#123;init#125;#37;#37;"),
        ("a\nb   c", "a b c"),
        ("`md`", "#96;md#96;"),
        ("<b>#1;", "#60;b#62;#35;1#59;"),
        ("Line 1 (hall), 10.0.0.0/24", "Line 1 (hall), 10.0.0.0/24"),
        ("Zürich", "Zürich"),
    ],
)
def test_mermaid_labels_are_entity_escaped(value: str, expected: str) -> None:
    assert mermaid(value) == expected


def test_mermaid_ids_are_hashes() -> None:
    assert re.fullmatch(r"s[0-9a-f]{12}", mermaid_id('a"]-->b', "s"))
    assert mermaid_id("ot-line1", "s") == mermaid_id("ot-line1", "s")
    assert mermaid_id("ot-line1", "s") != mermaid_id("ot-line2", "s")

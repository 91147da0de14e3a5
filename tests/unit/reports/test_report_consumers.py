"""The reports as their readers' tools see them: markdownlint-cli (the reference Markdown linter)
with the shipped ``.markdownlint.yaml``, and Mermaid's own parser for the network picture, which
stays readable at 20 segments and 100 flows (one arrow per pair of segments and direction).

The Node tools live in tests/node (``npm ci --prefix tests/node``; ``.ci/run`` installs them).
Without them these tests are skipped, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import DELETE, Run, edited_baseline, write_register
from tests.support.paths import REPO
from tests.unit.formats.test_ci_formats import MIXED, PREFIX, git_init

ROOT = REPO
NODE = ROOT / "tests" / "node"
MARKDOWNLINT = NODE / "node_modules" / ".bin" / "markdownlint"
AS_OF = "2026-11-25"
ZONES = ["ot", "ot", "iot", "iot", "management", "dmz", "corporate", "guest"]


@pytest.fixture(scope="module", autouse=True)
def node_tools() -> None:
    """The Node tools are installed, or the module is skipped (outside CI)."""
    if MARKDOWNLINT.exists():
        return
    if os.environ.get("CI"):
        pytest.fail("tests/node is not installed: run npm ci --prefix tests/node")
    pytest.skip("markdownlint and mermaid are not installed (npm ci --prefix tests/node)")


def markdownlint(*files: Path, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    args = [str(MARKDOWNLINT), *(["--config", str(config)] if config else []), "--"]
    return subprocess.run([*args, *map(str, files)], capture_output=True, text=True)


def mermaid_parse(*files: Path) -> list[dict[str, Any]]:
    """One record per Mermaid block of ``files``, as tests/node/mermaid-parse.mjs reports it."""
    done = subprocess.run(
        ["node", str(NODE / "mermaid-parse.mjs"), *map(str, files)],
        capture_output=True,
        text=True,
        cwd=NODE,
    )
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == (1 if any(not r["ok"] for r in records) else 0), done.stderr
    return records


def report(cli: Callable[..., Run], root: Path, out: Path) -> Path:
    run = cli("report", "--register", str(root), "--as-of", AS_OF, "-o", str(out))
    assert run.exit_code == 0, run.stderr
    return out


def mermaid_lines(text: str) -> list[str]:
    return text.split("```mermaid\n", 1)[1].split("\n```\n", 1)[0].splitlines()


def test_the_example_registers_reports_pass_markdownlint(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    out = report(cli, ROOT / "register", tmp_path / "reports")
    files = sorted(out.glob("*.md"))
    assert len(files) == 10
    clean = markdownlint(*files, config=out / ".markdownlint.yaml")
    assert (clean.returncode, clean.stdout + clean.stderr) == (0, "")
    # With markdownlint's defaults alone, only what the shipped file relaxes is reported.
    default = markdownlint(*files)
    assert default.returncode == 1
    reported = set(re.findall(r" (MD\d{3})/", default.stderr))
    assert reported <= {"MD013", "MD060", "MD033"}, default.stderr[:2000]


def test_the_shipped_config_disables_at_most_four_rules_each_for_a_reason() -> None:
    text = (ROOT / "templates" / "markdownlint.yaml").read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    disabled = [rule for rule, value in config.items() if value is False]
    assert 0 < len(disabled) <= 4
    assert all(value is False or isinstance(value, dict) for value in config.values())
    lines = text.splitlines()
    for rule in config:
        [at] = [i for i, line in enumerate(lines) if line.startswith(f"{rule}:")]
        comment = []
        for line in reversed(lines[:at]):
            if not line.startswith("#"):
                break
            comment.append(line)
        reason = " ".join(reversed(comment))
        assert reason.startswith(f"# {rule} ") and len(reason) > 60, rule


def test_a_hostile_register_and_the_job_summary_pass_markdownlint(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    from tests.unit.reports.test_escaping import hostile_edits

    root = write_register(tmp_path / "hostile", edited_baseline(hostile_edits()))
    out = report(cli, root, tmp_path / "reports")
    repo = tmp_path / "repo"
    git_init(repo)
    checked = write_register(repo / PREFIX, edited_baseline({**MIXED, **HOSTILE_FINDINGS}))
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    env |= {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/plant"}
    env["GITHUB_SHA"] = "0123456789abcdef0123456789abcdef01234567"
    cli("check", "--register", str(checked), "--as-of", AS_OF, env=env)
    text = summary.read_text(encoding="utf-8")
    assert "REG-003" in text and "REG-001" in text
    assert "\x1b" not in text and "\u202e" not in text
    assert "evil" in text and "lobbyx" not in text  # the Markdown payload quoted, the area not
    done = markdownlint(*sorted(out.glob("*.md")), config=out / ".markdownlint.yaml")
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
    # The job summary is a fragment of GitHub's job page, under the job's own title: it starts
    # with an H2 (MD041 asks a file to start with an H1).
    config = out / ".markdownlint.yaml"
    fragment = subprocess.run(
        [str(MARKDOWNLINT), "--config", str(config), "--disable", "MD041", "--", str(summary)],
        capture_output=True,
        text=True,
    )
    assert (fragment.returncode, fragment.stdout + fragment.stderr) == (0, "")


HOSTILE_FINDINGS: dict[str, Any] = {
    "devices/cam-01.yaml": {
        "monitoring.logging": False,
        "network.segment": "seg | *x* <b>%2C a,b: c ]]> `y` evil",
    },
    "devices/sensor-02.yaml": {"location.area": "lobbyx \x1b[31m\u202eevil\nnext"},
}
"""A segment reference full of Markdown and HTML: REG-003 and SEG-001 findings whose messages
quote it; an area holding a control sequence, a bidi override and a newline, which the loader
refuses (REG-001, naming the field, never the text)."""


def synthetic(sites: int = 2) -> dict[str, Any]:
    """The baseline with its segments replaced by 20 (four of them keeping the baseline's ids),
    in several zones and ``sites`` sites, and 100 flows between them and to the internet, several
    per pair of segments."""
    ids = ["ot-line1", "iot-cams", "mgmt", "office", *(f"seg-{i:02d}" for i in range(16))]
    zones = {"ot-line1": "ot", "iot-cams": "iot", "mgmt": "management", "office": "corporate"}
    services = [("syslog", 514, "udp"), ("ntp", 123, "udp"), ("https", 443, "tcp")]
    services += [("ssh", 22, "tcp"), ("opc-ua", 4840, "tcp")]
    flows: dict[str, list[dict[str, Any]]] = {segment: [] for segment in ids}
    for k in range(100):
        source = ids[k % 20]
        target = "internet" if k % 11 == 0 else ids[(k * 7 + 3) % 20]
        if target == source:
            target = ids[(k + 1) % 20]
        service, port, protocol = services[k % len(services)]
        flows[source].append(
            {
                "to": target,
                "service": service,
                "port": port,
                "protocol": protocol,
                "purpose": f"Flow {k}",
            }
        )
    edits: dict[str, Any] = {f"segments/{s}.yaml": DELETE for s in zones}
    for i, segment in enumerate(ids):
        edits[f"segments/{segment}.yaml"] = {
            "id": segment,
            "name": f"Segment {segment}",
            "zone": zones.get(segment, ZONES[i % len(ZONES)]),
            "site": f"plant-{'ab'[i % sites]}" if sites > 1 else "plant-a",
            "vlan": 100 + i,
            "cidr": f"10.{100 + i}.0.0/24",
            "flows": flows[segment],
        }
    return edited_baseline(edits)


def arrows(lines: list[str]) -> Iterator[tuple[str, str, str]]:
    """(source, arrow, target) of every arrow of the diagram."""
    for line in lines:
        match = re.fullmatch(r"  (\S+) (-->|==>|-\.->)\|.*\| (\S+)", line)
        if match:
            yield match.group(1), match.group(2), match.group(3)


def test_twenty_segments_and_a_hundred_flows_give_one_arrow_per_pair_and_direction(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    files = synthetic()
    declared = [
        (data["id"], flow["to"])
        for rel, data in files.items()
        if rel.startswith("segments/")
        for flow in data["flows"]
    ]
    assert len(declared) == 100 and len({s for s, _ in declared}) == 20
    root = write_register(tmp_path / "register", files)
    out = report(cli, root, tmp_path / "reports")
    text = (out / "network.md").read_text(encoding="utf-8")
    lines = mermaid_lines(text)
    drawn = list(arrows(lines))
    pairs = [(source, target) for source, _, target in drawn]
    assert len(pairs) == len(set(pairs)) == len(set(declared)) < 100
    node_of = {segment: f"seg_{re.sub(r'[^a-z0-9]+', '_', segment)}" for segment, _ in declared} | {
        "internet": "internet"
    }
    assert set(pairs) == {(node_of[s], node_of[t]) for s, t in declared}
    # Services grouped on their arrow: every flow's service is named on its pair's arrow.
    labels = {(s, t): line for line in lines for s, _, t in arrows([line])}
    for rel, data in files.items():
        for flow in data.get("flows", []) if rel.startswith("segments/") else []:
            label = labels[(node_of[data["id"]], node_of[flow["to"]])]
            assert (
                f"{flow['service']} {flow['port']}/{flow['protocol']}" in label or "more" in label
            )
    # Zones inside sites: two site boxes, each with its zones; every segment drawn once.
    assert sum(line.startswith("  subgraph site_") for line in lines) == 2
    assert all(
        re.fullmatch(r"    subgraph site_plant_[ab]_zone_[a-z]+\[.*\]", line)
        for line in lines
        if line.startswith("    subgraph")
    )
    boxes = [line.split("[", 1)[0].strip() for line in lines if re.match(r" +seg_\w+\[", line)]
    assert sorted(boxes) == sorted(set(node_of.values()) - {"internet"})
    # Every flow is still a row of the flow table.
    assert text.split("## Flows", 1)[1].count("| Flow ") == 100
    [parsed] = mermaid_parse(out / "network.md")
    assert parsed["ok"] and parsed["type"] == "flowchart-v2"


def test_one_site_draws_no_site_box(cli: Callable[..., Run], tmp_path: Path) -> None:
    root = write_register(tmp_path / "register", synthetic(sites=1))
    lines = mermaid_lines(
        (report(cli, root, tmp_path / "reports") / "network.md").read_text(encoding="utf-8")
    )
    assert not any("subgraph site_" in line for line in lines)
    assert any(line.startswith("  subgraph zone_ot[") for line in lines)


def test_the_network_pictures_parse_with_mermaid(cli: Callable[..., Run], tmp_path: Path) -> None:
    """The example register's (and its trend chart), a hostile register's (Mermaid syntax in
    names, flows to a target that is no segment, forbidden flows) and the README's (its network
    picture and its trend chart)."""
    from tests.unit.reports.test_escaping import hostile_edits

    example = report(cli, ROOT / "register", tmp_path / "example")
    hostile_root = write_register(tmp_path / "hostile", edited_baseline(hostile_edits()))
    hostile = report(cli, hostile_root, tmp_path / "hostile-reports") / "network.md"
    records = mermaid_parse(
        example / "network.md", example / "trend.md", hostile, ROOT / "README.md"
    )
    assert [(Path(r["file"]).name, r["ok"], r["type"]) for r in records] == [
        ("network.md", True, "flowchart-v2"),
        ("trend.md", True, "xychart"),
        ("network.md", True, "flowchart-v2"),
        ("README.md", True, "flowchart-v2"),
        ("README.md", True, "xychart"),
    ]


def test_mermaids_parser_rejects_what_is_not_mermaid(tmp_path: Path) -> None:
    """The parse test can fail: a label left open is an error."""
    broken = tmp_path / "broken.md"
    broken.write_text('```mermaid\nflowchart LR\n  a["open --> b\n```\n', encoding="utf-8")
    [record] = mermaid_parse(broken)
    assert not record["ok"] and "Parse error" in record["error"]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def browser_labels(markdown: Path, tmp_path: Path) -> tuple[list[str], str]:
    """The node and edge labels a browser shows for the Mermaid picture of ``markdown`` (headless
    Chromium running the Mermaid the tests pin), and the drawn SVG."""
    diagram = mermaid_lines(markdown.read_text(encoding="utf-8"))
    script = (NODE / "node_modules" / "mermaid" / "dist" / "mermaid.min.js").as_uri()
    page = tmp_path / "picture.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        f'<pre class="mermaid">{html.escape(chr(10).join(diagram))}</pre>'
        f'<script src="{script}"></script>'
        '<script>mermaid.initialize({startOnLoad: true, securityLevel: "strict"});</script>'
        "</body></html>",
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            "--virtual-time-budget=20000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    svg = done.stdout.split("<svg", 1)[-1].split("</svg>", 1)[0]
    assert "Syntax error" not in svg, svg[:500]
    label = r'<span[^>]*\bclass="[^"]*\b(?:nodeLabel|edgeLabel)\b[^"]*"[^>]*>(.*?)</span>'
    spans = re.findall(label, svg, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", span)) for span in spans], svg


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium to draw the picture with")
def test_a_browser_shows_every_label_of_a_hostile_picture_as_written(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    """Mermaid reads a label holding ``<br>`` as HTML and then ``_x_`` as emphasis: the labels
    are one line, so what a reader sees is the text as written, markup and all."""
    from tests.unit.reports.test_escaping import HOSTILE, UNKNOWN_TARGET, hostile_edits

    root = write_register(tmp_path / "hostile", edited_baseline(hostile_edits()))
    network = report(cli, root, tmp_path / "reports") / "network.md"
    labels, svg = browser_labels(network, tmp_path)
    name = " ".join(HOSTILE.split())
    assert f"{name} (ot-line1, 10.20.1.0/24, VLAN 120)" in labels
    assert f"UNKNOWN TARGET: {UNKNOWN_TARGET} (not a segment)" in labels
    assert "FORBIDDEN: modbus 502/tcp" in labels
    for element in ("<em", "<strong", "<a ", "<script", "<b>", "<code"):
        assert element not in svg, element

"""`iotpolicy check` as a user and a CI pipeline run it: exit codes, formats, options."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DELETE, Run
from tests.support.paths import REPO

AS_OF = "2026-11-25"
NO_SEGMENT = {"devices/plc-01.yaml": {"network.segment": DELETE}}
NO_END_OF_SUPPORT = {"devices/plc-01.yaml": {"end_of_support": DELETE}}  # LIF-001 warning


def test_clean_register_exits_0_with_the_json_contract(
    cli: Callable[..., Run], make_register: Callable[..., Path]
) -> None:
    root = make_register()
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "json")
    assert run.exit_code == 0
    assert run.json == {
        "register": str(root),
        "as_of": AS_OF,
        "findings": [],
        "summary": {"errors": 0, "warnings": 0, "suppressed": 0, "devices": 3},
    }


def test_an_error_exits_1_and_is_reported_exactly(
    cli: Callable[..., Run], make_register: Callable[..., Path]
) -> None:
    root = make_register(NO_SEGMENT)
    run = cli("check", "--register", str(root), "--as-of", AS_OF, "--format", "json")
    assert run.exit_code == 1
    finding = run.json["findings"][0]
    assert finding == {
        "rule": "SEG-001",
        "severity": "error",
        "subject": "plc-01",
        "file": "devices/plc-01.yaml",
        "line": finding["line"],
        "message": "active device has no network segment",
        "controls": ["NIST SC-7", "IEC 62443-3-3 SR 5.1"],
        "suppressed_by": None,
    }
    text = (root / "devices/plc-01.yaml").read_text().splitlines()
    assert text[finding["line"] - 1].startswith("network:")
    assert run.json["summary"] == {"errors": 1, "warnings": 0, "suppressed": 0, "devices": 3}


def test_warnings_pass_unless_strict(
    cli: Callable[..., Run], make_register: Callable[..., Path]
) -> None:
    root = make_register(NO_END_OF_SUPPORT)
    base = ("check", "--register", str(root), "--as-of", AS_OF, "--format", "json")
    relaxed = cli(*base)
    assert relaxed.exit_code == 0
    assert relaxed.json["summary"]["warnings"] == 1
    assert cli(*base, "--strict").exit_code == 1


def test_rule_option_limits_the_rules(
    cli: Callable[..., Run], make_register: Callable[..., Path]
) -> None:
    root = make_register({**NO_SEGMENT, **{"devices/cam-01.yaml": {"monitoring.logging": False}}})
    base = ("check", "--register", str(root), "--as-of", AS_OF, "--format", "json")
    everything = {f["rule"] for f in cli(*base).json["findings"]}
    assert everything == {"SEG-001", "MON-001"}
    only = cli(*base, "--rule", "MON-001")
    assert {f["rule"] for f in only.json["findings"]} == {"MON-001"}
    assert cli(*base, "--rule", "mon-001", "--rule", "SEG-001").exit_code == 1
    assert cli(*base, "--rule", "INV-001").exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--rule", "XYZ-999"), "unknown rule id XYZ-999"),
        (("--as-of", "25/11/2026"), "not a date"),
        (("--format", "yaml"), "yaml"),
    ],
)
def test_bad_options_exit_2_with_one_clear_line(
    cli: Callable[..., Run], make_register: Callable[..., Path], args: tuple[str, ...], message: str
) -> None:
    root = make_register()
    run = cli("check", "--register", str(root), *args)
    assert run.exit_code == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_missing_register_or_policy_exits_2(cli: Callable[..., Run], tmp_path: Path) -> None:
    missing = cli("check", "--register", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2
    assert "register folder not found" in missing.stderr
    no_policy = cli("check", "--register", str(tmp_path))
    assert no_policy.exit_code == 2
    assert f"no policy.yaml in {tmp_path}" in no_policy.stderr


def test_register_is_found_from_a_subfolder_and_from_the_environment(
    make_register: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_register(NO_SEGMENT)
    sub = root / "devices"
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("IOTPOLICY_REGISTER", None)
    command = [sys.executable, "-m", "iotpolicy", "check", "--as-of", AS_OF, "--format", "json"]
    walked = subprocess.run(command, cwd=sub, env=env, capture_output=True, text=True)
    assert walked.returncode == 1
    assert json.loads(walked.stdout)["register"] == ".."
    fallback = subprocess.run(command, cwd=root.parent, env=env, capture_output=True, text=True)
    assert fallback.returncode == 2  # tmp folder has neither policy.yaml nor ./register
    by_env = subprocess.run(
        command,
        cwd=tmp_path,
        env={**env, "IOTPOLICY_REGISTER": str(root)},
        capture_output=True,
        text=True,
    )
    assert by_env.returncode == 1
    assert json.loads(by_env.stdout)["findings"][0]["rule"] == "SEG-001"


def test_output_is_deterministic_and_written_to_a_file(
    cli: Callable[..., Run], make_register: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_register({**NO_SEGMENT, "devices/zz.yaml": "id: [unclosed\n"})
    out = tmp_path / "out" / "report.json"
    base = ("check", "--register", str(root), "--as-of", AS_OF, "--format", "json")
    first = cli(*base, "--output", str(out))
    assert first.exit_code == 1
    assert first.stdout == ""
    second = cli(*base)
    assert out.read_text(encoding="utf-8") == second.stdout
    findings = json.loads(second.stdout)["findings"]
    keys = [(f["file"], f["line"], f["rule"], f["subject"], f["message"]) for f in findings]
    assert keys == sorted(keys)


def test_text_format_groups_by_file_without_colour(
    cli: Callable[..., Run], make_register: Callable[..., Path]
) -> None:
    edits = {"devices/plc-01.yaml": {"network.segment": DELETE, "end_of_support": DELETE}}
    root = make_register(edits)
    run = cli("check", "--register", str(root), "--as-of", AS_OF)
    assert run.exit_code == 1
    assert "\x1b[" not in run.stdout
    lines = run.stdout.splitlines()
    assert lines[0] == "devices/plc-01.yaml"
    assert any(
        "SEG-001" in line and "active device has no network segment" in line for line in lines
    )
    assert lines[-1] == "1 error, 1 warning, 0 suppressed; 3 devices checked as of 2026-11-25"


def test_colour_only_on_a_terminal_and_never_with_no_color() -> None:
    from iotpolicy.cli.app import use_colour

    class Tty:
        def isatty(self) -> bool:
            return True

    os.environ.pop("NO_COLOR", None)
    assert use_colour(Tty())
    assert not use_colour(object())
    os.environ["NO_COLOR"] = "1"
    try:
        assert not use_colour(Tty())
    finally:
        del os.environ["NO_COLOR"]


def test_suppressed_findings_are_reported_but_do_not_fail(
    check_json: Callable[..., Any],
) -> None:
    exception = {
        "id": "exc-1",
        "rule": "SEG-001",
        "subjects": ["plc-01"],
        "justification": "Moving to a new switch.",
        "approved_by": "anna-berg",
        "approved_on": "2026-11-01",
        "expires_on": "2027-01-31",
    }
    code, document = check_json({**NO_SEGMENT, "exceptions/exc-1.yaml": exception})
    assert code == 0
    [finding] = document["findings"]
    assert finding["suppressed_by"] == "exc-1"
    assert document["summary"] == {"errors": 0, "warnings": 0, "suppressed": 1, "devices": 3}


def test_rules_command_formats(cli: Callable[..., Run]) -> None:
    table = cli("rules")
    assert table.exit_code == 0
    assert "SEG-001" in table.stdout and "NIST SC-7" in table.stdout
    listed = cli("rules", "--format", "json").json
    assert len(listed) == 33
    acc = next(r for r in listed if r["id"] == "ACC-001")
    assert acc["controls"] == ["NIST AC-3", "NIST AC-6"]
    assert acc["severity"] == "error" and acc["source"] == "4.1.4"
    markdown = cli("rules", "--format", "markdown").stdout
    assert markdown.startswith("# The iotpolicy rule catalogue")
    assert "## LIF-001" in markdown and "error / warning" in markdown


def test_docs_rule_pages_are_generated_from_the_registry(cli: Callable[..., Run]) -> None:
    """docs/rules.md must equal `iotpolicy rules --format markdown` (regenerate it if not)."""
    docs = REPO / "docs" / "rules.md"
    assert docs.read_text(encoding="utf-8") == cli("rules", "--format", "markdown").stdout

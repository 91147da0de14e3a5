"""Edges of reading a register: unreadable files, links out of the register, port ranges."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


def _rules(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f["rule"], f["file"], f["subject"]) for f in document["findings"]]


def test_an_unparseable_vendor_file_does_not_cascade_into_reg_003(
    check_json: Callable[..., Any],
) -> None:
    _, document = check_json({"vendors/siemens.yaml": "id: siemens\nname: [unclosed\n"})
    assert _rules(document) == [("REG-001", "vendors/siemens.yaml", "siemens")]


def test_a_linked_folder_pointing_outside_the_register_is_not_read(
    make_register: Callable[..., Path], tmp_path: Path, cli: Callable[..., Any]
) -> None:
    root = make_register()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "evil.yaml").write_text("id: evil\nname: Evil\ncategory: iot\ntype: x\n")
    (root / "incidents").symlink_to(outside, target_is_directory=True)
    run = cli("check", "--register", str(root), "--as-of", "2026-11-25", "--format", "json")
    assert run.exit_code == 1
    [finding] = run.json["findings"]
    assert finding["rule"] == "REG-001"
    assert finding["file"] == "incidents/evil.yaml"
    assert "outside the register" in finding["message"]


def test_a_linked_policy_file_pointing_outside_is_refused(
    make_register: Callable[..., Path], tmp_path: Path, cli: Callable[..., Any]
) -> None:
    root = make_register()
    moved = tmp_path / "policy-elsewhere.yaml"
    (root / "policy.yaml").rename(moved)
    (root / "policy.yaml").symlink_to(moved)
    run = cli("check", "--register", str(root), "--as-of", "2026-11-25", "--format", "json")
    assert ("REG-001", "policy.yaml", "policy") in _rules(run.json)


def test_a_service_port_out_of_range_is_reg_001(check_json: Callable[..., Any]) -> None:
    _, document = check_json({"devices/plc-01.yaml": {"hardening.services.0.port": 70000}})
    [finding] = document["findings"]
    assert finding["rule"] == "REG-001"
    assert finding["message"] == "hardening.services.0.port: must be a port number from 0 to 65535"

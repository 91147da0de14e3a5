"""Drafting device records from spreadsheet rows, without the CLI: which rows create, update or
leave a device, which fields an update touches, and the cell problems that refuse a row."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from iotpolicy.importers.devices import RowPlan, device_drafts, sheet_rows
from iotpolicy.importers.spreadsheet import map_columns, parse_map_options, read_sheet
from iotpolicy.register import load_register
from iotpolicy.writing.snapshot import Snapshot
from tests.conftest import write_register
from tests.support.realworld import REALWORLD, field_files

TODAY = date(2026, 11, 25)


def plan_inventory(tmp_path: Path, name: str = "inventory.csv") -> tuple[list, list, list[RowPlan]]:
    """Drafts, cell errors and row plans of a test inventory on the real-world register."""
    root = write_register(tmp_path / "register", field_files())
    register = load_register(root)
    path = REALWORLD / name
    sheet = read_sheet(path.name, path.read_bytes())
    columns = map_columns(sheet.headers, parse_map_options([]))
    plan: list[RowPlan] = []
    rows = sheet_rows(register, sheet, columns)
    drafts, errors = device_drafts(Snapshot(register, TODAY), rows, columns, plan, path.name)
    return drafts, errors, plan


def test_rows_plan_creates_and_updates(tmp_path: Path) -> None:
    drafts, _, plan = plan_inventory(tmp_path)
    assert [(p.row, p.device, p.action, p.fields) for p in plan if p.action == "updated"] == [
        (2, "plc-01", "updated", ("location.area",))
    ]
    created = {p.device: p for p in plan if p.action == "created"}
    assert sorted(created) == ["cam-10", "line-1-vision-sensor"]
    assert {d.file for d in drafts} == {
        "devices/plc-01.yaml",
        "devices/cam-10.yaml",
        "devices/line-1-vision-sensor.yaml",
    }
    camera = next(d for d in drafts if d.file == "devices/cam-10.yaml")
    assert camera.text.startswith("# yaml-language-server: $schema=../schemas/device.schema.json\n")
    data = yaml.safe_load(camera.text)
    assert data["serial"] == "00123"  # quoted: never the number 123
    assert data["network"]["segment"] == "iot-cams" and data["owner"] == "ole-hansen"


def test_bad_cells_refuse_their_rows(tmp_path: Path) -> None:
    _, errors, plan = plan_inventory(tmp_path)
    assert sorted((e.row, str(e)) for e in errors) == [
        (5, "row 5, column 'IP-Address': network.ip: must be an IPv4 or IPv6 address"),
        (6, "row 6, column 'Commissioned': must be a date written YYYY-MM-DD"),
        (8, "row 8, column 'Manufacturer': no vendor with id or name 'Janitza'; add it with "
            "iotpolicy add-vendor"),
        (9, "row 9, column 'Status': status must be one of planned, active, retired or disposed"),
    ]  # fmt: skip
    assert not {p.row for p in plan} & {e.row for e in errors}


def test_an_unchanged_row_drafts_nothing(tmp_path: Path) -> None:
    root = write_register(tmp_path / "register", field_files())
    register = load_register(root)
    sheet = read_sheet("one.csv", b"id,name\nplc-01,Line 1 packaging PLC\n")
    columns = map_columns(sheet.headers, parse_map_options([]))
    current = next(r for r in register.of("device") if r.raw_id == "plc-01").model
    assert current.name == "Line 1 packaging PLC"
    plan: list[RowPlan] = []
    rows = sheet_rows(register, sheet, columns)
    drafts, errors = device_drafts(Snapshot(register, TODAY), rows, columns, plan, "one.csv")
    assert (drafts, errors) == ([], [])
    assert [(p.device, p.action) for p in plan] == [("plc-01", "unchanged")]


def test_two_rows_may_not_share_an_address(tmp_path: Path) -> None:
    root = write_register(tmp_path / "register", field_files())
    register = load_register(root)
    text = (
        "id,name,category,type,network.segment,network.ip\n"
        "s-1,Sensor 1,ot,sensor,ot-line1,10.20.1.201\n"
        "s-2,Sensor 2,ot,sensor,ot-line1,10.20.1.201\n"
    )
    sheet = read_sheet("two.csv", text.encode())
    columns = map_columns(sheet.headers, parse_map_options([]))
    plan: list[RowPlan] = []
    rows = sheet_rows(register, sheet, columns)
    drafts, errors = device_drafts(Snapshot(register, TODAY), rows, columns, plan, "two.csv")
    assert [d.file for d in drafts] == ["devices/s-1.yaml"]
    assert [str(e) for e in errors] == [
        "row 3, column 'network.ip': 10.20.1.201 is already used by row 2"
    ]
    assert plan[0].planned  # no status given: planned, as add-device makes it

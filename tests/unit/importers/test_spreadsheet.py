"""Spreadsheets: reading CSV and XLSX, mapping messy headers, cells to values with row and column
for every problem, formula injection, and a lossless export round trip."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from iotpolicy.importers.spreadsheet import (
    SheetError,
    cell_value,
    device_fields,
    device_table,
    escape_cell,
    formula_start,
    map_columns,
    nest,
    parse_map_options,
    read_csv,
    read_sheet,
    read_xlsx,
    resolve_references,
    row_values,
    to_csv,
    to_xlsx,
    unescape_cell,
)
from iotpolicy.models import Device
from tests.support.realworld import REALWORLD, field_files

NAMES = {
    "vendor": {"siemens": "Siemens AG", "axis": "Axis Communications", "moxa": "Moxa Inc."},
    "person": {"ole-hansen": "Ole Hansen", "anna-berg": "Anna Berg"},
    "segment": {"ot-line1": "Line 1 control network", "iot-cams": "Cameras"},
}


def _rows(
    content: bytes, name: str = "inventory.csv", overrides: dict[str, str] | None = None
) -> Any:
    sheet = read_sheet(name, content)
    columns = map_columns(sheet.headers, overrides or {})
    rows, errors = row_values(sheet, columns)
    resolved, more = resolve_references(rows, columns, NAMES)
    return columns, resolved, [str(e) for e in errors + more]


def test_messy_csv_headers_map_to_fields() -> None:
    columns, rows, errors = _rows((REALWORLD / "inventory.csv").read_bytes())
    assert dict(zip(columns.headers, columns.fields, strict=True)) == {
        "Asset ID": "id",
        "Device Name": "name",
        "Manufacturer": "vendor",
        "Model": "model",
        "Serial No.": "serial",
        "IP-Address": "network.ip",
        "MAC": "network.mac",
        "Site": "location.site",
        "Location": "location.area",
        "Segment": "network.segment",
        "Status": "status",
        "Category": "category",
        "Type": "type",
        "Owner": "owner",
        "Firmware": "firmware.version",
        "Commissioned": "commissioned_on",
        "Cost centre": None,
    }
    assert columns.ignored == ("Cost centre",)
    assert errors == [
        "row 6, column 'Commissioned': must be a date written YYYY-MM-DD",
        "row 8, column 'Manufacturer': no vendor with id or name 'Janitza'; add it with "
        "iotpolicy add-vendor",
    ]
    by_id = {r.id: r for r in rows}
    # meter-10 stays (its unknown vendor is an error of its cell, its other cells are checked)
    assert list(by_id) == [
        "plc-01",
        "line-1-vision-sensor",
        "cam-10",
        "cam-11",
        "meter-10",
        "sensor-11",
    ]
    assert by_id["plc-01"].values["commissioned_on"] == date(2024, 3, 12)
    assert by_id["plc-01"].values["category"] == "ot"  # OT -> ot
    assert by_id["plc-01"].values["owner"] == "ole-hansen"  # by name
    assert by_id["plc-01"].values["location.area"] == "Hall A, cabinet 3"
    vision = by_id["line-1-vision-sensor"].values  # no id: the slug of its name
    assert vision["network.segment"] == "ot-line1"  # the segment by its name
    assert vision["vendor"] == "siemens"
    cam = by_id["cam-10"].values
    assert (cam["vendor"], cam["status"], cam["type"]) == ("axis", "planned", "camera")
    assert cam["serial"] == "00123" and cam["firmware.version"] == "11.10"  # text stays text
    assert "commissioned_on" not in cam  # "-" is an empty cell
    # model-level problems (10.30.1.300, status broken) are found when the record is validated
    assert by_id["cam-11"].values["network.ip"] == "10.30.1.300"


def test_xlsx_with_messy_headers() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Inventory 2026"
    sheet.append(["Inventory of site main-plant, exported 2026-11-20"])  # a title row
    sheet.append([])
    sheet.append(
        [
            "Device ID",
            "Name",
            "Make",
            "Model number",
            "S/N",
            "IP address (v4)",
            "Commissioning date",
            "Default credentials changed",
            "Retention (days)",
            "Docs",
        ]
    )
    sheet.append(
        [
            "plc-05",
            "Line 2 PLC",
            "siemens",
            "SIMATIC S7-1500",
            12345,
            "10.20.1.50",
            datetime(2025, 1, 31),
            "Yes",
            None,
            "Manual\nHardening guide",
        ]
    )
    sheet.append(
        [
            "plc-06",
            "Line 2 PLC B",
            "Siemens AG",
            "SIMATIC S7-1500",
            "SZ-2",
            "10.20.1.51",
            "2025-02-01",
            "maybe",
            4.0,
            None,
        ]
    )
    sheet.append(
        ["plc-07", "=A4", "siemens", "SIMATIC S7-1500", "SZ-3", "10.20.1.52", None, True, 30, None]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    overrides = parse_map_options(
        [
            "Retention (days)=personal_data.retention_days",
            "Default credentials changed=hardening.default_credentials_changed",
        ]
    )
    columns, rows, errors = _rows(buffer.getvalue(), "inventory.xlsx", overrides)
    assert columns.fields[:5] == ("id", "name", "vendor", "model", "serial")
    assert errors == [
        "row 5, column 'Default credentials changed': must be true or false (yes/no)",
        # data_only: a formula cell gives its cached value (none here, never computed);
        # a formula typed as text is refused
    ]
    (first, third) = rows[0].values, rows[1].values
    assert first["serial"] == "12345" and first["commissioned_on"] == date(2025, 1, 31)
    assert first["hardening.default_credentials_changed"] is True
    assert first["documentation"] == ["Manual", "Hardening guide"]
    assert third["id"] == "plc-07" and "name" not in third  # the formula has no cached value
    assert third["personal_data.retention_days"] == 30


def test_header_problems_are_one_clear_error() -> None:
    with pytest.raises(SheetError, match=r"columns 'IP' and 'IP address' both hold network\.ip"):
        map_columns(["id", "IP", "IP address"], {})
    with pytest.raises(SheetError, match="no column holds the device id or name"):
        map_columns(["Serial", "Model"], {})
    with pytest.raises(SheetError, match="names a column the file does not have: 'colour'"):
        map_columns(["id"], {"colour": "notes"})
    with pytest.raises(
        SheetError, match=r"'netwrok\.ip' is not a device field \(did you mean network\.ip"
    ):
        parse_map_options(["Addr=netwrok.ip"])
    with pytest.raises(SheetError, match="write it as COLUMN=FIELD"):
        parse_map_options(["Addr"])
    assert map_columns(["id", "IP", "IP address"], parse_map_options(["IP=-"])).fields == (
        "id",
        None,
        "network.ip",
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"id,name\n\xff\xfe,x\n", "line 2 is not UTF-8 text"),
        (b'id,name\n"cam-1,x\n', "not valid CSV"),
    ],
)
def test_unreadable_csv(content: bytes, message: str) -> None:
    with pytest.raises(SheetError, match=message):
        read_csv(content, "inventory.csv")


def test_unreadable_workbooks_and_formats() -> None:
    with pytest.raises(SheetError, match="not an XLSX workbook"):
        read_xlsx(b"PK\x03\x04 not really a zip", "inventory.xlsx")
    with pytest.raises(SheetError, match=r"use \.csv or \.xlsx"):
        read_sheet("inventory.ods", b"")


def test_semicolons_and_duplicate_ids() -> None:
    content = b"Name;Type;IP\nCam A;camera;10.0.0.1\ncam a;camera;10.0.0.2\n"
    sheet = read_csv(content)
    rows, errors = row_values(sheet, map_columns(sheet.headers, {}))
    assert [r.id for r in rows] == ["cam-a"]
    assert [str(e) for e in errors] == ["row 3, column 'Name': device cam-a is already in row 2"]
    sheet = read_csv(b"id,name\nCam A,x\n")
    _, errors = row_values(sheet, map_columns(sheet.headers, {}))
    assert "the id must be a slug" in str(errors[0])


@pytest.mark.parametrize(
    "cell",
    [
        "=cmd|' /C calc'!A0",
        "=1+1",
        "+cmd|' /C calc'!A0",
        "@SUM(A1)",
        "-2+3+cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        ' =HYPERLINK("http://x")',
        "\u00a0+cmd|' /C calc'!A0",
        "\x0b@SUM(1)",
        "\x0c=1+1",
        "\u200b=1+1",
        "\ufeff=1+1",
        "\u3000 \u2003-2+3",
        "\x00=1",
        "\x1f@x",
        "\u00a0\t=1",
        "＝1+1",
        "＠SUM(1)",
    ],
)
def test_formula_cells_are_refused_on_import(cell: str) -> None:
    with pytest.raises(ValueError, match="formula"):
        cell_value(cell, "text")


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("'=1+1", "=1+1"),
        ("''=1+1", "'=1+1"),
        ("'plain", "'plain"),
        ("-", None),
        ("-5", "-5"),
        ("O'Brien", "O'Brien"),
    ],
)
def test_escaped_and_harmless_cells(cell: str, value: str | None) -> None:
    assert cell_value(cell, "text") == value


@pytest.mark.parametrize(
    "text",
    [
        *("=cmd|' /C calc'!A0", "+1", "-1", "@x", "\tx", "\rx", "'=x", "''=x", "'x", "x", ""),
        *("\u00a0+cmd|' /C calc'!A0", "\x0b@SUM(1)", "\u200b=1", " -5", "＝1", "'\u00a0=1"),
    ],
)
def test_escape_round_trip(text: str) -> None:
    escaped = escape_cell(text)
    assert formula_start(escaped) is None
    assert unescape_cell(escaped) == text


@pytest.mark.parametrize("text", ["x", "O'Brien", "5", "a=b", "x-y", "\u00a0x", "'"])
def test_harmless_text_is_exported_as_it_is(text: str) -> None:
    assert escape_cell(text) == text


def _devices() -> list[Device]:
    files = field_files()
    devices = [
        Device.model_validate(v) for k, v in sorted(files.items()) if k.startswith("devices/")
    ]
    hostile = devices[0].model_copy(
        update={"name": "=cmd|' /C calc'!A0", "notes": "@SUM(1)", "serial": "-007"}
    )
    return [hostile, *devices[1:]]


def _round_trip(rows: list[Any]) -> dict[str, Device]:
    """Rows read back, nested, validated: the devices they describe."""
    return {r.id: Device.model_validate(nest(r.values)) for r in rows}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_round_trip_loses_nothing(fmt: str) -> None:
    devices = _devices()
    headers, rows = device_table(devices)
    if fmt == "csv":
        content = to_csv(headers, rows).encode()
        sheet = read_csv(content)
    else:
        content = to_xlsx(headers, rows)
        assert content == to_xlsx(headers, rows)  # the same devices give the same bytes
        sheet = read_xlsx(content)
    values, errors = row_values(sheet, map_columns(sheet.headers, {}))
    assert errors == []
    assert _round_trip(values) == {d.id: d for d in devices}


def test_exports_never_hold_a_formula() -> None:
    headers, rows = device_table(_devices())
    text = to_csv(headers, rows)
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'=cmd|' /C calc'!A0" in cells and "'@SUM(1)" in cells and "'-007" in cells
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells)
    workbook = load_workbook(io.BytesIO(to_xlsx(headers, rows)))
    sheet = workbook.active
    assert sheet is not None
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert cell.value[:1] not in ("=", "+", "-", "@")


def test_export_columns_follow_the_model() -> None:
    headers, _ = device_table(_devices())
    order = [spec.path for spec in device_fields()]
    assert headers == [h for h in order if h in headers]
    assert headers[:5] == ["id", "name", "category", "type", "status"]
    assert "hardening.services" in headers and "changes" in headers

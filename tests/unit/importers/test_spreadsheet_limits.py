"""Spreadsheets that would take the machine's memory or time are refused quickly with one line: an
XLSX zip bomb (4 MB inflating to 4 GiB of shared strings, built here in tmp, never committed), a
member compressed too well, compression methods XLSX never uses, too many columns or cells.

The imports run the real CLI in a child process limited to 1 GiB of address space, so a limit
that does not hold fails the test instead of taking the machine down."""

from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from openpyxl import Workbook

from iotpolicy.importers.spreadsheet import (
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_COMPRESSION_RATIO,
    MAX_ROWS,
    MAX_UNCOMPRESSED_BYTES,
    SheetError,
    read_sheet,
)
from tests.conftest import write_register
from tests.support.realworld import field_files
from tests.unit.reports.test_template_limits import run_limited

GiB = 1024**3
Member = tuple[str, bytes, int, int]
"""Name, raw deflate data, CRC-32 and size of the inflated data."""


def deflated(name: str, data: bytes) -> Member:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return name, packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)


def repeated(name: str, piece: bytes, times: int, head: bytes = b"", tail: bytes = b"") -> Member:
    """A member inflating to ``head + piece * times + tail``, each piece deflated once: with a
    full flush every copy compresses to the same bytes, so the stream is one block repeated."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(piece) + packer.flush(zlib.Z_FULL_FLUSH)
    end = packer.compress(tail) + packer.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(piece, crc)
    crc = zlib.crc32(tail, crc)
    return name, start + block * times + end, crc, len(head) + len(piece) * times + len(tail)


def zip_archive(members: Iterable[Member]) -> bytes:
    """A zip file (deflate, zip64 sizes) of ``members``, written by hand: zipfile cannot take
    data already deflated."""
    out, central = io.BytesIO(), io.BytesIO()
    count = 0
    for name, data, crc, size in members:
        encoded = name.encode()
        extra = struct.pack("<HHQQ", 1, 16, size, len(data))
        offset = out.tell()
        fixed = (45, 0, 8, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(encoded), len(extra))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fixed) + encoded + extra + data)
        central.write(
            struct.pack("<IH", 0x02014B50, 45)
            + struct.pack("<HHHHHIIIHH", *fixed)
            + struct.pack("<HHHII", 0, 0, 0, 0, offset)
            + encoded
            + extra
        )
        count += 1
    start = out.tell()
    directory = central.getvalue()
    out.write(directory)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), start, 0))
    return out.getvalue()


def workbook_members(rows: list[list[str]]) -> list[Member]:
    """The members of a real workbook holding ``rows``."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return [deflated(info.filename, archive.read(info)) for info in archive.infolist()]


STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workbook whose shared strings (listed in its content types, so a reader loads them)
    inflate to 4 GiB from about 4 MB."""
    members = []
    for name, data, crc, size in workbook_members([["id", "name"]]):
        if name == "[Content_Types].xml":
            types = zlib.decompress(data, -15).replace(
                b"</Types>",
                f'<Override PartName="/xl/sharedStrings.xml" ContentType="{STRINGS_TYPE}"/>'
                "</Types>".encode(),
            )
            members.append(deflated(name, types))
        else:
            members.append((name, data, crc, size))
    head = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    piece = (b"<si><t>" + b"x" * 16000 + b"</t></si>") * 64
    strings = repeated("xl/sharedStrings.xml", piece, 4 * GiB // len(piece), head, b"</sst>")
    path = tmp_path_factory.mktemp("bomb") / "inventory.xlsx"
    path.write_bytes(zip_archive([*members, strings]))
    return path


@pytest.fixture
def reg(tmp_path: Path) -> Path:
    return write_register(tmp_path / "register", field_files())


def import_limited(sheet: Path, register: Path) -> tuple[int, str, float]:
    started = time.monotonic()
    done = run_limited(["import", "devices", str(sheet), "--register", str(register)])
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr, done.stderr
    return done.returncode, done.stderr, time.monotonic() - started


def test_the_bomb_is_what_the_attack_used(bomb: Path) -> None:
    size = bomb.stat().st_size
    assert 3_000_000 < size < 6_000_000
    with zipfile.ZipFile(bomb) as archive:
        assert archive.getinfo("xl/sharedStrings.xml").file_size >= 4 * GiB - (1 << 20)


def test_a_zip_bomb_is_refused_fast_with_one_line(bomb: Path, reg: Path) -> None:
    code, stderr, seconds = import_limited(bomb, reg)
    assert code == 2
    limit = MAX_UNCOMPRESSED_BYTES // (1024 * 1024)
    assert stderr.splitlines() == [
        f"iotpolicy: inventory.xlsx: would inflate to more than {limit} MiB; not read (a zip bomb?)"
    ]
    assert seconds < 10


def test_a_member_compressed_too_well_is_refused(tmp_path: Path) -> None:
    members = workbook_members([["id", "name"], ["cam-01", "Camera"]])
    padded = [m for m in members if m[0] != "docProps/app.xml"]
    padded.append(repeated("docProps/app.xml", b" " * (1 << 20), 8))
    with pytest.raises(SheetError) as refused:
        read_sheet("x.xlsx", zip_archive(padded))
    assert str(refused.value) == (
        f"x.xlsx: a part inflates more than {MAX_COMPRESSION_RATIO} times its size; not read "
        "(a zip bomb?)"
    )


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_compression_methods_xlsx_never_uses_are_refused(method: int) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(SheetError, match="compressed with a method XLSX does not use"):
        read_sheet("x.xlsx", buffer.getvalue())


def test_a_row_too_wide_is_refused(tmp_path: Path) -> None:
    members = workbook_members([["id", "name"], ["cam-01", *["x"] * (MAX_COLUMNS + 5)]])
    with pytest.raises(SheetError) as refused:
        read_sheet("wide.xlsx", zip_archive(members))
    assert str(refused.value) == f"wide.xlsx: row 2 has more than {MAX_COLUMNS:,} cells; not read"
    csv = ("id,name\ncam-01," + "," * (MAX_COLUMNS + 5) + "\n").encode()
    with pytest.raises(SheetError, match=f"row 2 has more than {MAX_COLUMNS:,} cells"):
        read_sheet("wide.csv", csv)


def test_too_many_cells_are_refused_before_they_are_read(tmp_path: Path) -> None:
    csv = b"id,name\n" + b",,,,,,,,,\n" * (MAX_CELLS // 10 + 1)
    started = time.monotonic()
    with pytest.raises(SheetError) as refused:
        read_sheet("many.csv", csv)
    assert str(refused.value) == f"many.csv: more than {MAX_CELLS:,} cells; split the file"
    assert time.monotonic() - started < 5


def test_a_lying_dimension_does_not_make_empty_cells(tmp_path: Path) -> None:
    """A sheet claiming the whole grid (A1:XFD1048576) is read by its cells, not its claim."""
    members = workbook_members([["id", "name"], ["cam-01", "Camera"]])
    lying = []
    for name, data, crc, size in members:
        if name == "xl/worksheets/sheet1.xml":
            text = zlib.decompress(data, -15).replace(b'ref="A1:B2"', b'ref="A1:XFD1048576"')
            lying.append(deflated(name, text))
        else:
            lying.append((name, data, crc, size))
    started = time.monotonic()
    sheet = read_sheet("lying.xlsx", zip_archive(lying))
    assert sheet.headers == ("id", "name")
    assert [row.cells for row in sheet.rows] == [("cam-01", "Camera")]
    assert time.monotonic() - started < 5


def test_an_ordinary_workbook_still_reads(cli: Callable[..., object], tmp_path: Path) -> None:
    members = workbook_members([["id", "name"], *[[f"cam-{n:03d}", "Camera"] for n in range(300)]])
    sheet = read_sheet("ok.xlsx", zip_archive(members))
    assert len(sheet.rows) == 300


def test_too_many_rows_are_refused(tmp_path: Path) -> None:
    csv = b"id,name\n" + b"cam,x\n" * (MAX_ROWS + 1)
    with pytest.raises(SheetError) as refused:
        read_sheet("long.csv", csv)
    assert str(refused.value) == f"long.csv: more than {MAX_ROWS:,} rows; split the file"

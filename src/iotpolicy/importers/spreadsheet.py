"""Device inventories as spreadsheets: read CSV and XLSX into rows, map messy headers to device
fields, turn cells into field values with row and column for every problem, and write devices back
as CSV or XLSX with the inverse mapping. No file I/O: readers take bytes, writers return them.

Columns are device fields by dotted name (``network.segment``) or by a common alias (``IP
address``, ``MAC``, ``Manufacturer`` ...); ``--map column=field`` names the rest. A list of texts
(``documentation``) is one entry per line of its cell; a list of records (``hardening.services``,
``access.accounts``, ``changes``) is a JSON list in its cell, so a round trip loses nothing.

Formula injection: a cell that starts with ``=``, ``+``, ``-``, ``@`` (or their full-width forms,
after any leading spaces, control or invisible characters, which spreadsheet programs skip), a tab
or a carriage return is what spreadsheet programs run as a formula (:func:`formula_start`, the
one check of both directions). Exports write such text with a leading ``'`` (the usual escape);
imports refuse such a cell (its row is reported) unless it carries that ``'``, which is then
dropped and the rest kept literally. A lone ``-`` is read as an empty cell, and a negative number
is a number.

The header is the first row with at least two filled cells (title rows above it are skipped);
blank rows are skipped; row numbers in messages are the spreadsheet's own.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import functools
import io
import json
import re
import types
import typing
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, PlainValidator

from iotpolicy.errors import UsageError
from iotpolicy.grammar.names import add_hint, resolve_record, resolve_vendor, slugify
from iotpolicy.grammar.secrets import quoted
from iotpolicy.kinds import KINDS
from iotpolicy.models import Device
from iotpolicy.models import base as scalar
from iotpolicy.models.base import slug_problem

MAX_SHEET_BYTES = 32 * 1024 * 1024
"""Spreadsheets above this size are refused unread."""
MAX_ROWS = 100_000
"""Rows read at most (an inventory of a small company has hundreds)."""
MAX_COLUMNS = 1_000
"""Cells of one row read at most."""
MAX_CELLS = 5_000_000
"""Cells of a sheet read at most."""
MAX_UNCOMPRESSED_BYTES = 128 * 1024 * 1024
"""What the parts of an XLSX workbook may inflate to in all (checked before any is read; zip
stops each part at the size it declares)."""
MAX_COMPRESSION_RATIO = 100
"""How many times its compressed size a part of more than 1 MiB may inflate to (workbooks
compress five to twenty times)."""
FORMULA_CHARACTERS = ("=", "+", "-", "@")
"""Characters that make spreadsheet programs treat a cell starting with them as a formula."""
SKIP = "-"
"""``--map column=-``: ignore that column."""

CellType = Literal["text", "choice", "bool", "int", "date", "list", "records"]


class SheetError(UsageError):
    """The file cannot be read as a spreadsheet, or its header cannot be mapped."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One device field a column can hold."""

    path: str
    """Dotted name: ``network.ip``."""
    kind: CellType
    """How a cell becomes its value."""


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its number in the sheet (the header is row 1) and its cells as text."""

    number: int
    cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Sheet:
    """A spreadsheet as read: header and data rows (blank rows dropped)."""

    headers: tuple[str, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class CellError:
    """A problem with one row (and column, when one cell is to blame)."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {quoted(self.column)}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which device field each column holds (None: ignored)."""

    headers: tuple[str, ...]
    fields: tuple[str | None, ...]

    @property
    def ignored(self) -> tuple[str, ...]:
        """Headers of the columns not imported."""
        return tuple(h for h, f in zip(self.headers, self.fields, strict=True) if f is None and h)

    def column(self, path: str) -> str | None:
        """The header of the column holding ``path`` (or the column of a field inside it)."""
        for header, field in zip(self.headers, self.fields, strict=True):
            if field is not None and (path == field or path.startswith(field + ".")):
                return header
        return None


@dataclass(frozen=True, slots=True)
class RowValues:
    """The field values of one row (dotted name -> value), ``id`` always among them."""

    row: int
    values: dict[str, Any]

    @property
    def id(self) -> str:
        """The device id the row is about."""
        return str(self.values["id"])


# -- the device fields -----------------------------------------------------------------------------


@functools.cache
def device_fields() -> tuple[FieldSpec, ...]:
    """Every device field a cell can hold, in the model's order."""
    return tuple(_fields(Device, ""))


def _fields(model: type[BaseModel], prefix: str) -> Iterator[FieldSpec]:
    for name, info in model.model_fields.items():
        path = prefix + name
        annotation = _unoptional(info.annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _fields(annotation, path + ".")
        elif typing.get_origin(annotation) is tuple:
            item = _unoptional(typing.get_args(annotation)[0])
            records = isinstance(item, type) and issubclass(item, BaseModel)
            yield FieldSpec(path, "records" if records else "list")
        else:
            yield FieldSpec(path, _scalar_kind(annotation, info.metadata))


def _unoptional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _scalar_kind(annotation: Any, metadata: Sequence[Any]) -> CellType:
    if typing.get_origin(annotation) is typing.Annotated:
        metadata = [*typing.get_args(annotation)[1:], *metadata]
        annotation = typing.get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "choice"
    funcs = {m.func for m in metadata if isinstance(m, PlainValidator)}
    if scalar.to_bool in funcs:
        return "bool"
    if funcs & {scalar.to_int, scalar.to_port_number, scalar.to_port}:
        return "int"
    if any(getattr(f, "__name__", "") == "_non_negative" for f in funcs):
        return "int"
    if scalar.to_date in funcs:
        return "date"
    if scalar.to_word in funcs:
        return "choice"
    return "text"


def normal_header(text: str) -> str:
    """A header without case, bracketed notes and punctuation: ``IP-Address (v4)`` ->
    ``ip address``, ``network.segment`` -> ``network segment``."""
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text.lower())
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("device id", "asset id", "slug", "record id"),
    "name": ("device name", "asset name", "description", "device"),
    "category": ("it ot", "iot ot", "ot iot", "class"),
    "type": ("device type", "asset type", "kind"),
    "vendor": ("manufacturer", "make", "brand", "supplier", "vendor id"),
    "model": ("model name", "model number", "product", "model no"),
    "part_number": ("part no", "order number", "order no", "article number", "mlfb", "sku"),
    "cpe": ("cpe name", "cpe 2 3"),
    "serial": ("serial number", "serial no", "s n", "sn", "serial nr"),
    "status": ("state", "lifecycle", "life cycle status"),
    "owner": ("owner id", "responsible", "device owner", "asset owner"),
    "location.site": ("site", "plant", "building"),
    "location.area": ("location", "area", "room", "place"),
    "commissioned_on": (
        "commissioned",
        "commissioning date",
        "installed",
        "install date",
        "installation date",
        "in service since",
    ),
    "network.segment": ("segment", "network", "zone segment", "network segment"),
    "network.ip": ("ip", "ip address", "ipv4", "ipv4 address", "ip addr"),
    "network.mac": ("mac", "mac address", "hw address", "hardware address", "ethernet address"),
    "network.hostname": ("hostname", "host name", "dns name", "fqdn"),
    "firmware.version": (
        "firmware",
        "firmware version",
        "fw",
        "fw version",
        "software version",
        "os version",
    ),
    "firmware.updated_on": ("firmware updated", "firmware updated on", "last firmware update"),
    "end_of_support": (
        "end of support",
        "eos",
        "end of life",
        "eol",
        "support ends",
        "end of support date",
    ),
    "notes": ("note", "comment", "comments", "remarks"),
    "documentation": ("docs", "documents"),
}
"""Common spreadsheet headers (normalised) for device fields, besides the dotted names."""


@functools.cache
def header_aliases() -> dict[str, str]:
    """Normalised header -> dotted field name: every field's name, and the aliases."""
    known = {spec.path for spec in device_fields()}
    table = {normal_header(path): path for path in known}
    for path, aliases in _ALIASES.items():
        assert path in known, path
        for alias in aliases:
            table.setdefault(normal_header(alias), path)
    return table


def parse_map_options(items: Sequence[str]) -> dict[str, str]:
    """``--map column=field`` options as normalised header -> field (``-`` to ignore)."""
    fields = {spec.path for spec in device_fields()}
    result: dict[str, str] = {}
    for item in items:
        column, sep, field = item.rpartition("=")
        column, field = column.strip(), field.strip()
        if not sep or not column or not field:
            raise SheetError(
                f"--map {quoted(item)}: write it as COLUMN=FIELD (or COLUMN=- to skip)"
            )
        if field != SKIP and field not in fields:
            raise SheetError(
                f"--map {quoted(item)}: {quoted(field)} is not a device field ({_hint(field)})"
            )
        result[normal_header(column)] = field
    return result


def _hint(field: str) -> str:
    import difflib

    close = difflib.get_close_matches(field, [s.path for s in device_fields()], n=1)
    return f"did you mean {close[0]}?" if close else "see iotpolicy schema for the fields"


def map_columns(headers: Sequence[str], overrides: Mapping[str, str]) -> ColumnMap:
    """Which field each column holds; an override (from :func:`parse_map_options`) first, else a
    dotted name or alias. Raises SheetError when two columns hold the same field, when an
    override names no column, or when neither ``id`` nor ``name`` is there."""
    aliases = header_aliases()
    fields: list[str | None] = []
    used: dict[str, str] = {}
    for header in headers:
        key = normal_header(header)
        field = overrides.get(key, aliases.get(key)) if key else None
        if field == SKIP:
            field = None
        if field is not None:
            if field in used:
                raise SheetError(
                    f"columns {quoted(used[field])} and {quoted(header)} both hold {field}; "
                    f"skip one with --map {quoted(header + '=-')}"
                )
            used[field] = header
        fields.append(field)
    present = {normal_header(h) for h in headers}
    for key in overrides:
        if key not in present:
            raise SheetError(f"--map names a column the file does not have: {quoted(key)}")
    if "id" not in used and "name" not in used:
        raise SheetError(
            "no column holds the device id or name (headers: "
            + ", ".join(quoted(h) for h in headers if h)
            + "); name it with --map COLUMN=id"
        )
    return ColumnMap(tuple(headers), tuple(fields))


# -- reading ---------------------------------------------------------------------------------------


def read_sheet(name: str, raw: bytes) -> Sheet:
    """A ``.csv`` or ``.xlsx`` file's rows; ``name`` gives the format and names the file in
    errors."""
    if len(raw) > MAX_SHEET_BYTES:
        raise SheetError(f"{name}: larger than {MAX_SHEET_BYTES // (1024 * 1024)} MiB; not read")
    lower = name.lower()
    if lower.endswith(".csv"):
        return read_csv(raw, name)
    if lower.endswith((".xlsx", ".xlsm")):
        return read_xlsx(raw, name)
    raise SheetError(f"{name}: not a spreadsheet this tool reads (use .csv or .xlsx)")


def read_csv(raw: bytes, name: str = "file.csv") -> Sheet:
    """CSV in UTF-8 (with or without a byte-order mark); comma, semicolon or tab separated (the
    one the header line uses most)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SheetError(
            f"{name}: line {line} is not UTF-8 text; save the file as CSV UTF-8"
        ) from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    if text.count(delimiter) + text.count("\n") > MAX_CELLS:  # before the rows are built
        raise SheetError(f"{name}: more than {MAX_CELLS:,} cells; split the file")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        return _sheet(reader, name)
    except csv.Error as exc:
        raise SheetError(f"{name}: line {reader.line_num}: not valid CSV ({exc})") from None


def read_xlsx(raw: bytes, name: str = "file.xlsx") -> Sheet:
    """The first worksheet of an XLSX workbook, cell values as stored (a formula gives the
    value it last computed, never the formula). The archive is checked first (see
    :func:`_check_archive`); the sheet is read by its cells, whatever dimension it claims."""
    from openpyxl import load_workbook

    _check_archive(raw, name)
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        sheet = workbook.worksheets[0] if workbook.worksheets else None
    except Exception as exc:  # openpyxl, and the zip and XML readers under it, on any bytes
        raise SheetError(f"{name}: not an XLSX workbook ({type(exc).__name__})") from None
    try:
        if sheet is None:
            raise SheetError(f"{name}: the workbook has no worksheet")
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # a claimed A1:XFD1048576 would pad every row
        rows = ([cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True))
        return _sheet(rows, name)
    except SheetError:
        raise
    except Exception as exc:  # a part that turns out broken while the rows are read
        raise SheetError(f"{name}: not an XLSX workbook ({type(exc).__name__})") from None
    finally:
        workbook.close()


def _check_archive(raw: bytes, name: str) -> None:
    """Refuse a workbook whose parts would inflate to more than
    :data:`MAX_UNCOMPRESSED_BYTES`, a part of more than 1 MiB inflating more than
    :data:`MAX_COMPRESSION_RATIO` times its size, and compression methods XLSX never uses
    (bzip2 and LZMA inflate without bound in one step), before any part is read."""
    import zipfile

    try:
        parts = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except Exception as exc:  # zipfile on any bytes: BadZipFile, NotImplementedError, ...
        raise SheetError(f"{name}: not an XLSX workbook ({type(exc).__name__})") from None
    if any(p.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for p in parts):
        raise SheetError(f"{name}: compressed with a method XLSX does not use; not read")
    if sum(part.file_size for part in parts) > MAX_UNCOMPRESSED_BYTES:
        limit = MAX_UNCOMPRESSED_BYTES // (1024 * 1024)
        raise SheetError(f"{name}: would inflate to more than {limit} MiB; not read (a zip bomb?)")
    for part in parts:
        if part.file_size > 1024 * 1024 and (
            part.file_size > MAX_COMPRESSION_RATIO * max(part.compress_size, 1)
        ):
            raise SheetError(
                f"{name}: a part inflates more than {MAX_COMPRESSION_RATIO} times its size; not "
                "read (a zip bomb?)"
            )


def _sheet(rows: Iterable[list[str]], name: str) -> Sheet:
    headers: tuple[str, ...] | None = None
    header_row = 0
    data: list[Row] = []
    seen = 0
    for number, cells in enumerate(rows, 1):
        seen += len(cells)
        if len(cells) > MAX_COLUMNS:
            raise SheetError(f"{name}: row {number} has more than {MAX_COLUMNS:,} cells; not read")
        if seen > MAX_CELLS:
            raise SheetError(f"{name}: more than {MAX_CELLS:,} cells; split the file")
        if headers is None:
            if sum(1 for c in cells if c.strip()) < 2:
                continue  # blank lines and title rows above the header
            headers = tuple(" ".join(c.split()) for c in cells)
            header_row = number
            continue
        if number - header_row > MAX_ROWS:
            raise SheetError(f"{name}: more than {MAX_ROWS:,} rows; split the file")
        if any(c.strip() for c in cells):
            padded = [*cells, *[""] * (len(headers) - len(cells))]
            data.append(Row(number, tuple(padded[: max(len(headers), len(cells))])))
    if headers is None:
        raise SheetError(f"{name}: the file is empty (no header row)")
    return Sheet(headers, tuple(data))


def cell_text(value: Any) -> str:
    """A cell's value as text: dates as ISO dates, whole numbers without ``.0``, booleans as
    ``true``/``false``, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


# -- cells to values -------------------------------------------------------------------------------

_TRUE = frozenset({"true", "yes", "y", "1", "x"})
_FALSE = frozenset({"false", "no", "n", "0"})
_INT = re.compile(r"^[+-]?[0-9]+$")
_NUMBER = re.compile(r"^-[0-9]+(?:[.,][0-9]+)?$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def row_values(sheet: Sheet, columns: ColumnMap) -> tuple[list[RowValues], list[CellError]]:
    """The values of every row, and every cell that cannot become its field's value. A row
    without an id gets the slug of its name; two rows with the same id are an error."""
    kinds = {spec.path: spec.kind for spec in device_fields()}
    rows: list[RowValues] = []
    errors: list[CellError] = []
    first_row: dict[str, int] = {}
    for row in sheet.rows:
        values: dict[str, Any] = {}
        bad = False
        for header, field, raw in zip(columns.headers, columns.fields, row.cells, strict=False):
            if field is None:
                continue
            try:
                value = cell_value(raw, kinds[field])
            except ValueError as exc:
                errors.append(CellError(row.number, header, str(exc)))
                bad = True
                continue
            if value is not None:
                values[field] = value
        if "id" not in values and isinstance(values.get("name"), str):
            values["id"] = slugify(values["name"], "device")
        if "id" not in values:
            if not bad:
                errors.append(
                    CellError(row.number, None, "no id and no name: cannot tell the device")
                )
            continue
        record_id = str(values["id"])
        problem = slug_problem(record_id)
        if problem is not None:
            errors.append(
                CellError(row.number, columns.column("id"), f"the id must be a slug: {problem}")
            )
            continue
        if record_id in first_row:
            errors.append(
                CellError(
                    row.number,
                    columns.column("id") or columns.column("name"),
                    f"device {record_id} is already in row {first_row[record_id]}",
                )
            )
            continue
        first_row[record_id] = row.number
        if not bad:
            rows.append(RowValues(row.number, values))
    return rows, errors


def cell_value(raw: str, kind: CellType) -> Any:
    """The value of one cell for a field of ``kind``; None for an empty cell. Raises ValueError
    with the reason."""
    text = unescape_cell(raw)
    if not text.strip() or text.strip() == "-":
        return None
    text = text.strip()
    match kind:
        case "text":
            return text
        case "choice":
            return re.sub(r"[\s_]+", "-", text.lower())
        case "bool":
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError("must be true or false (yes/no)")
        case "int":
            if not _INT.match(text):
                raise ValueError("must be a whole number")
            return int(text)
        case "date":
            if not _DATE.match(text):
                raise ValueError("must be a date written YYYY-MM-DD")
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                raise ValueError("is not a real calendar date") from None
        case "list":
            if text.startswith("["):
                items = _json(text, "a JSON list of texts")
                if not all(isinstance(i, str) for i in items):
                    raise ValueError("must be a JSON list of texts")
                return [i for i in items if i.strip()]
            return [line.strip() for line in text.splitlines() if line.strip()]
        case "records":
            items = _json(text, "a JSON list of records, as iotpolicy export writes it")
            if not all(isinstance(i, dict) for i in items):
                raise ValueError("must be a JSON list of records, as iotpolicy export writes it")
            return items
    raise AssertionError(kind)


def _json(text: str, what: str) -> list[Any]:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ValueError(f"must be {what}") from None
    if not isinstance(value, list):
        raise ValueError(f"must be {what}")
    return value


def formula_start(text: str) -> str | None:
    """The character that makes spreadsheet programs run ``text`` as a formula, or None: a
    leading tab or carriage return, or ``=``, ``+``, ``-`` or ``@`` (full-width ones too) after
    any leading spaces, control and invisible format characters, which spreadsheets skip
    (``"\u00a0+cmd|..."``, ``"\x0b@SUM(1)"``). The one check of import and export."""
    if text[:1] in ("\t", "\r"):
        return text[0]
    for char in text:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            continue
        return char if unicodedata.normalize("NFKC", char) in FORMULA_CHARACTERS else None
    return None


def unescape_cell(raw: str) -> str:
    """The literal text of a cell: one leading ``'`` dropped from quotes before a formula
    (``'=x`` -> ``=x``, ``''=x`` -> ``'=x``). Raises ValueError for a cell that would be a
    formula (``=cmd|...``); a lone ``-`` and a negative number are not."""
    if raw.startswith("'") and formula_start(raw.lstrip("'")) is not None:
        return raw[1:]
    start = formula_start(raw)
    if start is None:
        return raw
    if start in ("\t", "\r") or not start.isprintable():
        raise ValueError("starts with a control character that spreadsheets treat as a formula")
    core = raw.strip()
    if start == "-" and (core == "-" or _NUMBER.match(core)):
        return raw
    raise ValueError(
        f"starts with '{start}', which spreadsheet programs run as a formula; "
        "refused (to keep it as text, write it with a leading ')"
    )


def escape_cell(text: str) -> str:
    """Text safe to put in a spreadsheet cell: a ``'`` added before a formula (see
    :func:`formula_start`) and any quotes before it, so :func:`unescape_cell` gives back the
    text exactly."""
    return "'" + text if formula_start(text.lstrip("'")) is not None else text


REFERENCES: dict[str, str] = {
    ".".join(reference.path): reference.target
    for reference in KINDS["device"].references
    if "*" not in reference.path
}
"""Fields of a device row that name another record, and that record's kind (the record-kind
table's references outside lists)."""


def resolve_references(
    rows: Sequence[RowValues], columns: ColumnMap, names: Mapping[str, Mapping[str, str]]
) -> tuple[list[RowValues], list[CellError]]:
    """Rows with every reference as a record id: a spreadsheet may name a vendor, person or
    segment by its name (``Siemens``, ``Ole Hansen``) instead of its id. ``names``: kind ->
    (id -> name). A reference that names no record is an error of its cell (the row is kept,
    the text unchanged, so that its other problems can be found too)."""
    resolved: list[RowValues] = []
    errors: list[CellError] = []
    for row in rows:
        values = dict(row.values)
        for field, kind in REFERENCES.items():
            text = values.get(field)
            if not isinstance(text, str):
                continue
            known = names.get(kind, {})
            found = resolve_vendor(text, known) if kind == "vendor" else resolve_record(text, known)
            if found is None:
                problem = f"no {kind} with id or name {quoted(text)}; {add_hint(kind)}"
                errors.append(CellError(row.row, columns.column(field), problem))
            else:
                values[field] = found
        resolved.append(RowValues(row.row, values))
    return resolved, errors


# -- rows to nested record data --------------------------------------------------------------------


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted names -> nested mappings: ``{"network.ip": x}`` -> ``{"network": {"ip": x}}``."""
    result: dict[str, Any] = {}
    for path, value in values.items():
        *parents, last = path.split(".")
        node = result
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return result


# -- writing ---------------------------------------------------------------------------------------


def device_table(devices: Sequence[Device]) -> tuple[list[str], list[list[Any]]]:
    """Headers (the dotted names of every field any device has, in the model's order) and one
    row per device: text, numbers, booleans, dates; lists of texts one per line; lists of
    records as JSON."""
    flat = [_flatten(d.model_dump(mode="python", exclude_none=True)) for d in devices]
    headers = [spec.path for spec in device_fields() if any(spec.path in values for values in flat)]
    return headers, [[values.get(h) for h in headers] for values in flat]


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in data.items():
        path = prefix + key
        if isinstance(value, dict):
            result.update(_flatten(value, path + "."))
        elif isinstance(value, tuple | list):
            if not value:
                continue
            if all(isinstance(v, dict) for v in value):
                result[path] = json.dumps(
                    [_plain(v) for v in value], ensure_ascii=False, separators=(", ", ": ")
                )
            elif all(isinstance(v, str) and "\n" not in v and not v.startswith("[") for v in value):
                result[path] = "\n".join(value)
            else:
                result[path] = json.dumps(list(value), ensure_ascii=False)
        elif isinstance(value, enum.Enum):
            result[path] = value.value
        else:
            result[path] = value
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _cell_out(value: Any) -> Any:
    if isinstance(value, str):
        return escape_cell(value)
    return value


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """CSV text (comma separated, every text escaped against formula injection)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([escape_cell(h) for h in headers])
    for row in rows:
        writer.writerow(["" if v is None else escape_cell(cell_text(v)) for v in row])
    return buffer.getvalue()


def to_xlsx(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "devices") -> bytes:
    """An XLSX workbook with one sheet: text cells always stored as text (escaped against
    formula injection), dates as dates, booleans and numbers as such; a bold, frozen header."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    sheet.append([escape_cell(h) for h in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in rows:
        sheet.append([_cell_out(v) for v in values])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
                if "\n" in cell.value:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _fixed_zip_times(buffer.getvalue())


def _fixed_zip_times(data: bytes) -> bytes:
    """The workbook with its zip entries' times and the document's created/modified dates
    fixed, so the same devices always give the same bytes."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                    rb"\g<1>2000-01-01T00:00:00Z",
                    content,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, content)
    return out.getvalue()

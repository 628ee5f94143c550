"""Any table as a CSV or XLSX download.

Both writers neutralise spreadsheet formulas in text cells (OWASP "CSV injection"): a text value
that starts with = + - @ or a tab/carriage return is prefixed with an apostrophe, so that Excel,
WPS and LibreOffice show it as text instead of running it. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import Response
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_MIME = "text/csv"  # werkzeug adds "; charset=utf-8"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")
NOTES_SHEET = "说明"
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_ASCII_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class ExportTable:
    """A table as plain values: headers, then rows of str, int, Decimal, date or None."""

    title: str
    headers: Sequence[str]
    rows: list[Sequence[Any]] = field(default_factory=list)
    # How the table was made (the filters, the data's as-of time), as (label, value) pairs:
    # under the table in a CSV, on a second worksheet in an XLSX.
    notes: Sequence[tuple[str, str]] = ()


def safe_cell(value: Any) -> Any:
    """A cell value that no spreadsheet will run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def to_csv(table: ExportTable) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(str(header)) for header in table.headers])
    for row in table.rows:
        # Only text is neutralised: a negative number stays a number, not "'-5".
        writer.writerow(
            [safe_cell(value) if isinstance(value, str) else _text(value) for value in row]
        )
    if table.notes:
        writer.writerow([])
        for label, value in table.notes:
            writer.writerow([safe_cell(str(label)), safe_cell(str(value))])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Decimal | dt.date):
        return value
    # Control characters are not allowed in the XML of a worksheet.
    return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _sheet_title(title: str) -> str:
    title = ILLEGAL_CHARACTERS_RE.sub("", _SHEET_TITLE_FORBIDDEN.sub(" ", title))
    return title.strip()[:31] or "Sheet1"


def to_xlsx(table: ExportTable) -> bytes:
    """One worksheet: a bold header row, frozen, then the rows with numbers kept numeric."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(table.title)
    sheet.append([_xlsx_value(str(header)) for header in table.headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_xlsx_value(value) for value in row])
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # never a formula, whatever the text looked like
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for index, header in enumerate(table.headers, start=1):
        width = max(10, min(40, len(str(header)) * 2 + 2))
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    if table.notes:
        notes = workbook.create_sheet(_sheet_title(NOTES_SHEET))
        for label, value in table.notes:
            notes.append([_xlsx_value(str(label)), _xlsx_value(str(value))])
        notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 14, 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def content_disposition(filename: str, fallback: str) -> str:
    """An attachment header with an RFC 5987 UTF-8 filename and an ASCII fallback."""
    ascii_name = _ASCII_FILENAME_UNSAFE.sub("-", fallback).strip("-.") or "export"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def export_response(table: ExportTable, fmt: str, filename: str, fallback: str) -> Response:
    """The table as a download; `filename` and `fallback` come without their extension."""
    if fmt == "csv":
        body, mimetype = to_csv(table), CSV_MIME
    elif fmt == "xlsx":
        body, mimetype = to_xlsx(table), XLSX_MIME
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(
        f"{filename}.{fmt}", f"{fallback}.{fmt}"
    )
    # Supervision figures: never kept in shared caches.
    response.headers["Cache-Control"] = "no-store"
    return response

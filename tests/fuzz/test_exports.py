"""Spreadsheet exports never carry a formula: text starting with = + - @ tab or CR is neutralised,
whatever firms and banks are called, and numbers stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select

from portal.exports import FORMULA_PREFIXES, ExportTable, to_csv, to_xlsx
from portal.extensions import db
from portal.firms.models import Firm
from portal.institutions.models import FinancialInstitution
from tests.fuzz.conftest import World
from tests.fuzz.strategies import FUZZ, isolated

FORMULA_LIKE = st.builds(
    lambda start, rest: start + rest, st.sampled_from(FORMULA_PREFIXES), st.text(max_size=30)
)
TEXT = st.one_of(FORMULA_LIKE, st.text(max_size=30))
NUMBER = st.one_of(
    st.integers(-(10**12), 10**12),
    st.decimals(min_value=-(10**12), max_value=10**12, places=2),
)
CELL = st.one_of(TEXT, NUMBER, st.none(), st.dates(dt.date(1900, 1, 1)))
TABLES = st.builds(
    ExportTable,
    title=st.text(max_size=40),
    headers=st.lists(TEXT, min_size=1, max_size=4),
    rows=st.lists(st.lists(CELL, min_size=1, max_size=4), max_size=6),
)


def _csv_cells(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def _xlsx_cells(body: bytes) -> list[list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    for row in sheet.iter_rows():
        assert all(cell.data_type != "f" for cell in row), "a formula cell was written"
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _neutral(cell: object) -> bool:
    return not (isinstance(cell, str) and cell.startswith(FORMULA_PREFIXES))


@FUZZ
@given(table=TABLES)
@example(table=ExportTable("t", ["=1+1"], [["@SUM(A1)", Decimal("-5.00"), "\t=1", "\r=1"]]))
def test_csv_export_neutralises_formulas(table: ExportTable) -> None:
    """No CSV cell begins a formula; text keeps its content after the apostrophe; numbers stay."""
    header, *rows = _csv_cells(to_csv(table))
    for cell in header:
        assert _neutral(cell)
    for source, written in zip(table.rows, rows, strict=True):
        for value, cell in zip(source, written, strict=True):
            if isinstance(value, str):
                assert _neutral(cell)
                assert cell.removeprefix("'") == value or cell == value
            elif isinstance(value, int | Decimal):
                assert Decimal(cell) == value


@FUZZ
@given(table=TABLES)
@example(table=ExportTable("t", ["+x"], [["\x01=cmd", "-1+1", Decimal("-5")]]))
@example(table=ExportTable("t", ["h"], [["=\r\n"]]))
def test_xlsx_export_neutralises_formulas(table: ExportTable) -> None:
    """No XLSX cell is a formula or text beginning one; numbers stay numeric."""
    header, *rows = _xlsx_cells(to_xlsx(table))
    for cell in header:
        assert _neutral(cell)
    for source, written in zip(table.rows, rows, strict=False):  # blank rows are not kept
        for value, cell in zip(source, written, strict=False):
            if isinstance(value, str):
                assert _neutral(cell)
                # The worksheet's XML drops control characters and reads a line break (CR LF,
                # or CR alone) back as one LF.
                clean = ILLEGAL_CHARACTERS_RE.sub("", value).replace("\r\n", "\n")
                clean = clean.replace("\r", "\n")
                shown = (cell or "").replace("\r", "\n")
                assert shown.removeprefix("'") == clean or shown == clean or not clean
            elif isinstance(value, int | Decimal):
                assert Decimal(str(cell)) == value


@FUZZ
@given(
    name=FORMULA_LIKE.filter(lambda n: n.strip() and "\x00" not in n),
    fmt=st.sampled_from(["csv", "xlsx"]),
)
@example(name='=HYPERLINK("http://evil.example","点击")', fmt="csv")
@example(name="@SUM(1+1)*cmd|' /C calc'!A0", fmt="xlsx")
def test_dashboard_exports_neutralise_bank_and_firm_names(
    app, client, auth, world: World, name: str, fmt: str
) -> None:
    """Banks and firms named like formulas come out of every dashboard export as plain text."""
    auth.login(world.regulator)
    with isolated():
        with app.app_context():
            for model, columns in (
                (FinancialInstitution, ("name", "short_name")),
                (Firm, ("name",)),
            ):
                for row in db.session.scalars(select(model)):
                    for column in columns:  # names are unique: keep the id at the end
                        setattr(row, column, f"{name[:30]}{row.id}")
            db.session.commit()
        for table in ("months", "banks", "regions", "industries", "alerts"):
            response = client.get(f"/dashboard/export/{table}.{fmt}?start=2024-01&end=2026-12")
            assert response.status_code == 200, table
            cells = (_csv_cells if fmt == "csv" else _xlsx_cells)(response.data)
            for row in cells:
                assert all(_neutral(cell) for cell in row), (table, row)

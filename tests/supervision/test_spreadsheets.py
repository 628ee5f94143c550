"""Reading uploads costs what the file really holds: every hostile file in the corpus is refused
with a message within a generous memory bound, and normal files read as before.

How long each read takes is measured in bench/upload_bench.py (docs/benchmarks.md), not asserted
here: a wall-clock bound fails on a busy machine and proves nothing on a fast one.
"""

from __future__ import annotations

import functools
import io
import tracemalloc
import zipfile

import pytest

from portal.reporting.loan_files import MAX_BYTES, FileRefused, read_table
from tests.supervision import upload_corpus as corpus

# A bound far above a normal 20,000-row report (about 15 MiB) and far below what the bombs cost
# the former reader (hundreds of MiB to gigabytes).
MIB = 64


@pytest.fixture(autouse=True)
def _request_context(app):
    with app.test_request_context():
        yield


@functools.cache
def built(name: str) -> bytes:
    builder = {n: b for n, b, _f in corpus.BOMBS}[name]
    data = builder()
    assert len(data) <= MAX_BYTES, f"{name} is over the upload limit"
    return data


def refusal(data: bytes) -> FileRefused | None:
    """The refusal reading the file ended in, or None when it was read."""
    try:
        read_table(data)
    except FileRefused as refused:
        return refused
    return None


def peak_mib(data: bytes) -> float:
    """The most memory Python held at once while reading the file (tracemalloc)."""
    tracemalloc.start()
    try:
        read_table(data)
    except FileRefused:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / 2**20


@pytest.mark.parametrize(("name", "fragment"), [(n, f) for n, _b, f in corpus.BOMBS])
def test_bomb_is_refused_quickly_and_cheaply(name: str, fragment: str) -> None:
    """Each hostile file is refused, saying why in Chinese, within the memory bound."""
    data = built(name)
    refused = refusal(data)
    assert refused is not None, f"{name} was read"
    assert fragment in str(refused)
    assert peak_mib(data) < MIB


@pytest.mark.parametrize("build", [corpus.normal_xlsx, corpus.normal_csv], ids=["xlsx", "csv"])
def test_normal_report_of_20000_rows_reads_within_the_same_bounds(build) -> None:
    """A full month of 20,000 loans is read whole, well inside the bound bombs are held to."""
    data = build()
    assert refusal(data) is None
    assert peak_mib(data) < MIB
    table = read_table(data)
    assert len(table.rows) == 20_000
    assert table.rows[-1][0] == 20_001
    assert table.rows[0][1][:2] == ["HT-2025-000000", corpus.MONTH]


def test_a_cell_of_excels_own_limit_is_still_read() -> None:
    """A cell of exactly 32,767 characters (Excel's limit) is read; one more is refused."""
    longest = "名" * 32_767
    rows = corpus.inline_row(1, corpus.HEADER) + corpus.inline_row(2, [longest])
    table = read_table(corpus.workbook({"xl/worksheets/sheet1.xml": corpus.sheet_xml(rows)}))
    assert table.rows == [(2, [longest])]
    rows = corpus.inline_row(1, corpus.HEADER) + corpus.inline_row(2, [longest + "名"])
    with pytest.raises(FileRefused, match="第 2 行有单元格超过 32767 个字符"):
        read_table(corpus.workbook({"xl/worksheets/sheet1.xml": corpus.sheet_xml(rows)}))


def test_formatted_rows_and_cells_past_the_limits_are_ignored() -> None:
    """Rows and cells that hold nothing (only formatting) past the limits are not refused."""
    rows = (
        corpus.inline_row(1, corpus.HEADER)
        + corpus.inline_row(2, corpus.GOOD_ROW)
        + '<row r="2" s="3"><c r="XFD2" s="1"/></row>'
        + '<row r="1048576" s="3"><c r="A1048576" s="1"/></row>'
    )
    table = read_table(corpus.workbook({"xl/worksheets/sheet1.xml": corpus.sheet_xml(rows)}))
    assert table.rows == [(2, corpus.GOOD_ROW)]


def test_shared_strings_rich_text_and_phonetic_guides() -> None:
    """Rich-text runs are joined and phonetic guides left out, as Excel shows the text."""
    strings = corpus.strings_xml(
        "<si><r><t>HT-</t></r><r><rPr><b/></rPr><t>001</t></r></si>"
        "<si><t>正常</t><rPh sb='0' eb='2'><t>zhengchang</t></rPh></si>"
    )
    sheet = corpus.sheet_xml(
        corpus.inline_row(1, corpus.HEADER)
        + '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="E2" t="s"><v>1</v></c></row>'
    )
    data = corpus.workbook({"xl/sharedStrings.xml": strings, "xl/worksheets/sheet1.xml": sheet})
    assert read_table(data).rows == [(2, ["HT-001", None, None, None, "正常"])]


def test_xml_entity_text_in_a_csv_is_only_text() -> None:
    """XML markup in a CSV cell is text like any other, never parsed."""
    table = read_table(corpus.csv_xxe_text())
    assert table.rows[0][1][0].endswith("&x;")


def test_trailing_empty_csv_columns_are_dropped_not_refused() -> None:
    """A CSV exported with 300 trailing empty columns is read; a value in column 101 is not."""
    header = ",".join(corpus.HEADER) + "," * 300
    data = (header + "\r\n" + ",".join(corpus.GOOD_ROW) + "," * 300 + "\r\n").encode()
    [(number, cells)] = read_table(data).rows
    assert (number, cells[:5], set(cells[5:]), len(cells)) == (2, corpus.GOOD_ROW, {""}, 100)
    data = (header + "\r\n" + ",".join(corpus.GOOD_ROW) + "," * 96 + "x\r\n").encode()
    with pytest.raises(FileRefused, match="第 2 行超过 100 列的上限"):
        read_table(data)


def test_first_sheet_is_found_through_the_workbooks_relationships() -> None:
    """The sheet is the workbook's first, wherever its part is stored in the archive."""
    data = corpus.workbook({})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            text = source.read(name)
            if name == "xl/_rels/workbook.xml.rels":
                text = text.replace(b"worksheets/sheet1.xml", b"/xl/data/first.xml")
            if name == "xl/worksheets/sheet1.xml":
                name = "xl/data/first.xml"
                text = corpus.sheet_xml(
                    corpus.inline_row(1, corpus.HEADER) + corpus.inline_row(2, corpus.GOOD_ROW)
                ).encode()
            archive.writestr(name, text)
    assert read_table(out.getvalue()).rows == [(2, corpus.GOOD_ROW)]

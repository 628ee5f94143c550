"""Reading and checking monthly loan status files (CSV and XLSX), and writing their templates."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from portal.enums import FiveTierClass
from portal.reporting import loan_files
from portal.reporting.loan_files import (
    MAX_BYTES,
    MAX_ROWS,
    FileRefused,
    LoanRef,
    TemplateRow,
    check_file,
    detect_kind,
    receive,
)

D = Decimal
PERIOD = dt.date(2026, 10, 1)
HEADER = ["合同编号", "报告月份", "贷款余额（元）", "逾期天数", "五级分类"]
LOANS = {
    "HT-001": [LoanRef(1, D("1000000.00"), dt.date(2026, 1, 10))],
    "HT-002": [LoanRef(2, D("500000.00"), dt.date(2026, 3, 1))],
    "HT-NEW": [LoanRef(3, D("800000.00"), dt.date(2026, 11, 2))],
    "HT-TWICE": [
        LoanRef(4, D("100000.00"), dt.date(2026, 1, 1)),
        LoanRef(5, D("100000.00"), dt.date(2026, 1, 1)),
    ],
    "=HT-EQ": [LoanRef(6, D("100000.00"), dt.date(2026, 1, 1))],
}
GOOD_ROWS = [
    ["HT-001", "2026-10", "950000.50", "0", "正常"],
    ["HT-002", "2026-10", "480,000", "35", "关注"],
]


@pytest.fixture(autouse=True)
def _request_context(app):
    with app.test_request_context():
        yield


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def errors_of(data: bytes):
    checked = check_file(data, PERIOD, LOANS)
    assert checked.rows == []
    return [(p.row, p.column, p.message) for p in checked.errors]


def test_good_csv_parses():
    """A good CSV gives one checked row per line with exact decimal balances."""
    checked = check_file(csv_bytes(GOOD_ROWS), PERIOD, LOANS)
    assert checked.errors == []
    assert checked.kind == "csv"
    assert checked.row_count == 2
    assert [
        (r.row, r.loan_id, r.balance, r.days_overdue, r.five_tier_class) for r in checked.rows
    ] == [
        (2, 1, D("950000.50"), 0, FiveTierClass.NORMAL),
        (3, 2, D("480000.00"), 35, FiveTierClass.SPECIAL_MENTION),
    ]


def test_good_xlsx_parses():
    """A good XLSX with number cells and a month Excel turned into a date parses the same."""
    rows = [
        ["HT-001", "2026-10", 950000.5, 0, "正常"],
        ["HT-002", dt.datetime(2026, 10, 1), 480000, 35.0, "关注"],
    ]
    checked = check_file(xlsx_bytes(rows), PERIOD, LOANS)
    assert checked.errors == []
    assert checked.kind == "xlsx"
    assert [(r.loan_id, r.balance, r.days_overdue) for r in checked.rows] == [
        (1, D("950000.50"), 0),
        (2, D("480000.00"), 35),
    ]


def test_english_codes_and_blank_rows():
    """English class codes are accepted; blank lines are skipped but row numbers stay Excel's."""
    rows = [
        ["HT-001", "2026-10", "1", "0", "Normal"],
        ["", "", "", "", ""],
        ["HT-002", "2026-10", "2", "400", "loss"],
    ]
    checked = check_file(csv_bytes(rows), PERIOD, LOANS)
    assert checked.errors == []
    assert [(r.row, r.five_tier_class) for r in checked.rows] == [
        (2, FiveTierClass.NORMAL),
        (4, FiveTierClass.LOSS),
    ]


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        (["HT-001", "2026-10", "", "0", "正常"], "贷款余额（元）", "请填写贷款余额"),
        (["", "2026-10", "1", "0", "正常"], "合同编号", "请填写合同编号"),
        (["HT-001", "", "1", "0", "正常"], "报告月份", "请填写报告月份"),
        (["HT-001", "2026-10", "1", "", "正常"], "逾期天数", "请填写逾期天数"),
        (["HT-001", "2026-10", "1", "0", ""], "五级分类", "请填写五级分类"),
        (["HT-999", "2026-10", "1", "0", "正常"], "合同编号", "本行没有合同编号为 HT-999 的贷款"),
        (["HT-001", "2026/10", "1", "0", "正常"], "报告月份", "应为 YYYY-MM"),
        (["HT-001", "2026-13", "1", "0", "正常"], "报告月份", "应为 YYYY-MM"),
        (["HT-001", "2026-09", "1", "0", "正常"], "报告月份", "与上传时选择的月份 2026-10 不一致"),
        (["HT-NEW", "2026-10", "1", "0", "正常"], "报告月份", "不能报送此前月份"),
        (["HT-001", "2026-10", "abc", "0", "正常"], "贷款余额（元）", "不是数字"),
        (["HT-001", "2026-10", "=1+1", "0", "正常"], "贷款余额（元）", "不是数字"),
        (["HT-001", "2026-10", "-5", "0", "正常"], "贷款余额（元）", "不能为负数"),
        (["HT-001", "2026-10", "1.005", "0", "正常"], "贷款余额（元）", "两位小数"),
        (["HT-001", "2026-10", "1000000.01", "0", "正常"], "贷款余额（元）", "超过合同金额"),
        (["HT-001", "2026-10", "1", "1.5", "正常"], "逾期天数", "不小于 0 的整数"),
        (["HT-001", "2026-10", "1", "-3", "正常"], "逾期天数", "不小于 0 的整数"),
        (["HT-001", "2026-10", "1", "三十", "正常"], "逾期天数", "不小于 0 的整数"),
        (["HT-001", "2026-10", "1", "0", "良好"], "五级分类", "无法识别"),
        (["HT-TWICE", "2026-10", "1", "0", "正常"], "合同编号", "无法区分"),
    ],
)
def test_each_kind_of_bad_row(row, column, fragment):
    """Each kind of bad value is reported on its spreadsheet row and column."""
    problems = errors_of(csv_bytes([GOOD_ROWS[1], row]))
    assert len(problems) == 1, problems
    assert problems[0][:2] == (3, column)
    assert fragment in problems[0][2]


def test_duplicate_contract_in_file():
    """A contract listed twice is an error on the second row, naming the first."""
    problems = errors_of(csv_bytes([GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[0]]))
    assert problems == [(4, "合同编号", "合同编号 HT-001 与第 2 行重复。")]


def test_all_errors_collected_and_no_rows_kept():
    """Every error of every row is listed, and a file with any error yields no rows at all."""
    rows = [
        GOOD_ROWS[0],
        ["HT-999", "2026-9", "x", "-1", "?"],
        ["HT-002", "2026-10", "1", "0", "正常"],
    ]
    checked = check_file(csv_bytes(rows), PERIOD, LOANS)
    assert checked.rows == []
    assert [(p.row, p.column) for p in checked.errors] == [
        (3, "合同编号"),
        (3, "报告月份"),
        (3, "贷款余额（元）"),
        (3, "逾期天数"),
        (3, "五级分类"),
    ]


def test_missing_header_column():
    """A file without one of the template's columns is refused on row 1, naming the column."""
    header = ["合同编号", "报告月份", "贷款余额（元）", "五级分类"]
    checked = check_file(
        csv_bytes([["HT-001", "2026-10", "1", "正常"]], header=header), PERIOD, LOANS
    )
    assert [(p.row, p.column) for p in checked.errors] == [(1, "逾期天数")]


def test_headers_in_another_order_and_half_width_brackets():
    """Columns are found by name, and 贷款余额(元) with ASCII brackets is the same column."""
    header = ["五级分类", "逾期天数", "贷款余额(元)", "报告月份", "合同编号"]
    checked = check_file(
        csv_bytes([["正常", "0", "5", "2026-10", "HT-001"]], header=header), PERIOD, LOANS
    )
    assert checked.errors == []
    assert checked.rows[0].balance == D("5.00")


def test_xlsx_formula_cell_is_never_evaluated():
    """A formula cell is not computed (no cached value → empty), and '=…' text stays text."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["HT-001", "2026-10", "=1000*2", 0, "正常"])
    sheet.append(['=HYPERLINK("http://x")', "2026-10", 1, 0, "正常"])
    text_cell = sheet.cell(row=3, column=1)
    text_cell.data_type = "s"  # typed as text, not a formula
    out = io.BytesIO()
    workbook.save(out)
    problems = errors_of(out.getvalue())
    assert problems[0][:2] == (2, "贷款余额（元）")
    assert "请填写贷款余额" in problems[0][2]
    assert problems[1][:2] == (3, "合同编号")
    assert '本行没有合同编号为 =HYPERLINK("http://x") 的贷款' in problems[1][2]


def test_type_is_decided_by_content():
    """CSV text is CSV and an XLSX workbook is XLSX whatever the name; other content is refused."""
    assert detect_kind(csv_bytes(GOOD_ROWS)) == "csv"
    assert detect_kind(xlsx_bytes(GOOD_ROWS)) == "xlsx"
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    with pytest.raises(FileRefused, match="不是 CSV 或 XLSX"):
        check_file(png, PERIOD, LOANS)
    with pytest.raises(FileRefused, match=r"\.xls"):
        check_file(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, PERIOD, LOANS)
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(FileRefused, match="不是 Excel"):
        check_file(plain_zip.getvalue(), PERIOD, LOANS)
    with pytest.raises(FileRefused, match="空的"):
        check_file(b"", PERIOD, LOANS)


def test_binary_and_utf16_text_refused():
    """Bytes that do not decode as UTF-8 or GB18030 text, or UTF-16 text, are refused."""
    with pytest.raises(FileRefused, match="CSV"):
        check_file("合同编号,报告月份".encode("utf-16"), PERIOD, LOANS)
    with pytest.raises(FileRefused):
        check_file(b"\x01\x02\x03garbage\x7f\x80", PERIOD, LOANS)


def test_too_large_refused():
    """A file over 5 MB is refused with a message stating the limit."""
    data = csv_bytes(GOOD_ROWS) + b"#" * MAX_BYTES
    with pytest.raises(FileRefused, match="超过 5 MB"):
        check_file(data, PERIOD, LOANS)


def test_receive_keeps_no_more_than_the_limit():
    """Reading an upload hashes all of it but keeps only one byte past the limit."""
    received = receive(io.BytesIO(b"a" * (MAX_BYTES + 1000)))
    assert received.size == MAX_BYTES + 1000
    assert received.too_large
    assert len(received.data) == MAX_BYTES + 1
    small = receive(io.BytesIO(b"abc"))
    assert (small.data, small.too_large) == (b"abc", False)
    assert small.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_too_many_rows_refused():
    """More than 20,000 data rows is refused as a whole."""
    rows = [["HT-001", "2026-10", "1", "0", "正常"]] * (MAX_ROWS + 1)
    with pytest.raises(FileRefused, match="20000"):
        check_file(csv_bytes(rows), PERIOD, LOANS)


def test_gb18030_csv_accepted():
    """A CSV saved by Excel on Chinese Windows (GB18030/GBK, no BOM) is read correctly."""
    checked = check_file(csv_bytes(GOOD_ROWS, encoding="gb18030"), PERIOD, LOANS)
    assert checked.errors == []
    assert len(checked.rows) == 2


def test_utf8_without_bom_and_tab_separated():
    """UTF-8 without a BOM is read, and a tab-separated export is recognised."""
    assert check_file(csv_bytes(GOOD_ROWS, encoding="utf-8"), PERIOD, LOANS).errors == []
    text = "\r\n".join("\t".join(row) for row in [HEADER, *GOOD_ROWS]).encode("utf-8")
    checked = check_file(text, PERIOD, LOANS)
    assert checked.errors == []
    assert len(checked.rows) == 2


def test_templates_round_trip_and_never_hold_formulas():
    """Both templates read back as good files; a contract number like '=…' is written as text."""
    rows = [
        TemplateRow("HT-001", PERIOD, D("950000.50"), 0, FiveTierClass.NORMAL),
        TemplateRow("=HT-EQ", PERIOD, D("1.00"), 0, FiveTierClass.NORMAL),
    ]
    csv_data = loan_files.write_csv(rows)
    assert csv_data.startswith(b"\xef\xbb\xbf")
    assert "'=HT-EQ" in csv_data.decode("utf-8-sig")
    xlsx_data = loan_files.write_xlsx(rows, notes=["说明"])
    with zipfile.ZipFile(io.BytesIO(xlsx_data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml
    for data in (csv_data, xlsx_data):
        checked = check_file(data, PERIOD, LOANS)
        assert checked.errors == []
        assert [r.loan_id for r in checked.rows] == [1, 6]


def test_empty_template_lines_mean_missing_values():
    """A template row left unfilled lists what is missing rather than passing silently."""
    data = loan_files.write_csv([TemplateRow("HT-001", PERIOD)])
    problems = errors_of(data)
    assert [(row, column) for row, column, _ in problems] == [
        (2, "贷款余额（元）"),
        (2, "逾期天数"),
        (2, "五级分类"),
    ]


def test_an_english_reader_gets_english_headers_and_class_codes(app):
    """The template follows the reader's language; a file in either language is read back."""
    from flask_babel import force_locale

    from portal.reporting.loan_files import TemplateRow, write_csv

    row = TemplateRow("HT-1", dt.date(2026, 10, 1), None, None, FiveTierClass.SPECIAL_MENTION)
    with app.test_request_context(), force_locale("en"):
        english = write_csv([row]).decode("utf-8-sig")
    with app.test_request_context():
        chinese = write_csv([row]).decode("utf-8-sig")
    assert english.splitlines()[0] == "contract_no,period,balance,days_overdue,five_tier_class"
    assert english.splitlines()[1].endswith(",special_mention")
    assert chinese.splitlines()[0].startswith("合同编号,报告月份") and chinese.endswith("关注\r\n")

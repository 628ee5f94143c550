"""The monthly loan-status upload under hostile files: never a 5xx, every problem placed by row and
column, and the month's reports untouched unless every row of the file is good."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import openpyxl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import func, select

from portal.extensions import db
from portal.reporting.loan_files import HEADERS, MAX_BYTES, MAX_ROWS
from portal.reporting.models import LoanReportUpload, LoanStatusReport
from tests.fuzz.conftest import World
from tests.fuzz.strategies import FUZZ, NUMBER_EXTREMES, VALUE, isolated

MONTH = "2025-06"
HEADER = ["合同编号", "报告月份", "贷款余额（元）", "逾期天数", "五级分类"]
GOOD_ROW = ["HT-FUZZ-001", MONTH, "350000.00", "0", "正常"]
COLUMN_NAMES = set(HEADERS.values()) | {""}
FLASH = re.compile(r'class="flash flash--(?:error|success|warning|info)"[^>]*>([^<]+)<')
CJK = re.compile(r"[\u4e00-\u9fff]")

CELL = st.one_of(VALUE, st.sampled_from(GOOD_ROW), st.integers(-(10**20), 10**20), st.floats())
ROW = st.one_of(
    st.just(GOOD_ROW),
    st.lists(CELL, max_size=7),
    st.tuples(*[st.one_of(st.just(cell), CELL) for cell in GOOD_ROW]).map(list),
)
NAMES = st.sampled_from(
    ["october.csv", "october.xlsx", "october.CSV", "report.png", "", "a/b\\..\\x.csv"]
)


def csv_bytes(rows: list[list[object]], encoding: str, delimiter: str = ",") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding, errors="replace")


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER)
    for row in rows:
        # A worksheet cannot hold control characters at all; Excel could not have written them.
        workbook.active.append(
            [ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _state(app) -> tuple[int, list[tuple]]:
    with app.app_context():
        uploads = db.session.scalar(select(func.count(LoanReportUpload.id))) or 0
        reports = db.session.execute(
            select(
                LoanStatusReport.loan_id,
                LoanStatusReport.period,
                LoanStatusReport.balance,
                LoanStatusReport.days_overdue,
                LoanStatusReport.five_tier_class,
            ).order_by(LoanStatusReport.id)
        ).all()
        return uploads, [tuple(r) for r in reports]


def _latest_upload(app) -> LoanReportUpload | None:
    with app.app_context():
        return db.session.scalar(select(LoanReportUpload).order_by(LoanReportUpload.id.desc()))


def send(app, client, data: bytes, name: str, month: str = MONTH) -> LoanReportUpload | None:
    """Upload and check the invariants; return the recorded upload (None if none was recorded)."""
    assert client.get("/bank/loan-reports/").status_code == 200, "not signed in as a bank"
    uploads_before, reports_before = _state(app)
    response = client.post(
        "/bank/loan-reports/upload",
        data={"month": month, "file": (io.BytesIO(data), name), "confirmed": "y"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code < 500
    html = response.get_data(as_text=True)
    messages = FLASH.findall(html)
    assert messages and all(CJK.search(m) for m in messages), "no message in Chinese"
    uploads_after, reports_after = _state(app)
    if uploads_after == uploads_before:
        assert reports_after == reports_before
        return None
    upload = _latest_upload(app)
    assert upload is not None
    if not upload.applied:
        assert reports_after == reports_before, "a refused file changed the month's reports"
        assert upload.problems, "a refused file without a reason"
    for problem in upload.problems or []:
        assert problem["row"] is None or problem["row"] >= 1
        assert problem["column"] in COLUMN_NAMES
        assert CJK.search(problem["message"])
    return upload


@FUZZ
@given(data=st.binary(max_size=4096), name=NAMES)
@example(data=b"", name="october.csv")
@example(data=b"\x00\x01\x02", name="october.csv")
@example(data=b"PK\x03\x04garbage", name="october.xlsx")
@example(data=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, name="october.xls")
@example(data=b"\xff\xfe" + "合同编号".encode("utf-16-le"), name="october.csv")
def test_arbitrary_bytes(app, client, auth, world: World, data: bytes, name: str) -> None:
    """Any bytes under any name: a message, never a 5xx, and no report changes unless applied."""
    auth.login(world.officer)
    with isolated():
        send(app, client, data, name)


@FUZZ
@given(
    rows=st.lists(ROW, min_size=1, max_size=6),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gbk"]),
    delimiter=st.sampled_from([",", "\t", ";"]),
    as_xlsx=st.booleans(),
    name=NAMES,
)
@example(
    rows=[['=HYPERLINK("http://x")', MONTH, "+1", "-1", "@SUM(A1)"]],
    encoding="utf-8",
    delimiter=",",
    as_xlsx=False,
    name="october.csv",
)
@example(rows=[GOOD_ROW], encoding="gbk", delimiter=",", as_xlsx=False, name="october.csv")
@example(rows=[GOOD_ROW], encoding="utf-8", delimiter=",", as_xlsx=True, name="october.csv")
@example(rows=[GOOD_ROW], encoding="utf-8", delimiter=",", as_xlsx=False, name="october.xlsx")
@example(
    rows=[GOOD_ROW[:2] + ["9" * 30, "0", "正常"]],
    encoding="utf-8",
    delimiter=",",
    as_xlsx=False,
    name="october.csv",
)
@example(
    rows=[GOOD_ROW[:2] + [float("nan"), float("inf"), "正常"]],
    encoding="utf-8",
    delimiter=",",
    as_xlsx=True,
    name="october.xlsx",
)
def test_arbitrary_rows(app, client, auth, world, rows, encoding, delimiter, as_xlsx, name):
    """Arbitrary cells in CSV (any encoding, delimiter) or XLSX, named right or wrong: a file is
    applied only when every row is good, else every bad cell is listed by row and column."""
    auth.login(world.officer)
    data = xlsx_bytes(rows) if as_xlsx else csv_bytes(rows, encoding, delimiter)
    with isolated():
        upload = send(app, client, data, name)
        if upload is not None and upload.applied:
            assert upload.row_count == sum(1 for r in rows if any(str(c).strip() for c in r))


def test_right_content_wrong_name_is_read_by_content(app, client, auth, world):
    """An XLSX named .csv and a CSV named .xlsx are both read by what they contain."""
    auth.login(world.officer)
    assert send(app, client, xlsx_bytes([GOOD_ROW]), "october.csv").applied
    assert send(app, client, csv_bytes([GOOD_ROW], "utf-8-sig"), "october.xlsx").applied


def test_image_named_csv_is_refused(app, client, auth, world):
    """A PNG renamed to .csv is refused by its content, with a message saying what it is."""
    auth.login(world.officer)
    upload = send(app, client, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "october.csv")
    assert not upload.applied
    assert "图片" in upload.problems[0]["message"]


def test_zip_bomb_is_refused(app, client, auth, world):
    """A small XLSX that would unpack to hundreds of megabytes is refused before it is read."""
    auth.login(world.officer)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            chunk = b"<si><t>" + b"A" * (1024 * 1024) + b"</t></si>"
            for _ in range(210):
                member.write(chunk)
    assert len(out.getvalue()) < MAX_BYTES
    upload = send(app, client, out.getvalue(), "bomb.xlsx")
    assert not upload.applied
    assert "解压后过大" in upload.problems[0]["message"]


def test_huge_shared_strings_are_refused_or_read(app, client, auth, world):
    """An XLSX whose cells are 30,000-character strings is checked cell by cell, not a 5xx."""
    auth.login(world.officer)
    rows = [["=" + "名" * 30000, MONTH, "1" * 30000, "0", "正常"] for _ in range(5)]
    upload = send(app, client, xlsx_bytes(rows), "big.xlsx")
    assert not upload.applied
    assert {p["row"] for p in upload.problems} == {2, 3, 4, 5, 6}


def test_over_the_file_limit_is_refused_with_the_limit(app, client, auth, world):
    """Past 5 MB the file is refused and the message gives its size and the limit."""
    auth.login(world.officer)
    data = csv_bytes([GOOD_ROW], "utf-8") + b"#" * MAX_BYTES
    upload = send(app, client, data, "october.csv")
    assert not upload.applied
    assert "超过 5 MB" in upload.problems[0]["message"]


def test_over_the_request_limit_is_a_413_page_with_a_message(app, client, auth, world):
    """Past the request limit the body is never read: the page says the file is too large."""
    auth.login(world.officer)
    before = _state(app)
    data = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(
        "/bank/loan-reports/upload",
        data={"month": MONTH, "file": (io.BytesIO(data), "huge.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "文件过大" in response.get_data(as_text=True)
    assert _state(app) == before


def test_too_many_rows_is_refused(app, client, auth, world):
    """More than the row limit is refused whole, saying the limit."""
    auth.login(world.officer)
    upload = send(app, client, csv_bytes([GOOD_ROW] * (MAX_ROWS + 1), "utf-8"), "october.csv")
    assert not upload.applied
    assert f"{MAX_ROWS}" in upload.problems[0]["message"]


# Numbers a spreadsheet may store as numbers rather than text, beyond any balance or day count.
NUMBER_CELLS = [10**60, -(10**60), float("inf"), float("-inf"), float("nan"), 1e308, 1e-300]


@pytest.mark.parametrize("column", [2, 3], ids=["balance", "days_overdue"])
@pytest.mark.parametrize("value", [*NUMBER_EXTREMES, *NUMBER_CELLS], ids=repr)
@pytest.mark.parametrize("as_xlsx", [False, True], ids=["csv", "xlsx"])
def test_number_extremes_in_a_row_are_refused_at_their_cell(
    app, client, auth, world, column, value, as_xlsx
):
    """Each extreme in the balance or the days column: the file is refused, naming that cell."""
    if isinstance(value, int) and as_xlsx:
        pytest.skip("a worksheet cannot hold an integer of 60 digits as a number")
    auth.login(world.officer)
    row = [*GOOD_ROW]
    row[column] = value
    data = xlsx_bytes([row]) if as_xlsx else csv_bytes([row], "utf-8")
    with isolated():
        upload = send(app, client, data, "october.xlsx" if as_xlsx else "october.csv")
        assert upload is not None and not upload.applied
        assert [p["row"] for p in upload.problems] == [2]  # the header is row 1
        assert [p["column"] for p in upload.problems] == [HEADER[column]]

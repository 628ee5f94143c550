"""Downloads obey the same scoping as pages: each export holds the viewer's own rows only.

The world (tests/authz/world.py) lends 123.40 万元 from 甲银行 to a 福州 firm (tenant A) and
234.50 万元 from 乙银行 to a 厦门 firm (tenant B); contracts HT-A-0001 and HT-B-0001.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import openpyxl
import pytest
from sqlalchemy import select

from portal.dashboard import services as dashboard
from portal.enums import Role
from portal.extensions import db
from portal.reporting.models import LoanReportUpload, LoanStatusReport
from tests.authz.world import AMOUNTS, BANK_NAMES, CONTRACTS, build_world
from tests.factories import AgencyFactory, UserFactory

A_AMOUNT, B_AMOUNT = "123.40", "234.50"  # AMOUNTS in 万元, as the exports write them
FUZHOU, XIAMEN = "福州市", "厦门市"


@pytest.fixture
def world(app):
    return build_world(app)


def export_csv(client, table: str, **query: object) -> str:
    url = f"/dashboard/export/{table}.csv" + (f"?{urlencode(query)}" if query else "")
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data().decode("utf-8-sig")


def all_exports(client, **query: object) -> dict[str, str]:
    return {table: export_csv(client, table, **query) for table in dashboard.TABLES}


def test_the_world_lends_what_the_exports_are_checked_for():
    """The amounts the assertions look for are the world's loans, in 万元."""
    assert f"{AMOUNTS['A'] / 10000:.2f}" == A_AMOUNT
    assert f"{AMOUNTS['B'] / 10000:.2f}" == B_AMOUNT


def test_regulator_exports_hold_both_tenants(client, auth, world):
    """The province view has both banks and both cities (so the checks below can fail)."""
    auth.login(world.regulator)
    files = all_exports(client)
    assert BANK_NAMES["A"] in files["banks"] and BANK_NAMES["B"] in files["banks"]
    assert FUZHOU in files["regions"] and XIAMEN in files["regions"]
    assert A_AMOUNT in files["banks"] and B_AMOUNT in files["banks"]


# Query strings asking a bank admin's export for what is not theirs.
BANK_TAMPERING = {
    "plain": lambda w: {},
    "other-bank": lambda w: {"bank": w.a.bank},
    "other-product": lambda w: {"product": w.a.product},
    "other-region": lambda w: {"region": "350100"},
}


@pytest.mark.parametrize("tampering", BANK_TAMPERING)
def test_bank_admin_exports_only_its_own_bank(client, auth, world, tampering):
    """Bank B's exports (every table, CSV) name no other bank and count only B's loan, also when
    the query string asks for bank A's bank, product or city."""
    auth.login(world.email(Role.BANK_ADMIN, "B"))
    files = all_exports(client, **BANK_TAMPERING[tampering](world))
    for table, text in files.items():
        assert BANK_NAMES["A"] not in text, table
        assert A_AMOUNT not in text, table
    assert BANK_NAMES["B"] in files["banks"]
    if tampering in ("plain", "other-bank"):
        assert B_AMOUNT in files["months"]


@pytest.mark.parametrize("tampered", [{}, {"region": "350100"}], ids=["plain", "other-region"])
def test_city_staff_export_only_their_city(client, auth, world, tampered):
    """厦门 staff's exports hold 厦门's lending only, also when they ask for 福州."""
    auth.login(world.email(Role.GOV_STAFF, "B"))
    files = all_exports(client, **tampered)
    for table, text in files.items():
        assert FUZHOU not in text, table
        assert A_AMOUNT not in text, table
        assert BANK_NAMES["A"] not in text, table
    assert XIAMEN in files["regions"]
    assert B_AMOUNT in files["months"]


def test_xlsx_export_is_scoped_like_the_csv(client, auth, world):
    """The XLSX of the bank table holds bank B's row and the median row, nothing of bank A."""
    auth.login(world.email(Role.BANK_ADMIN, "B"))
    response = client.get("/dashboard/export/banks.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True).worksheets[0]
    cells = [str(value) for row in sheet.iter_rows(values_only=True) for value in row]
    assert BANK_NAMES["B"] in cells
    assert BANK_NAMES["A"] not in cells
    assert not any(cell.startswith("123.4") for cell in cells)


@pytest.mark.parametrize("role", [Role.BANK_ADMIN, Role.GOV_STAFF])
def test_monthly_pdfs_of_other_tenants_are_404(client, auth, world, role):
    """A bank downloads its own bank's PDF only; a city's staff their city's only (the province
    report's tables show every city); every other report id is a 404 and is not listed."""
    auth.login(world.email(role, "B"))
    mine = {world.b.bank_report} if role == Role.BANK_ADMIN else {world.b.region_report}
    every = {
        world.province_report,
        world.a.region_report,
        world.b.region_report,
        world.a.bank_report,
        world.b.bank_report,
    }
    for report_id in sorted(every):
        response = client.get(f"/reports/{report_id}.pdf")
        expected = 200 if report_id in mine else 404
        assert response.status_code == expected, (role, report_id)
        if expected == 200:
            assert response.data.startswith(b"%PDF")
    listing = client.get("/reports/").get_data(as_text=True)
    for report_id in sorted(every):
        assert (f"/reports/{report_id}.pdf" in listing) == (report_id in mine), report_id


def test_provincial_staff_read_every_city_report_but_no_banks(app, client, auth, world):
    """A provincial agency's region is the whole province (as on its dashboard): the province's
    and every city's PDFs, but no bank's."""
    with app.app_context():
        staff = UserFactory(role=Role.GOV_STAFF, agency=AgencyFactory(region_code="350000"))
        db.session.commit()
        email = staff.email
    auth.login(email)
    for report_id in (world.province_report, world.a.region_report, world.b.region_report):
        assert client.get(f"/reports/{report_id}.pdf").status_code == 200, report_id
    for report_id in (world.a.bank_report, world.b.bank_report):
        assert client.get(f"/reports/{report_id}.pdf").status_code == 404, report_id


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("role", [Role.BANK_OFFICER, Role.BANK_ADMIN])
def test_status_templates_list_only_the_banks_own_loans(client, auth, world, role):
    """Bank B's CSV and XLSX templates for the month list HT-B-0001 and not bank A's contract."""
    auth.login(world.email(role, "B"))
    month = f"{world.period:%Y-%m}"
    text = client.get(f"/bank/loan-reports/template.csv?month={month}").get_data()
    contracts = [row[0] for row in csv_rows(text.decode("utf-8-sig"))[1:]]
    assert contracts == [CONTRACTS["B"]]
    data = client.get(f"/bank/loan-reports/template.xlsx?month={month}").get_data()
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [CONTRACTS["B"]]


def test_upload_cannot_report_another_banks_loan(app, client, auth, world):
    """Bank B's file naming bank A's contract is refused whole; A's report stays as it was, and
    A's upload is a 404 for B."""
    auth.login(world.email(Role.BANK_OFFICER, "B"))
    month = f"{world.period:%Y-%m}"
    header = ["合同编号", "报告月份", "贷款余额（元）", "逾期天数", "五级分类"]
    out = io.StringIO()
    csv.writer(out).writerows([header, [CONTRACTS["A"], month, "1", "400", "损失"]])
    response = client.post(
        "/bank/loan-reports/upload",
        data={
            "month": month,
            "file": (io.BytesIO(out.getvalue().encode()), "a.csv"),
            "confirmed": "y",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 302)
    with app.app_context():
        latest = db.session.scalar(
            select(LoanReportUpload)
            .where(LoanReportUpload.institution_id == world.b.bank)
            .order_by(LoanReportUpload.id.desc())
        )
        assert latest is not None and latest.applied is False
        report = db.session.scalar(
            select(LoanStatusReport).where(LoanStatusReport.loan_id == world.a.loan)
        )
        assert (report.balance, report.days_overdue) == (AMOUNTS["A"], 0)
    assert client.get(f"/bank/loan-reports/uploads/{world.a.upload}").status_code == 404
    assert client.get(f"/bank/loan-reports/uploads/{latest.id}").status_code == 200

"""Monthly loan reporting through the real pages: uploads, the one-loan form, access, reminders."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.enums import FiveTierClass, LoanStatus, Role
from portal.extensions import db
from portal.leads.models import Loan
from portal.notifications.models import Notification
from portal.reporting import services as reporting
from portal.reporting.models import LoanReportUpload, LoanStatusReport
from tests.factories import FirmFactory, InstitutionFactory, UserFactory

D = Decimal
MONTH = "2026-10"
PERIOD = dt.date(2026, 10, 1)
HEADER = ["合同编号", "报告月份", "贷款余额（元）", "逾期天数", "五级分类"]
BASE = "/bank/loan-reports"


@dataclass
class Banks:
    officer_a: str
    officer_b: str
    bank_a: int
    bank_b: int
    loans_a: dict[str, int]
    loan_b: int


def add_loan(bank, firm, contract_no: str, amount: str, disbursed: dt.date, **extra) -> Loan:
    loan = Loan(
        institution=bank,
        firm=firm,
        contract_no=contract_no,
        amount=D(amount),
        rate=D("3.5"),
        term_months=12,
        disbursed_on=disbursed,
        maturity_on=extra.pop("maturity_on", disbursed.replace(year=disbursed.year + 1)),
        **extra,
    )
    db.session.add(loan)
    db.session.flush()
    return loan


@pytest.fixture
def banks(app) -> Banks:
    """Bank A: two loans due in 2026-10 and one repaid before it; bank B: one loan."""
    with app.app_context():
        bank_a, bank_b = InstitutionFactory(), InstitutionFactory()
        officer_a = UserFactory(role=Role.BANK_OFFICER, institution=bank_a)
        UserFactory(role=Role.BANK_ADMIN, institution=bank_a)
        officer_b = UserFactory(role=Role.BANK_OFFICER, institution=bank_b)
        firm = FirmFactory()
        loans_a = {
            "HT-A-001": add_loan(bank_a, firm, "HT-A-001", "1000000", dt.date(2026, 1, 10)).id,
            "HT-A-002": add_loan(bank_a, firm, "HT-A-002", "500000", dt.date(2026, 3, 1)).id,
            "HT-A-OLD": add_loan(
                bank_a,
                firm,
                "HT-A-OLD",
                "300000",
                dt.date(2025, 1, 5),
                maturity_on=dt.date(2026, 1, 5),
                status=LoanStatus.REPAID,
            ).id,
        }
        loan_b = add_loan(bank_b, firm, "HT-B-001", "2000000", dt.date(2026, 2, 1)).id
        db.session.commit()
        return Banks(officer_a.email, officer_b.email, bank_a.id, bank_b.id, loans_a, loan_b)


def csv_file(rows, encoding="utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_file(rows) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER)
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, data: bytes, name: str = "october.csv", month: str = MONTH):
    return client.post(
        f"{BASE}/upload",
        data={"month": month, "file": (io.BytesIO(data), name), "confirmed": "y"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def reports(app, period=PERIOD) -> dict[str, tuple[Decimal, int, FiveTierClass, bool]]:
    with app.app_context():
        rows = db.session.execute(
            select(Loan.contract_no, LoanStatusReport)
            .join(Loan, Loan.id == LoanStatusReport.loan_id)
            .where(LoanStatusReport.period == period)
        ).all()
        return {
            no: (r.balance, r.days_overdue, r.five_tier_class, r.contradicts_overdue_rules)
            for no, r in rows
        }


def uploads(app) -> list[LoanReportUpload]:
    with app.app_context():
        return list(db.session.scalars(select(LoanReportUpload).order_by(LoanReportUpload.id)))


GOOD = [
    ["HT-A-001", MONTH, "950000.00", "0", "正常"],
    ["HT-A-002", MONTH, "480000.00", "40", "关注"],
]


def test_good_upload_applies_all_rows(app, client, auth, banks):
    """A good CSV applies every row, records the upload and its audit entry, and says so."""
    auth.login(banks.officer_a)
    page = upload(client, csv_file(GOOD)).get_data(as_text=True)
    assert "已导入 2026-10 的 2 笔贷款状态" in page
    assert reports(app) == {
        "HT-A-001": (D("950000.00"), 0, FiveTierClass.NORMAL, False),
        "HT-A-002": (D("480000.00"), 40, FiveTierClass.SPECIAL_MENTION, False),
    }
    [record] = uploads(app)
    assert (record.applied, record.row_count, record.warning_count) == (True, 2, 0)
    assert record.institution_id == banks.bank_a and len(record.sha256) == 64
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "loan_reports.upload")
            )
            == 1
        )


def test_xlsx_upload_applies(app, client, auth, banks):
    """An XLSX file with number cells applies like a CSV."""
    auth.login(banks.officer_a)
    rows = [["HT-A-001", MONTH, 950000.5, 0, "正常"], ["HT-A-002", MONTH, 480000, 0, "normal"]]
    assert "已导入" in upload(client, xlsx_file(rows), "october.xlsx").get_data(as_text=True)
    assert reports(app)["HT-A-001"][0] == D("950000.50")


def test_bad_file_applies_nothing_and_lists_errors(app, client, auth, banks):
    """One bad row refuses the whole file: nothing changes and every error is listed by row."""
    auth.login(banks.officer_a)
    upload(client, csv_file(GOOD))
    bad = [
        ["HT-A-001", MONTH, "1", "0", "正常"],
        ["HT-B-001", MONTH, "1", "0", "正常"],  # bank B's contract
        ["HT-A-002", MONTH, "abc", "0", "良好"],
    ]
    page = upload(client, csv_file(bad)).get_data(as_text=True)
    assert "文件未导入" in page
    assert "本行没有合同编号为 HT-B-001 的贷款" in page
    assert "不是数字" in page and "无法识别" in page
    assert reports(app)["HT-A-001"][0] == D("950000.00")
    refused = uploads(app)[-1]
    assert not refused.applied
    assert [(p["row"], p["column"]) for p in refused.problems] == [
        (3, "合同编号"),
        (4, "贷款余额（元）"),
        (4, "五级分类"),
    ]


def test_reupload_replaces_the_month(app, client, auth, banks):
    """Re-uploading a month replaces its rows (same count, new values); a file is the month."""
    auth.login(banks.officer_a)
    upload(client, csv_file(GOOD))
    again = [
        ["HT-A-001", MONTH, "940000.00", "0", "正常"],
        ["HT-A-002", MONTH, "470000.00", "95", "次级"],
    ]
    page = upload(client, csv_file(again)).get_data(as_text=True)
    assert "替换了本月原有的 2 条报送" in page
    assert reports(app) == {
        "HT-A-001": (D("940000.00"), 0, FiveTierClass.NORMAL, False),
        "HT-A-002": (D("470000.00"), 95, FiveTierClass.SUBSTANDARD, False),
    }
    upload(client, csv_file(again[:1]))
    assert set(reports(app)) == {"HT-A-001"}


def test_upload_leaves_other_months_and_banks_alone(app, client, auth, banks):
    """Replacing October touches neither September nor another bank's October."""
    with app.app_context():
        db.session.add_all(
            [
                LoanStatusReport(
                    loan_id=banks.loans_a["HT-A-001"],
                    institution_id=banks.bank_a,
                    period=dt.date(2026, 9, 1),
                    balance=D("1"),
                    five_tier_class=FiveTierClass.NORMAL,
                ),
                LoanStatusReport(
                    loan_id=banks.loan_b,
                    institution_id=banks.bank_b,
                    period=PERIOD,
                    balance=D("2"),
                    five_tier_class=FiveTierClass.NORMAL,
                ),
            ]
        )
        db.session.commit()
    auth.login(banks.officer_a)
    upload(client, csv_file(GOOD))
    assert set(reports(app)) == {"HT-A-001", "HT-A-002", "HT-B-001"}
    assert set(reports(app, dt.date(2026, 9, 1))) == {"HT-A-001"}


def test_contradicting_report_accepted_with_warning(app, client, auth, banks):
    """Over 90 days overdue yet 正常: applied, flagged, counted and listed as a warning."""
    auth.login(banks.officer_a)
    rows = [GOOD[0], ["HT-A-002", MONTH, "480000.00", "120", "正常"]]
    page = upload(client, csv_file(rows)).get_data(as_text=True)
    assert "已导入" in page
    assert "至少应为“次级”" in page
    assert reports(app)["HT-A-002"] == (D("480000.00"), 120, FiveTierClass.NORMAL, True)
    assert uploads(app)[-1].warning_count == 1
    index = client.get(f"{BASE}/?month={MONTH}&show=alerts").get_data(as_text=True)
    assert "HT-A-002" in index and "HT-A-001" not in index
    with app.app_context():
        assert reporting.month_counts(banks.bank_a, PERIOD).contradicting == 1


def test_file_type_is_decided_by_content(app, client, auth, banks):
    """A CSV named .xlsx is read as CSV; a PNG named .csv is refused with a clear message."""
    auth.login(banks.officer_a)
    assert "已导入" in upload(client, csv_file(GOOD), "october.xlsx").get_data(as_text=True)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200)
    page = upload(client, png, "october.csv").get_data(as_text=True)
    assert "文件不是 CSV 或 XLSX 表格" in page
    assert not uploads(app)[-1].applied
    assert len(reports(app)) == 2


def test_file_too_large_gives_a_message(app, client, auth, banks):
    """Over 5 MB is refused stating the limit; past the 10 MB request cap too, without a crash."""
    auth.login(banks.officer_a)
    big = csv_file(GOOD) + b"\r\n" * (3 * 1024 * 1024)
    page = upload(client, big).get_data(as_text=True)
    assert "超过 5 MB 的上限" in page
    assert not uploads(app)[-1].applied
    huge = upload(client, b"x" * (11 * 1024 * 1024))
    assert huge.status_code == 200
    assert "月报文件不能超过 5 MB" in huge.get_data(as_text=True)
    assert reports(app) == {}


def test_upload_form_errors(app, client, auth, banks):
    """No file, or a future month, is a field error and nothing is recorded."""
    auth.login(banks.officer_a)
    page = client.post(f"{BASE}/upload", data={"month": MONTH}).get_data(as_text=True)
    assert "请选择要上传的文件" in page
    future = reporting.shift_month(reporting.latest_reportable(), 2)
    page = upload(client, csv_file(GOOD), month=f"{future:%Y-%m}").get_data(as_text=True)
    assert "不能选择未来的月份" in page
    unconfirmed = client.post(
        f"{BASE}/upload",
        data={"month": MONTH, "file": (io.BytesIO(csv_file(GOOD)), "october.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "请先勾选“我确认”一项再提交" in unconfirmed
    assert uploads(app) == []


def test_index_lists_due_loans_and_counts(app, client, auth, banks):
    """The month page lists due loans (not repaid ones), marks unreported ones and counts them."""
    auth.login(banks.officer_a)
    upload(client, csv_file(GOOD[:1]))
    page = client.get(f"{BASE}/?month={MONTH}").get_data(as_text=True)
    assert "HT-A-001" in page and "HT-A-002" in page
    assert "HT-A-OLD" not in page and "HT-B-001" not in page
    assert "未报送" in page
    assert "上传后请稍候，大文件需要数秒" in page
    with app.app_context():
        counts = reporting.month_counts(banks.bank_a, PERIOD)
    assert (counts.due, counts.reported, counts.missing) == (2, 1, 1)
    missing_only = client.get(f"{BASE}/?month={MONTH}&show=missing").get_data(as_text=True)
    assert "HT-A-002" in missing_only and "HT-A-001" not in missing_only


def test_templates_list_the_banks_due_loans(client, auth, banks):
    """Both templates are pre-filled with this bank's due loans and the month, nothing else."""
    auth.login(banks.officer_a)
    response = client.get(f"{BASE}/template.csv?month={MONTH}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    lines = response.get_data().decode("utf-8-sig").splitlines()
    assert lines == [",".join(HEADER), "HT-A-001,2026-10,,,", "HT-A-002,2026-10,,,"]
    response = client.get(f"{BASE}/template.xlsx?month={MONTH}")
    workbook = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert rows[0] == tuple(HEADER)
    assert [row[:2] for row in rows[1:]] == [("HT-A-001", MONTH), ("HT-A-002", MONTH)]


def test_single_loan_form(app, client, auth, banks):
    """The per-loan form saves a month, replaces it on resubmit and warns on a contradiction."""
    auth.login(banks.officer_a)
    loan_id = banks.loans_a["HT-A-001"]
    url = f"{BASE}/loans/{loan_id}"
    page = client.get(f"{url}?month={MONTH}").get_data(as_text=True)
    assert 'for="balance"' in page and 'for="five_tier_class"' in page
    data = {
        "month": MONTH,
        "balance": "900000.00",
        "days_overdue": "0",
        "five_tier_class": "normal",
    }
    response = client.post(url, data=data)
    assert response.status_code == 302
    assert reports(app)["HT-A-001"] == (D("900000.00"), 0, FiveTierClass.NORMAL, False)
    page = client.post(
        url,
        data={**data, "days_overdue": "400", "five_tier_class": "doubtful"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "至少应为“损失”" in page
    assert reports(app)["HT-A-001"] == (D("900000.00"), 400, FiveTierClass.DOUBTFUL, True)
    assert len(reports(app)) == 1
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "loan_report.submit")
            )
            == 2
        )


def test_single_loan_form_refuses_bad_values(app, client, auth, banks):
    """A balance above the loan, a month before disbursement or in the future is a field error."""
    auth.login(banks.officer_a)
    url = f"{BASE}/loans/{banks.loans_a['HT-A-002']}"
    data = {"month": MONTH, "balance": "1", "days_overdue": "0", "five_tier_class": "normal"}
    page = client.post(url, data={**data, "balance": "500000.01"}).get_data(as_text=True)
    assert "超过合同金额" in page
    page = client.post(url, data={**data, "month": "2026-02"}).get_data(as_text=True)
    assert "不能报送此前月份" in page
    future = reporting.shift_month(reporting.latest_reportable(), 1)
    page = client.post(url, data={**data, "month": f"{future:%Y-%m}"}).get_data(as_text=True)
    assert "不能选择未来的月份" in page
    page = client.post(url, data={**data, "balance": "-1", "five_tier_class": ""}).get_data(
        as_text=True
    )
    assert "贷款余额不能为负数" in page and "请选择五级分类" in page
    assert reports(app) == {}


def test_other_banks_loan_and_upload_are_404(app, client, auth, banks):
    """Bank A cannot open bank B's loan (GET or POST) or bank B's upload: both are 404."""
    auth.login(banks.officer_b)
    upload(client, csv_file([["HT-B-001", MONTH, "1", "0", "正常"]]))
    [b_upload] = uploads(app)
    auth.logout()
    auth.login(banks.officer_a)
    assert client.get(f"{BASE}/loans/{banks.loan_b}").status_code == 404
    post = client.post(
        f"{BASE}/loans/{banks.loan_b}",
        data={"month": MONTH, "balance": "1", "days_overdue": "0", "five_tier_class": "normal"},
    )
    assert post.status_code == 404
    assert client.get(f"{BASE}/uploads/{b_upload.id}").status_code == 404
    assert reports(app)["HT-B-001"][0] == D("1.00")
    auth.logout()
    auth.login(banks.officer_b)
    assert client.get(f"{BASE}/uploads/{b_upload.id}").status_code == 200


@pytest.mark.parametrize("role", [Role.REGULATOR, Role.SME, Role.GOV_STAFF, Role.ADMIN])
def test_non_bank_roles_are_refused(client, auth, create, banks, role):
    """Regulators, firms, government staff and platform admins get 403 on every page."""
    auth.login(create(UserFactory, role=role).email)
    for url in (
        f"{BASE}/",
        f"{BASE}/template.csv",
        f"{BASE}/loans/{banks.loan_b}",
        f"{BASE}/uploads/1",
    ):
        assert client.get(url).status_code == 403, url
    assert upload(client, csv_file(GOOD)).status_code == 403


def test_minimum_class_and_contradictions():
    """Over 90 days is at least 次级, over 270 at least 可疑, over 360 损失; milder contradicts."""
    cases = {
        0: "normal",
        90: "normal",
        91: "substandard",
        270: "substandard",
        271: "doubtful",
        360: "doubtful",
        361: "loss",
    }
    assert {d: reporting.minimum_class(d).value for d in cases} == cases
    assert reporting.contradicts(91, FiveTierClass.SPECIAL_MENTION)
    assert not reporting.contradicts(91, FiveTierClass.SUBSTANDARD)
    assert not reporting.contradicts(91, FiveTierClass.LOSS)
    assert reporting.contradicts(361, FiveTierClass.DOUBTFUL)
    assert not reporting.contradicts(30, FiveTierClass.SPECIAL_MENTION)


def test_reminder_job_notifies_missing_banks_once_from_the_10th(app, banks):
    """Before the 10th nothing is sent; from it, each bank missing last month is told once."""
    with app.app_context():
        db.session.add(
            LoanStatusReport(
                loan_id=banks.loan_b,
                institution_id=banks.bank_b,
                period=PERIOD,
                balance=D("1"),
                five_tier_class=FiveTierClass.NORMAL,
            )
        )
        db.session.commit()
        assert [m.institution_id for m in reporting.missing_reports(PERIOD)] == [banks.bank_a]
        assert reporting.remind_missing_reports(dt.date(2026, 11, 9)) == 0
        assert reporting.remind_missing_reports(dt.date(2026, 11, 10)) == 1
        assert reporting.remind_missing_reports(dt.date(2026, 11, 10)) == 0
        assert reporting.remind_missing_reports(dt.date(2026, 11, 20)) == 0
        sent = db.session.scalars(
            select(Notification).where(Notification.kind == "loan_reports.missing")
        ).all()
        assert len(sent) == 2  # bank A's officer and admin; bank B reported everything
        assert all(n.dedupe_key.startswith(f"loan-reports-2026-10-{banks.bank_a}:") for n in sent)
        assert "尚缺 2 笔" in sent[0].body
        assert sent[0].link == f"{BASE}/?month=2026-10"


def test_loans_due_rules(app, banks):
    """Due: disbursed by the month's end and still active or not matured before the month."""
    with app.app_context():
        due = {loan.contract_no for loan in reporting.loans_due(banks.bank_a, PERIOD)}
        assert due == {"HT-A-001", "HT-A-002"}
        early = {
            loan.contract_no for loan in reporting.loans_due(banks.bank_a, dt.date(2026, 1, 1))
        }
        assert early == {"HT-A-001", "HT-A-OLD"}
        assert reporting.loans_due(banks.bank_a, dt.date(2025, 12, 1))[0].contract_no == "HT-A-OLD"

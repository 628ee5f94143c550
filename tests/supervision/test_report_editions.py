"""Monthly report editions: provisional before the reporting deadline with its coverage on every
page, final after it, and a revised edition when a late report or a correction moves a figure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal import settings
from portal.enums import FiveTierClass, ReportEdition, Role
from portal.extensions import db
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Loan
from portal.monthly import services as monthly
from portal.monthly.models import MonthlyReport
from portal.notifications.models import Notification
from portal.reporting.models import LoanStatusReport
from tests.factories import UserFactory
from tests.supervision.test_monthly_report import (  # noqa: F401  (dataset is a fixture)
    NOV_1,
    NOV_10,
    NOV_11,
    OCT,
    dataset,
    needs_poppler,
    poppler,
)

D = Decimal
AFTER_DEADLINE = dt.datetime(2026, 11, 12, 2, tzinfo=dt.UTC)


def late_report() -> None:
    """Bank Y reports its September loan for October, late, as 损失."""
    row = db.session.scalar(select(Loan).where(Loan.disbursed_on == dt.date(2026, 9, 15)))
    db.session.add(
        LoanStatusReport(
            loan_id=row.id,
            institution_id=row.institution_id,
            period=OCT,
            balance=D("2000000"),
            days_overdue=400,
            five_tier_class=FiveTierClass.LOSS,
        )
    )
    db.session.commit()


def pages(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "edition.pdf"
    path.write_bytes(pdf)
    return poppler("pdftotext", "-layout", str(path), "-").split("\f")[:-1]


def test_coverage_counts_due_and_reported_loans_per_bank(app, dataset):  # noqa: F811
    """Six loans are due an October report (X 2, Y 3, the bank not yet approved 1); 3 are in."""
    with app.app_context():
        report = monthly.generate(OCT, "province", now=AFTER_DEADLINE)
        assert (report.coverage["due"], report.coverage["reported"]) == (6, 3)
        short = {name: (due, done) for _id, name, due, done in report.coverage["banks"]}
        assert short == {"银行X": (2, 1), "银行Y": (3, 2), "银行W": (1, 0)}
        assert report.figures["coverage"] == "50.00%"


@needs_poppler
def test_a_provisional_edition_says_so_on_every_page_with_its_coverage(app, dataset, tmp_path):  # noqa: F811
    with app.app_context():
        report = monthly.generate(OCT, "province", now=dt.datetime(2026, 11, 3, tzinfo=dt.UTC))
        assert report.edition == ReportEdition.PROVISIONAL
        text = pages(report.pdf, tmp_path)
    assert len(text) > 3
    for number, page in enumerate(text, start=1):
        assert "临时版：报送截止日 2026-11-10 前生成" in page, f"page {number}"
        assert "报送覆盖率 50.00%（应报 6 笔，已报 3 笔）" in page, f"page {number}"
    body = "".join(text)
    assert "截止后将生成正式版" in body
    assert "银行W" in body  # among the banks still short


@needs_poppler
def test_a_final_edition_states_its_coverage_but_not_provisional(app, dataset, tmp_path):  # noqa: F811
    with app.app_context():
        report = monthly.generate(OCT, "province", now=AFTER_DEADLINE)
        text = pages(report.pdf, tmp_path)
    assert all("正式版 · 第 1 版 · 报送覆盖率 50.00%" in page for page in text)
    assert not any("临时版" in page for page in text)


def test_a_late_report_revises_the_final_reports_it_changes_once(app, dataset):  # noqa: F811
    """Province, 厦门市 and bank Y move; 福州市 and bank X do not. A second run makes nothing,
    and the first editions are kept."""
    with app.app_context():
        regulator = UserFactory(role=Role.REGULATOR)
        db.session.commit()
        assert monthly.generate_due_reports(NOV_11) == 12
        first_ids = set(db.session.scalars(select(MonthlyReport.id)))
        late_report()
        now = dt.datetime.now(dt.UTC)
        assert monthly.revise_changed_reports(now) == 3
        assert monthly.revise_changed_reports(now) == 0
        assert monthly.generate_due_reports(dt.date(2026, 11, 20)) == 0
        revised = db.session.scalars(select(MonthlyReport).where(MonthlyReport.version == 2)).all()
        y = db.session.scalar(
            select(FinancialInstitution.id).where(FinancialInstitution.short_name == "银行Y")
        )
        assert {r.scope for r in revised} == {"province", "region:350200", f"bank:{y}"}
        assert {r.edition for r in revised} == {ReportEdition.FINAL}
        assert first_ids <= set(db.session.scalars(select(MonthlyReport.id)))
        province = next(r for r in revised if r.scope == "province")
        changed = {c["figure"]: (c["before"], c["after"]) for c in province.changes}
        assert changed["报送覆盖率"] == ("50.00%", "66.67%")
        assert "不良贷款率" in changed and "放款笔数（笔）" not in changed
        told = db.session.scalars(
            select(Notification.dedupe_key).where(Notification.user_id == regulator.id)
        ).all()
        assert f"monthly-report-2026-10-v2:{regulator.id}" in told


def test_a_change_that_moves_no_figure_only_stamps_the_check(app, dataset):  # noqa: F811
    with app.app_context():
        monthly.generate_due_reports(NOV_11)
        row = db.session.scalar(select(LoanStatusReport).where(LoanStatusReport.period == OCT))
        row.reported_at = dt.datetime.now(dt.UTC)  # re-reported, same values
        db.session.commit()
        before = db.session.scalar(select(func.max(MonthlyReport.checked_at)))
        assert monthly.revise_changed_reports(dt.datetime.now(dt.UTC)) == 0
        assert db.session.scalar(select(func.max(MonthlyReport.checked_at))) > before
        assert db.session.scalar(select(func.count(MonthlyReport.id))) == 12


def test_provisional_editions_are_not_revised_by_the_job(app, dataset):  # noqa: F811
    with app.app_context():
        monthly.generate(OCT, "province", now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
        late_report()
        assert monthly.revise_changed_reports(dt.datetime.now(dt.UTC)) == 0


def test_the_deadline_setting_moves_the_final_reports(app, dataset):  # noqa: F811
    with app.app_context():
        admin = UserFactory(role=Role.ADMIN)
        db.session.commit()
        assert monthly.generate_due_reports(dt.date(2026, 11, 6)) == 12  # September's
        settings.set_report_deadline_day(admin, 5)
        assert monthly.generate_due_reports(dt.date(2026, 11, 6)) == 12  # October's now
        with pytest.raises(settings.InvalidSetting):
            settings.set_report_deadline_day(admin, 29)


def test_the_archive_lists_the_newest_edition_and_its_history(app, client, auth, dataset):  # noqa: F811
    with app.app_context():
        monthly.generate(OCT, "province", now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
        late_report()
        second = monthly.generate(OCT, "province", now=AFTER_DEADLINE)
        email = UserFactory(role=Role.REGULATOR).email
        db.session.commit()
        second_id = second.id
    auth.login(email)
    html = client.get("/reports/?month=2026-10").get_data(as_text=True)
    assert html.count("PDF（中文）") == 1 and html.count("PDF（英文）") == 1
    assert "第 2 版" in html and "正式版" in html and "66.67%" in html
    assert f"/reports/{second_id}/editions" in html
    history = client.get(f"/reports/{second_id}/editions").get_data(as_text=True)
    assert "临时版" in history and "正式版" in history
    assert "与第 1 版相比变动的指标" in history and "50.00%" in history


def test_a_bank_cannot_read_another_banks_editions(app, client, auth, dataset):  # noqa: F811
    with app.app_context():
        other = monthly.generate(OCT, f"bank:{dataset['y']}", now=AFTER_DEADLINE)
        x = db.session.get(FinancialInstitution, dataset["x"])
        email = UserFactory(role=Role.BANK_ADMIN, institution=x).email
        db.session.commit()
        other_id = other.id
    auth.login(email)
    assert client.get(f"/reports/{other_id}/editions").status_code == 404


def test_nothing_is_made_before_a_months_deadline(app, dataset):  # noqa: F811
    """1 to 10 November: October is not past due, so no October edition is made."""
    with app.app_context():
        for day in (NOV_1, NOV_10):
            monthly.generate_due_reports(day)
        assert not db.session.scalar(
            select(func.count(MonthlyReport.id)).where(MonthlyReport.period == OCT)
        )

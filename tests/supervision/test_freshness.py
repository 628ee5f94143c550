"""Month marks: every change to a loan, lead or status report marks its month in the same
transaction, the refresh job rebuilds exactly the marked months, and the dashboard reads live
figures for a month left unrefreshed too long."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import delete, func, select, update

from portal.enums import FiveTierClass, LeadStatus, Role
from portal.extensions import db
from portal.figures import live, rollups
from portal.figures.freshness import month_of
from portal.figures.live import Filters
from portal.figures.models import MonthMark
from portal.firms.models import Firm
from portal.leads.models import Lead, Loan
from portal.reporting.models import LoanStatusReport
from portal.scheduler import JOBS, refresh_dashboard_rollups
from tests.factories import FirmFactory, InstitutionFactory, UserFactory
from tests.supervision.builders import loan, report
from tests.supervision.test_metrics import FEB, JAN, dataset  # noqa: F401  (a fixture)
from tests.supervision.test_rollups import agree

D = Decimal
OLD = dt.date(2025, 6, 1)


def unrolled() -> set[dt.date]:
    return set(db.session.scalars(select(MonthMark.period).where(MonthMark.rolled_up.is_(False))))


def clear_marks() -> None:
    db.session.execute(delete(MonthMark))
    db.session.commit()


def test_a_lead_is_in_the_month_it_was_created_in_shanghai():
    """23:30 UTC on 31 January is 1 February in Shanghai."""
    assert month_of(dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC)) == FEB
    assert month_of(dt.datetime(2026, 1, 31, 15, 59, tzinfo=dt.UTC)) == JAN
    assert month_of(dt.date(2026, 2, 28)) == FEB


def test_each_kind_of_change_marks_its_month(app, dataset):  # noqa: F811
    """A new report, a changed loan date (old and new month), a bulk lead update, a deleted
    report and a firm moving city each mark the months they touch."""
    with app.app_context():
        clear_marks()
        row = db.session.scalar(select(Loan).where(Loan.disbursed_on == dt.date(2026, 2, 5)))
        report(row, OLD, "100", FiveTierClass.NORMAL)
        db.session.commit()
        assert unrolled() == {OLD}

        clear_marks()
        row.disbursed_on = dt.date(2026, 3, 2)
        db.session.commit()
        assert unrolled() == {FEB, dt.date(2026, 3, 1)}

        clear_marks()
        db.session.execute(
            update(Lead).where(Lead.status == LeadStatus.EXPIRED).values(sla_breached=False)
        )
        db.session.commit()
        assert unrolled() == {JAN}

        clear_marks()
        db.session.execute(delete(LoanStatusReport).where(LoanStatusReport.period == OLD))
        db.session.commit()
        assert unrolled() == {OLD}

        clear_marks()
        firm = db.session.scalar(select(Firm).where(Firm.size_class == "medium"))
        firm.region_code = "350500"
        db.session.commit()
        assert unrolled() == {JAN, FEB}  # its January lead, its February loan and report


def test_a_change_to_an_expired_object_marks_its_own_month(app, dataset):  # noqa: F811
    """After a commit the objects expire; setting one column still finds the lead's month."""
    with app.app_context():
        lead = db.session.scalar(select(Lead).where(Lead.status == LeadStatus.EXPIRED))
        db.session.commit()  # expires `lead`: created_at is no longer loaded
        clear_marks()
        lead.sla_breached = False
        db.session.commit()
        assert unrolled() == {JAN}


def test_a_loan_change_marks_the_months_of_later_loans_it_is_credit_for(app, dataset):  # noqa: F811
    """The firm's February loan at the same bank counts January's in its credit (普惠)."""
    with app.app_context():
        clear_marks()
        row = db.session.scalar(select(Loan).where(Loan.disbursed_on == dt.date(2026, 1, 10)))
        row.amount = D("4500000")
        db.session.commit()
        assert unrolled() == {JAN, FEB}


def test_a_rolled_back_change_leaves_no_mark(app, dataset):  # noqa: F811
    with app.app_context():
        clear_marks()
        row = db.session.scalar(select(Loan).limit(1))
        row.amount = D("123456")
        db.session.flush()
        assert unrolled()
        db.session.rollback()
        assert unrolled() == set()


def test_an_unrelated_change_marks_nothing(app, dataset):  # noqa: F811
    """Editing a firm's name or a bank's name is not a change to any month's figures."""
    with app.app_context():
        clear_marks()
        firm = db.session.scalar(select(Firm).limit(1))
        firm.name = "改名后的企业"
        db.session.commit()
        assert unrolled() == set()


def test_the_refresh_rebuilds_a_month_of_any_age_and_agrees_with_live(app, dataset):  # noqa: F811
    """A late report for an old month and a firm moving city reach the rollups in one run."""
    with app.app_context():
        rollups.rebuild()
        assert unrolled() == set()
        x = InstitutionFactory(short_name="银行老")
        old_loan = loan(x, FirmFactory(), dt.date(2025, 6, 3), "700000", "4.10")
        report(old_loan, OLD, "700000", FiveTierClass.LOSS)
        firm = db.session.scalar(select(Firm).where(Firm.size_class == "micro"))
        firm.region_code = "350500"
        db.session.commit()
        assert rollups.figures(Filters(OLD, OLD)).summary.loans == 0  # not yet refreshed
        assert refresh_dashboard_rollups() > 0
        assert unrolled() == set()
        for filters in (Filters(OLD, OLD), Filters(JAN, FEB), Filters(JAN, FEB, "350500")):
            agree(filters)
        assert rollups.figures(Filters(OLD, OLD)).months[0].npl_ratio == D("1.0000")


def test_a_change_committed_during_a_refresh_keeps_its_mark(app, dataset, monkeypatch):  # noqa: F811
    """Only the marks read before the months were rebuilt are flagged as rolled up."""
    with app.app_context():
        rollups.rebuild()
        row = db.session.scalar(select(Loan).where(Loan.disbursed_on == dt.date(2026, 1, 10)))
        row.rate = D("4.50")
        db.session.commit()
        rebuild_month = rollups._refresh

        def refresh_and_meanwhile_change(first, last):
            written = rebuild_month(first, last)
            db.session.add(MonthMark(period=FEB))  # another writer's change, arriving now
            return written

        monkeypatch.setattr(rollups, "_refresh", refresh_and_meanwhile_change)
        refresh_dashboard_rollups()
        assert unrolled() == {FEB}


def test_a_second_run_with_nothing_marked_rebuilds_nothing(app, dataset):  # noqa: F811
    with app.app_context():
        rollups.rebuild()
        assert refresh_dashboard_rollups() == 0
        stamp = rollups.refreshed_at()
        assert refresh_dashboard_rollups() == 0
        assert rollups.refreshed_at() >= stamp
    assert (refresh_dashboard_rollups, rollups.REFRESH_EVERY) in JOBS


def test_marks_rolled_up_long_ago_are_dropped(app, dataset):  # noqa: F811
    with app.app_context():
        rollups.rebuild()
        clear_marks()
        long_ago = dt.datetime.now(dt.UTC) - rollups.KEEP_MARKS - dt.timedelta(hours=1)
        db.session.add(MonthMark(period=JAN, marked_at=long_ago, rolled_up=True))
        db.session.add(MonthMark(period=FEB, rolled_up=True))
        db.session.commit()
        refresh_dashboard_rollups()
        assert db.session.scalars(select(MonthMark.period)).all() == [FEB]


def test_a_month_left_unrefreshed_too_long_is_read_live(app, client, auth, dataset):  # noqa: F811
    """The refresh job has stopped: the dashboard computes the cut live and says which month."""
    with app.app_context():
        rollups.rebuild()
        email = UserFactory(role=Role.REGULATOR).email
        db.session.commit()
    auth.login(email)
    html = client.get("/dashboard/?start=2026-01&end=2026-02").get_data(as_text=True)
    assert "数据截至" in html and "数据为实时计算" not in html
    with app.app_context():
        row = db.session.scalar(select(Loan).where(Loan.disbursed_on == dt.date(2026, 2, 5)))
        row.amount = D("7000000")
        db.session.commit()
        filters = Filters(JAN, FEB)
        assert not rollups.reads_live(filters)  # just marked: within the bound
        assert rollups.dashboard_figures(filters).summary.amount == D("22500000")
        stale = dt.datetime.now(dt.UTC) - rollups.STALE_AFTER - dt.timedelta(minutes=1)
        db.session.execute(update(MonthMark).values(marked_at=stale))
        db.session.commit()
        assert rollups.stale_months(filters) == [FEB]
        assert rollups.dashboard_figures(filters) == live.figures(filters)
        assert rollups.dashboard_figures(filters).summary.amount == D("23500000")
        assert rollups.stale_months(Filters(JAN, JAN)) == []
    html = client.get("/dashboard/?start=2026-01&end=2026-02").get_data(as_text=True)
    assert "数据为实时计算" in html and "2026-02" in html


def test_marks_are_counted_once_per_flush_and_month(app, dataset):  # noqa: F811
    """Ten reports of one month in one flush write one mark, not ten."""
    with app.app_context():
        clear_marks()
        rows = db.session.scalars(select(Loan)).all()
        for row in rows:
            report(row, OLD, "1", FiveTierClass.NORMAL)
        db.session.commit()
        assert db.session.scalar(select(func.count(MonthMark.id))) == 1

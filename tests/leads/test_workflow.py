"""The lead workflow through its services: from a need to a loan, deadlines and rerouting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.dates import today_in_china
from portal.enums import DeclineReason, GuaranteeType, LeadStatus, NeedStatus
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads import services as leads
from portal.leads.models import Lead, Loan
from portal.matching.models import MatchResult
from portal.needs import services as needs
from portal.needs.models import FinancingNeed
from portal.notifications.models import Notification
from portal.workdays import add_business_days, forget_entered_calendar

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def submit(market, amount="800000", key="k1") -> FinancingNeed:
    user = db.session.get(User, market.firm_user_id)
    data = needs.NeedInput(
        amount=Decimal(amount),
        term_months=12,
        purpose="采购原材料",
        guarantee_type=GuaranteeType.CREDIT,
        max_rate=None,
    )
    return needs.submit_need(user, db.session.get(Firm, market.firm_id), data, key)


def officer(market, bank) -> User:
    return db.session.get(User, market.officers[bank])


def test_full_journey_from_need_to_loan(app, market):
    """Need → matches → pre-approval → apply → accept → decision → offer taken → loan."""
    with app.app_context():
        need = submit(market)
        results = db.session.scalars(
            select(MatchResult).where(MatchResult.need_id == need.id).order_by(MatchResult.rank)
        ).all()
        assert [r.eligible for r in results] == [True, True, True]
        best = results[0]
        assert best.product_id == market.products["A"]
        assert best.instant_approved and best.pre_approval_ref.startswith("PA")

        firm_user = db.session.get(User, market.firm_user_id)
        made = leads.apply_to_products(
            firm_user, need, [market.products["A"], market.products["B"]]
        )
        assert len(made) == 2 and made[0].pre_approved
        lead_a, lead_b = made

        leads.accept(officer(market, "A"), lead_a)
        leads.record_decision(
            officer(market, "A"),
            lead_a,
            leads.CreditDecision(amount=Decimal("800000"), rate=Decimal("3.20"), term_months=12),
        )
        leads.take_offer(firm_user, lead_a)
        assert db.session.get(Lead, lead_b.id).status == LeadStatus.CLOSED

        today = today_in_china()  # a disbursement is dated between the decision and today
        loan = leads.disburse(officer(market, "A"), lead_a, "HT-2026-001", today)
        assert (loan.amount, loan.rate) == (Decimal("800000"), Decimal("3.20"))
        assert (loan.maturity_on.year, loan.maturity_on.month) == (today.year + 1, today.month)
        assert db.session.get(FinancingNeed, need.id).status == NeedStatus.FULFILLED
        assert db.session.scalar(select(func.count(Loan.id))) == 1


def test_same_form_twice_makes_one_need(app, market):
    """Resubmitting the same form (same key) returns the need the first submission made."""
    with app.app_context():
        first, second = submit(market, key="same"), submit(market, key="same")
        assert first.id == second.id
        assert db.session.scalar(select(func.count(FinancingNeed.id))) == 1


def test_more_than_three_applications_refused(app, market):
    """A firm applies to at most three products."""
    with app.app_context():
        need = submit(market)
        firm_user = db.session.get(User, market.firm_user_id)
        with pytest.raises(leads.LeadError):
            leads.apply_to_products(firm_user, need, [1, 2, 3, 4])


def test_decline_is_recorded_with_reason(app, market):
    """A bank declines with a reason code; the firm is told."""
    with app.app_context():
        need = submit(market)
        [lead] = leads.apply_to_products(
            db.session.get(User, market.firm_user_id), need, [market.products["B"]]
        )
        leads.decline(officer(market, "B"), lead, DeclineReason.COLLATERAL, "需补充抵押")
        lead = db.session.get(Lead, lead.id)
        assert (lead.status, lead.decline_code) == (LeadStatus.DECLINED, "collateral")
        titles = db.session.scalars(
            select(Notification.title).where(Notification.user_id == market.firm_user_id)
        ).all()
        assert any("未能受理" in t for t in titles)


def test_expired_lead_is_rerouted_once_even_if_the_job_runs_twice(app, market):
    """Past its deadline a lead expires, counts as a breach, and the need goes to the next bank."""
    with app.app_context():
        need = submit(market)
        [lead] = leads.apply_to_products(
            db.session.get(User, market.firm_user_id), need, [market.products["A"]]
        )
        later = lead.deadline_at + dt.timedelta(minutes=1)
        assert leads.expire_overdue(later) == 1
        assert leads.expire_overdue(later) == 0
        all_leads = db.session.scalars(
            select(Lead).where(Lead.need_id == need.id).order_by(Lead.id)
        ).all()
        assert [(x.institution_id, x.status, x.sla_breached) for x in all_leads] == [
            (market.banks["A"], LeadStatus.EXPIRED, True),
            (market.banks["B"], LeadStatus.OPEN, False),
        ]
        assert all_leads[1].origin == "reroute"


def test_claim_from_pool_has_one_winner(app, market):
    """Two banks claim the same pooled lead one after the other: the first wins."""
    with app.app_context():
        need = submit(market)
        pooled = leads.send_to_pool(db.session.get(User, market.firm_user_id), need)
        won = leads.claim(officer(market, "B"), pooled.id)
        assert won.institution_id == market.banks["B"]
        with pytest.raises(leads.LeadError, match="已被其他银行领取"):
            leads.claim(officer(market, "C"), pooled.id)


def test_withdrawing_closes_open_leads(app, market):
    """A withdrawn need closes its leads and tells the banks."""
    with app.app_context():
        need = submit(market)
        firm_user = db.session.get(User, market.firm_user_id)
        [lead] = leads.apply_to_products(firm_user, need, [market.products["C"]])
        needs.withdraw_need(firm_user, need)
        assert db.session.get(Lead, lead.id).status == LeadStatus.CLOSED
        with pytest.raises(leads.LeadError):
            leads.route_best(firm_user, need)


@pytest.mark.parametrize(
    ("start", "days", "deadline"),
    [
        (dt.datetime(2026, 11, 23, 10, 0), 2, dt.datetime(2026, 11, 25, 10, 0)),  # Mon → Wed
        (dt.datetime(2026, 11, 26, 15, 0), 2, dt.datetime(2026, 11, 30, 15, 0)),  # Thu → Mon
        (dt.datetime(2026, 11, 27, 15, 0), 2, dt.datetime(2026, 12, 1, 15, 0)),  # Fri → Tue
        (dt.datetime(2026, 11, 28, 11, 0), 2, dt.datetime(2026, 12, 2, 9, 0)),  # Sat → Wed 9:00
        (dt.datetime(2026, 11, 29, 22, 0), 1, dt.datetime(2026, 12, 1, 9, 0)),  # Sun → Tue 9:00
    ],
)
def test_deadlines_skip_weekends(start, days, deadline):
    """Deadlines count business days in Asia/Shanghai and skip Saturdays and Sundays."""
    local = add_business_days(start.replace(tzinfo=SHANGHAI), days).astimezone(SHANGHAI)
    assert local.replace(tzinfo=None) == deadline


# 国务院办公厅关于2026年部分节假日安排的通知: 春节 2月15日至23日放假，
# 2月14日（周六）、2月28日（周六）上班；国庆节 10月1日至7日放假，
# 9月20日（周日）、10月10日（周六）上班.
@pytest.mark.parametrize(
    ("start", "days", "deadline"),
    [
        # Fri before the Spring Festival: the 调休 Saturday counts, then nine days off.
        (dt.datetime(2026, 2, 13, 10, 0), 2, dt.datetime(2026, 2, 24, 10, 0)),
        # The eve of National Day: Oct 1–7 are off.
        (dt.datetime(2026, 9, 30, 15, 0), 2, dt.datetime(2026, 10, 9, 15, 0)),
        # Sent during the holiday: counts from the first working day at 09:00.
        (dt.datetime(2026, 10, 3, 11, 0), 1, dt.datetime(2026, 10, 9, 9, 0)),
        # Sent on the 调休 Sunday, a working day: counts from that moment.
        (dt.datetime(2026, 9, 20, 10, 0), 1, dt.datetime(2026, 9, 21, 10, 0)),
        # The 调休 Saturday after National Day is a working day inside the count.
        (dt.datetime(2026, 10, 9, 10, 0), 1, dt.datetime(2026, 10, 10, 10, 0)),
    ],
)
def test_deadlines_follow_the_official_calendar(start, days, deadline):
    """Public holidays are skipped and the 调休 weekends worked count, as the notice says."""
    local = add_business_days(start.replace(tzinfo=SHANGHAI), days).astimezone(SHANGHAI)
    assert local.replace(tzinfo=None) == deadline


def test_a_year_without_a_calendar_counts_weekdays(caplog):
    """A year whose notice is not installed yet counts Monday to Friday, and says so in the log."""
    forget_entered_calendar()
    start = dt.datetime(2099, 1, 2, 10, 0, tzinfo=SHANGHAI)  # a Friday
    local = add_business_days(start, 2).astimezone(SHANGHAI)
    assert local.replace(tzinfo=None) == dt.datetime(2099, 1, 6, 10, 0)
    assert "no official working-day calendar for 2099" in caplog.text


def test_an_offer_is_taken_once(app, market):
    """Taking the same offer twice is refused the second time and notifies nobody again."""
    with app.app_context():
        need = submit(market)
        firm_user = db.session.get(User, market.firm_user_id)
        [lead] = leads.apply_to_products(firm_user, need, [market.products["A"]])
        leads.accept(officer(market, "A"), lead)
        leads.record_decision(
            officer(market, "A"),
            lead,
            leads.CreditDecision(amount=Decimal("500000"), rate=Decimal("3.30"), term_months=12),
        )
        leads.take_offer(firm_user, lead)
        sent = db.session.scalar(select(func.count(Notification.id)))
        with pytest.raises(leads.LeadError):
            leads.take_offer(firm_user, lead)
        assert db.session.scalar(select(func.count(Notification.id))) == sent

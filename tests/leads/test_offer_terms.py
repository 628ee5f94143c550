"""An offer's terms through the pages: repayment method, fees, validity, the subsidies granted
on it and its schedule before and after them; offers past their date cannot be taken and close."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.catalog.models import PolicyProduct
from portal.catalog.versions import record_rules
from portal.dates import today_in_china
from portal.db import utcnow
from portal.enums import (
    BenefitKind,
    GrantStatus,
    LeadCloseReason,
    LeadStatus,
    PolicyKind,
    ProductStatus,
    RepaymentMethod,
    Role,
)
from portal.extensions import db
from portal.leads.models import Lead, Loan
from portal.leads.services import LeadError, take_offer
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.notifications.models import Notification
from portal.scheduler import JOBS, close_lapsed_offers, run_job
from portal.subsidies.models import SubsidyGrant
from tests.conftest import signed_in
from tests.factories import AgencyFactory, FirmFactory, InstitutionFactory, UserFactory
from tests.factories import published_product as _product

BUDGET = Decimal("10000000")


def _policy(agency, slug: str, kind: PolicyKind, benefit: BenefitKind, formula: str):
    """A published policy in force, stacking on every product, with rule version 1."""
    today = today_in_china()
    policy = PolicyProduct(
        slug=slug,
        title={"rate": "闽江贴息政策", "fee": "担保费补贴政策"}[slug],
        agency=agency,
        kind=kind,
        benefit_kind=benefit,
        source_document="闽金融〔2026〕3号",
        source_date=dt.date(2026, 1, 10),
        valid_from=today - dt.timedelta(days=30),
        valid_to=today + dt.timedelta(days=300),
        budget=BUDGET,
        applies_to_kinds=[],
        status=ProductStatus.PUBLISHED,
        published_at=utcnow(),
    )
    db.session.add(policy)
    db.session.flush()
    record_rules(policy, eligibility="", formula=formula)
    return policy


@pytest.fixture
def market(app: Flask) -> SimpleNamespace:
    """One bank whose product is published at 11–12% with a 1.2% guarantee fee; a 3.15-point
    interest subsidy and a half-fee guarantee subsidy stack on it."""
    with app.app_context():
        firm = FirmFactory(name="闽江精密制造有限公司")
        sme = UserFactory(role=Role.SME, firm=firm)
        bank = InstitutionFactory(name="闽海银行福建分行", short_name="闽海银行")
        officer = UserFactory(role=Role.BANK_OFFICER, institution=bank)
        product = _product(bank, "闽海高息贷", "11", 'tax_credit_grade in ["A", "B"]')
        product.guarantee_fee_rate = Decimal("1.2")
        agency = AgencyFactory()
        rate_policy = _policy(
            agency, "rate", PolicyKind.INTEREST_SUBSIDY, BenefitKind.RATE_POINTS, "3.15"
        )
        fee_policy = _policy(
            agency, "fee", PolicyKind.GUARANTEE_FEE_SUBSIDY, BenefitKind.FEE_SHARE, "0.5"
        )
        db.session.commit()
        invalidate_catalogue_cache()
        return SimpleNamespace(
            sme=sme.email,
            officer=officer.email,
            bank_id=bank.id,
            product=product.id,
            rate_policy=rate_policy.id,
            fee_policy=fee_policy.id,
        )


@pytest.fixture
def firm(app: Flask, market: SimpleNamespace) -> FlaskClient:
    return signed_in(app, market.sme)


@pytest.fixture
def officer(app: Flask, market: SimpleNamespace) -> FlaskClient:
    return signed_in(app, market.officer)


def lead_for(app: Flask, firm: FlaskClient, market: SimpleNamespace, max_rate: str = "") -> int:
    """A need of 80 万元 over 12 months applied to the bank's product; its lead's id."""
    page = firm.get("/firm/needs/new").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    response = firm.post(
        "/firm/needs/new",
        data={
            "amount_wan": "80",
            "term_months": "12",
            "guarantee_type": "credit",
            "purpose": "采购数控机床",
            "max_rate": max_rate,
            "consent": "y",
            "idempotency_key": key,
        },
    )
    need_id = int(response.headers["Location"].rsplit("/", 1)[1])
    firm.post(f"/firm/needs/{need_id}/apply", data={"product_id": [str(market.product)]})
    with app.app_context():
        return db.session.scalar(select(Lead.id).where(Lead.need_id == need_id))


def decide(officer: FlaskClient, lead_id: int, **fields: str):
    """Accept the lead and send a decision of 70 万元 at 12% over 12 months (fields override)."""
    officer.post(f"/bank/leads/{lead_id}/accept")
    data = {"amount_wan": "70", "rate": "12", "term_months": "12", **fields}
    return officer.post(f"/bank/leads/{lead_id}/decide", data=data)


def reload(app: Flask, lead_id: int) -> Lead:
    with app.app_context():
        return db.session.get(Lead, lead_id)


def need_page(firm: FlaskClient, app: Flask, lead_id: int) -> str:
    return firm.get(f"/firm/needs/{reload(app, lead_id).need_id}").get_data(as_text=True)


def offers_section(page: str) -> str:
    start = page.index('id="offers-title"')
    return page[start : page.index('aria-labelledby="leads-title"', start)]


def lapse(app: Flask, lead_id: int, days_ago: int = 1) -> None:
    """Move the offer's last valid day into the past, as if the days had gone by."""
    with app.app_context():
        db.session.execute(
            update(Lead)
            .where(Lead.id == lead_id)
            .values(offer_valid_until=today_in_china() - dt.timedelta(days=days_ago))
        )
        db.session.commit()


@pytest.mark.parametrize("method", list(RepaymentMethod))
def test_decision_stores_each_repayment_method(app, market, firm, officer, method):
    """Method, one-off fees (万元 → yuan) and validity are stored and shown to the firm."""
    lead_id = lead_for(app, firm, market)
    valid_until = today_in_china() + dt.timedelta(days=30)
    response = decide(
        officer,
        lead_id,
        repayment_method=method.value,
        upfront_fee_wan="0.2",
        offer_valid_until=valid_until.isoformat(),
    )
    assert response.status_code == 302
    lead = reload(app, lead_id)
    assert lead.status == LeadStatus.APPROVED
    assert (lead.repayment_method, lead.upfront_fee) == (method, Decimal("2000.00"))
    assert lead.offer_valid_until == valid_until
    assert lead.guarantee_fee_rate == Decimal("1.2")
    offers = offers_section(need_page(firm, app, lead_id))
    label = {"equal_instalment": "等额本息", "equal_principal": "等额本金"}.get(
        method.value, "先息后本"
    )
    assert label in offers and "0.20 万元" in offers and valid_until.isoformat() in offers


def test_validity_defaults_to_fifteen_days(app, market, firm, officer):
    """Without a validity date the offer is open until the decision day + 15 days."""
    lead_id = lead_for(app, firm, market)
    form = officer.get(f"/bank/leads/{lead_id}")
    decide(officer, lead_id)
    lead = reload(app, lead_id)
    assert lead.offer_valid_until == today_in_china() + dt.timedelta(days=15)
    assert lead.repayment_method == RepaymentMethod.EQUAL_INSTALMENT
    assert form.status_code == 200


@pytest.mark.parametrize(
    ("days", "message"),
    [(-1, "方案有效期应晚于今天"), (0, "方案有效期应晚于今天"), (91, "方案有效期最长 90 天")],
)
def test_validity_outside_today_to_ninety_days_is_refused(
    app, market, firm, officer, days, message
):
    """A validity date today or before, or more than 90 days off, is refused beside the field."""
    lead_id = lead_for(app, firm, market)
    day = today_in_china() + dt.timedelta(days=days)
    response = decide(officer, lead_id, offer_valid_until=day.isoformat())
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert reload(app, lead_id).status == LeadStatus.ACCEPTED


def test_bad_fees_and_method_are_refused(app, market, firm, officer):
    """A negative fee, a fee above the amount or an unknown method gets a message."""
    lead_id = lead_for(app, firm, market)
    for fields, message in (
        ({"upfront_fee_wan": "-1"}, "一次性费用应不小于 0"),
        ({"upfront_fee_wan": "71"}, "一次性费用不应超过批复金额"),
        ({"upfront_fee_wan": "abc"}, "一次性费用应为数字"),
        ({"repayment_method": "balloon"}, "请从列表中选择"),
    ):
        response = decide(officer, lead_id, **fields)
        assert message in response.get_data(as_text=True), fields
    assert reload(app, lead_id).status == LeadStatus.ACCEPTED


def test_twelve_percent_offer_shows_the_policy_on_the_offered_rate(app, market, firm, officer):
    """Regression: a 12% offer with a 3.15-point policy shows 8.85% (not the product's
    minimum rate less the points), the stored grants with their rule version, and the
    guarantee fee after its subsidy in the annual cost."""
    lead_id = lead_for(app, firm, market)
    decide(officer, lead_id)
    with app.app_context():
        grants = db.session.scalars(select(SubsidyGrant).where(SubsidyGrant.lead_id == lead_id))
        assert {(g.policy_id, g.value) for g in grants} == {
            (market.rate_policy, Decimal("3.15")),
            (market.fee_policy, Decimal("0.5")),
        }
    offers = offers_section(need_page(firm, app, lead_id))
    assert "12.00%" in offers and "8.85%" in offers and "11.85%" not in offers
    assert "闽江贴息政策" in offers and "贴息 3.15 个百分点" in offers
    assert "担保费补贴政策" in offers and "补贴 50.00% 的担保费" in offers
    assert "规则第 1 版" in offers
    assert "1.20%/年，补贴后 0.60%/年" in offers
    assert "9.45%" in offers  # 8.85% + 0.60%
    # 70 万元 at 12% over 12 months, 等额本息: 4.63 万元 of interest; at 8.85%, 3.40 万元.
    assert "贴息前 4.63 万元，贴息后 3.40 万元" in offers
    assert "补贴前 0.84 万元，补贴后 0.42 万元" in offers  # guarantee fee over the year
    bank_page = officer.get(f"/bank/leads/{lead_id}").get_data(as_text=True)
    assert "8.85%" in bank_page and "闽江贴息政策" in bank_page and "9.45%" in bank_page
    assert "贴息前（年利率 12.00%）" in bank_page


def test_schedule_before_and_after_subsidy_on_the_need_page(app, market, firm, officer):
    """The offer expands into its schedule before and after subsidy, in yuan to the fen."""
    lead_id = lead_for(app, firm, market)
    decide(officer, lead_id, repayment_method="interest_only")
    offers = offers_section(need_page(firm, app, lead_id))
    assert "<details" in offers and "还款计划（先息后本，12 期）" in offers
    assert "贴息前（年利率 12.00%）" in offers and "贴息后（年利率 8.85%）" in offers
    # 先息后本: 7,000 a month at 12%, 5,162.50 at 8.85%; the principal with the last.
    assert "7,000.00" in offers and "5,162.50" in offers
    assert "84,000.00" in offers and "61,950.00" in offers  # total interest, yuan
    assert "700,000.00" in offers
    assert offers.count("<tr>") >= 2 * (12 + 2)  # header, 12 months and total per table


def test_warning_above_the_needs_highest_rate(app, market, firm, officer):
    """An offer above the rate the firm said it would accept carries a warning."""
    lead_id = lead_for(app, firm, market, max_rate="10")
    decide(officer, lead_id)
    offers = offers_section(need_page(firm, app, lead_id))
    assert "高于您填写的可接受最高年利率 10.00%" in offers
    calm = lead_for(app, firm, market, max_rate="12")
    decide(officer, calm)
    assert "高于您填写的可接受最高年利率" not in offers_section(need_page(firm, app, calm))


def test_taking_after_the_validity_date_is_refused(app, market, firm, officer):
    """Past its last valid day an offer is shown as expired and cannot be taken."""
    lead_id = lead_for(app, firm, market)
    decide(officer, lead_id)
    lapse(app, lead_id)
    offers = offers_section(need_page(firm, app, lead_id))
    assert "已过期" in offers and "接受此方案" not in offers
    need_id = reload(app, lead_id).need_id
    for data in ({}, {"confirmed": "y"}):  # refused before and after the confirmation step
        response = firm.post(
            f"/firm/needs/{need_id}/offers/{lead_id}/take", data=data, follow_redirects=True
        )
        assert "有效期已于" in response.get_data(as_text=True)
    assert reload(app, lead_id).offer_taken_at is None


def test_service_refuses_a_lapsed_offer(app, market, firm, officer):
    """The service itself refuses to take an offer past its date (a page left open)."""
    lead_id = lead_for(app, firm, market)
    decide(officer, lead_id)
    lapse(app, lead_id)
    with app.test_request_context():
        lead = db.session.get(Lead, lead_id)
        user = db.session.scalar(select(User).where(User.email == market.sme))
        with pytest.raises(LeadError, match="有效期已于"):
            take_offer(user, lead)
    assert reload(app, lead_id).offer_taken_at is None


def test_taking_on_the_last_valid_day_works_and_the_loan_keeps_the_method(
    app, market, firm, officer
):
    """On its last valid day the offer can still be taken; the loan carries its method."""
    lead_id = lead_for(app, firm, market)
    decide(
        officer,
        lead_id,
        repayment_method="equal_principal",
        offer_valid_until=(today_in_china() + dt.timedelta(days=1)).isoformat(),
    )
    lapse(app, lead_id, days_ago=0)
    need_id = reload(app, lead_id).need_id
    firm.post(f"/firm/needs/{need_id}/offers/{lead_id}/take", data={"confirmed": "y"})
    assert reload(app, lead_id).offer_taken_at is not None
    officer.post(
        f"/bank/leads/{lead_id}/disburse",
        data={
            "contract_no": "HT-2026-088",
            "disbursed_on": today_in_china().isoformat(),
            "confirmed": "y",
        },
    )
    with app.app_context():
        loan = db.session.scalar(select(Loan).where(Loan.lead_id == lead_id))
        assert loan.repayment_method == RepaymentMethod.EQUAL_PRINCIPAL
        assert loan.guarantee_fee_rate == Decimal("1.2")


def test_expiry_job_closes_lapsed_offers_and_releases_their_budget(app, market, firm, officer):
    """The job closes an untaken offer past its date, gives back the reserved budget, tells
    bank and firm, counts no breach, and a second run changes nothing."""
    lead_id = lead_for(app, firm, market)
    decide(officer, lead_id)
    with app.app_context():
        policy = db.session.get(PolicyProduct, market.rate_policy)
        assert policy.budget_reserved == Decimal("22050.00")  # 70万 × 3.15% × 1 year
    lapse(app, lead_id)
    assert close_lapsed_offers in [job for job, _every in JOBS]
    assert run_job(app, close_lapsed_offers) == 1
    assert run_job(app, close_lapsed_offers) == 0
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert (lead.status, lead.closed_reason) == (
            LeadStatus.CLOSED,
            LeadCloseReason.OFFER_EXPIRED,
        )
        assert lead.sla_breached is False
        for policy_id in (market.rate_policy, market.fee_policy):
            assert db.session.get(PolicyProduct, policy_id).budget_reserved == 0
        statuses = db.session.scalars(
            select(SubsidyGrant.status).where(SubsidyGrant.lead_id == lead_id)
        ).all()
        assert set(statuses) == {GrantStatus.RELEASED}
        entries = db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "lead.offer_expire")
        )
        assert entries == 1
        told = db.session.scalars(
            select(Notification.kind).where(Notification.kind == "lead.offer_expired")
        ).all()
        assert len(told) == 2  # the bank's officer and the firm's user
    bank_page = officer.get(f"/bank/leads/{lead_id}").get_data(as_text=True)
    assert "授信方案已过有效期" in bank_page and "已释放" in bank_page
    need = need_page(firm, app, lead_id)
    assert "授信方案已过有效期" in need


def test_job_leaves_offers_in_date_and_taken_ones(app, market, firm, officer):
    """An offer still in date, or taken before its date passed, is not closed."""
    in_date = lead_for(app, firm, market)
    decide(officer, in_date)
    taken = lead_for(app, firm, market)
    decide(officer, taken)
    need_id = reload(app, taken).need_id
    firm.post(f"/firm/needs/{need_id}/offers/{taken}/take", data={"confirmed": "y"})
    lapse(app, taken)
    assert run_job(app, close_lapsed_offers) == 0
    assert reload(app, in_date).status == LeadStatus.APPROVED
    assert reload(app, taken).status == LeadStatus.APPROVED

"""A bank works its leads: inbox, teaser, accept, decline, decide, disburse, and the pool."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.dates import SHANGHAI, today_in_china
from portal.db import utcnow
from portal.enums import (
    LeadCloseReason,
    LeadOrigin,
    LeadStatus,
    NeedStatus,
    Role,
)
from portal.extensions import db
from portal.leads.models import Lead, Loan
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.needs.models import FinancingNeed
from tests.conftest import signed_in
from tests.factories import FirmFactory, InstitutionFactory, UserFactory
from tests.factories import published_product as _product

WAN = Decimal(10000)
FIRM_NAME = "闽江精密制造有限公司"
PURPOSE = "采购数控机床三台"


@pytest.fixture
def market(app: Flask) -> SimpleNamespace:
    """Three approved banks with an officer each: the firm qualifies for the products of the
    first two (the first pre-approves up to 100 万元) and fails the third's."""
    with app.app_context():
        firm = FirmFactory(name=FIRM_NAME)
        sme = UserFactory(role=Role.SME, firm=firm)
        banks = [
            InstitutionFactory(name="闽海银行福建分行", short_name="闽海银行"),
            InstitutionFactory(name="山海农村商业银行", short_name="山海农商"),
            InstitutionFactory(name="榕城银行股份有限公司", short_name="榕城银行"),
        ]
        officers = [UserFactory(role=Role.BANK_OFFICER, institution=bank) for bank in banks]
        fast = _product(
            banks[0],
            "闽海快贷",
            "3.45",
            'tax_credit_grade in ["A", "B"]',
            instant_approval="amount <= 1000000",
            formula="min(amount, revenue * 0.2)",
        )
        steady = _product(banks[1], "山海经营贷", "3.80", 'size_class in ["small", "micro"]')
        _product(banks[2], "榕城老字号贷", "3.20", "years_in_business >= 30")
        regulator = UserFactory(role=Role.REGULATOR)
        db.session.commit()
        invalidate_catalogue_cache()  # the matcher caches the catalogue per process
        return SimpleNamespace(
            sme=sme.email,
            firm_name=firm.name,
            credit_code=firm.credit_code,
            firm_id=firm.id,
            officers=[o.email for o in officers],
            bank_ids=[b.id for b in banks],
            fast=fast.id,
            steady=steady.id,
            regulator=regulator.email,
        )


def submit_need(client: FlaskClient, amount_wan: str = "80") -> int:
    page = client.get("/firm/needs/new").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/firm/needs/new",
        data={
            "amount_wan": amount_wan,
            "term_months": "12",
            "guarantee_type": "credit",
            "purpose": PURPOSE,
            "consent": "y",
            "idempotency_key": key,
        },
    )
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


@pytest.fixture
def firm(app: Flask, market: SimpleNamespace) -> FlaskClient:
    return signed_in(app, market.sme)


@pytest.fixture
def officers(app: Flask, market: SimpleNamespace) -> list[FlaskClient]:
    return [signed_in(app, email) for email in market.officers]


def applied(app: Flask, firm: FlaskClient, *product_ids: int) -> dict[int, Lead]:
    """A new need applied to the products; its leads by bank id."""
    need_id = submit_need(firm)
    firm.post(f"/firm/needs/{need_id}/apply", data={"product_id": [str(p) for p in product_ids]})
    with app.app_context():
        leads = db.session.scalars(select(Lead).where(Lead.need_id == need_id)).all()
        return {lead.institution_id: lead for lead in leads}


def reload(app: Flask, lead_id: int) -> Lead:
    with app.app_context():
        return db.session.get(Lead, lead_id)


def profile_views(app: Flask, lead_id: int | None = None) -> int:
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "firm.profile_view")
        ).all()
        return sum(1 for e in entries if lead_id is None or e.detail.get("lead") == lead_id)


def decide(client: FlaskClient, lead_id: int, amount_wan: str = "70", rate: str = "3.85"):
    client.post(f"/bank/leads/{lead_id}/accept")
    return client.post(
        f"/bank/leads/{lead_id}/decide",
        data={"amount_wan": amount_wan, "rate": rate, "term_months": "12"},
    )


def test_inbox_lists_only_the_banks_own_leads(app, market, firm, officers):
    """Each bank's inbox lists its own lead and not the other bank's lead for the same need."""
    leads = applied(app, firm, market.fast, market.steady)
    mine, theirs = leads[market.bank_ids[0]], leads[market.bank_ids[1]]
    page = officers[0].get("/bank/leads/").get_data(as_text=True)
    assert f"/bank/leads/{mine.id}" in page
    assert f"/bank/leads/{theirs.id}" not in page
    assert "企业申请" in page and "已预授信" in page
    assert market.firm_name not in page


def test_teaser_hides_identity_until_accepted(app, market, firm, officers):
    """Before acceptance: size, industry, amount, pre-approval, no name, code or purpose."""
    lead = applied(app, firm, market.fast)[market.bank_ids[0]]
    page = officers[0].get(f"/bank/leads/{lead.id}").get_data(as_text=True)
    assert "80.00" in page and "小型" in page and "福州" in page
    assert re.search(r"PA\d{8}[0-9A-F]{8}", page)  # the pre-approval reference
    for secret in (market.firm_name, market.credit_code, PURPOSE):
        assert secret not in page
    assert profile_views(app) == 0
    officers[0].post(f"/bank/leads/{lead.id}/accept")
    page = officers[0].get(f"/bank/leads/{lead.id}").get_data(as_text=True)
    for revealed in (market.firm_name, market.credit_code, PURPOSE):
        assert revealed in page


def test_each_profile_view_writes_an_audit_entry(app, market, firm, officers):
    """Every opening of an accepted lead records a profile view the firm can read."""
    lead = applied(app, firm, market.fast)[market.bank_ids[0]]
    officers[0].post(f"/bank/leads/{lead.id}/accept")
    officers[0].get(f"/bank/leads/{lead.id}")
    officers[0].get(f"/bank/leads/{lead.id}")
    assert profile_views(app, lead.id) == 2
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "firm.profile_view")
        ).first()
        assert entry.firm_id == market.firm_id
        assert entry.object_type == "Firm"


def test_decline_with_a_reason(app, market, firm, officers):
    """A decline needs a reason code; the firm sees the reason on its need page."""
    lead = applied(app, firm, market.fast)[market.bank_ids[0]]
    response = officers[0].post(f"/bank/leads/{lead.id}/decline", data={"reason": ""})
    assert "请选择拒绝原因" in response.get_data(as_text=True)
    assert reload(app, lead.id).status == LeadStatus.OPEN
    officers[0].post(
        f"/bank/leads/{lead.id}/decline",
        data={"reason": "collateral", "note": "需补充抵押物", "confirmed": "y"},
    )
    declined = reload(app, lead.id)
    assert declined.status == LeadStatus.DECLINED
    assert declined.decline_code == "collateral"
    page = officers[0].get(f"/bank/leads/{lead.id}").get_data(as_text=True)
    assert "担保或抵押物不足" in page
    page = firm.get(f"/firm/needs/{lead.need_id}").get_data(as_text=True)
    assert "担保或抵押物不足" in page and "需补充抵押物" in page


def test_credit_decision_becomes_an_offer(app, market, firm, officers):
    """The credit decision is stored in yuan and shown to the firm, priced after subsidy."""
    lead = applied(app, firm, market.fast)[market.bank_ids[0]]
    response = decide(officers[0], lead.id, rate="abc")
    assert "年利率应为数字" in response.get_data(as_text=True)
    decide(officers[0], lead.id)
    approved = reload(app, lead.id)
    assert approved.status == LeadStatus.APPROVED
    assert approved.approved_amount == Decimal("700000.00")
    assert approved.approved_rate == Decimal("3.85")
    assert "等待企业选择" in officers[0].get(f"/bank/leads/{lead.id}").get_data(as_text=True)
    page = firm.get(f"/firm/needs/{lead.need_id}").get_data(as_text=True)
    assert "接受此方案" in page and "接受后其他银行的申请将关闭" in page
    assert "70.00" in page and "3.85%" in page


def test_firm_takes_an_offer_and_other_leads_close(app, market, firm, officers):
    """Taking one offer closes the other bank's lead with a reason."""
    leads = applied(app, firm, market.fast, market.steady)
    mine, theirs = leads[market.bank_ids[0]], leads[market.bank_ids[1]]
    decide(officers[0], mine.id)
    decide(officers[1], theirs.id, rate="3.60")
    response = firm.post(
        f"/firm/needs/{mine.need_id}/offers/{mine.id}/take",
        data={"confirmed": "y"},
        follow_redirects=True,
    )
    assert "其他银行的申请已关闭" in response.get_data(as_text=True)
    assert reload(app, mine.id).offer_taken_at is not None
    closed = reload(app, theirs.id)
    assert closed.status == LeadStatus.CLOSED
    assert closed.closed_reason == LeadCloseReason.OTHER_OFFER_TAKEN
    page = officers[1].get(f"/bank/leads/{theirs.id}").get_data(as_text=True)
    assert "企业已选择其他银行" in page


def test_disbursement_creates_a_loan(app, market, firm, officers):
    """A taken offer is disbursed with a contract number and date; the loan exists."""
    lead = applied(app, firm, market.fast)[market.bank_ids[0]]
    decide(officers[0], lead.id)
    page = (
        officers[0]
        .post(
            f"/bank/leads/{lead.id}/disburse",
            data={
                "contract_no": "HT-2026-001",
                "disbursed_on": today_in_china().isoformat(),
                "confirmed": "y",
            },
            follow_redirects=True,
        )
        .get_data(as_text=True)
    )
    assert "企业尚未接受本行的授信方案" in page
    firm.post(f"/firm/needs/{lead.need_id}/offers/{lead.id}/take", data={"confirmed": "y"})
    page = officers[0].get(f"/bank/leads/{lead.id}").get_data(as_text=True)
    assert "登记放款" in page and today_in_china().isoformat() in page
    officers[0].post(
        f"/bank/leads/{lead.id}/disburse",
        data={
            "contract_no": "HT-2026-001",
            "disbursed_on": today_in_china().isoformat(),
            "confirmed": "y",
        },
    )
    assert reload(app, lead.id).status == LeadStatus.DISBURSED
    with app.app_context():
        loan = db.session.scalar(select(Loan).where(Loan.lead_id == lead.id))
        assert loan.contract_no == "HT-2026-001"
        assert loan.amount == Decimal("700000.00")
        assert loan.firm_id == market.firm_id
        assert db.session.get(FinancingNeed, lead.need_id).status == NeedStatus.FULFILLED


def test_future_disbursement_date_is_refused(app, market, firm, officers):
    """A disbursement date after today is refused with a message."""
    lead = applied(app, firm, market.fast)[market.bank_ids[0]]
    decide(officers[0], lead.id)
    firm.post(f"/firm/needs/{lead.need_id}/offers/{lead.id}/take", data={"confirmed": "y"})
    tomorrow = today_in_china() + dt.timedelta(days=1)
    response = officers[0].post(
        f"/bank/leads/{lead.id}/disburse",
        data={"contract_no": "HT-1", "disbursed_on": tomorrow.isoformat()},
    )
    assert "放款日期不能晚于今天" in response.get_data(as_text=True)
    assert reload(app, lead.id).status == LeadStatus.APPROVED


def test_another_banks_lead_is_404(app, market, firm, officers):
    """A lead of another bank is 404 on every URL, and nothing about it changes."""
    lead = applied(app, firm, market.fast)[market.bank_ids[0]]
    other = officers[1]
    assert other.get(f"/bank/leads/{lead.id}").status_code == 404
    for action, data in (
        ("accept", {}),
        ("decline", {"reason": "other"}),
        ("decide", {"amount_wan": "10", "rate": "4", "term_months": "12"}),
        ("disburse", {"contract_no": "X", "disbursed_on": today_in_china().isoformat()}),
    ):
        assert other.post(f"/bank/leads/{lead.id}/{action}", data=data).status_code == 404, action
    assert reload(app, lead.id).status == LeadStatus.OPEN
    assert profile_views(app) == 0


@pytest.mark.parametrize("who", ["regulator", "sme"])
def test_regulator_and_sme_are_refused(app, market, who):
    """Only bank users may open the inbox and the pool."""
    client = signed_in(app, getattr(market, who))
    assert client.get("/bank/leads/").status_code == 403
    assert client.get("/bank/leads/pool").status_code == 403


def test_inbox_puts_urgent_leads_first_and_flags_deadlines(app, market, firm, officers):
    """Open leads come first by deadline, flagged 逾期 or 今日到期; answered leads follow."""
    answered = applied(app, firm, market.fast)[market.bank_ids[0]]
    officers[0].post(f"/bank/leads/{answered.id}/accept")
    overdue = applied(app, firm, market.fast)[market.bank_ids[0]]
    today = applied(app, firm, market.fast)[market.bank_ids[0]]
    now = utcnow()
    end_of_day = dt.datetime.combine(now.astimezone(SHANGHAI).date(), dt.time(23, 59, 59), SHANGHAI)
    with app.app_context():
        db.session.get(Lead, overdue.id).deadline_at = now - dt.timedelta(hours=1)
        db.session.get(Lead, today.id).deadline_at = min(now + dt.timedelta(hours=1), end_of_day)
        db.session.commit()
    page = officers[0].get("/bank/leads/").get_data(as_text=True)
    positions = [page.index(f'/bank/leads/{lead.id}"') for lead in (overdue, today, answered)]
    assert positions == sorted(positions)
    assert "逾期" in page and "今日到期" in page
    page = officers[0].get("/bank/leads/?status=accepted").get_data(as_text=True)
    assert f'/bank/leads/{answered.id}"' in page
    assert f'/bank/leads/{overdue.id}"' not in page


def test_pool_lists_only_claimable_leads_and_claim_works_once(app, market, firm, officers):
    """A pooled need shows only to eligible banks; the first claim wins, the second is told."""
    need_id = submit_need(firm)
    firm.post(f"/firm/needs/{need_id}/pool")
    with app.app_context():
        pooled = db.session.scalar(select(Lead).where(Lead.need_id == need_id))
    first, second, ineligible = officers
    assert f"/bank/leads/{pooled.id}/claim" in first.get("/bank/leads/pool").get_data(as_text=True)
    assert f"/bank/leads/{pooled.id}/claim" in second.get("/bank/leads/pool").get_data(as_text=True)
    page = ineligible.get("/bank/leads/pool").get_data(as_text=True)
    assert f"/bank/leads/{pooled.id}/claim" not in page
    assert "暂时没有本行可以领取的需求" in page
    assert market.firm_name not in first.get("/bank/leads/pool").get_data(as_text=True)
    # The pool never offered it to a bank without a fitting product: for that bank it is a 404.
    assert ineligible.post(f"/bank/leads/{pooled.id}/claim").status_code == 404

    response = first.post(f"/bank/leads/{pooled.id}/claim")
    assert response.headers["Location"].endswith(f"/bank/leads/{pooled.id}")
    claimed = reload(app, pooled.id)
    assert claimed.status == LeadStatus.OPEN
    assert claimed.institution_id == market.bank_ids[0]
    assert claimed.origin == LeadOrigin.POOL
    late = second.post(f"/bank/leads/{pooled.id}/claim", follow_redirects=True)
    assert late.request.path == "/bank/leads/pool"
    assert "已被其他银行领取" in late.get_data(as_text=True)
    assert reload(app, pooled.id).institution_id == market.bank_ids[0]
    with app.app_context():
        assert db.session.scalar(select(func.count(Lead.id)).where(Lead.need_id == need_id)) == 1


def test_irreversible_lead_steps_wait_for_confirmation(app, market, firm, officers):
    """Decline, taking an offer and disbursing change nothing until the box is ticked."""
    lead = applied(app, firm, market.fast)[market.bank_ids[0]]
    html = (
        officers[0]
        .post(f"/bank/leads/{lead.id}/decline", data={"reason": "collateral"})
        .get_data(as_text=True)
    )
    assert "请先勾选“我确认”一项再提交" in html
    assert reload(app, lead.id).status == LeadStatus.OPEN
    decide(officers[0], lead.id)
    html = firm.post(f"/firm/needs/{lead.need_id}/offers/{lead.id}/take").get_data(as_text=True)
    assert "确认：接受授信方案" in html and "70.00 万元" in html
    assert reload(app, lead.id).offer_taken_at is None
    firm.post(f"/firm/needs/{lead.need_id}/offers/{lead.id}/take", data={"confirmed": "y"})
    html = (
        officers[0]
        .post(
            f"/bank/leads/{lead.id}/disburse",
            data={"contract_no": "HT-9", "disbursed_on": today_in_china().isoformat()},
        )
        .get_data(as_text=True)
    )
    assert "请先勾选“我确认”一项再提交" in html
    assert reload(app, lead.id).status == LeadStatus.APPROVED

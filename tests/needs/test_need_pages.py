"""A firm submits a financing need, sees its matches with reasons, applies, and withdraws."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.catalog.models import PolicyProduct
from portal.catalog.versions import record_rules
from portal.dates import today_in_china
from portal.enums import (
    BenefitKind,
    LeadOrigin,
    LeadStatus,
    NeedStatus,
    PolicyKind,
    ProductStatus,
    Role,
)
from portal.extensions import db
from portal.leads.models import Lead
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.matching.models import MatchResult
from portal.needs.models import FinancingNeed
from tests.conftest import signed_in
from tests.factories import AgencyFactory, FirmFactory, InstitutionFactory, UserFactory
from tests.factories import published_product as _product

WAN = Decimal(10000)
FIRM_NAME = "闽江精密制造有限公司"


@pytest.fixture
def market(app: Flask) -> SimpleNamespace:
    """Three approved banks: two credit products the firm qualifies for (one with 秒批 up to
    100 万元), one it fails on years in business; a live interest subsidy of 1 point."""
    with app.app_context():
        firm = FirmFactory(name=FIRM_NAME, established_on=dt.date(2018, 5, 1))
        sme = UserFactory(role=Role.SME, firm=firm)
        rival = UserFactory(role=Role.SME)
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
        veteran = _product(banks[2], "榕城老字号贷", "3.20", "years_in_business >= 10")
        agency = AgencyFactory()
        policy = PolicyProduct(
            slug="credit-subsidy",
            title="小微企业信用贷款贴息",
            agency=agency,
            kind=PolicyKind.INTEREST_SUBSIDY,
            source_document="闽金融〔2025〕1号",
            source_date=dt.date(2025, 1, 10),
            valid_from=today_in_china() - dt.timedelta(days=30),
            benefit_kind=BenefitKind.RATE_POINTS,
            applies_to_kinds=["credit"],
            status=ProductStatus.PUBLISHED,
        )
        db.session.add(policy)
        db.session.flush()
        record_rules(policy, eligibility='size_class in ["small", "micro"]', formula="1.0")
        db.session.commit()
        invalidate_catalogue_cache()  # the matcher caches the catalogue per process
        return SimpleNamespace(
            sme=sme.email,
            firm_id=firm.id,
            rival=rival.email,
            officers=[o.email for o in officers],
            fast=fast.id,
            steady=steady.id,
            veteran=veteran.id,
            bank_ids=[b.id for b in banks],
        )


def need_form(key: str, **overrides: str) -> dict[str, str]:
    form = {
        "amount_wan": "80",
        "term_months": "12",
        "guarantee_type": "credit",
        "max_rate": "",
        "purpose": "采购原材料，扩大产能",
        "consent": "y",
        "idempotency_key": key,
    }
    form.update(overrides)
    return form


def form_key(client: FlaskClient) -> str:
    page = client.get("/firm/needs/new").get_data(as_text=True)
    found = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page)
    assert found, "the need form carries no idempotency key"
    return found.group(1)


def submit(client: FlaskClient, **overrides: str) -> int:
    """Submit a need through the form and return its id."""
    response = client.post("/firm/needs/new", data=need_form(form_key(client), **overrides))
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/firm/needs/(\d+)$", response.headers["Location"]).group(1))


def leads_of(app: Flask, need_id: int) -> list[Lead]:
    with app.app_context():
        return list(
            db.session.scalars(select(Lead).where(Lead.need_id == need_id).order_by(Lead.id))
        )


def results_of(app: Flask, need_id: int) -> dict[int, MatchResult]:
    with app.app_context():
        rows = db.session.scalars(select(MatchResult).where(MatchResult.need_id == need_id))
        return {r.product_id: r for r in rows}


def unmatched_of(app: Flask, need_id: int) -> list[dict]:
    with app.app_context():
        return db.session.get(FinancingNeed, need_id).unmatched


@pytest.fixture
def firm_client(app: Flask, market: SimpleNamespace) -> FlaskClient:
    return signed_in(app, market.sme)


def test_submit_shows_ranked_matches_reasons_and_pre_approval(app, firm_client, market):
    """A submitted need lands on its page: matches ranked, Chinese reasons, a 秒批 reference."""
    response = firm_client.post(
        "/firm/needs/new", data=need_form(form_key(firm_client)), follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.request.path.startswith("/firm/needs/")
    need_id = int(response.request.path.rsplit("/", 1)[1])
    results = results_of(app, need_id)
    assert results[market.fast].eligible and results[market.steady].eligible
    assert market.veteran not in results  # the products it fails live on the need
    unmatched = {u["product_id"]: u for u in unmatched_of(app, need_id)}
    # Ranked by subsidy-adjusted cost: 3.45% before 3.80%.
    assert page.index("闽海快贷") < page.index("山海经营贷")
    assert results[market.fast].instant_approved
    assert results[market.fast].pre_approval_ref in page
    assert "小微企业信用贷款贴息" in page
    assert "贴息 1 个百分点" in page
    assert "2.45%" in page  # 3.45% less one point
    # The product the firm fails is explained in Chinese, inside a collapsed <details>.
    reason = unmatched[market.veteran]["reasons"][0]["explanation"]
    assert re.search(r"[\u4e00-\u9fff]", reason)
    assert reason in page
    assert page.index("<details>") < page.index(reason)


def test_a_need_matched_before_results_moved_still_shows_its_reasons(app, firm_client, market):
    """Needs matched when every product kept a result row still list the products they fail."""
    need_id = submit(firm_client)
    with app.app_context():
        need = db.session.get(FinancingNeed, need_id)
        [veteran] = [u for u in need.unmatched if u["product_id"] == market.veteran]
        need.unmatched = []
        db.session.add(
            MatchResult(
                need_id=need_id,
                product_id=market.veteran,
                rule_version_id=veteran["rule_version_id"],
                eligible=False,
                explanation={"reasons": [{"explanation": "经营年限不足（旧记录）", "hint": None}]},
            )
        )
        db.session.commit()
    page = firm_client.get(f"/firm/needs/{need_id}").get_data(as_text=True)
    assert "榕城老字号贷" in page and "经营年限不足（旧记录）" in page


def test_instant_hint_when_amount_is_too_high(app, firm_client, market):
    """Above the 秒批 ceiling the page says how to qualify instead of giving a reference."""
    need_id = submit(firm_client, amount_wan="200")
    result = results_of(app, need_id)[market.fast]
    assert result.eligible and not result.instant_approved
    hint = result.explanation["instant_hint"]
    assert hint and "100" in hint
    page = firm_client.get(f"/firm/needs/{need_id}").get_data(as_text=True)
    assert hint in page


def test_double_submit_creates_one_need(app, firm_client, market):
    """Posting the same form twice (same idempotency key) lands on the same single need."""
    data = need_form(form_key(firm_client))
    first = firm_client.post("/firm/needs/new", data=data)
    second = firm_client.post("/firm/needs/new", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        count = db.session.scalar(
            select(func.count(FinancingNeed.id)).where(FinancingNeed.firm_id == market.firm_id)
        )
    assert count == 1


def test_consent_is_required(app, firm_client, market):
    """Without the consent box ticked nothing is submitted and the form says why."""
    data = need_form(form_key(firm_client))
    del data["consent"]
    response = firm_client.post("/firm/needs/new", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请勾选同意后再提交" in page
    assert "同意将本企业信息提供给本需求推送到的银行，用于融资审核" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(FinancingNeed.id))) == 0


@pytest.mark.parametrize(
    ("amount", "message"),
    [("abc", "融资金额应为数字"), ("-5", "融资金额应大于 0"), ("", "请填写融资金额")],
)
def test_bad_amount_gets_a_message(app, firm_client, market, amount, message):
    """A missing, malformed or negative amount is refused with a message saying what to fix."""
    response = firm_client.post(
        "/firm/needs/new", data=need_form(form_key(firm_client), amount_wan=amount)
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(FinancingNeed.id))) == 0


def test_apply_to_two_products_makes_two_leads(app, firm_client, market):
    """Ticking two eligible products sends the need to both banks as two open leads."""
    need_id = submit(firm_client)
    response = firm_client.post(
        f"/firm/needs/{need_id}/apply",
        data={"product_id": [str(market.fast), str(market.steady)]},
        follow_redirects=True,
    )
    assert "已向 2 家银行提交申请" in response.get_data(as_text=True)
    leads = leads_of(app, need_id)
    assert sorted(lead.product_id for lead in leads) == sorted([market.fast, market.steady])
    assert {lead.status for lead in leads} == {LeadStatus.OPEN}
    assert {lead.origin for lead in leads} == {LeadOrigin.APPLIED}
    page = firm_client.get(f"/firm/needs/{need_id}").get_data(as_text=True)
    assert "闽海银行" in page and "待响应" in page


def test_more_than_three_products_are_refused(app, firm_client, market):
    """Four products at once are refused with a message, and no lead is made."""
    with app.app_context():
        bank = InstitutionFactory(short_name="第四银行")
        extra = _product(bank, "第四信用贷", "3.90", "")
        db.session.commit()
        invalidate_catalogue_cache()
        extra_id = extra.id
    need_id = submit(firm_client)
    chosen = [market.fast, market.steady, market.veteran, extra_id]
    response = firm_client.post(
        f"/firm/needs/{need_id}/apply",
        data={"product_id": [str(i) for i in chosen]},
        follow_redirects=True,
    )
    assert "最多可同时申请 3 个产品" in response.get_data(as_text=True)
    assert leads_of(app, need_id) == []


def test_ineligible_product_is_refused(app, firm_client, market):
    """Applying to a product the firm does not qualify for makes no lead."""
    need_id = submit(firm_client)
    response = firm_client.post(
        f"/firm/needs/{need_id}/apply",
        data={"product_id": [str(market.veteran)]},
        follow_redirects=True,
    )
    assert "符合条件的产品" in response.get_data(as_text=True)
    assert leads_of(app, need_id) == []


def test_route_best_sends_to_each_eligible_bank(app, firm_client, market):
    """The platform's pick sends the need to the best eligible product of each bank."""
    need_id = submit(firm_client)
    response = firm_client.post(f"/firm/needs/{need_id}/route-best", follow_redirects=True)
    assert "平台已为您推荐并推送给 2 家银行" in response.get_data(as_text=True)
    leads = leads_of(app, need_id)
    assert {lead.institution_id for lead in leads} == set(market.bank_ids[:2])
    assert {lead.origin for lead in leads} == {LeadOrigin.BEST}


def test_pool_puts_the_need_in_the_open_pool(app, firm_client, market):
    """放入抢单池 makes one pooled lead with no bank; pressing it again makes no second one."""
    need_id = submit(firm_client)
    firm_client.post(f"/firm/needs/{need_id}/pool")
    page = firm_client.post(f"/firm/needs/{need_id}/pool", follow_redirects=True).get_data(
        as_text=True
    )
    [lead] = leads_of(app, need_id)
    assert lead.status == LeadStatus.POOLED and lead.institution_id is None
    assert "已在抢单池" in page


def test_withdraw_closes_open_leads(app, firm_client, market):
    """Withdrawing the need closes its leads with a reason the banks can read."""
    need_id = submit(firm_client)
    firm_client.post(f"/firm/needs/{need_id}/route-best")
    asked = firm_client.post(f"/firm/needs/{need_id}/withdraw").get_data(as_text=True)
    assert "我确认撤回该融资需求" in asked
    with app.app_context():
        assert db.session.get(FinancingNeed, need_id).status == NeedStatus.ROUTED
    response = firm_client.post(
        f"/firm/needs/{need_id}/withdraw", data={"confirmed": "y"}, follow_redirects=True
    )
    assert "需求已撤回" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(FinancingNeed, need_id).status == NeedStatus.WITHDRAWN
    assert {lead.status for lead in leads_of(app, need_id)} == {LeadStatus.CLOSED}


def test_another_firms_need_is_404_everywhere(app, firm_client, market):
    """Every URL of another firm's need answers 404, and nothing changes."""
    need_id = submit(firm_client)
    firm_client.post(f"/firm/needs/{need_id}/apply", data={"product_id": [str(market.fast)]})
    [lead] = leads_of(app, need_id)
    rival = signed_in(app, market.rival)
    assert rival.get(f"/firm/needs/{need_id}").status_code == 404
    for action in ("apply", "route-best", "pool", "withdraw", f"offers/{lead.id}/take"):
        response = rival.post(
            f"/firm/needs/{need_id}/{action}", data={"product_id": [str(market.steady)]}
        )
        assert response.status_code == 404, action
    assert len(leads_of(app, need_id)) == 1
    with app.app_context():
        assert db.session.get(FinancingNeed, need_id).status == NeedStatus.ROUTED


def test_offer_of_another_need_is_404(app, firm_client, market):
    """Taking an offer through a need it does not belong to answers 404."""
    first = submit(firm_client)
    second = submit(firm_client, amount_wan="90")
    firm_client.post(f"/firm/needs/{first}/apply", data={"product_id": [str(market.fast)]})
    [lead] = leads_of(app, first)
    assert firm_client.post(f"/firm/needs/{second}/offers/{lead.id}/take").status_code == 404


def test_index_lists_needs_with_counts(app, firm_client, market):
    """The needs list shows each need with its eligible matches and leads; empty at first."""
    page = firm_client.get("/firm/needs/").get_data(as_text=True)
    assert "还没有提交融资需求" in page
    need_id = submit(firm_client)
    firm_client.post(f"/firm/needs/{need_id}/route-best")
    page = firm_client.get("/firm/needs/").get_data(as_text=True)
    assert f"/firm/needs/{need_id}" in page
    assert "已推送银行" in page
    assert "/firm/needs/viewers" in page


def test_viewers_page_lists_a_bank_view(app, firm_client, market):
    """After a bank accepts the lead and opens it, the firm sees which bank and who looked."""
    need_id = submit(firm_client)
    firm_client.post(f"/firm/needs/{need_id}/apply", data={"product_id": [str(market.fast)]})
    [lead] = leads_of(app, need_id)
    assert "还没有银行查看过" in firm_client.get("/firm/needs/viewers").get_data(as_text=True)
    officer = signed_in(app, market.officers[0])
    officer.post(f"/bank/leads/{lead.id}/accept")
    assert FIRM_NAME in officer.get(f"/bank/leads/{lead.id}").get_data(as_text=True)
    page = firm_client.get("/firm/needs/viewers").get_data(as_text=True)
    assert "闽海银行福建分行" in page
    with app.app_context():
        from portal.accounts.models import User

        officer_name = db.session.scalar(
            select(User.full_name).where(User.email == market.officers[0])
        )
    assert officer_name in page
    assert f"#{lead.id}" in page


def test_bank_cannot_open_need_pages(app, market):
    """The firm's need pages are refused to bank officers."""
    officer = signed_in(app, market.officers[0])
    assert officer.get("/firm/needs/").status_code == 403
    assert officer.get("/firm/needs/new").status_code == 403

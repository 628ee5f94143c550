"""秒批 always names a limit: a limit formula that gives none above zero for a firm (negative, zero
or out of range) approves nothing, in the match and in the bank's trial alike."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import select

from portal.enums import Role
from portal.extensions import db
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.matching.models import MatchResult
from tests.conftest import signed_in
from tests.factories import FirmFactory, InstitutionFactory, UserFactory, published_product

# Each formula validates when saved, but gives this firm no limit above zero.
NO_LIMIT = {
    "negative": "-amount",
    "zero": "amount - amount",
    "out of range": "revenue * revenue * revenue",  # 2e7³ = 8e21 yuan, past any amount
}
TRIAL_FORM = {
    "size_class": "small",
    "region_code": "350100",
    "industry_code": "13",
    "years_in_business": "3",
    "employees": "40",
    "revenue_wan": "2000",
    "total_assets_wan": "2000",
    "tax_credit_grade": "A",
    "amount_wan": "80",
    "term_months": "12",
    "guarantee_type": "credit",
}


@pytest.fixture(params=sorted(NO_LIMIT))
def market(app: Flask, request: pytest.FixtureRequest) -> SimpleNamespace:
    """A firm, a product whose 秒批 rule holds but whose formula gives no limit, and a sound one."""
    with app.app_context():
        firm = FirmFactory(revenue=Decimal("20000000"))
        sme = UserFactory(role=Role.SME, firm=firm)
        bank = InstitutionFactory()
        admin = UserFactory(role=Role.BANK_ADMIN, institution=bank)
        broken = published_product(
            bank,
            "无额度快贷",
            "3.40",
            instant_approval="amount > 0",
            formula=NO_LIMIT[request.param],
        )
        sound = published_product(
            bank, "有额度快贷", "3.60", instant_approval="amount > 0", formula="amount * 0.5"
        )
        db.session.commit()
        invalidate_catalogue_cache()
        return SimpleNamespace(sme=sme.email, admin=admin.email, broken=broken.id, sound=sound.id)


def _submit_need(app: Flask, email: str) -> int:
    client = signed_in(app, email)
    form = {
        "amount_wan": "80",
        "term_months": "12",
        "guarantee_type": "credit",
        "max_rate": "",
        "purpose": "采购原材料",
        "consent": "y",
        "idempotency_key": uuid.uuid4().hex,
    }
    response = client.post("/firm/needs/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(re.search(r"/firm/needs/(\d+)$", response.headers["Location"]).group(1))


def test_match_gives_no_pre_approval_without_a_limit(app, market):
    """The product stays eligible but is not pre-approved; the sound one is, with its limit."""
    need_id = _submit_need(app, market.sme)
    with app.app_context():
        results = {
            row.product_id: row
            for row in db.session.scalars(select(MatchResult).where(MatchResult.need_id == need_id))
        }
    assert results[market.broken].eligible
    assert not results[market.broken].instant_approved
    assert results[market.broken].limit_amount is None
    assert results[market.sound].instant_approved
    assert results[market.sound].limit_amount == Decimal("400000.00")


def test_trial_says_why_there_is_no_pre_approval(app, market):
    """The bank's trial shows 不满足秒批 with the reason, never 可秒批 without a limit."""
    client = signed_in(app, market.admin)
    page = client.get(f"/bank/products/{market.broken}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    form = {**TRIAL_FORM, "csrf_token": token.group(1) if token else ""}
    html = client.post(f"/bank/products/{market.broken}", data=form).get_data(as_text=True)
    assert "不满足秒批" in html
    assert "算不出大于 0 的额度" in html
    assert "可授信额度" not in html

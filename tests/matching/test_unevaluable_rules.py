"""Rules stored before numbers were bounded (a constant far out of range, written straight to the
database): the product is skipped in the match as "cannot be evaluated", its bank hears once,
and no page fails; every other product still matches."""

from __future__ import annotations

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import select

from portal.catalog.models import RuleVersion
from portal.enums import Role
from portal.extensions import db
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.matching.models import MatchResult
from portal.needs.models import FinancingNeed
from portal.notifications.models import Notification
from tests.conftest import signed_in
from tests.factories import FirmFactory, InstitutionFactory, UserFactory, published_product

BROKEN = {
    "eligibility": ("revenue > 1e9999999", None, "min(amount, revenue * 0.2)"),
    "instant": ("", "revenue > 1e-999999999", "min(amount, revenue * 0.2)"),
    "formula": ("", None, "1e999999"),
}


@pytest.fixture(params=sorted(BROKEN))
def market(app: Flask, request: pytest.FixtureRequest) -> SimpleNamespace:
    """Two banks: a sound product, and one whose newest rule version holds a number out of range."""
    eligibility, instant, formula = BROKEN[request.param]
    with app.app_context():
        firm = FirmFactory(revenue=Decimal("20000000"))
        sme = UserFactory(role=Role.SME, firm=firm)
        sound_bank, broken_bank = InstitutionFactory(), InstitutionFactory()
        admin = UserFactory(role=Role.BANK_ADMIN, institution=broken_bank)
        officer = UserFactory(role=Role.BANK_OFFICER, institution=broken_bank)
        sound = published_product(sound_bank, "稳健经营贷", "3.60")
        broken = published_product(broken_bank, "失算快贷", "3.40")
        # Written as an old release would have stored it, past today's validation.
        db.session.add(
            RuleVersion(
                product_id=broken.id,
                version=2,
                eligibility=eligibility,
                instant_approval=instant,
                formula=formula,
            )
        )
        db.session.commit()
        invalidate_catalogue_cache()
        return SimpleNamespace(
            sme=sme.email,
            admin=admin.email,
            admin_id=admin.id,
            officer_id=officer.id,
            sound=sound.id,
            broken=broken.id,
        )


def _submit(app: Flask, email: str, key: str) -> tuple[int, str]:
    client = signed_in(app, email)
    form = {
        "amount_wan": "80",
        "term_months": "12",
        "guarantee_type": "credit",
        "max_rate": "",
        "purpose": "采购原材料",
        "consent": "y",
        "idempotency_key": key,
    }
    response = client.post("/firm/needs/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    need_id = int(re.search(r"/firm/needs/(\d+)$", response.headers["Location"]).group(1))
    page = client.get(f"/firm/needs/{need_id}")
    assert page.status_code == 200
    return need_id, page.get_data(as_text=True)


def _results(app: Flask, need_id: int) -> dict[int, MatchResult]:
    with app.app_context():
        rows = db.session.scalars(select(MatchResult).where(MatchResult.need_id == need_id))
        return {row.product_id: row for row in rows}


def _reports(app: Flask) -> list[Notification]:
    with app.app_context():
        return list(
            db.session.scalars(select(Notification).where(Notification.kind == "rules.unevaluable"))
        )


def test_need_submission_skips_the_product_and_others_still_match(app, market):
    """The sound product matches; the broken one is not available, shown with the reason."""
    need_id, page = _submit(app, market.sme, "unevaluable-need-1")
    results = _results(app, need_id)
    assert results[market.sound].eligible
    assert market.broken not in results  # only eligible products keep a result row
    with app.app_context():
        unmatched = db.session.get(FinancingNeed, need_id).unmatched
    [broken] = [entry for entry in unmatched if entry["product_id"] == market.broken]
    reasons = [r["explanation"] for r in broken["reasons"]]
    assert any("暂时无法计算" in reason for reason in reasons), reasons
    assert "暂时无法计算" in page and "稳健经营贷" in page


def test_bank_admins_hear_once_per_product_and_version(app, market):
    """Two firms' needs, one notification to the bank's admin (not its officer, not per firm)."""
    _submit(app, market.sme, "unevaluable-need-2")
    with app.app_context():
        other = UserFactory(role=Role.SME, firm=FirmFactory())
        db.session.commit()
        other_email = other.email
    _submit(app, other_email, "unevaluable-need-3")
    reports = _reports(app)
    assert [n.user_id for n in reports] == [market.admin_id]
    assert f"/bank/products/{market.broken}" in (reports[0].link or "")


def test_product_page_says_not_available(app, client, market):
    """The public product page answers, saying the product cannot be applied for at the moment."""
    response = client.get(f"/products/{market.broken}")
    assert response.status_code == 200
    assert "暂时无法计算" in response.get_data(as_text=True)
    assert client.get(f"/products/{market.sound}").status_code == 200


def test_trial_explains_what_to_fix(app, market):
    """The bank's trial answers with the stored rule's problem, naming its position."""
    client = signed_in(app, market.admin)
    page = client.get(f"/bank/products/{market.broken}")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(True))
    form = {
        "csrf_token": token.group(1) if token else "",
        "size_class": "small",
        "region_code": "350100",
        "industry_code": "13",
        "years_in_business": "3",
        "employees": "40",
        "revenue_wan": "1500",
        "total_assets_wan": "2000",
        "tax_credit_grade": "A",
        "amount_wan": "200",
        "term_months": "12",
        "guarantee_type": "credit",
    }
    response = client.post(f"/bank/products/{market.broken}", data=form)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "本版规则无法计算" in html and "超出范围（第" in html

"""What the public and staff pages say about products and policies agrees with what they list."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest

from portal.catalog.models import PolicyProduct
from portal.catalog.versions import record_rules
from portal.dates import today_in_china
from portal.enums import BenefitKind, OnboardingStatus, PolicyKind, ProductStatus, Role
from portal.extensions import db
from tests.factories import AgencyFactory, InstitutionFactory, UserFactory, published_product

MONTH = dt.timedelta(days=30)
CARD_TITLE = re.compile(r'<h3 class="card__title" id="product-\d+"><a href="[^"]+">([^<]+)</a>')
POLICY_ROW = re.compile(r'<th scope="row">\s*<a href="/policies/\d+">([^<]+)</a>')


def _policy(agency: Any, slug: str, formula: str = "1.0", **fields: Any) -> PolicyProduct:
    today = today_in_china()
    policy = PolicyProduct(
        slug=slug,
        title=fields.pop("title", slug),
        agency=agency,
        kind=PolicyKind.INTEREST_SUBSIDY,
        source_document="闽金融〔2026〕9号",
        source_date=dt.date(2026, 1, 10),
        benefit_kind=BenefitKind.RATE_POINTS,
        valid_from=fields.pop("valid_from", today - MONTH),
        valid_to=fields.pop("valid_to", today + 12 * MONTH),
        status=fields.pop("status", ProductStatus.PUBLISHED),
        applies_to_kinds=fields.pop("applies_to_kinds", ["credit"]),
        **fields,
    )
    db.session.add(policy)
    db.session.flush()
    record_rules(policy, eligibility="", formula=formula)
    return policy


@pytest.fixture
def world(app) -> dict[str, Any]:
    """Two banks (one suspended), and policies live, future, expired, closed and draft."""
    today = today_in_china()
    with app.app_context():
        bank = InstitutionFactory(name="闽江银行福建分行", short_name="闽江银行")
        suspended = InstitutionFactory(
            name="停业银行", short_name="停业", onboarding_status=OnboardingStatus.SUSPENDED
        )
        gov = UserFactory(role=Role.GOV_STAFF)
        # A rate above 3.15% gets the live subsidy; one at 3.00% gets nothing from it.
        published_product(bank, "高息信用贷", "4.35")
        published_product(bank, "低息信用贷", "3.00")
        published_product(suspended, "停业行信用贷", "4.00")
        _policy(gov.agency, "live", "max(rate - 3.15, 0)", title="信用贷款贴息")
        future = _policy(
            gov.agency, "future", valid_from=today + MONTH, valid_to=None, title="明年贴息"
        )
        _policy(gov.agency, "expired", valid_from=today - 24 * MONTH, valid_to=today - MONTH)
        _policy(gov.agency, "closed", status=ProductStatus.ARCHIVED)
        _policy(gov.agency, "draft", status=ProductStatus.DRAFT)
        other = AgencyFactory()
        _policy(other, "other-live", applies_to_kinds=["mortgage"])
        db.session.commit()
        return {"gov": gov.email, "future": future.id}


def _stat(page: str, label: str) -> int:
    found = re.search(rf'<p class="stat__label">{label}</p><p class="stat__value">(\d+)<', page)
    assert found, label
    return int(found.group(1))


def _text(client: Any, url: str, **query: Any) -> str:
    response = client.get(url, query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_landing_counts_what_the_lists_list(client, world):
    """The landing page's policy and product figures are the lengths of the public lists."""
    landing = _text(client, "/")
    listed_policies = POLICY_ROW.findall(_text(client, "/policies"))
    listed_products = CARD_TITLE.findall(_text(client, "/products"))
    assert _stat(landing, "在用扶持政策") == len(listed_policies) == 2
    assert _stat(landing, "在架信贷产品") == len(listed_products) == 2


def test_policy_support_filter_keeps_only_products_a_live_policy_benefits(client, world):
    """A product no live policy benefits (3.00% is under the 3.15% floor) leaves the list."""
    everything = CARD_TITLE.findall(_text(client, "/products"))
    backed_page = _text(client, "/products", policy_backed="y")
    backed = [html.unescape(name) for name in CARD_TITLE.findall(backed_page)]
    assert sorted(everything) == ["低息信用贷", "高息信用贷"]
    assert backed == ["高息信用贷"]
    assert backed_page.count('badge--warn">政策支持<') == 1


def test_future_policy_reads_the_same_on_staff_and_public_pages(client, auth, world):
    """A published policy that starts next month is "not started" everywhere, never in force."""
    public = _text(client, f"/policies/{world['future']}")
    auth.login(world["gov"])
    staff_detail = _text(client, f"/gov/policies/{world['future']}")
    staff_index = _text(client, "/gov/policies/")
    for page in (public, staff_detail):
        assert '<span class="badge badge--warn">尚未开始</span>' in page
        assert "实施中" not in page
    row = re.search(r"明年贴息.*?</tr>", staff_index, re.S)
    assert row and "尚未开始" in row.group(0) and "实施中" not in row.group(0)

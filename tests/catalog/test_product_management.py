"""Bank admins write product rules, see clear errors, try them on a sample firm and publish."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.catalog.models import BankProduct, RuleVersion
from portal.catalog.product_services import publish_product
from portal.enums import OnboardingStatus, Role
from portal.extensions import db
from portal.institutions.services import NotApproved
from tests.conftest import signed_in
from tests.factories import InstitutionFactory, UserFactory

GOOD_RULE = 'size_class in ["small", "micro"] and tax_credit_grade in ["A", "B"]'


def product_form(**overrides):
    form = {
        "name": "闽科贷",
        "kind": "tech_credit",
        "summary": "面向科技型小微企业的信用贷款",
        "min_amount_wan": "10",
        "max_amount_wan": "300",
        "min_term_months": "6",
        "max_term_months": "36",
        "min_rate": "3.45",
        "max_rate": "4.35",
        "guarantee_fee_rate": "0",
        "guarantee_types": ["credit"],
        "region_codes": [],
        "response_days": "",
        "eligibility": GOOD_RULE,
        "instant_approval": 'tax_credit_grade == "A" and amount <= 1000000',
        "formula": "min(amount, revenue * 0.2, 3000000)",
    }
    form.update(overrides)
    return form


def sample_firm(**overrides):
    form = {
        "size_class": "small",
        "region_code": "350100",
        "industry_code": "13",
        "years_in_business": "3",
        "employees": "40",
        "revenue_wan": "1500",
        "total_assets_wan": "2000",
        "tax_credit_grade": "B",
        "amount_wan": "200",
        "term_months": "12",
        "guarantee_type": "credit",
    }
    form.update(overrides)
    return form


@pytest.fixture
def bank_admin(client, auth, create):
    user = create(UserFactory, role=Role.BANK_ADMIN)
    auth.login(user.email)
    return user


def _product(app, name="闽科贷") -> BankProduct:
    with app.app_context():
        return db.session.scalar(select(BankProduct).where(BankProduct.name == name))


def test_wrong_rule_is_refused_with_message_naming_the_field(app, client, bank_admin):
    """A misspelt fact is refused on save with a message naming it; nothing is saved."""
    response = client.post(
        "/bank/products/new", data=product_form(eligibility="reveune >= 1000000")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "reveune" in page
    assert "revenue" in page  # the suggestion
    assert _product(app) is None


def test_fixed_rule_saves_draft_with_version_one(app, client, bank_admin):
    """A valid product is saved as a draft with rule version 1."""
    response = client.post("/bank/products/new", data=product_form())
    assert response.status_code == 302
    product = _product(app)
    assert product.status == "draft"
    assert product.min_amount == 100_000
    with app.app_context():
        versions = db.session.scalars(
            select(RuleVersion).where(RuleVersion.product_id == product.id)
        ).all()
    assert [v.version for v in versions] == [1]


def test_try_rules_on_sample_firm_explains_outcome(app, client, bank_admin):
    """Trying the rules shows eligibility, the failed instant-approval clause and the limit."""
    client.post("/bank/products/new", data=product_form())
    product = _product(app)
    page = client.post(f"/bank/products/{product.id}", data=sample_firm()).get_data(as_text=True)
    assert "符合准入" in page
    assert "不满足秒批" in page
    assert "纳税信用等级为 B" in page
    assert "可授信额度 200.00 万元" in page
    page = client.post(
        f"/bank/products/{product.id}", data=sample_firm(size_class="medium")
    ).get_data(as_text=True)
    assert "不符合准入" in page
    assert "企业规模为 中型" in page


def test_editing_rules_makes_a_new_version_and_keeps_the_old(app, client, bank_admin):
    """Changing the rule creates version 2; saving the same rule again creates nothing."""
    client.post("/bank/products/new", data=product_form())
    product = _product(app)
    client.post(
        f"/bank/products/{product.id}/edit",
        data=product_form(eligibility=GOOD_RULE + " and years_in_business >= 2"),
    )
    client.post(
        f"/bank/products/{product.id}/edit",
        data=product_form(eligibility=GOOD_RULE + " and years_in_business >= 2"),
    )
    with app.app_context():
        versions = db.session.scalars(
            select(RuleVersion)
            .where(RuleVersion.product_id == product.id)
            .order_by(RuleVersion.version)
        ).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].eligibility == GOOD_RULE


def test_approved_bank_publishes_and_archives(app, client, create, bank_admin):
    """An approved bank publishes a draft (to platform review), then archives it once live."""
    client.post("/bank/products/new", data=product_form())
    product = _product(app)
    client.post(f"/bank/products/{product.id}/publish", data={"confirmed": "y"})
    assert _product(app).status == "in_review"
    staff = create(UserFactory, role=Role.ADMIN)
    signed_in(app, staff.email).post(f"/admin/product-reviews/{product.id}/approve")
    assert _product(app).status == "published"
    client.post(f"/bank/products/{product.id}/archive", data={"confirmed": "y"})
    assert _product(app).status == "archived"


@pytest.mark.parametrize(
    "status", [OnboardingStatus.APPLIED, OnboardingStatus.REJECTED, OnboardingStatus.SUSPENDED]
)
def test_unapproved_bank_cannot_publish(app, client, auth, create, status):
    """A bank that is not approved has no product pages, and the service refuses to publish."""
    bank = create(InstitutionFactory, onboarding_status=OnboardingStatus.APPROVED)
    admin = create(UserFactory, role=Role.BANK_ADMIN, institution=bank)
    auth.login(admin.email)
    client.post("/bank/products/new", data=product_form())
    product = _product(app)
    with app.app_context():
        db.session.get(type(bank), bank.id).onboarding_status = status
        db.session.commit()
    assert client.get("/bank/products/").status_code == 403
    publish = client.post(f"/bank/products/{product.id}/publish", data={"confirmed": "y"})
    assert publish.status_code == 403
    # The service refuses too, whoever calls it (a draft made before the suspension).
    with app.app_context():
        draft = db.session.get(BankProduct, product.id)
        with pytest.raises(NotApproved, match="暂不能发布产品"):
            publish_product(db.session.get(type(admin), admin.id), draft)
    assert _product(app).status == "draft"


def test_other_banks_product_is_404(app, client, auth, create, bank_admin):
    """A bank admin cannot view, edit, publish or archive another bank's product."""
    client.post("/bank/products/new", data=product_form())
    product = _product(app)
    other = create(UserFactory, role=Role.BANK_ADMIN)
    auth.logout()
    auth.login(other.email)
    for method, url in (
        ("get", f"/bank/products/{product.id}"),
        ("get", f"/bank/products/{product.id}/edit"),
        ("post", f"/bank/products/{product.id}/edit"),
        ("post", f"/bank/products/{product.id}/publish"),
        ("post", f"/bank/products/{product.id}/archive"),
    ):
        assert getattr(client, method)(url).status_code == 404, url
    assert product.name not in client.get("/bank/products/").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.SME, Role.BANK_OFFICER, Role.GOV_STAFF, Role.REGULATOR])
def test_only_bank_admins_manage_products(client, auth, create, role):
    """Other roles are refused product management."""
    user = create(UserFactory, role=role)
    auth.login(user.email)
    assert client.get("/bank/products/").status_code == 403
    assert client.post("/bank/products/new", data=product_form()).status_code == 403


def test_amount_range_must_be_ordered(app, client, bank_admin):
    """A maximum below the minimum is refused with a message on the field."""
    response = client.post(
        "/bank/products/new", data=product_form(min_amount_wan="500", max_amount_wan="100")
    )
    assert "最高额度不能低于最低额度" in response.get_data(as_text=True)
    assert _product(app) is None


def test_publish_and_archive_wait_for_confirmation(app, client, bank_admin):
    """Without the ticked "我确认" box, publish and archive show the confirmation step only."""
    client.post("/bank/products/new", data=product_form())
    product = _product(app)
    asked = client.post(f"/bank/products/{product.id}/publish").get_data(as_text=True)
    assert "确认：发布产品" in asked and "我确认发布该产品" in asked
    assert _product(app).status == "draft"
    again = client.post(f"/bank/products/{product.id}/publish", data={"step": "confirm"})
    assert "请先勾选“我确认”一项再提交" in again.get_data(as_text=True)
    assert _product(app).status == "draft"
    client.post(f"/bank/products/{product.id}/publish", data={"confirmed": "y"})
    asked = client.post(f"/bank/products/{product.id}/archive").get_data(as_text=True)
    assert "我确认下架该产品" in asked
    assert _product(app).status == "in_review"

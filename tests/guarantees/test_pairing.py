"""The matcher pairs a bank product with the cheapest cooperating guarantee that takes the firm
and the loan, and a guarantor's product rules are checked when written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.enums import GuaranteeType, OnboardingStatus, ProductStatus, Role
from portal.extensions import db
from portal.guarantees import products
from portal.guarantees.models import GuaranteeProduct
from portal.institutions.models import FinancialInstitution
from tests.factories import UserFactory
from tests.guarantees.conftest import AMOUNT, offer_guarantee, ready, result_for, submit


def test_agency_guarantee_need_is_paired_with_the_cheapest_guarantee(app, market):
    """The cheaper of two cooperating guarantees is paired; its fee is in the annual cost."""
    with app.app_context():
        offer_guarantee(market, "乙", "乙保", "1.00", banks=("A",))
        cheap = offer_guarantee(market, "甲", "甲保", "0.80", banks=("A",))
        need = submit(market)
        result = result_for(need, market.products["A"])
        assert result.eligible
        assert result.guarantee_product_id == cheap.id
        assert result.annual_cost == Decimal("3.10") + Decimal("0.80")
        assert result.explanation["guarantee"]["product_id"] == cheap.id


@pytest.mark.parametrize(
    "refusal",
    [
        {"eligibility": 'tax_credit_grade == "B"'},  # the firm is graded A
        {"max_amount": Decimal("500000")},  # the need asks 80 万元
        {"min_amount": Decimal("1000000")},
        {"max_term_months": 12},  # the need runs 24 months
    ],
)
def test_a_guarantee_that_does_not_take_the_firm_or_loan_is_skipped(app, market, refusal):
    """The cheapest guarantee is passed over when it refuses the firm or the loan."""
    with app.app_context():
        terms = {name: value for name, value in refusal.items() if name != "eligibility"}
        eligibility = refusal.get("eligibility", "")
        cheap = offer_guarantee(market, "甲", "甲保", "0.50", banks=("A",), eligibility=eligibility)
        _change(cheap, **terms)
        dear = offer_guarantee(market, "乙", "乙保", "1.00", banks=("A",))
        result = result_for(submit(market), market.products["A"])
        assert result.guarantee_product_id == dear.id
        assert result.annual_cost == Decimal("4.10")


def test_with_no_guarantee_taking_the_loan_the_product_stays_eligible(app, market):
    """No cooperating guarantee takes the firm: the product is still offered, unpaired."""
    with app.app_context():
        offer_guarantee(market, "甲", "甲保", "0.50", eligibility='tax_credit_grade == "B"')
        need = submit(market)
        for bank in ("A", "B"):
            result = result_for(need, market.products[bank])
            assert result.eligible and result.guarantee_product_id is None
            assert "guarantee" not in result.explanation
        assert result_for(need, market.products["A"]).annual_cost == Decimal("3.10")


def test_a_need_offering_credit_is_not_paired(app, market):
    """Only a need offering a guarantee institution's guarantee gets one paired."""
    with app.app_context():
        offer_guarantee(market, "甲", "甲保", "0.80")
        result = result_for(submit(market, guarantee=GuaranteeType.CREDIT), market.products["A"])
        assert result.eligible and result.guarantee_product_id is None
        assert result.annual_cost == Decimal("3.10")


def test_a_guarantee_without_an_agreement_is_never_paired(app, market):
    """A guarantee backing bank B's product only is not paired with bank A's."""
    with app.app_context():
        only_b = offer_guarantee(market, "甲", "甲保", "0.80", banks=("B",))
        need = submit(market)
        assert result_for(need, market.products["A"]).guarantee_product_id is None
        assert result_for(need, market.products["B"]).guarantee_product_id == only_b.id


@pytest.mark.parametrize(
    "hidden",
    [
        {"status": ProductStatus.DRAFT},
        {"status": ProductStatus.ARCHIVED},
        {"guarantor": OnboardingStatus.SUSPENDED},
        {"guarantor": OnboardingStatus.APPLIED},
        {"guarantor": OnboardingStatus.REJECTED},
    ],
    ids=["draft", "archived", "suspended", "applied", "rejected"],
)
def test_an_unpublished_guarantee_or_unapproved_guarantor_is_never_paired(app, market, hidden):
    """Only published guarantees of approved guarantors are paired, however cheap."""
    with app.app_context():
        cheap = offer_guarantee(market, "甲", "甲保", "0.10", banks=("A",))
        if "status" in hidden:
            cheap.status = hidden["status"]
        else:
            db.session.get(
                FinancialInstitution, market.guarantors["甲"]
            ).onboarding_status = hidden["guarantor"]
        ready()
        dear = offer_guarantee(market, "乙", "乙保", "1.00", banks=("A",))
        result = result_for(submit(market), market.products["A"])
        assert result.guarantee_product_id == dear.id


def test_paired_cost_ranks_the_products(app, market):
    """A's 3.10% plus a 1.00% fee costs more than B's 3.50% plus 0.20%: B ranks first."""
    with app.app_context():
        offer_guarantee(market, "甲", "甲保A", "1.00", banks=("A",))
        offer_guarantee(market, "乙", "乙保B", "0.20", banks=("B",))
        need = submit(market)
        a, b = (result_for(need, market.products[bank]) for bank in ("A", "B"))
        assert (b.annual_cost, a.annual_cost) == (Decimal("3.70"), Decimal("4.10"))
        assert (b.rank, a.rank) == (1, 2)


# --- writing a guarantee product -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["rate <= 5", "guarantee_fee_rate < 1", "amount <= 3000000 and rate < 4"]
)
def test_a_guarantee_rule_may_not_read_a_bank_products_price(app, text):
    """One guarantee backs many bank products, so its rule cannot read one product's price."""
    with app.test_request_context():
        assert "rate" in products.rule_problem(text)


@pytest.mark.parametrize(
    "text", ["", 'tax_credit_grade in ["A", "B"] and amount <= 3000000', "term_months <= 24"]
)
def test_a_guarantee_rule_on_the_firm_and_need_is_accepted(app, text):
    """Rules reading the firm and the need are fine."""
    with app.test_request_context():
        assert products.rule_problem(text) is None


def test_a_rule_that_does_not_compile_is_refused(app):
    """A syntax error is reported, not stored."""
    with app.test_request_context():
        assert products.rule_problem("amount <=") is not None


def _fields(fee_rate: str) -> dict:
    return {
        "name": "新担保产品",
        "min_amount": Decimal("100000"),
        "max_amount": AMOUNT * 10,
        "max_term_months": 36,
        "fee_rate": Decimal(fee_rate),
        "coverage_share": Decimal("80"),
    }


def test_a_fee_above_the_government_cap_is_refused(app):
    """Government financing guarantees charge at most 1% a year: 1.01% is refused."""
    with app.app_context():
        admin = UserFactory(role=Role.GUARANTOR_ADMIN)
        with pytest.raises(products.GuaranteeProductError):
            products.create_product(admin, admin.institution, _fields("1.01"), "")
        assert db.session.scalar(select(func.count(GuaranteeProduct.id))) == 0


def test_a_fee_at_the_cap_makes_a_draft(app):
    """1% a year is allowed; the new product is a draft with rule version 1."""
    with app.app_context():
        admin = UserFactory(role=Role.GUARANTOR_ADMIN)
        product = products.create_product(admin, admin.institution, _fields("1.00"), "")
        assert (product.status, product.fee_rate) == (ProductStatus.DRAFT, Decimal("1.00"))


def _change(product: GuaranteeProduct, **fields: object) -> None:
    for name, value in fields.items():
        setattr(product, name, value)
    ready()

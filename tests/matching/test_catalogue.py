"""The matcher's catalogue from the database: what it holds, the response record, the cache."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal.catalog.models import BankProduct, PolicyProduct
from portal.catalog.versions import record_rules
from portal.dates import today_in_china
from portal.db import utcnow
from portal.enums import (
    BenefitKind,
    GuaranteeType,
    LeadStatus,
    OnboardingStatus,
    PolicyKind,
    ProductKind,
    ProductStatus,
    Role,
)
from portal.extensions import db
from portal.leads.models import Lead
from portal.lpr import LprRate
from portal.matching.catalogue import (
    DEFAULT_RESPONSE_HOURS,
    catalogue_fingerprint,
    invalidate_catalogue_cache,
    load_catalogue,
    response_hours,
)
from portal.matching.engine import match
from portal.matching.facts import firm_facts, need_facts
from portal.needs.models import FinancingNeed
from tests.factories import AgencyFactory, FirmFactory, InstitutionFactory, UserFactory

WAN = Decimal(10000)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    invalidate_catalogue_cache()
    yield
    invalidate_catalogue_cache()


def add_product(bank: Any, name: str, **fields: Any) -> BankProduct:
    eligibility = fields.pop("eligibility", "")
    instant = fields.pop("instant", None)
    formula = fields.pop("formula", None)
    product = BankProduct(
        institution=bank,
        name=name,
        kind=fields.pop("kind", ProductKind.CREDIT),
        min_amount=fields.pop("min_amount", 10 * WAN),
        max_amount=fields.pop("max_amount", 500 * WAN),
        min_term_months=fields.pop("min_term_months", 6),
        max_term_months=fields.pop("max_term_months", 36),
        min_rate=fields.pop("min_rate", Decimal("3.85")),
        max_rate=fields.pop("max_rate", Decimal("5.00")),
        guarantee_types=fields.pop("guarantee_types", []),
        region_codes=fields.pop("region_codes", []),
        status=fields.pop("status", ProductStatus.PUBLISHED),
        published_at=utcnow(),
        **fields,
    )
    db.session.add(product)
    db.session.flush()
    record_rules(product, eligibility=eligibility, instant_approval=instant, formula=formula)
    return product


def add_policy(agency: Any, slug: str, **fields: Any) -> PolicyProduct:
    today = today_in_china()
    eligibility = fields.pop("eligibility", "")
    formula = fields.pop("formula", "1")
    policy = PolicyProduct(
        slug=slug,
        title=fields.pop("title", slug),
        agency=agency,
        kind=fields.pop("kind", PolicyKind.INTEREST_SUBSIDY),
        benefit_kind=fields.pop("benefit_kind", BenefitKind.RATE_POINTS),
        source_document="闽金融〔2025〕1号",
        source_date=dt.date(2025, 1, 10),
        valid_from=fields.pop("valid_from", today - dt.timedelta(days=30)),
        valid_to=fields.pop("valid_to", today + dt.timedelta(days=300)),
        status=fields.pop("status", ProductStatus.PUBLISHED),
        **fields,
    )
    db.session.add(policy)
    db.session.flush()
    record_rules(policy, eligibility=eligibility, formula=formula)
    return policy


@pytest.fixture
def seeded(app: Flask) -> dict[str, int]:
    """Two approved banks and a suspended one; products and policies in every state."""
    today = today_in_china()
    with app.app_context():
        bank = InstitutionFactory(short_name="闽海银行")
        rural = InstitutionFactory(short_name="山海农商")
        suspended = InstitutionFactory(onboarding_status=OnboardingStatus.SUSPENDED)
        agency = AgencyFactory()
        ids = {
            "credit": add_product(
                bank,
                "经营信用贷",
                eligibility='tax_credit_grade in ["A", "B"]',
                instant='tax_credit_grade == "A" and amount <= 1000000',
                formula="min(amount, revenue * 0.2)",
                guarantee_types=["credit"],
                region_codes=["350100"],
            ).id,
            "guaranteed": add_product(
                rural,
                "担保通",
                kind=ProductKind.GUARANTEED,
                guarantee_fee_rate=Decimal("1.50"),
                min_rate=Decimal("3.60"),
            ).id,
            "draft": add_product(bank, "草稿贷", status=ProductStatus.DRAFT).id,
            "archived": add_product(bank, "下架贷", status=ProductStatus.ARCHIVED).id,
            "suspended": add_product(suspended, "暂停贷").id,
            "subsidy": add_policy(
                agency, "credit-subsidy", applies_to_kinds=["credit"], formula="0.5"
            ).id,
            "fee": add_policy(
                agency,
                "fee-subsidy",
                kind=PolicyKind.GUARANTEE_FEE_SUBSIDY,
                benefit_kind=BenefitKind.FEE_SHARE,
                formula="0.5",
                benefit_cap=Decimal(20000),
            ).id,
            "expired": add_policy(agency, "expired", valid_to=today - dt.timedelta(days=1)).id,
            "future": add_policy(agency, "future", valid_from=today + dt.timedelta(days=1)).id,
            "draft_policy": add_policy(agency, "draft-policy", status=ProductStatus.DRAFT).id,
            "spent": add_policy(
                agency, "spent", budget=Decimal(1000), budget_committed=Decimal(1000)
            ).id,
            "bank": bank.id,
            "rural": rural.id,
        }
        db.session.add(
            LprRate(
                effective_on=today - dt.timedelta(days=10),
                one_year=Decimal("3.10"),
                over_five_years=Decimal("3.60"),
            )
        )
        db.session.add(
            LprRate(
                effective_on=today + dt.timedelta(days=20),
                one_year=Decimal("2.90"),
                over_five_years=Decimal("3.40"),
            )
        )
        db.session.commit()
    return ids


def test_catalogue_holds_only_what_the_public_may_see(app: Flask, seeded: dict[str, int]) -> None:
    """Published products of approved banks; published policies in force, with budget left."""
    with app.app_context():
        catalogue = load_catalogue(today_in_china())
    assert {p.id for p in catalogue.products} == {seeded["credit"], seeded["guaranteed"]}
    assert {p.id for p in catalogue.policies} == {seeded["subsidy"], seeded["fee"]}
    assert catalogue.lpr_one_year == Decimal("3.10")  # not the one not yet in force


def test_products_carry_their_terms_rules_and_stacking_policies(
    app: Flask, seeded: dict[str, int]
) -> None:
    """Fields, the newest rule version, and the policies that stack on each product."""
    with app.app_context():
        catalogue = load_catalogue(today_in_china())
    products = {p.id: p for p in catalogue.products}
    credit = products[seeded["credit"]]
    assert credit.institution_name == "闽海银行"
    assert credit.kind == "credit"
    assert credit.guarantee_types == frozenset({"credit"})
    assert credit.region_codes == frozenset({"350100"})
    assert credit.max_amount == 500 * WAN
    assert credit.rules.instant_approval is not None
    assert credit.rules.formula is not None and credit.rules.formula.text.startswith("min(")
    assert credit.response_hours == DEFAULT_RESPONSE_HOURS
    assert [p.id for p in catalogue.stacking_policies[seeded["credit"]]] == [
        seeded["subsidy"],
        seeded["fee"],
    ]
    assert [p.id for p in catalogue.stacking_policies[seeded["guaranteed"]]] == [seeded["fee"]]
    assert products[seeded["guaranteed"]].guarantee_fee_rate == Decimal("1.50")


def test_matching_a_loaded_catalogue_end_to_end(app: Flask, seeded: dict[str, int]) -> None:
    """A firm's facts against the loaded catalogue: ranks, subsidies and the rule version."""
    with app.app_context():
        firm = FirmFactory(tax_credit_grade="A", revenue=Decimal(6_000_000))
        db.session.flush()
        catalogue = load_catalogue(today_in_china())
        outcome = match(
            catalogue,
            firm_facts(firm, today_in_china()),
            need_facts(amount=80 * WAN, term_months=12, guarantee_type="credit"),
        )
        credit_version = catalogue.products[0].rules.version_id
    by_id = {m.product.id: m for m in outcome.eligible}
    credit = by_id[seeded["credit"]]
    assert credit.instant_approved and credit.limit == Decimal("800000.00")
    assert credit.adjusted_rate == Decimal("3.35")
    assert credit.rule_version_id == credit_version
    guaranteed = by_id[seeded["guaranteed"]]
    # 1.5% of 80 万元 is 12,000 yuan a year; the 20,000 cap does not bind.
    assert guaranteed.adjusted_fee_rate == Decimal("0.75")
    assert [m.product.id for m in outcome.eligible] == [seeded["credit"], seeded["guaranteed"]]


def test_response_hours_are_the_median_over_180_days(app: Flask, seeded: dict[str, int]) -> None:
    """Median hours from lead to first response; old and unanswered leads do not count."""
    now = dt.datetime.now(dt.UTC)
    with app.app_context():
        user = UserFactory(role=Role.SME)
        need = FinancingNeed(
            firm=user.firm,
            submitted_by_id=user.id,
            amount=100 * WAN,
            term_months=12,
            purpose="流动资金",
            guarantee_type=GuaranteeType.CREDIT,
            consent_at=now,
            consent_scope="routed_banks_profile",
            idempotency_key="response-hours",
        )
        db.session.add(need)
        db.session.flush()
        waits = [
            (10, 2),
            (30, 4),
            (50, 12),
            (200 * 24, 1),
            (5, None),
        ]  # (hours ago, hours to answer)
        for ago, hours in waits:
            created = now - dt.timedelta(hours=ago)
            db.session.add(
                Lead(
                    need_id=need.id,
                    institution_id=seeded["bank"],
                    status=LeadStatus.ACCEPTED if hours else LeadStatus.OPEN,
                    created_at=created,
                    first_response_at=created + dt.timedelta(hours=hours) if hours else None,
                )
            )
            need = FinancingNeed(
                firm=user.firm,
                submitted_by_id=user.id,
                amount=100 * WAN,
                term_months=12,
                purpose="流动资金",
                guarantee_type=GuaranteeType.CREDIT,
                consent_at=now,
                consent_scope="routed_banks_profile",
                idempotency_key=f"response-hours-{ago}",
            )
            db.session.add(need)
            db.session.flush()
        db.session.commit()
        hours = response_hours([seeded["bank"], seeded["rural"]], now=now)
        catalogue = load_catalogue(today_in_china())
    assert hours == {seeded["bank"]: Decimal("4.00"), seeded["rural"]: DEFAULT_RESPONSE_HOURS}
    by_id = {p.id: p for p in catalogue.products}
    assert by_id[seeded["credit"]].response_hours == Decimal("4.00")


def test_catalogue_is_cached_until_something_changes(app: Flask, seeded: dict[str, int]) -> None:
    """The same object while nothing changed; a newly published product shows up at once."""
    today = today_in_china()
    with app.app_context():
        first = load_catalogue(today)
        assert load_catalogue(today) is first
    with app.app_context():
        bank = db.session.get(BankProduct, seeded["credit"]).institution
        added = add_product(bank, "新上架贷").id
        db.session.commit()
    with app.app_context():
        second = load_catalogue(today)
    assert second is not first
    assert added in {p.id for p in second.products}


@pytest.mark.parametrize("change", ["publish_draft", "new_rule_version", "suspend_bank", "lpr"])
def test_fingerprint_changes_with_what_the_catalogue_depends_on(
    app: Flask, seeded: dict[str, int], change: str
) -> None:
    """Each change the matcher must see moves the one-row fingerprint."""
    today = today_in_china()
    with app.app_context():
        before = catalogue_fingerprint(today)
    with app.app_context():
        if change == "publish_draft":
            db.session.get(BankProduct, seeded["draft"]).status = ProductStatus.PUBLISHED
        elif change == "new_rule_version":
            product = db.session.get(BankProduct, seeded["credit"])
            record_rules(product, eligibility='tax_credit_grade == "A"')
        elif change == "suspend_bank":
            institution = db.session.get(BankProduct, seeded["credit"]).institution
            institution.onboarding_status = OnboardingStatus.SUSPENDED
            institution.status_changed_at = utcnow()
        else:
            rate = db.session.scalars(
                select(LprRate).where(LprRate.one_year == Decimal("3.10"))
            ).one()
            rate.one_year = Decimal("3.00")
        db.session.commit()
    with app.app_context():
        assert catalogue_fingerprint(today) != before


def test_new_rule_version_is_used_after_the_change(app: Flask, seeded: dict[str, int]) -> None:
    """Matches cite the rule version in force when they ran."""
    today = today_in_china()
    with app.app_context():
        old = {p.id: p.rules.version_id for p in load_catalogue(today).products}
        product = db.session.get(BankProduct, seeded["credit"])
        version, created = record_rules(product, eligibility='tax_credit_grade == "A"')
        db.session.commit()
        assert created
        new = {p.id: p.rules.version_id for p in load_catalogue(today).products}
    assert new[seeded["credit"]] == version.id != old[seeded["credit"]]

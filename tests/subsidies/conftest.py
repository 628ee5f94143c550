"""A firm, two banks and interest-subsidy policies, and the steps from need to loan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from portal.accounts.models import User
from portal.catalog.models import BankProduct, PolicyProduct
from portal.catalog.versions import record_rules
from portal.dates import today_in_china
from portal.db import utcnow
from portal.enums import (
    BenefitKind,
    GuaranteeType,
    PolicyKind,
    ProductStatus,
    Role,
)
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads import services as leads
from portal.leads.models import Lead, Loan
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.needs import services as needs
from portal.needs.models import FinancingNeed
from tests.factories import AgencyFactory, InstitutionFactory, UserFactory
from tests.leads.conftest import publish_product

_keys = iter(range(10**6))


def interest_policy(
    agency,
    slug: str,
    formula: str,
    *,
    eligibility: str = "",
    budget: Decimal | None = None,
    cap: Decimal | None = None,
    kind: BenefitKind = BenefitKind.RATE_POINTS,
    valid_from: dt.date = dt.date(2024, 1, 1),
) -> PolicyProduct:
    """A published policy in force today that stacks on credit products."""
    policy = PolicyProduct(
        slug=slug,
        title=f"政策 {slug}",
        agency=agency,
        kind=PolicyKind.INTEREST_SUBSIDY
        if kind == BenefitKind.RATE_POINTS
        else PolicyKind.GUARANTEE_FEE_SUBSIDY,
        source_document="测试文件",
        source_date=dt.date(2024, 1, 1),
        valid_from=valid_from,
        budget=budget,
        benefit_kind=kind,
        benefit_cap=cap,
        applies_to_kinds=["credit"],
        status=ProductStatus.PUBLISHED,
        published_at=utcnow(),
    )
    db.session.add(policy)
    db.session.flush()
    record_rules(policy, eligibility=eligibility, formula=formula)
    return policy


def bank_with_product(name: str, rate: str) -> tuple[BankProduct, User]:
    bank = InstitutionFactory(short_name=name, name=f"{name}福建分行")
    officer = UserFactory(role=Role.BANK_OFFICER, institution=bank)
    product = publish_product(bank, f"{name}信用贷", rate, formula=None)
    return product, officer


def firm_user() -> User:
    return UserFactory(
        role=Role.SME,
        firm__employees=60,
        firm__revenue=Decimal("20000000"),
        firm__established_on=dt.date(2015, 1, 1),
    )


def submit(user: User, amount: str = "1000000", term: int = 24) -> FinancingNeed:
    db.session.commit()
    invalidate_catalogue_cache()
    return needs.submit_need(
        user,
        db.session.get(Firm, user.firm_id),
        needs.NeedInput(Decimal(amount), term, "周转", GuaranteeType.CREDIT, None),
        f"key-{next(_keys)}",
    )


def offer(user: User, need: FinancingNeed, product: BankProduct, officer: User, rate: str) -> Lead:
    """The firm applies, the bank accepts and offers the need's amount and term at `rate`."""
    [lead] = leads.apply_to_products(user, need, [product.id])
    leads.accept(officer, lead)
    leads.record_decision(
        officer, lead, leads.CreditDecision(need.amount, Decimal(rate), need.term_months)
    )
    return lead


def take_and_disburse(user: User, lead: Lead, officer: User, amount: str | None = None) -> Loan:
    leads.take_offer(user, lead)
    return leads.disburse(
        officer,
        lead,
        "HT-001",
        today_in_china(),
        Decimal(amount) if amount is not None else None,
    )


def fresh_agency():
    return AgencyFactory()

"""A small market for lead tests: one firm and three approved banks with published products."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from portal.catalog.models import BankProduct
from portal.enums import Role
from portal.extensions import db
from portal.matching.catalogue import invalidate_catalogue_cache
from tests.factories import InstitutionFactory, UserFactory, published_product


@dataclass
class Market:
    firm_user_id: int
    firm_id: int
    officers: dict[str, int]  # bank short name -> officer user id
    banks: dict[str, int]  # bank short name -> institution id
    products: dict[str, int]  # bank short name -> product id


def publish_product(bank, name: str, min_rate: str, **rules: str | None) -> BankProduct:
    """A published product whose limit is 30% of revenue."""
    return published_product(
        bank,
        name,
        min_rate,
        rules.get("eligibility") or "",
        instant_approval=rules.get("instant"),
        formula=rules.get("formula", "min(amount, revenue * 0.3)"),
    )


@pytest.fixture
def market(app) -> Market:
    """Bank A (cheapest, instant approval up to 100万), B, C; a small A-grade manufacturer."""
    with app.app_context():
        firm_user = UserFactory(
            role=Role.SME,
            firm__employees=60,
            firm__revenue=Decimal("20000000"),
            firm__established_on=dt.date(2015, 1, 1),
        )
        banks, officers, products = {}, {}, {}
        for short, rate in (("A", "3.10"), ("B", "3.50"), ("C", "3.90")):
            bank = InstitutionFactory(short_name=f"银行{short}", name=f"测试银行{short}福建分行")
            officer = UserFactory(role=Role.BANK_OFFICER, institution=bank)
            product = publish_product(
                bank,
                f"{short}信用贷",
                rate,
                eligibility='size_class in ["small", "micro"] and tax_credit_grade in ["A", "B"]',
                instant='tax_credit_grade == "A" and amount <= 1000000' if short == "A" else None,
            )
            banks[short], officers[short], products[short] = bank.id, officer.id, product.id
        db.session.commit()
        invalidate_catalogue_cache()
        return Market(firm_user.id, firm_user.firm_id, officers, banks, products)

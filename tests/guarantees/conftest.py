"""A small market for guarantee tests: one firm, two banks whose products take a guarantee
institution's guarantee, and two approved guarantors (甲, 乙) with an officer each.

Guarantee products are published by each test (`offer_guarantee`), or by the `cooperating`
fixture: 甲 at 0.80% a year covering 80%, 乙 at 1.00% covering 70%, both backing both banks.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.catalog.models import BankProduct
from portal.enums import GuaranteeType, Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.guarantees.models import GuaranteeProduct, GuaranteeRequest
from portal.leads import services as leads
from portal.leads.models import Lead
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.matching.models import MatchResult
from portal.needs import services as needs
from portal.needs.models import FinancingNeed
from tests.factories import (
    GuarantorFactory,
    InstitutionFactory,
    UserFactory,
    published_guarantee,
    published_product,
)

BANK_RATES = {"A": "3.10", "B": "3.50"}
AMOUNT = Decimal("800000")
TERM = 24
DECIDED_RATE = {"A": Decimal("3.20"), "B": Decimal("3.60")}

_keys = itertools.count()
M = TypeVar("M")


@dataclass
class Market:
    firm_user_id: int
    firm_id: int
    banks: dict[str, int]  # "A", "B" -> institution id
    bank_officers: dict[str, int]  # "A", "B" -> officer user id
    products: dict[str, int]  # "A", "B" -> bank product id
    guarantors: dict[str, int]  # "甲", "乙" -> institution id
    guarantor_officers: dict[str, int]  # "甲", "乙" -> officer user id


@pytest.fixture
def market(app) -> Market:
    """Banks A (3.10%) and B (3.50%) taking credit or an agency guarantee; guarantors 甲, 乙."""
    with app.app_context():
        firm_user = UserFactory(
            role=Role.SME,
            firm__employees=60,
            firm__revenue=Decimal("20000000"),
            firm__established_on=dt.date(2015, 1, 1),
        )
        banks, bank_officers, products = {}, {}, {}
        for short, rate in BANK_RATES.items():
            bank = InstitutionFactory(short_name=f"银行{short}", name=f"测试银行{short}福建分行")
            product = published_product(bank, f"{short}担保贷", rate)
            # Pairing needs a bank product that takes a guarantee institution's guarantee.
            product.guarantee_types = ["credit", "guarantee_agency"]
            officer = UserFactory(role=Role.BANK_OFFICER, institution=bank)
            banks[short], bank_officers[short], products[short] = bank.id, officer.id, product.id
        guarantors, guarantor_officers = {}, {}
        for short in ("甲", "乙"):
            guarantor = GuarantorFactory(short_name=f"{short}担保", name=f"{short}融资担保有限公司")
            officer = UserFactory(role=Role.GUARANTOR_OFFICER, institution=guarantor)
            guarantors[short], guarantor_officers[short] = guarantor.id, officer.id
        ready()
        return Market(
            firm_user.id,
            firm_user.firm_id,
            banks,
            bank_officers,
            products,
            guarantors,
            guarantor_officers,
        )


@pytest.fixture
def cooperating(app, market: Market) -> dict[str, int]:
    """甲 (0.80%, 80% covered) and 乙 (1.00%, 70%) back both banks' products in batch mode."""
    with app.app_context():
        cheap = offer_guarantee(market, "甲", "甲保", "0.80", coverage_share="80")
        dear = offer_guarantee(market, "乙", "乙保", "1.00", coverage_share="70")
        return {"甲": cheap.id, "乙": dear.id}


def ready() -> None:
    """Commit and forget the matcher's catalogue, so the next match sees what was published."""
    db.session.commit()
    invalidate_catalogue_cache()


def offer_guarantee(
    market: Market,
    guarantor: str,
    name: str,
    fee_rate: str,
    banks: tuple[str, ...] = ("A", "B"),
    **terms: Any,
) -> GuaranteeProduct:
    """A published guarantee product of `guarantor` backing the named banks' products."""
    institution = db.session.get(User, market.guarantor_officers[guarantor]).institution
    product = published_guarantee(
        institution,
        name,
        fee_rate,
        [db.session.get_one(BankProduct, market.products[b]) for b in banks],
        **terms,
    )
    ready()
    return product


def user(user_id: int) -> User:
    return db.session.get(User, user_id)


def submit(
    market: Market,
    amount: Decimal = AMOUNT,
    term: int = TERM,
    guarantee: GuaranteeType = GuaranteeType.GUARANTEE_AGENCY,
) -> FinancingNeed:
    """The firm submits a need (matched at once), offering `guarantee`."""
    data = needs.NeedInput(amount, term, "采购原材料", guarantee, None)
    firm = db.session.get(Firm, market.firm_id)
    return needs.submit_need(user(market.firm_user_id), firm, data, f"g-{next(_keys)}")


def result_for(need: FinancingNeed, product_id: int) -> MatchResult | None:
    """The stored match of one product for the need (None: the product was not eligible)."""
    return db.session.scalar(
        select(MatchResult).where(
            MatchResult.need_id == need.id, MatchResult.product_id == product_id
        )
    )


def accepted_lead(market: Market, need: FinancingNeed, bank: str = "A") -> Lead:
    """The firm applies to the bank's product and the bank takes the lead on."""
    [lead] = leads.apply_to_products(user(market.firm_user_id), need, [market.products[bank]])
    leads.accept(user(market.bank_officers[bank]), lead)
    return lead


def decide(
    market: Market,
    lead: Lead,
    bank: str = "A",
    amount: Decimal = AMOUNT,
    *,
    with_guarantee: bool = True,
) -> None:
    """The bank's credit decision on the lead, conditional on a guarantee by default."""
    decision = leads.CreditDecision(
        amount=amount, rate=DECIDED_RATE[bank], term_months=TERM, with_guarantee=with_guarantee
    )
    leads.record_decision(user(market.bank_officers[bank]), lead, decision)


def guaranteed_offer(market: Market, bank: str = "A", amount: Decimal = AMOUNT) -> Lead:
    """A need to the bank, accepted, and its decision conditional on a guarantee."""
    lead = accepted_lead(market, submit(market), bank)
    decide(market, lead, bank, amount)
    return lead


def current(model: type[M], object_id: int) -> M:
    """A row as the database holds it now.

    Sessions keep objects across commits (expire_on_commit=False) and the services change
    state with conditional UPDATEs; a page reads in a new session, a test reads like this.
    """
    return db.session.get_one(model, object_id, populate_existing=True)


def requests_of(lead_id: int) -> list[GuaranteeRequest]:
    """The guarantee requests sent on a lead, oldest first, as the database holds them now."""
    return list(
        db.session.scalars(
            select(GuaranteeRequest)
            .where(GuaranteeRequest.lead_id == lead_id)
            .order_by(GuaranteeRequest.id)
            .execution_options(populate_existing=True)
        )
    )

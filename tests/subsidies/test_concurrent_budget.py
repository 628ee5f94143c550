"""Many banks deciding at the same moment against one policy's budget: it is never overdrawn.

Real commits and threads; on PostgreSQL the reservations race for real (row locks), on SQLite
the writes are serialised. Each decision reserves 20,000 yuan; the budget holds three.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.catalog.models import PolicyProduct
from portal.enums import GrantStatus
from portal.extensions import db
from portal.leads import services as leads
from portal.leads.models import Lead
from portal.subsidies.models import SubsidyGrant
from tests.subsidies.conftest import (
    bank_with_product,
    firm_user,
    fresh_agency,
    interest_policy,
    submit,
)

BANKS = 8
BUDGET = Decimal(60000)  # three decisions of 1,000,000 × 1% × 2 years


def _accepted_leads(app) -> tuple[int, list[tuple[int, int]]]:
    """One policy; BANKS firms each with a need accepted by its own bank."""
    with app.app_context():
        policy = interest_policy(fresh_agency(), "race", "1.00", budget=BUDGET)
        pairs = []
        for n in range(BANKS):
            product, officer = bank_with_product(f"并发银行{n}", "3.30")
            user = firm_user()
            db.session.commit()
            need = submit(user)
            [lead] = leads.apply_to_products(user, need, [product.id])
            leads.accept(officer, lead)
            pairs.append((lead.id, officer.id))
        return policy.id, pairs


@pytest.mark.real_commits
def test_concurrent_decisions_never_overdraw_a_budget(app):
    policy_id, pairs = _accepted_leads(app)
    barrier = threading.Barrier(len(pairs))
    errors: list[BaseException] = []

    def decide(lead_id: int, officer_id: int) -> None:
        with app.app_context():
            officer = db.session.get(User, officer_id)
            lead = db.session.get(Lead, lead_id)
            decision = leads.CreditDecision(
                lead.need.amount, Decimal("3.50"), lead.need.term_months
            )
            db.session.commit()
            barrier.wait()
            try:
                leads.record_decision(officer, lead, decision)
            except BaseException as error:
                errors.append(error)

    threads = [threading.Thread(target=decide, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with app.app_context():
        policy = db.session.get(PolicyProduct, policy_id)
        reserved = db.session.scalar(
            select(func.coalesce(func.sum(SubsidyGrant.expected_amount), 0)).where(
                SubsidyGrant.policy_id == policy_id, SubsidyGrant.status == GrantStatus.RESERVED
            )
        )
        granted = db.session.scalar(
            select(func.count(SubsidyGrant.id)).where(SubsidyGrant.policy_id == policy_id)
        )
        assert policy.budget_reserved == reserved == BUDGET
        assert granted == 3
        assert policy.budget_remaining == 0
        decided = db.session.scalar(select(func.count(Lead.id)).where(Lead.decided_at.is_not(None)))
        assert decided == BANKS  # every offer was made; only three carry the subsidy

"""The scoping layer: a user reaches only their own tenant's rows; other rows are 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from portal.accounts.models import User
from portal.authz import get_or_404, scoped
from portal.db import utcnow
from portal.enums import GuaranteeType, LeadStatus, Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads.models import Lead, Loan
from portal.needs.models import FinancingNeed
from tests.factories import FirmFactory, InstitutionFactory, UserFactory


def _need(firm: Firm, user: User) -> FinancingNeed:
    need = FinancingNeed(
        firm=firm,
        submitted_by_id=user.id,
        amount=Decimal("1000000"),
        term_months=12,
        purpose="采购原材料",
        guarantee_type=GuaranteeType.CREDIT,
        consent_at=utcnow(),
        consent_scope="routed_banks",
        idempotency_key=f"k-{firm.id}",
    )
    db.session.add(need)
    db.session.flush()
    return need


@pytest.fixture
def two_tenants(app):
    """Two firms with a user each, two banks with an officer each, and a lead for bank A."""
    with app.app_context():
        sme_a, sme_b = UserFactory(role=Role.SME), UserFactory(role=Role.SME)
        bank_a, bank_b = InstitutionFactory(), InstitutionFactory()
        officer_a = UserFactory(role=Role.BANK_OFFICER, institution=bank_a)
        officer_b = UserFactory(role=Role.BANK_OFFICER, institution=bank_b)
        need = _need(sme_a.firm, sme_a)
        lead = Lead(need=need, institution=bank_a, status=LeadStatus.OPEN)
        loan = Loan(
            institution=bank_a,
            firm=sme_a.firm,
            contract_no="C-1",
            amount=Decimal("500000"),
            rate=Decimal("3.80"),
            term_months=12,
            disbursed_on=dt.date(2026, 1, 5),
            maturity_on=dt.date(2027, 1, 5),
        )
        db.session.add_all([lead, loan])
        db.session.commit()
        return {
            "sme_a": sme_a.id,
            "sme_b": sme_b.id,
            "officer_a": officer_a.id,
            "officer_b": officer_b.id,
            "firm_a": sme_a.firm_id,
            "lead": lead.id,
            "loan": loan.id,
            "need": need.id,
        }


def _actor(key: str, ids: dict) -> User:
    return db.session.get(User, ids[key])


def test_firm_user_reaches_own_firm_only(app, two_tenants):
    """Another firm's profile is a 404 for a firm user, whatever id it guesses."""
    with app.app_context():
        assert get_or_404(Firm, two_tenants["firm_a"], _actor("sme_a", two_tenants)).id
        with pytest.raises(NotFound):
            get_or_404(Firm, two_tenants["firm_a"], _actor("sme_b", two_tenants))
        for guess in range(1, two_tenants["firm_a"] + 5):
            if guess != db.session.get(User, two_tenants["sme_b"]).firm_id:
                with pytest.raises(NotFound):
                    get_or_404(Firm, guess, _actor("sme_b", two_tenants))


def test_bank_sees_only_its_own_leads_and_loans(app, two_tenants):
    """Bank B cannot load bank A's lead or loan; bank A can."""
    with app.app_context():
        officer_a, officer_b = _actor("officer_a", two_tenants), _actor("officer_b", two_tenants)
        assert get_or_404(Lead, two_tenants["lead"], officer_a).id == two_tenants["lead"]
        assert get_or_404(Loan, two_tenants["loan"], officer_a).id == two_tenants["loan"]
        for model, key in ((Lead, "lead"), (Loan, "loan"), (FinancingNeed, "need")):
            with pytest.raises(NotFound):
                get_or_404(model, two_tenants[key], officer_b)
        assert db.session.scalars(scoped(select(Lead), Lead, officer_b)).all() == []


def test_bank_sees_firm_only_after_accepting_the_lead(app, two_tenants):
    """Before a bank accepts a lead the firm's profile is hidden; after, it is visible."""
    with app.app_context():
        officer_a = _actor("officer_a", two_tenants)
        with pytest.raises(NotFound):
            get_or_404(Firm, two_tenants["firm_a"], officer_a)
        db.session.get(Lead, two_tenants["lead"]).status = LeadStatus.ACCEPTED
        db.session.flush()
        assert get_or_404(Firm, two_tenants["firm_a"], officer_a).id == two_tenants["firm_a"]


def test_regulator_sees_no_individual_firm(app, two_tenants):
    """Regulators work with aggregates; a firm's row is not theirs to open."""
    with app.app_context():
        regulator = UserFactory(role=Role.REGULATOR)
        with pytest.raises(NotFound):
            get_or_404(Firm, two_tenants["firm_a"], regulator)


def test_model_without_rule_is_refused(app, two_tenants):
    """Scoping a model nobody registered a rule for fails loudly instead of leaking."""
    from portal.lpr import LprRate

    with app.app_context(), pytest.raises(LookupError):
        scoped(select(LprRate), LprRate, _actor("sme_a", two_tenants))


def test_firm_factory_sizes_match_standard(app):
    """Sanity check of the factories used above."""
    with app.app_context():
        firm = FirmFactory(employees=5, revenue=Decimal("400000"))
        assert firm.size_class == "micro"

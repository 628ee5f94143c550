"""Many banks clicking "claim" at the same moment: exactly one wins (real commits, threads)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import text

from portal.accounts.models import User
from portal.enums import GuaranteeType, LeadStatus, Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads import services as leads
from portal.leads.models import Lead
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.needs import services as needs
from tests.factories import InstitutionFactory, UserFactory
from tests.leads.conftest import publish_product

BANKS = 8


def _pooled_lead_and_officers(app) -> tuple[int, list[int]]:
    with app.app_context():
        firm_user = UserFactory(role=Role.SME, firm__revenue=Decimal("20000000"))
        officer_ids = []
        for n in range(BANKS):
            bank = InstitutionFactory()
            publish_product(bank, f"产品{n}", "3.50", eligibility='size_class != "large"')
            officer_ids.append(UserFactory(role=Role.BANK_OFFICER, institution=bank).id)
        db.session.commit()
        invalidate_catalogue_cache()
        need = needs.submit_need(
            firm_user,
            db.session.get(Firm, firm_user.firm_id),
            needs.NeedInput(Decimal("500000"), 12, "周转", GuaranteeType.CREDIT, None),
            "race",
        )
        lead = leads.send_to_pool(firm_user, need)
        return lead.id, officer_ids


@pytest.mark.real_commits
def test_exactly_one_bank_wins_a_simultaneous_claim(app):
    """N threads claim the same pooled lead at once; one succeeds, the rest are told it is gone."""
    lead_id, officer_ids = _pooled_lead_and_officers(app)
    barrier = threading.Barrier(len(officer_ids))
    outcomes: list[str] = []

    def claim_as(officer_id: int) -> None:
        with app.app_context():
            officer = db.session.get(User, officer_id)
            db.session.commit()  # end the read, so no thread holds a lock at the start line
            barrier.wait()
            try:
                leads.claim(officer, lead_id)
                outcomes.append("won")
            except leads.LeadError:
                outcomes.append("lost")

    threads = [threading.Thread(target=claim_as, args=(i,)) for i in officer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["lost"] * (BANKS - 1) + ["won"]
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert lead.status == LeadStatus.OPEN and lead.institution_id is not None
        assert db.session.execute(text("SELECT count(*) FROM leads")).scalar() == 1

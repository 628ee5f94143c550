"""A guarantor's own system hears of each guarantee request it is asked (webhooks)."""

from __future__ import annotations

from sqlalchemy import select

from portal.api import webhooks
from portal.api.models import WebhookDelivery, WebhookEvent
from portal.enums import Role
from portal.extensions import db
from portal.institutions.models import FinancialInstitution
from tests.factories import UserFactory
from tests.guarantees.conftest import guaranteed_offer, requests_of


def test_the_asked_guarantor_is_told_of_the_request(app, market, cooperating):
    """One guarantee.requested event, to the guarantor asked (甲), naming request and lead."""
    with app.app_context():
        subscriptions = {}
        for short in ("甲", "乙"):
            guarantor = db.session.get(FinancialInstitution, market.guarantors[short])
            admin = UserFactory(role=Role.GUARANTOR_ADMIN, institution=guarantor)
            assert webhooks.events_for(admin) == (webhooks.EventType.GUARANTEE_REQUESTED,)
            url = f"https://guarantor-{guarantor.id}.example/hooks"
            issued = webhooks.create(admin, url, [webhooks.EventType.GUARANTEE_REQUESTED])
            subscriptions[short] = issued.subscription.id
        lead = guaranteed_offer(market)
        [request] = requests_of(lead.id)
        [event] = db.session.scalars(select(WebhookEvent)).all()
        assert (event.type, event.institution_id) == (
            "guarantee.requested",
            market.guarantors["甲"],
        )
        assert event.payload == {"request_id": request.id, "lead_id": lead.id, "status": "open"}
        [delivery] = db.session.scalars(select(WebhookDelivery)).all()
        assert delivery.subscription_id == subscriptions["甲"]

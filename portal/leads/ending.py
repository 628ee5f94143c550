"""What an offer holds is let go in one place when it ends without a loan: the subsidy budget
its grants reserved and any guarantee request still waiting on it."""

from __future__ import annotations

from portal.api import webhooks
from portal.extensions import db
from portal.guarantees.requests import close_requests_of
from portal.leads.models import Lead
from portal.subsidies import grants


def offer_ended(lead_id: int, reason: str) -> None:
    """The lead's offer ended without a loan (the caller commits); its bank's systems hear."""
    grants.release_offer(lead_id, reason)
    close_requests_of([lead_id], reason)
    lead = db.session.get(Lead, lead_id)
    if lead is not None:
        webhooks.emit(lead.institution_id, *webhooks.lead_closed(lead, reason))

"""Set-up of the guarantee journeys done with the service layer in the live server's database: a
firm's need backed by a guarantee institution, 福建海峡银行's offer on it conditional on a
guarantee, and what the journeys read back (the request the guarantor was sent, its letter).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from flask import Flask
from flask_babel import force_locale, gettext
from sqlalchemy import select, update

from portal.accounts.models import User
from portal.catalog.models import BankProduct
from portal.enums import GuaranteeType
from portal.extensions import db
from portal.guarantees.models import Guarantee, GuaranteeRequest
from portal.leads import services as leads
from portal.leads.models import Lead
from portal.needs import services as needs
from portal.needs.models import FinancingNeed
from tests.browser.server_data import WAN, officer_of

# The demo's 批量担保 pairing: the guarantor confirms each of this product's loans by hand.
BATCH_BANK = "福建海峡银行"
BATCH_PRODUCT = "政银担保贷"


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    return user


def firm_name(app: Flask, email: str) -> str:
    """The full name of the firm a demo firm user belongs to."""
    with app.app_context():
        return _user(email).firm.name


def submit_guaranteed_need(app: Flask, email: str, amount_wan: int, purpose: str) -> int:
    """A demo firm user asks for a one-year loan backed by a guarantee institution; returns
    the need's id."""
    with app.test_request_context():
        user = _user(email)
        data = needs.NeedInput(amount_wan * WAN, 12, purpose, GuaranteeType.GUARANTEE_AGENCY, None)
        return needs.submit_need(user, user.firm, data, uuid.uuid4().hex).id


def apply_to_batch_product(app: Flask, email: str, need_id: int) -> int:
    """The firm applies to 福建海峡银行's 政银担保贷, which the need must match; returns the
    lead's id."""
    with app.test_request_context():
        need = db.session.get(FinancingNeed, need_id)
        for result in leads.eligible_results(need):
            product = db.session.get(BankProduct, result.product_id)
            if product.institution.name == BATCH_BANK and product.name == BATCH_PRODUCT:
                (lead,) = leads.apply_to_products(_user(email), need, [product.id])
                return lead.id
        raise AssertionError(f"need {need_id} does not match {BATCH_BANK} {BATCH_PRODUCT}")


def offer_with_guarantee(app: Flask, lead_id: int, amount_wan: int, rate: str) -> int:
    """The lead's bank accepts it and offers a 12-month loan on condition of a guarantee, which
    asks the cheapest cooperating guarantee; returns the guarantee request's id."""
    with app.test_request_context():
        lead = db.session.get(Lead, lead_id)
        officer = officer_of(lead.institution)
        leads.accept(officer, lead)
        decision = leads.CreditDecision(
            Decimal(amount_wan) * WAN, Decimal(rate), 12, with_guarantee=True
        )
        leads.record_decision(officer, lead, decision)
        request_id = db.session.scalar(
            select(GuaranteeRequest.id).where(GuaranteeRequest.lead_id == lead_id)
        )
        assert request_id is not None, f"lead {lead_id}'s offer asked no guarantor"
        return request_id


def letter_no(app: Flask, lead_id: int) -> str | None:
    """The number of the guarantee letter issued on a lead's offer, read fresh, or None."""
    with app.app_context():
        return db.session.scalar(select(Guarantee.letter_no).where(Guarantee.lead_id == lead_id))


def translated(app: Flask, locale: str, chinese: str) -> str:
    """A message as the portal shows it in `locale` (the Chinese itself where untranslated)."""
    with app.test_request_context(), force_locale(locale):
        return gettext(chinese)


def forget_language(app: Flask, emails: list[str]) -> None:
    """Clear the language these accounts chose, so later journeys see the portal's default.

    Choosing a language before signing in saves it on the account (accounts.services), and
    the journeys after this one expect Chinese.
    """
    with app.app_context():
        db.session.execute(update(User).where(User.email.in_(emails)).values(locale=None))
        db.session.commit()

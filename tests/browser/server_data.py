"""Set-up the journeys do not click through, done with the service layer in the live server's
database: other firms' needs for a bank to work, and a second bank's answer to a firm.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import select

from portal.accounts.models import User
from portal.catalog.models import BankProduct
from portal.enums import DeclineReason, GuaranteeType, Role
from portal.extensions import db
from portal.institutions.models import FinancialInstitution
from portal.leads import services as leads
from portal.leads.models import Lead, Loan
from portal.needs import services as needs
from portal.needs.models import FinancingNeed

WAN = Decimal(10000)


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    return user


def submit_need(app: Flask, email: str, amount_wan: int, purpose: str) -> int:
    """A demo firm user submits a one-year, credit-only need; returns its id."""
    with app.test_request_context():
        user = _user(email)
        data = needs.NeedInput(amount_wan * WAN, 12, purpose, GuaranteeType.CREDIT, None)
        return needs.submit_need(user, user.firm, data, uuid.uuid4().hex).id


def apply_to_bank(app: Flask, email: str, need_id: int, bank: str) -> int:
    """The firm applies to its best eligible product of one bank; returns the lead's id."""
    with app.test_request_context():
        need = db.session.get(FinancingNeed, need_id)
        for result in leads.eligible_results(need):
            product = db.session.get(BankProduct, result.product_id)
            if product.institution.name == bank:
                (lead,) = leads.apply_to_products(_user(email), need, [product.id])
                return lead.id
        raise AssertionError(f"need {need_id} matches no product of {bank}")


def send_to_pool(app: Flask, email: str, need_id: int) -> int:
    """The firm puts its need into the open pool; returns the pooled lead's id."""
    with app.test_request_context():
        return leads.send_to_pool(_user(email), db.session.get(FinancingNeed, need_id)).id


def officer_of(institution: FinancialInstitution) -> User:
    """The bank's officer, made on first use (the demo has one officer, at the demo bank)."""
    email = f"officer-{institution.id}@browser.test"
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email,
            password_hash="!",  # never signs in: this officer only answers through the services
            full_name="客户经理",
            role=Role.BANK_OFFICER,
            institution=institution,
        )
        db.session.add(user)
        db.session.commit()
    return user


def make_offer(app: Flask, lead_id: int, amount_wan: int, rate: str) -> None:
    """The lead's bank accepts it and offers a 12-month credit (for a bank with no browser),
    the amount and rate brought within what the lead's product allows."""
    with app.test_request_context():
        lead = db.session.get(Lead, lead_id)
        officer = officer_of(lead.institution)
        leads.accept(officer, lead)
        terms = leads.offer_terms(lead)
        wan, yearly = Decimal(amount_wan), Decimal(rate)
        if terms is not None:
            wan = min(max(wan, terms.amount_wan.low), terms.amount_wan.high)
            yearly = min(max(yearly, terms.rate.low), terms.rate.high)
        decision = leads.CreditDecision(wan * WAN, yearly, 12)
        leads.record_decision(officer, lead, decision)


def take_offer(app: Flask, email: str, lead_id: int) -> None:
    """The firm takes the offer of a lead (when the journey is the bank's, not the firm's)."""
    with app.test_request_context():
        leads.take_offer(_user(email), db.session.get(Lead, lead_id))


def other_bank_loan(app: Flask, bank: str) -> int:
    """The id of a loan that does not belong to the named bank."""
    with app.app_context():
        loan_id = db.session.scalar(
            select(Loan.id)
            .join(FinancialInstitution, Loan.institution_id == FinancialInstitution.id)
            .where(FinancialInstitution.name != bank)
            .limit(1)
        )
        assert loan_id is not None
        return loan_id


def leads_of_need(app: Flask, need_id: int) -> dict[str, int]:
    """The need's leads by their bank's full name."""
    with app.app_context():
        rows = db.session.scalars(select(Lead).where(Lead.need_id == need_id)).all()
        return {lead.institution.name: lead.id for lead in rows if lead.institution}


def monthly_report(app: Flask) -> None:
    """Archive last month's province report, as the scheduler does on the 1st."""
    from portal.monthly import services as monthly

    with app.test_request_context():
        month = monthly.last_finished_month(dt.date.today())
        if monthly.latest_edition(month, monthly.PROVINCE) is None:
            monthly.generate(month, monthly.PROVINCE)


def lead_status(app: Flask, lead_id: int) -> Any:
    """A lead's status, read fresh from the database."""
    with app.app_context():
        return db.session.get(Lead, lead_id).status


def loan_month_due(day: dt.date | None = None) -> str:
    """The month a bank reports now: the previous calendar month, as YYYY-MM."""
    day = day or dt.date.today()
    first = day.replace(day=1) - dt.timedelta(days=1)
    return first.strftime("%Y-%m")


__all__ = ["DeclineReason"]


def colleague_of(app: Flask, email: str, colleague: str) -> str:
    """A second user of the demo firm behind `email` (its own password, never shared)."""
    from portal.accounts.passwords import hash_password

    with app.test_request_context():
        firm_user = _user(email)
        db.session.add(
            User(
                email=colleague,
                password_hash=hash_password(uuid.uuid4().hex),
                full_name="陈晓",
                role=firm_user.role,
                firm_id=firm_user.firm_id,
            )
        )
        db.session.commit()
    return colleague


def mail_link(app: Flask, to: str, path_prefix: str) -> str:
    """The portal path of the newest link e-mailed to `to` (read from the outbox)."""
    import re

    from portal.mail.models import OutboxEmail

    with app.test_request_context():
        body = db.session.scalars(
            select(OutboxEmail.body)
            .where(OutboxEmail.to_address == to)
            .order_by(OutboxEmail.id.desc())
        ).first()
    assert body, f"no e-mail to {to}"
    found = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S+)", body)
    assert found, body
    return found.group(1)

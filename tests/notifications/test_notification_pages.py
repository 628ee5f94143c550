"""In-portal notifications: new leads reach the bank's users, the header counts, mark read."""

from __future__ import annotations

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import select

from portal.accounts.models import User
from portal.catalog.models import BankProduct
from portal.catalog.versions import record_rules
from portal.db import utcnow
from portal.enums import ProductKind, ProductStatus, Role
from portal.extensions import db
from portal.leads.models import Lead
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.notifications.models import Notification
from tests.conftest import signed_in
from tests.factories import InstitutionFactory, UserFactory

WAN = Decimal(10000)


@pytest.fixture
def market(app: Flask) -> SimpleNamespace:
    """One bank with an officer and an admin and a product every firm qualifies for; a firm;
    a second bank's officer."""
    with app.app_context():
        bank = InstitutionFactory(name="闽海银行福建分行", short_name="闽海银行")
        officer = UserFactory(role=Role.BANK_OFFICER, institution=bank)
        admin = UserFactory(role=Role.BANK_ADMIN, institution=bank)
        stranger = UserFactory(role=Role.BANK_OFFICER)
        sme = UserFactory(role=Role.SME)
        product = BankProduct(
            institution=bank,
            name="闽海快贷",
            kind=ProductKind.CREDIT,
            min_amount=10 * WAN,
            max_amount=500 * WAN,
            min_term_months=3,
            max_term_months=36,
            min_rate=Decimal("3.45"),
            max_rate=Decimal("4.45"),
            guarantee_types=["credit"],
            region_codes=[],
            status=ProductStatus.PUBLISHED,
            published_at=utcnow(),
        )
        db.session.add(product)
        db.session.flush()
        record_rules(product, eligibility="")
        db.session.commit()
        invalidate_catalogue_cache()  # the matcher caches the catalogue per process
        return SimpleNamespace(
            officer=officer.email,
            admin=admin.email,
            stranger=stranger.email,
            sme=sme.email,
            product=product.id,
        )


def new_lead(app: Flask, market: SimpleNamespace) -> int:
    """The firm submits a need and applies to the bank's product; the lead's id."""
    firm = signed_in(app, market.sme)
    page = firm.get("/firm/needs/new").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    response = firm.post(
        "/firm/needs/new",
        data={
            "amount_wan": "50",
            "term_months": "12",
            "guarantee_type": "credit",
            "purpose": "支付货款",
            "consent": "y",
            "idempotency_key": key,
        },
    )
    need_id = int(response.headers["Location"].rsplit("/", 1)[1])
    firm.post(f"/firm/needs/{need_id}/apply", data={"product_id": [str(market.product)]})
    with app.app_context():
        return db.session.scalar(select(Lead.id).where(Lead.need_id == need_id))


def notifications_of(app: Flask, email: str) -> list[Notification]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Notification)
                .join(User, User.id == Notification.user_id)
                .where(User.email == email)
            )
        )


def test_new_lead_notifies_the_banks_users(app, market):
    """Every active user of the bank hears of the new lead, with a link to it."""
    lead_id = new_lead(app, market)
    for email in (market.officer, market.admin):
        [note] = notifications_of(app, email)
        assert note.kind == "lead.new"
        assert note.link == f"/bank/leads/{lead_id}"
        assert note.read_at is None
    assert notifications_of(app, market.stranger) == []
    page = signed_in(app, market.officer).get("/notifications/").get_data(as_text=True)
    assert f"#{lead_id}" in page
    assert f'href="/bank/leads/{lead_id}"' in page
    assert "未读" in page


def test_header_counts_unread_and_mark_read_clears_it(app, market):
    """The header shows 通知 (1) after a new lead; marking all read brings it to 通知 (0)."""
    officer = signed_in(app, market.officer)
    assert "通知 (0)" in officer.get("/bank/leads/").get_data(as_text=True)
    new_lead(app, market)
    assert "通知 (1)" in officer.get("/bank/leads/").get_data(as_text=True)
    response = officer.post("/notifications/read", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已全部标为已读" in page
    assert "通知 (0)" in page
    assert all(n.read_at is not None for n in notifications_of(app, market.officer))
    # The admin's copy is the admin's own: still unread.
    assert all(n.read_at is None for n in notifications_of(app, market.admin))


def test_users_see_only_their_own_notifications(app, market):
    """Another user's notifications never appear on one's own page."""
    lead_id = new_lead(app, market)
    page = signed_in(app, market.stranger).get("/notifications/").get_data(as_text=True)
    assert f"#{lead_id}" not in page
    assert "暂无通知" in page
    assert "通知 (0)" in page


def test_anonymous_visitors_are_sent_to_login(client):
    """The notifications page asks an anonymous visitor to sign in."""
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]

"""Consent to the user agreement and the privacy policy: recorded at sign-up with the versions in
force, and asked for again, on every page, when a new version is published."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, FIRM_CONTACTS, seed_demo
from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.datasources.client import reset_breakers
from portal.dates import today_in_china
from portal.extensions import db
from portal.legal import services
from portal.legal.documents import Document, current_versions
from portal.legal.models import Consent
from tests.conftest import csrf_token_from
from tests.datasources.identity_support import (
    REVOKED,
    identity_exchange,
    point_app_at,
    registration,
)
from tests.factories import UserFactory
from tests.institutions.test_onboarding import application_form

TERMS, PRIVACY = Document.TERMS, Document.PRIVACY
ADDRESS = "198.51.100.23"
DEMO_EMAILS = [account.email for account in DEMO_ACCOUNTS]


def consents_of(app: Flask, email: str) -> list[tuple[str, str, str | None]]:
    """(document, version, address) of each consent the user gave, in the order given."""
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        rows = db.session.execute(
            select(Consent.document, Consent.version, Consent.remote_addr)
            .where(Consent.user_id == user_id)
            .order_by(Consent.id)
        ).tuples()
        return [(str(document), version, address) for document, version, address in rows]


def in_force() -> list[tuple[str, str]]:
    return [(str(v.document), v.version) for v in current_versions(today_in_china())]


@pytest.fixture
def exchange(app: Flask, tmp_path: Path) -> Iterator[None]:
    """The exchange registration checks the firm with (tests/datasources/identity_support.py)."""
    with identity_exchange(tmp_path) as server:
        saved = point_app_at(app, server)
        reset_breakers()
        try:
            yield
        finally:
            app.config.update(saved)
            reset_breakers()


# --- at sign-up ----------------------------------------------------------------------------------


def test_registration_records_both_versions_in_force(app, client, exchange):
    """A firm's registration stores its user's consent to both texts in force, with the address."""
    form = registration(email="consent.firm@example.com")
    response = client.post("/register", data=form, environ_base={"REMOTE_ADDR": ADDRESS})
    assert response.status_code == 302, response.get_data(as_text=True)
    recorded = consents_of(app, "consent.firm@example.com")
    assert [(document, version) for document, version, _ in recorded] == in_force()
    assert {address for _, _, address in recorded} == {ADDRESS}


def test_registration_without_the_box_ticked_saves_nothing(app, client, exchange):
    """An unticked consent box refuses the registration: no user, no consent."""
    form = registration(email="no.consent@example.com", consent=None)
    html = client.post("/register", data=form).get_data(as_text=True)
    assert "请阅读并同意用户协议与隐私政策" in html
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "no.consent@example.com")) is None
        assert db.session.scalar(select(Consent)) is None


def test_refused_registration_records_no_consent(app, client, exchange):
    """A registration the registry refuses (a revoked firm) leaves no consent behind."""
    form = registration(REVOKED, email="revoked.firm@example.com")
    assert client.post("/register", data=form).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Consent)) is None


def test_bank_application_records_both_versions_in_force(app, client):
    """The bank onboarding application stores its administrator's consent to both texts."""
    response = client.post(
        "/institutions/apply", data=application_form(), environ_base={"REMOTE_ADDR": ADDRESS}
    )
    assert response.headers["Location"].endswith("/bank/onboarding")
    recorded = consents_of(app, "wang.lei@haixia-bank.example.com")
    assert [(document, version) for document, version, _ in recorded] == in_force()
    assert {address for _, _, address in recorded} == {ADDRESS}


def test_bank_application_without_the_box_ticked_saves_nothing(app, client):
    """The application form also wants the box ticked, and writes nothing without it."""
    html = client.post("/institutions/apply", data=application_form(consent=None)).get_data(
        as_text=True
    )
    assert "请阅读并同意用户协议与隐私政策" in html
    with app.app_context():
        assert db.session.scalar(select(Consent)) is None


# --- asked again ---------------------------------------------------------------------------------


def test_new_version_sends_a_signed_in_user_to_the_consent_page(
    app, client, auth, create, consent_required, publish
):
    """After a new privacy policy, every page leads to the consent page, which shows the change
    and links to the full text; the page asked for is remembered."""
    user = create(UserFactory, email="asked.again@example.com")
    auth.login(user.email)
    assert client.get("/firm").status_code == 200  # the versions in force were accepted
    new = publish(PRIVACY, summary="第二版：说明了邮件通知。")
    response = client.get("/firm/needs/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/legal/consent?next=/firm/needs/"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "第二版：说明了邮件通知。" in html
    assert new.version in html
    assert 'href="/privacy"' in html
    assert "用户服务协议" not in html[html.index("<main") : html.index('<form class="form')]
    assert client.post("/firm/needs/new", data={}).headers["Location"] == "/legal/consent"


def test_accepting_records_the_new_version_and_lets_the_user_through(
    app, client, auth, create, consent_required, publish
):
    """Accepting stores the new version beside the old one, is audited, and returns to the page
    first asked for; no page asks again."""
    user = create(UserFactory, email="accepts@example.com")
    auth.login(user.email)
    new = publish(TERMS)
    response = client.post(
        "/legal/consent?next=/firm/needs/",
        data={"agree": "y"},
        environ_base={"REMOTE_ADDR": ADDRESS},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/firm/needs/"
    recorded = consents_of(app, user.email)
    assert recorded[-1] == ("terms", new.version, ADDRESS)
    assert len(recorded) == 3  # both first versions, then the new one
    assert client.get("/firm/needs/").status_code == 200
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "legal.consent"))
        assert entry.actor_id == user.id and entry.remote_addr == ADDRESS
        assert entry.detail == {"terms": new.version}


def test_not_accepting_keeps_the_user_on_the_consent_page(
    app, client, auth, create, consent_required, publish
):
    """Sending the form without ticking the box is refused with a message; nothing is recorded
    and every page still leads back."""
    user = create(UserFactory, email="declines@example.com")
    auth.login(user.email)
    publish(TERMS)
    before = consents_of(app, user.email)
    response = client.post("/legal/consent", data={})
    assert response.status_code == 400
    assert "请勾选同意后再继续" in response.get_data(as_text=True)
    assert consents_of(app, user.email) == before
    assert client.get("/firm").headers["Location"] == "/legal/consent?next=/firm"
    assert client.get("/notifications/").headers["Location"].startswith("/legal/consent")


def test_declining_offers_to_sign_out(app, client, auth, create, consent_required, publish):
    """The consent page offers signing out, which works without accepting."""
    user = create(UserFactory, email="signs.out@example.com")
    auth.login(user.email)
    publish(TERMS)
    html = client.get("/legal/consent").get_data(as_text=True)
    assert 'action="/logout"' in html and "不同意，退出登录" in html
    before = consents_of(app, user.email)
    assert client.post("/logout").headers["Location"].endswith("/login")
    assert consents_of(app, user.email) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/terms"),
        ("GET", "/privacy"),
        ("GET", "/terms/2026-12-01"),
        ("GET", "/legal/consent"),
        ("GET", "/static/css/portal.css"),
        ("POST", "/language"),
    ],
)
def test_what_a_user_may_open_before_accepting(
    app, client, auth, create, consent_required, publish, method, path
):
    """The texts, the consent page, static files and the language switch are not redirected."""
    auth.login(create(UserFactory).email)
    publish(PRIVACY)
    response = client.open(path, method=method, data={"locale": "en", "next": "/"})
    assert response.status_code in (200, 302)
    assert not response.headers.get("Location", "").startswith("/legal/consent")


def test_a_user_who_never_consented_is_asked(app, client, auth, create, consent_required):
    """An account from before consents were kept is asked for both texts."""
    user = create(UserFactory, email="old.account@example.com", consents=False)
    auth.login(user.email)
    assert client.get("/firm").headers["Location"] == "/legal/consent?next=/firm"
    html = client.get("/legal/consent").get_data(as_text=True)
    assert 'href="/terms"' in html and 'href="/privacy"' in html
    client.post("/legal/consent", data={"agree": "y"})
    assert [(d, v) for d, v, _ in consents_of(app, user.email)] == in_force()
    assert client.get("/firm").status_code == 200


def test_staff_users_are_asked_as_well(app, client, auth, create, consent_required):
    """A staff account made by an administrator (no sign-up form) is asked at its first sign-in."""
    user = create(UserFactory, role="regulator", consents=False)
    auth.login(user.email)
    assert client.get("/supervision").headers["Location"].startswith("/legal/consent")
    client.post("/legal/consent", data={"agree": "y"})
    assert client.get("/supervision").status_code == 200


def test_nobody_is_asked_while_the_question_is_switched_off(app, client, auth, create):
    """The test configuration leaves the question off: existing tests sign in and go on."""
    assert app.config["LEGAL_CONSENT_REQUIRED"] is False
    auth.login(create(UserFactory, consents=False).email)
    assert client.get("/firm").status_code == 200


def test_consent_page_with_nothing_to_accept_goes_on(app, client, auth, create):
    """A user who accepted the versions in force is sent on from the consent page."""
    auth.login(create(UserFactory).email)
    assert client.get("/legal/consent?next=/firm/needs/").headers["Location"] == "/firm/needs/"
    assert client.get("/legal/consent?next=//evil.example").headers["Location"] == "/home"


def test_consent_post_needs_the_csrf_token(
    app, client, auth, create, consent_required, publish, monkeypatch
):
    """Without the form's CSRF token the acceptance is refused and nothing is recorded."""
    user = create(UserFactory, email="csrf.consent@example.com")
    auth.login(user.email)
    publish(PRIVACY)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    before = consents_of(app, user.email)
    assert client.post("/legal/consent", data={"agree": "y"}).status_code == 400
    assert consents_of(app, user.email) == before
    token = csrf_token_from(client.get("/legal/consent").get_data(as_text=True))
    response = client.post("/legal/consent", data={"agree": "y", "csrf_token": token})
    assert response.status_code == 302
    assert len(consents_of(app, user.email)) == len(before) + 1


def test_accepting_twice_records_once(app, create, publish):
    """A second acceptance of the same versions (a double submit) adds nothing."""
    user = create(UserFactory)
    publish(TERMS)
    today = today_in_china()
    with app.test_request_context("/legal/consent", method="POST"):
        user = db.session.get(User, user.id)
        assert [v.document for v in services.accept(user, today)] == [TERMS]
        assert services.accept(user, today) == []
        count = db.session.scalar(
            select(func.count()).select_from(Consent).where(Consent.user_id == user.id)
        )
    assert count == 3


def test_demo_accounts_have_accepted_the_texts_in_force(app, client, consent_required):
    """The demo seed records the demo accounts' consent, so a demo never stops at the consent
    page; seeding again adds none."""
    with app.app_context():
        first = seed_demo()
        again = seed_demo()
        users = db.session.scalars(select(User).where(User.email.in_(DEMO_EMAILS))).all()
        assert len(users) == len(DEMO_EMAILS)
        assert all(services.outstanding(user, today_in_china()) == [] for user in users)
    assert first.consents == 2 * len(DEMO_EMAILS + [a.email for a, _ in FIRM_CONTACTS])
    assert again.consents == 0
    client.post("/login", data={"email": "sme@demo.local", "password": DEMO_PASSWORD})
    assert client.get("/firm").status_code == 200

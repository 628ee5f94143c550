"""Signing in and out: credentials, session rotation, and that a logged-out cookie is dead."""

from __future__ import annotations

import time

from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.enums import Role
from portal.extensions import db
from tests.conftest import PASSWORD, csrf_token_from
from tests.factories import UserFactory


def session_cookie(client) -> str:
    cookie = client.get_cookie("crt_session")
    assert cookie is not None
    return cookie.value


def test_login_with_right_password_lands_on_role_home(client, auth, create):
    """A firm user signs in with email and password and lands on the firm's home."""
    user = create(UserFactory, email="owner@firm.example.com")
    response = auth.login("Owner@Firm.example.com ", PASSWORD)
    assert response.status_code == 302
    assert client.get("/home").headers["Location"].endswith("/firm")
    page = client.get("/firm").get_data(as_text=True)
    assert user.firm.name in page


def test_wrong_password_is_refused_and_audited(app, client, auth, create):
    """A wrong password shows one neutral message and is logged as a failed sign-in."""
    create(UserFactory, email="owner@firm.example.com")
    response = auth.login("owner@firm.example.com", "not the password")
    assert response.status_code == 200
    assert "邮箱或密码不正确" in response.get_data(as_text=True)
    assert client.get("/firm").status_code == 302  # still anonymous
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "auth.login_failed" in actions


def test_unknown_email_gets_the_same_message(client, auth):
    """An unknown email is indistinguishable from a wrong password."""
    response = auth.login("nobody@example.com", "whatever-password")
    assert "邮箱或密码不正确" in response.get_data(as_text=True)


def test_deactivated_user_cannot_sign_in(client, auth, create):
    """An account an admin disabled cannot sign in."""
    create(UserFactory, email="gone@firm.example.com", is_active=False)
    response = auth.login("gone@firm.example.com")
    assert "邮箱或密码不正确" in response.get_data(as_text=True)


def test_logout_ends_session_and_old_cookie_is_rejected(app, client, auth, create):
    """After logout, replaying a copy of the old session cookie does not sign anyone in."""
    create(UserFactory, email="owner@firm.example.com")
    auth.login("owner@firm.example.com")
    assert client.get("/firm").status_code == 200
    stolen = session_cookie(client)

    assert auth.logout().status_code == 302
    assert client.get("/firm").status_code == 302

    replay = app.test_client()
    replay.set_cookie("crt_session", stolen)
    response = replay.get("/firm")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_new_login_invalidates_cookie_of_previous_login(app, client, auth, create):
    """Signing in again rotates the session: the cookie from the earlier sign-in stops working."""
    create(UserFactory, email="owner@firm.example.com")
    auth.login("owner@firm.example.com")
    first = session_cookie(client)
    second_client = app.test_client()
    second_client.post("/login", data={"email": "owner@firm.example.com", "password": PASSWORD})
    old = app.test_client()
    old.set_cookie("crt_session", first)
    assert old.get("/firm").status_code == 302
    assert second_client.get("/firm").status_code == 200


def test_logout_requires_post(client, auth, create):
    """A link cannot sign a user out (GET is not allowed), so a stray image tag cannot either."""
    create(UserFactory, email="owner@firm.example.com")
    auth.login("owner@firm.example.com")
    response = client.get("/logout")
    assert response.status_code == 303  # to the nearest page, saying the action needs its button
    assert client.get("/firm").status_code == 200  # still signed in


def test_csrf_is_enforced_when_enabled(app, client, create, monkeypatch):
    """With CSRF on, a login without the token is refused and one with the token works."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    create(UserFactory, email="owner@firm.example.com")
    refused = client.post("/login", data={"email": "owner@firm.example.com", "password": PASSWORD})
    assert refused.status_code == 400
    assert "页面已过期" in refused.get_data(as_text=True)

    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    accepted = client.post(
        "/login",
        data={"email": "owner@firm.example.com", "password": PASSWORD, "csrf_token": token},
    )
    assert accepted.status_code == 302


def test_csrf_protects_logout(app, client, auth, create, monkeypatch):
    """A forged logout without the token does not end the session."""
    create(UserFactory, email="owner@firm.example.com", role=Role.SME)
    auth.login("owner@firm.example.com")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/logout").status_code == 400
    assert client.get("/firm").status_code == 200


def test_open_redirect_after_login_is_ignored(client, create):
    """A `next` pointing to another site is ignored after sign-in."""
    create(UserFactory, email="owner@firm.example.com")
    response = client.post(
        "/login?next=https://evil.example.com/",
        data={"email": "owner@firm.example.com", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/home"


def test_idle_session_ends_after_the_idle_limit(app, client, auth, create, monkeypatch):
    """Thirty minutes without a request sign the user out, with a message saying why."""
    from portal.accounts import services

    user = create(UserFactory, email="owner@firm.example.com")
    auth.login(user.email)
    assert client.get("/firm").status_code == 200
    later = time.time() + app.config["SESSION_IDLE_TIMEOUT"] + 1
    monkeypatch.setattr(services.time, "time", lambda: later)
    response = client.get("/firm")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "会话已自动退出" in page


def test_active_session_still_ends_at_the_absolute_limit(app, client, auth, create, monkeypatch):
    """Even a user who never stops clicking signs in again after eight hours."""
    from portal.accounts import services

    user = create(UserFactory, email="owner@firm.example.com")
    start = time.time()
    auth.login(user.email)
    step = app.config["SESSION_IDLE_TIMEOUT"] - 60
    now = start
    while now - start <= app.config["SESSION_ABSOLUTE_TIMEOUT"]:
        assert client.get("/firm").status_code == 200
        now += step
        monkeypatch.setattr(services.time, "time", lambda now=now: now)
    assert client.get("/firm").status_code == 302


def test_signing_in_drops_what_the_session_held_before(app, client, create):
    """Session fixation: nothing put in the browser's session before sign-in survives it."""
    user = create(UserFactory, email="owner@firm.example.com")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session


def test_a_session_ended_by_a_sign_in_elsewhere_says_so(app, create):
    """The first browser is not silently signed out: it is told another sign-in ended it, and
    to change the password if that was not its owner."""
    from tests.conftest import signed_in

    create(UserFactory, email="owner@firm.example.com")
    first = signed_in(app, "owner@firm.example.com")
    signed_in(app, "owner@firm.example.com")  # a second browser signs in later
    response = first.get("/firm")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = first.get(response.headers["Location"]).get_data(as_text=True)
    assert "您的账号已在另一处登录，这里的会话已结束" in page


def test_a_public_page_after_a_sign_in_elsewhere_is_shown_signed_out(app, create):
    from tests.conftest import signed_in

    create(UserFactory, email="owner@firm.example.com")
    first = signed_in(app, "owner@firm.example.com")
    signed_in(app, "owner@firm.example.com")
    response = first.get("/products")
    assert response.status_code == 200
    assert "您的账号已在另一处登录" in response.get_data(as_text=True)

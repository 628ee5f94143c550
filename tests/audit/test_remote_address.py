"""From where: the client's address, taking X-Forwarded-For only from our own proxies."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal import trust_proxies
from portal.audit.models import AuditEntry
from portal.config import proxy_count
from portal.extensions import db

PEER = "10.0.0.2"  # the proxy's own address, as the app sees the TCP peer


def failed_sign_in_address(app, client, forwarded: str | None) -> str | None:
    """Fail a sign-in from PEER (optionally with an X-Forwarded-For header); the address logged."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    client.post(
        "/login",
        data={"email": "nobody@example.com", "password": "wrong password"},
        headers=headers,
        environ_base={"REMOTE_ADDR": PEER},
    )
    with app.app_context():
        return db.session.scalar(
            select(AuditEntry.remote_addr)
            .where(AuditEntry.action == "auth.login_failed")
            .order_by(AuditEntry.id.desc())
        )


def test_by_default_no_proxy_is_trusted(app, client):
    """Without PROXY_FIX_X_FOR a client cannot choose its logged address with a header."""
    assert app.config["PROXY_FIX_X_FOR"] == 0
    assert failed_sign_in_address(app, client, "198.51.100.9") == PEER


def test_one_trusted_proxy_gives_the_client_address(app, client, monkeypatch):
    """Behind one nginx the address nginx appended is logged, not one the client typed."""
    monkeypatch.setitem(app.config, "PROXY_FIX_X_FOR", 1)
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)  # restored after the test
    trust_proxies(app)
    assert failed_sign_in_address(app, client, "198.51.100.9") == "198.51.100.9"
    # A forged first hop is ignored: nginx appends the real peer to what the client sent.
    assert failed_sign_in_address(app, client, "6.6.6.6, 203.0.113.5") == "203.0.113.5"
    assert failed_sign_in_address(app, client, None) == PEER


def test_two_trusted_proxies(app, client, monkeypatch):
    """Behind a load balancer and nginx, the address two hops from the right is logged."""
    monkeypatch.setitem(app.config, "PROXY_FIX_X_FOR", 2)
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)
    trust_proxies(app)
    assert failed_sign_in_address(app, client, "6.6.6.6, 203.0.113.5, 10.0.0.9") == "203.0.113.5"


@pytest.mark.parametrize(("text", "hops"), [(None, 0), ("", 0), (" 0 ", 0), ("1", 1), ("2", 2)])
def test_proxy_count_from_the_environment(text, hops):
    """PROXY_FIX_X_FOR is a whole number; unset means no proxy is trusted."""
    assert proxy_count(text) == hops


@pytest.mark.parametrize("text", ["-1", "one", "1.5", "true"])
def test_a_bad_proxy_count_stops_the_app(text):
    """A typo in PROXY_FIX_X_FOR fails at start instead of trusting the wrong hop."""
    with pytest.raises(RuntimeError, match="PROXY_FIX_X_FOR"):
        proxy_count(text)

"""A bank's admin gives its system a client in the portal, rotates its secret and stops it."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.api.models import ApiClient, ApiClientSecret
from portal.extensions import db
from tests.api.conftest import admin_of, basic

TOKEN_URL = "/api/v1/oauth/token"


def _token_status(client, key: str, secret: str) -> int:
    data = {"grant_type": "client_credentials"}
    return client.post(TOKEN_URL, data=data, headers=basic(key, secret)).status_code


def _secret_from(html: str) -> str:
    return re.search(r'<code class="secret">([^<]+)</code>', html).group(1)


def test_admin_creates_rotates_and_stops_a_client(app, client, auth, market):
    """The secret is shown once; after rotation both work until the old one is ended."""
    with app.app_context():
        admin = admin_of(market, "A")
        email = admin.email
        db.session.commit()
    auth.login(email)
    page = client.post(
        "/institution/api-clients/",
        data={"name": "信贷系统", "scopes": ["leads:read", "leads:write"], "networks": ""},
    )
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    first = _secret_from(page.get_data(as_text=True))
    with app.app_context():
        row = db.session.scalar(select(ApiClient))
        key, client_id = row.client_key, row.id
        assert row.scopes == ["leads:read", "leads:write"]
        stored = db.session.scalars(select(ApiClientSecret.secret_hash)).all()
        assert first not in stored and len(stored) == 1
    assert _token_status(client, key, first) == 200

    rotated = client.post(f"/institution/api-clients/{client_id}/rotate", data={})
    second = _secret_from(rotated.get_data(as_text=True))
    assert _token_status(client, key, first) == 200  # still works: no downtime
    assert _token_status(client, key, second) == 200
    client.post(f"/institution/api-clients/{client_id}/revoke-old-secrets", data={})
    assert _token_status(client, key, first) == 401
    assert _token_status(client, key, second) == 200

    detail = client.get(f"/institution/api-clients/{client_id}").get_data(as_text=True)
    assert second[:10] in detail and second not in detail  # the hint, never the secret
    client.post(f"/institution/api-clients/{client_id}/revoke", data={})
    assert _token_status(client, key, second) == 401


def test_bad_network_is_named(app, client, auth, market):
    """An address that is not one says which; nothing is created."""
    with app.app_context():
        email = admin_of(market, "A").email
        db.session.commit()
    auth.login(email)
    page = client.post(
        "/institution/api-clients/",
        data={"name": "x", "scopes": ["leads:read"], "networks": "10.0.0.0/8\nnot-an-ip"},
    )
    assert "not-an-ip" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ApiClient)) is None


def test_the_clients_user_is_not_one_of_the_team(app, client, auth, market):
    """The client acts as a user of its own, which the team page does not list."""
    with app.app_context():
        admin = admin_of(market, "A")
        email = admin.email
        from portal.api import clients

        clients.create(admin, "核心系统", [], [])
    auth.login(email)
    assert "API · 核心系统" not in client.get("/team").get_data(as_text=True)

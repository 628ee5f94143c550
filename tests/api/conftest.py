"""API tests: a client of bank A made by its admin, and a token for it over real HTTP calls."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable

import pytest

from portal.accounts.models import User
from portal.api import clients
from portal.api.scopes import BANK_SCOPES
from portal.enums import Role
from portal.extensions import db
from portal.institutions.models import FinancialInstitution
from tests.factories import UserFactory
from tests.leads.conftest import Market, market  # noqa: F401  (the fixture, for API tests)


def admin_of(lender_market: Market, bank: str) -> User:
    institution = db.session.get(FinancialInstitution, lender_market.banks[bank])
    return UserFactory(role=Role.BANK_ADMIN, institution=institution)


def make_client(lender_market: Market, bank: str = "A", scopes=BANK_SCOPES, networks=()):
    return clients.create(
        admin_of(lender_market, bank), f"信贷系统 {bank}", list(scopes), list(networks)
    )


def basic(key: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def fetch_token(client, key: str, secret: str, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    response = client.post("/api/v1/oauth/token", data=data, headers=basic(key, secret))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


@pytest.fixture
def api(app, client, market) -> Callable[..., object]:  # noqa: F811
    """Call the API as bank A's client: api(method, path, json=None, key=None, token=None)."""
    with app.app_context():
        issued = make_client(market)
        key, secret = issued.client.client_key, issued.secret
        db.session.commit()
    token = fetch_token(client, key, secret)

    def call(method: str, path: str, json=None, idempotency_key="new", token=token, headers=None):
        sent = {"Authorization": f"Bearer {token}", **(headers or {})}
        if method == "POST" and idempotency_key is not None:
            sent["Idempotency-Key"] = (
                str(uuid.uuid4()) if idempotency_key == "new" else idempotency_key
            )
        return client.open(path, method=method, json=json, headers=sent)

    call.client_key, call.secret, call.token = key, secret, token  # type: ignore[attr-defined]
    return call

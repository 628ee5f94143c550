"""Rate limits of the API: per client for the endpoints, per source address for tokens.

The limits are read at request time (portal/api/setup.py), so a test lowers them for itself.
Every client has a random key and the token calls come from an address of the test's own, so
no count is shared with another test, before or after a rollback, or with another worker.
"""

from __future__ import annotations

import uuid

import pytest

from portal.api.problems import MEDIA_TYPE
from portal.extensions import db
from tests.api.conftest import basic, fetch_token, make_client

PATH = "/api/v1/reference/regions"


@pytest.fixture
def low_limits(app, api):
    """Five calls a minute per client, three tokens a minute per address (after `api` took its
    token under the usual limit)."""
    saved = app.config["API_RATE_LIMIT"], app.config["API_TOKEN_RATE_LIMIT"]
    app.config["API_RATE_LIMIT"], app.config["API_TOKEN_RATE_LIMIT"] = (
        "5 per minute",
        "3 per minute",
    )
    yield
    app.config["API_RATE_LIMIT"], app.config["API_TOKEN_RATE_LIMIT"] = saved


def own_address() -> str:
    """An address no other test calls from (TEST-NET-3, RFC 5737)."""
    number = uuid.uuid4().int
    return f"203.0.{number % 256}.{number // 256 % 254 + 1}"


def other_client(app, market, bank: str = "B") -> tuple[str, str]:
    with app.app_context():
        issued = make_client(market, bank)
        key, secret = issued.client.client_key, issued.secret
        db.session.commit()
    return key, secret


def test_the_sixth_call_of_a_client_is_refused_with_retry_after(
    app, client, api, market, low_limits
):
    """Five calls pass; the sixth is a 429 problem document saying when to come back."""
    for count in range(5):
        response = api("GET", PATH)
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "5"
        assert response.headers["X-RateLimit-Remaining"] == str(4 - count)
    refused = api("GET", PATH)
    assert refused.status_code == 429
    assert refused.mimetype == MEDIA_TYPE
    body = refused.get_json()
    assert body["status"] == 429 and body["instance"] == PATH and body["title"]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    # The client's other endpoints share its allowance.
    assert api("GET", "/api/v1/leads").status_code == 429


def test_another_client_keeps_its_own_allowance(app, client, api, market, low_limits):
    """Bank A's client used up its calls; bank B's client (and a second one of bank A) did not."""
    for _ in range(6):
        api("GET", PATH)
    assert api("GET", PATH).status_code == 429
    for bank in ("B", "A"):
        token = fetch_token(client, *other_client(app, market, bank))
        response = client.get(PATH, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, bank
        assert response.headers["X-RateLimit-Remaining"] == "4"


def test_tokens_are_limited_per_source_address(app, client, api, market, low_limits):
    """A fourth token a minute from one address is refused; another address still gets one,
    and the calls of the client are not counted against its tokens."""
    key, secret = other_client(app, market)
    address = own_address()
    for _ in range(3):
        assert _token(client, key, secret, address).status_code == 200
    refused = _token(client, key, secret, address)
    assert refused.status_code == 429
    assert refused.mimetype == MEDIA_TYPE
    assert int(refused.headers["Retry-After"]) > 0
    assert _token(client, key, secret, own_address()).status_code == 200
    assert api("GET", PATH).status_code == 200


def test_limits_count_per_client_key_not_row_id(app, api):
    """A client's count is kept under its random key (ids come again after a rollback)."""
    from portal.api import access
    from portal.api.models import ApiClient

    with app.test_request_context(PATH, headers={"Authorization": f"Bearer {api.token}"}):
        client = access.current_token_client()
        assert isinstance(client, ApiClient)
        assert access.rate_limit_key() == f"client:{api.client_key}"
    with app.test_request_context(PATH, environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        assert access.rate_limit_key() == "addr:203.0.113.9"


def _token(client, key: str, secret: str, address: str):
    return client.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(key, secret),
        environ_base={"REMOTE_ADDR": address},
    )

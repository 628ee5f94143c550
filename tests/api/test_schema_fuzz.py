"""Every operation of the OpenAPI document, called with generated data (schemathesis).

Bank A's client with every scope calls each operation: a valid bearer token and a fresh
Idempotency-Key on every call, path ids that are now and then the bank's own leads (so the
state-changing calls do run, not only 404). Each answer must not be a server error, and must be
documented: its status, its content type and its body (problem documents included).
"""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.extensions import db
from tests.api.conftest import fetch_token, make_client
from tests.api.test_leads_api import _leads_for


def status_listed(ctx, response, case):
    """Stricter than status_code_conformance, which any status passes through `default`:
    a 4xx must be listed by the operation itself (a method the path lacks answers 405)."""
    documented = case.operation.definition.raw.get("responses", {})
    if case.method.upper() != case.operation.method.upper():  # Flask answers OPTIONS itself
        assert response.status_code == 405 or case.method.upper() == "OPTIONS"
    elif 400 <= response.status_code < 500:
        assert (
            str(response.status_code) in documented
        ), f"{response.status_code} is not listed for {case.operation.label}: {sorted(documented)}"
    return None


# Explicit, so no schemathesis.toml is looked for; the coverage phase (boundaries, missing
# and wrong-typed fields) runs besides 12 generated examples per operation, all from one seed.
CONFIG = schemathesis.Config.from_dict({"seed": 20261207, "generation": {"max-examples": 12}})
CHECKS = [
    status_listed,
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def caller(app, client, market):
    """Bank A's client with every scope, its token, and leads to act on."""
    with app.app_context():
        issued = make_client(market)
        key, secret = issued.client.client_key, issued.secret
        db.session.commit()
    leads = _leads_for(app, market)  # bank A's lead, and bank B's (a 404 for bank A)
    return {"token": fetch_token(client, key, secret), "leads": leads}


@pytest.fixture
def api_schema(app, caller):
    """The app's own document; every call of the run counts against one client's allowance."""
    saved = app.config["API_RATE_LIMIT"]
    app.config["API_RATE_LIMIT"] = "100000 per minute"
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)
    app.config["API_RATE_LIMIT"] = saved


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, caller):
    """No 5xx; status, content type, headers and body as the document says."""
    lead_id = case.path_parameters.get("lead_id") if case.path_parameters else None
    if type(lead_id) is int and lead_id % 2:  # half the calls act on real leads
        case.path_parameters["lead_id"] = caller["leads"][lead_id % len(caller["leads"])]
    headers = {"Authorization": f"Bearer {caller['token']}", "Idempotency-Key": str(uuid.uuid4())}
    case.call_and_validate(headers=headers, checks=CHECKS)

"""Every API endpoint × scope × tenant: no token is a 401, a token without the endpoint's scope
a 403, and a row of another tenant a 404, whatever the endpoint (tests/authz for the pages)."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

import pytest
from flask import Flask

from portal.api.access import API_ACCESS
from portal.api.clients import digest
from portal.api.models import ApiToken
from portal.api.scopes import GUARANTOR_SCOPES, Scope
from portal.authz.access import declared_access
from portal.db import utcnow
from portal.enums import Role
from portal.extensions import db
from tests.authz.matrix import url_for_rule
from tests.authz.world import World, build_world

# The pool is shared by design: any bank with an eligible product may claim a pooled lead.
SHARED_ROWS = {"api_leads.claim_lead"}


def api_routes(app: Flask) -> list[tuple[object, str, Scope]]:
    """Every (rule, method, scope) of an endpoint declared with @api_scope."""
    found = []
    for rule in app.url_map.iter_rules():
        access = declared_access(app.view_functions[rule.endpoint])
        if isinstance(access, tuple) and access[0] == API_ACCESS:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((rule, method, access[1]))
    return sorted(found, key=lambda r: (r[0].rule, r[1]))


def _token(app: Flask, world: World, key: str, scope: Scope, granted: str) -> str:
    """A bearer token of tenant `key`'s client of the kind that holds `scope`.

    Made in an app context of its own: requests made inside one would share its `g`, and with
    it the user the last request ran as.
    """
    tenant = world.tenant(key)
    guarantor = scope in GUARANTOR_SCOPES
    client_id = tenant.guarantor_api_client if guarantor else tenant.api_client
    token = secrets.token_urlsafe(32)
    with app.app_context():
        db.session.add(
            ApiToken(
                client_id=client_id,
                token_hash=digest(token),
                scope=granted,
                expires_at=utcnow() + dt.timedelta(minutes=5),
            )
        )
        db.session.commit()
    return token


# Bodies that pass each endpoint's checks, so that the call reaches the row it names.
BODIES = {
    "api_leads.decline_lead": {"reason": "amount"},
    "api_leads.decide_lead": {"amount": "100000", "rate": "3.5", "term_months": 12},
    "api_leads.disburse_lead": {"contract_no": "HT-1", "disbursed_on": "2026-01-05"},
    "api_guarantees.decline_request": {"reason": "amount"},
    "api_channel.post_message": {"body": "您好"},
    "api_channel.request_document": {"kind": "business_licence"},
    "api_claims.report_recovery": {"amount": "1000", "recovered_on": "2026-01-05"},
    "api_guaranteed_loans.file_compensation": {"loss_amount": "1000", "evidence_note": "违约"},
    "api_compensations.reject_compensation": {"reason": "不符合代偿条件"},
    "api_compensations.report_recovery": {"amount": "1000", "recovered_on": "2026-01-05"},
    "api_channel.put_contact": {"name": "王经理", "phone": "0591-87654321"},
}


def _call(client, method: str, url: str, token: str | None, endpoint: str):
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.open(url, method=method, json=BODIES.get(endpoint, {}), headers=headers)


def _role_for(scope: Scope) -> Role:
    return Role.GUARANTOR_OFFICER if scope in GUARANTOR_SCOPES else Role.BANK_OFFICER


def test_every_api_endpoint_declares_a_scope(app):
    """Every /api/v1 route is either one of the public four or declares its scope."""
    public = {"api.openapi_document", "api.reference", "api.issue_token", "api.revoke_token"}
    declared = {rule.endpoint for rule, _m, _s in api_routes(app)}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            assert rule.endpoint in public | declared, rule.endpoint


@pytest.mark.parametrize("case", ["no token", "without scope", "own tenant", "other tenant"])
def test_every_api_endpoint_answers_as_its_scope_says(app, client, case):
    world = build_world(app)
    wrong = []
    for rule, method, scope in api_routes(app):
        role = _role_for(scope)
        own = world.args_for(role, "A", endpoint=rule.endpoint)
        if rule.endpoint == "api_leads.claim_lead":
            own["lead_id"] = world.pooled_lead
        if case == "other tenant":
            if not any(arg.endswith("_id") for arg in rule.arguments):
                continue  # nothing of a tenant's is named in the address
            if rule.endpoint in SHARED_ROWS:
                continue
            values = world.args_for(role, "B", endpoint=rule.endpoint)
        else:
            values = own
        url = url_for_rule(app, rule, values)
        granted = "" if case == "without scope" else str(scope)
        token = None if case == "no token" else _token(app, world, "A", scope, granted)
        status = _call(client, method, url, token, rule.endpoint).status_code
        expected = {"no token": {401}, "without scope": {403}, "other tenant": {404}}
        if case == "own tenant":
            ok = status not in (401, 403, 404) and status < 500
        else:
            ok = status in expected[case]
        if not ok:
            wrong.append(f"{method} {url} ({rule.endpoint}, {scope}): {status}")
    assert not wrong, f"{case}:\n" + "\n".join(wrong)

"""A bank's system works its leads through the API under the pages' rules and records."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import select

from portal.api.models import ApiCall, ApiClient, ApiToken
from portal.api.schemas import LeadSummary
from portal.audit.actions import AuditAction
from portal.audit.models import AuditEntry
from portal.db import utcnow
from portal.enums import LeadStatus
from portal.extensions import db
from portal.leads import services as leads
from portal.leads.models import Lead
from tests.api.conftest import basic, fetch_token, make_client
from tests.leads.test_workflow import submit


def _leads_for(app, market, products=("A", "B"), key="k1") -> list[int]:
    from portal.accounts.models import User

    with app.app_context():
        need = submit(market, key=key)
        firm_user = db.session.get(User, market.firm_user_id)
        made = leads.apply_to_products(firm_user, need, [market.products[b] for b in products])
        db.session.commit()
        return [lead.id for lead in made]


def test_token_needs_the_right_secret(app, client, market):
    """A wrong secret gets no token; the right one gets a short-lived bearer token."""
    with app.app_context():
        issued = make_client(market)
        key, secret = issued.client.client_key, issued.secret
    wrong = client.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(key, secret + "x"),
    )
    assert wrong.status_code == 401
    right = client.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(key, secret),
    )
    body = right.get_json()
    assert right.status_code == 200 and body["token_type"] == "Bearer"
    assert body["expires_in"] == app.config["API_TOKEN_SECONDS"]
    with app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
        assert body["access_token"] not in stored  # only its digest is kept


def test_lists_only_the_banks_own_leads_with_cursor_paging(app, api, market):
    """Bank A's client sees bank A's lead; bank B's lead is a 404, as on the pages."""
    lead_a, lead_b = _leads_for(app, market)
    page = api("GET", "/api/v1/leads?limit=1").get_json()
    assert [item["id"] for item in page["items"]] == [lead_a]
    assert page["next_cursor"] is None
    assert page["items"][0]["amount"] == "800000.00"
    assert api("GET", f"/api/v1/leads/{lead_b}").status_code == 404
    missing = api("POST", f"/api/v1/leads/{lead_b}/accept")
    assert missing.status_code == 404
    assert missing.mimetype == "application/problem+json"


def test_accept_reveals_the_firm_and_the_firm_sees_the_read(app, api, market):
    """Before acceptance a teaser; after it the profile, and each read is an audit entry."""
    lead_a, _lead_b = _leads_for(app, market)
    before = api("GET", f"/api/v1/leads/{lead_a}").get_json()
    assert before["firm"] is None
    accepted = api("POST", f"/api/v1/leads/{lead_a}/accept")
    assert accepted.status_code == 200, accepted.get_json()
    firm = accepted.get_json()["firm"]
    assert firm["values"]["credit_code"] and "verified_fields" in firm
    with app.app_context():
        client_row = db.session.scalar(select(ApiClient))
        views = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.FIRM_PROFILE_VIEW)
        ).all()
        assert views and all(entry.actor_id == client_row.user_id for entry in views)
        assert views[0].firm_id == market.firm_id


def test_a_retry_with_the_same_key_runs_once(app, api, market):
    """The same Idempotency-Key answers the first answer again; a new body with it is refused."""
    lead_a, _ = _leads_for(app, market)
    first = api("POST", f"/api/v1/leads/{lead_a}/accept", idempotency_key="k-1")
    again = api("POST", f"/api/v1/leads/{lead_a}/accept", idempotency_key="k-1")
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == first.get_data()
    with app.app_context():
        accepts = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.LEAD_ACCEPT)
        ).all()
        assert len(accepts) == 1
    reused = api(
        "POST",
        f"/api/v1/leads/{lead_a}/decline",
        json={"reason": "amount"},
        idempotency_key="k-1",
    )
    assert reused.status_code == 422
    no_key = api("POST", f"/api/v1/leads/{lead_a}/accept", idempotency_key=None)
    assert no_key.status_code == 428


def test_decision_outside_the_terms_names_the_fields(app, api, market):
    """An offer above the product's terms is a 422 with the field errors; nothing is saved."""
    lead_a, _ = _leads_for(app, market)
    api("POST", f"/api/v1/leads/{lead_a}/accept")
    refused = api(
        "POST",
        f"/api/v1/leads/{lead_a}/decision",
        json={"amount": "999999999", "rate": "3.2", "term_months": 12},
    )
    assert refused.status_code == 422
    assert "amount" in refused.get_json()["errors"]
    huge = api(
        "POST",
        f"/api/v1/leads/{lead_a}/decision",
        json={"amount": "1e999999999", "rate": "3.2", "term_months": 12},
    )
    assert huge.status_code == 422 and "amount" in huge.get_json()["errors"]
    with app.app_context():
        assert db.session.get(Lead, lead_a).approved_amount is None


def test_full_flow_to_disbursement(app, api, market):
    """Accept, offer, the firm takes it on its page, the bank's system records the loan."""
    from portal.accounts.models import User

    lead_a, _ = _leads_for(app, market)
    api("POST", f"/api/v1/leads/{lead_a}/accept")
    offered = api(
        "POST",
        f"/api/v1/leads/{lead_a}/decision",
        json={"amount": "800000", "rate": "3.2", "term_months": 12},
    )
    assert offered.status_code == 200, offered.get_json()
    assert offered.get_json()["offer"]["amount"] == "800000.00"
    with app.app_context():
        leads.take_offer(db.session.get(User, market.firm_user_id), db.session.get(Lead, lead_a))
    today = (utcnow() + dt.timedelta(hours=8)).date().isoformat()
    loan = api(
        "POST",
        f"/api/v1/leads/{lead_a}/disbursement",
        json={"contract_no": "HT-API-1", "disbursed_on": today},
    )
    assert loan.status_code == 200, loan.get_json()
    assert loan.get_json()["status"] == LeadStatus.DISBURSED
    closed = api("POST", f"/api/v1/leads/{lead_a}/decline", json={"reason": "amount"})
    assert closed.status_code == 409  # the lead has ended: nothing of earlier states runs


def test_revoked_expired_and_out_of_scope_tokens(app, client, api, market):
    """A revoked or expired token is a 401; a token without the scope is a 403."""
    _leads_for(app, market)
    assert api("GET", "/api/v1/leads").status_code == 200
    read_only = fetch_token(client, api.client_key, api.secret, scope="leads:read")
    refused = client.post(
        "/api/v1/leads/1/accept",
        headers={"Authorization": f"Bearer {read_only}", "Idempotency-Key": "x"},
    )
    assert refused.status_code == 403
    revoke = client.post(
        "/api/v1/oauth/revoke",
        data={"token": api.token},
        headers=basic(api.client_key, api.secret),
    )
    assert revoke.status_code == 200
    gone = api("GET", "/api/v1/leads")
    assert gone.status_code == 401 and "Bearer" in gone.headers["WWW-Authenticate"]
    with app.app_context():
        for token in db.session.scalars(select(ApiToken)):
            token.expires_at = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    expired = client.get("/api/v1/leads", headers={"Authorization": f"Bearer {read_only}"})
    assert expired.status_code == 401


def test_problem_documents_speak_the_callers_language(app, api, market):
    """Accept-Language: en gets the English title; the default is Chinese."""
    english = api("GET", "/api/v1/leads/999999", headers={"Accept-Language": "en-GB"})
    chinese = api("GET", "/api/v1/leads/999999")
    assert english.status_code == chinese.status_code == 404
    assert english.get_json()["title"] == "Not found"
    assert chinese.get_json()["title"] == "资源不存在"


def test_a_client_held_to_a_network_is_refused_elsewhere(app, client, market):
    """Tokens of a client held to 10.0.0.0/8 are not issued to 127.0.0.1."""
    with app.app_context():
        issued = make_client(market, networks=["10.0.0.0/8"])
        key, secret = issued.client.client_key, issued.secret
    response = client.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(key, secret),
    )
    assert response.status_code in (400, 401)


def test_calls_are_logged_for_the_clients_admins(app, api, market):
    """Every call of a known client is in its call log, with the status it got."""
    api("GET", "/api/v1/leads")
    api("GET", "/api/v1/leads/424242")
    with app.app_context():
        calls = db.session.scalars(select(ApiCall).order_by(ApiCall.id)).all()
        assert [(c.method, c.status) for c in calls] == [("GET", 200), ("GET", 404)]


def test_openapi_document_lists_every_api_route(app, client):
    """The published document is OpenAPI 3.1 and names every /api/v1 resource route."""
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    own = {"api.openapi_document", "api.reference", "api.issue_token", "api.revoke_token"}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1") and rule.endpoint not in own:
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)  # <int:id> → {id}
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method) in documented, (path, method)
    assert client.get("/api/v1/docs").status_code == 200


def test_the_list_writes_each_lead_as_the_schema_does(app, api, market):
    """The list is written straight to JSON for speed: each item must be what the lead's own
    endpoint (marshmallow's LeadDetail) says of it, field by field, pre-approval included."""
    from portal.matching.models import MatchResult

    lead_a, _lead_b = _leads_for(app, market)
    plain_lead, _ = _leads_for(app, market, key="k2")
    with app.app_context():
        lead = db.session.get(Lead, lead_a)
        result = db.session.get(MatchResult, lead.match_result_id)
        result.instant_approved, result.pre_approval_ref = True, "PA-TEST-0001"
        result.limit_amount, result.rate = Decimal("650000.5"), Decimal("3.4500")
        db.session.get(Lead, plain_lead).deadline_at = None
        db.session.commit()
    items = api("GET", "/api/v1/leads?limit=100").get_json()["items"]
    assert {item["id"] for item in items} == {lead_a, plain_lead}
    assert next(i for i in items if i["id"] == lead_a)["instant_approval"] == {
        "reference": "PA-TEST-0001",
        "limit": "650000.50",
        "rate": "3.4500",
    }
    for item in items:
        detail = api("GET", f"/api/v1/leads/{item['id']}").get_json()
        assert set(item) == set(LeadSummary().fields)
        assert item == {name: detail[name] for name in item}

"""A guarantor's system works its guarantee requests through the API, under the pages' rules."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from portal.api import clients
from portal.api.clients import ClientError
from portal.api.scopes import BANK_SCOPES, GUARANTOR_SCOPES
from portal.audit.actions import AuditAction
from portal.audit.models import AuditEntry
from portal.enums import GuaranteeRequestStatus, Role
from portal.extensions import db
from portal.firms.models import Firm
from tests.api.conftest import fetch_token
from tests.factories import UserFactory
from tests.guarantees.conftest import guaranteed_offer, requests_of, user


def _client_of(market, guarantor: str):
    officer = user(market.guarantor_officers[guarantor])
    admin = UserFactory(role=Role.GUARANTOR_ADMIN, institution=officer.institution)
    return clients.create(admin, "担保业务系统", list(GUARANTOR_SCOPES), [])


def _caller(client, issued):
    token = fetch_token(client, issued.client.client_key, issued.secret)

    def call(method: str, path: str, json=None):
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
        return client.open(path, method=method, json=json, headers=headers)

    return call


def test_the_guarantor_takes_a_request_on_and_issues_the_letter(app, client, market, cooperating):
    """Teaser first; after acceptance the firm (each read audited); then the letter."""
    with app.app_context():
        lead = guaranteed_offer(market)
        [request] = requests_of(lead.id)
        firm_name = db.session.get(Firm, market.firm_id).name
        call = _caller(client, _client_of(market, "甲"))
        other = _caller(client, _client_of(market, "乙"))
    listed = call("GET", "/api/v1/guarantee-requests").get_json()
    assert [item["id"] for item in listed["items"]] == [request.id]
    assert other("GET", f"/api/v1/guarantee-requests/{request.id}").status_code == 404
    teaser = call("GET", f"/api/v1/guarantee-requests/{request.id}").get_json()
    assert teaser["firm"] is None and firm_name not in str(teaser)

    accepted = call("POST", f"/api/v1/guarantee-requests/{request.id}/accept")
    assert accepted.status_code == 200
    assert accepted.get_json()["firm"]["values"]["name"] == firm_name
    issued = call("POST", f"/api/v1/guarantee-requests/{request.id}/letter")
    assert issued.status_code == 200, issued.get_json()
    letter = issued.get_json()["letter"]
    assert letter["letter_no"] and letter["amount"] == "800000.00"
    again = call("POST", f"/api/v1/guarantee-requests/{request.id}/decline", {"reason": "amount"})
    assert again.status_code == 409  # the letter is out: nothing of the earlier states runs
    with app.app_context():
        assert requests_of(lead.id)[0].status == GuaranteeRequestStatus.ISSUED
        views = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.FIRM_PROFILE_VIEW)
        ).all()
        assert views and views[-1].detail.get("guarantee_request") == request.id


def test_a_decline_goes_to_the_next_guarantor(app, client, market, cooperating):
    """A decline with a reason code hands the request to the next cooperating guarantor."""
    with app.app_context():
        lead = guaranteed_offer(market)
        [request] = requests_of(lead.id)
        call = _caller(client, _client_of(market, "甲"))
    declined = call(
        "POST", f"/api/v1/guarantee-requests/{request.id}/decline", {"reason": "credit_history"}
    )
    assert declined.status_code == 200
    bad = call("POST", f"/api/v1/guarantee-requests/{request.id}/decline", {"reason": "nope"})
    assert bad.status_code == 422 and "reason" in bad.get_json()["errors"]
    with app.app_context():
        first, second = requests_of(lead.id)
        assert first.status == GuaranteeRequestStatus.DECLINED
        assert second.institution_id == market.guarantors["乙"]


def test_a_guarantors_client_gets_guarantee_scopes_only(app, market):
    """An admin cannot give its client scopes of another kind of institution."""
    with app.app_context():
        officer = user(market.guarantor_officers["甲"])
        admin = UserFactory(role=Role.GUARANTOR_ADMIN, institution=officer.institution)
        with pytest.raises(ClientError):
            clients.create(admin, "x", list(BANK_SCOPES), [])

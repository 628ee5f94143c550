"""A bank's system files risk-compensation claims and reports recoveries through the API."""

from __future__ import annotations

import uuid
from decimal import Decimal

from portal.accounts.models import User
from portal.api import clients
from portal.api.scopes import BANK_SCOPES
from portal.claims.models import CompensationClaim
from portal.claims.services import approval_day
from portal.enums import ClaimStatus, FiveTierClass, Role
from portal.extensions import db
from portal.institutions.models import FinancialInstitution
from tests.api.conftest import fetch_token
from tests.claims.test_claims import approve, book, make_loan  # noqa: F401  (the fixture)
from tests.conftest import signed_in
from tests.factories import UserFactory


def _caller(app, client, bank_id: int):
    with app.app_context():
        bank = db.session.get(FinancialInstitution, bank_id)
        admin = UserFactory(role=Role.BANK_ADMIN, institution=bank)
        issued = clients.create(admin, "核心系统", list(BANK_SCOPES), [])
        key, secret = issued.client.client_key, issued.secret
    token = fetch_token(client, key, secret)

    def call(method: str, path: str, json=None):
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
        return client.open(path, method=method, json=json, headers=headers)

    return call


def test_file_a_claim_and_report_a_recovery(app, client, book):  # noqa: F811
    """Claimable loans are listed; a claim is filed at principal × share; after approval a
    recovery returns the pool's share; another bank's claim is a 404."""
    loan = make_loan(
        app,
        book,
        contract="HT-API",
        balance="8000000",
        tier=FiveTierClass.LOSS,
        policy_id=book.policy_id,
    )
    call = _caller(app, client, book.bank_id)
    [row] = call("GET", "/api/v1/claims/claimable").get_json()
    assert (row["loan_id"], row["policy_id"], row["estimate"]) == (
        loan,
        book.policy_id,
        "3200000.00",
    )
    too_much = call(
        "POST",
        "/api/v1/claims",
        {
            "loan_id": loan,
            "policy_id": book.policy_id,
            "principal": "9000000",
            "evidence_note": "核销审批 2026-12",
        },
    )
    assert too_much.status_code == 422 and "principal" in too_much.get_json()["errors"]
    filed = call(
        "POST",
        "/api/v1/claims",
        {
            "loan_id": loan,
            "policy_id": book.policy_id,
            "principal": "7500000",
            "evidence_note": "核销审批 2026-12",
        },
    )
    assert filed.status_code == 201, filed.get_json()
    claim = filed.get_json()
    assert claim["claimed_amount"] == "3000000.00" and claim["status"] == "submitted"
    assert call("GET", "/api/v1/claims/claimable").get_json() == []

    early = call(
        "POST",
        f"/api/v1/claims/{claim['id']}/recoveries",
        {"amount": "100000", "recovered_on": "2026-01-01"},
    )
    assert early.status_code == 409  # not approved yet: no recovery
    assert approve(signed_in(app, book.gov), claim["id"]).status_code == 302
    with app.app_context():
        # The approval day as the service counts it: in China (UTC's date lags it after 16:00).
        approved_on = approval_day(db.session.get(CompensationClaim, claim["id"]))
    recovered = call(
        "POST",
        f"/api/v1/claims/{claim['id']}/recoveries",
        {"amount": "1000000", "recovered_on": approved_on.isoformat()},
    )
    assert recovered.status_code == 201, recovered.get_json()
    body = recovered.get_json()
    assert body["recovered_total"] == "1000000.00"
    assert body["recoveries"][0]["returned_amount"] == "400000.00"

    other = _caller(app, client, book.other_bank_id)
    assert other("GET", f"/api/v1/claims/{claim['id']}").status_code == 404
    with app.app_context():
        assert db.session.get(CompensationClaim, claim["id"]).status == ClaimStatus.APPROVED
        assert db.session.get(User, book.officer_id) is not None
        assert Decimal(body["claimed_amount"]) == Decimal("3000000")

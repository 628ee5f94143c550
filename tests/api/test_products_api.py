"""The bank's products through the API: read, add a draft, submit it for the platform's review."""

from __future__ import annotations

from sqlalchemy import select

from portal.api.scopes import Scope
from portal.audit.actions import AuditAction
from portal.audit.models import AuditEntry
from portal.catalog import product_review
from portal.catalog.forms import rule_error_message
from portal.catalog.models import BankProduct
from portal.extensions import db
from portal.rules import RuleError, compile_rule
from tests.api.conftest import fetch_token, make_client

DRAFT = {
    "name": "A科技贷",
    "kind": "credit",
    "summary": "面向科技型小微企业",
    "min_amount": "100000",
    "max_amount": "3000000.00",
    "min_term_months": 6,
    "max_term_months": 36,
    "min_rate": "3.20",
    "max_rate": "4.80",
    "guarantee_types": ["credit"],
    "eligibility": 'size_class in ["small", "micro"] and years_in_business >= 2',
    "formula": "min(amount, revenue * 0.2)",
}


def test_list_shows_the_banks_own_products_with_rule_sentences(api, market):
    response = api("GET", "/api/v1/products")
    assert response.status_code == 200
    (product,) = response.get_json()
    assert product["id"] == market.products["A"]
    assert product["status"] == "published"
    assert product["min_rate"] == "3.1000"
    assert product["rules"]["version"] == 1
    assert product["rules"]["eligibility_sentences"]
    assert product["rules"]["instant_approval_sentences"]


def test_another_banks_product_is_404(api, market):
    assert api("GET", f"/api/v1/products/{market.products['B']}").status_code == 404
    assert api("POST", f"/api/v1/products/{market.products['B']}/submit").status_code == 404
    assert api("GET", f"/api/v1/products/{market.products['A']}").status_code == 200


def test_draft_created_and_submitted_reaches_the_review_queue(app, api, market):
    created = api("POST", "/api/v1/products", json=DRAFT)
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["status"] == "draft"
    assert (body["min_amount"], body["max_amount"]) == ("100000.00", "3000000.00")
    assert body["rules"]["formula"] == DRAFT["formula"]
    with app.app_context():
        assert product_review.queue() == []
    submitted = api("POST", f"/api/v1/products/{body['id']}/submit")
    assert submitted.status_code == 200
    assert submitted.get_json()["status"] == "in_review"
    with app.app_context():
        assert [item.product.id for item in product_review.queue()] == [body["id"]]
        product = db.session.get(BankProduct, body["id"])
        assert product.institution_id == market.banks["A"]
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == body["id"])
        ).all()
        assert AuditAction.PRODUCT_CREATE in actions and AuditAction.PRODUCT_SUBMIT in actions


def test_a_rule_the_language_refuses_is_422_with_the_forms_message(app, api):
    bad = 'size_class in ["small", and'
    response = api("POST", "/api/v1/products", json={**DRAFT, "eligibility": bad})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    with app.test_request_context():
        try:
            compile_rule(bad)
        except RuleError as error:
            expected = rule_error_message(error)
    assert errors == {"eligibility": expected}
    with app.app_context():
        assert db.session.scalar(select(BankProduct).where(BankProduct.name == "A科技贷")) is None


def test_form_checks_name_the_api_fields(api):
    response = api(
        "POST", "/api/v1/products", json={**DRAFT, "min_amount": "5000000", "formula": "revenue *"}
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"max_amount", "formula"}


def test_a_submitted_product_is_submitted_once(api):
    product_id = api("POST", "/api/v1/products", json=DRAFT).get_json()["id"]
    assert api("POST", f"/api/v1/products/{product_id}/submit").status_code == 200
    again = api("POST", f"/api/v1/products/{product_id}/submit")
    assert again.status_code == 200 and again.get_json()["status"] == "in_review"


def test_products_need_the_products_scope(app, client, market):
    with app.app_context():
        issued = make_client(market, "A", scopes=[Scope.LEADS_READ, Scope.REPORTS_WRITE])
        key, secret = issued.client.client_key, issued.secret
        db.session.commit()
    token = fetch_token(client, key, secret)
    response = client.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_post_needs_an_idempotency_key(api):
    assert api("POST", "/api/v1/products", json=DRAFT, idempotency_key=None).status_code == 428

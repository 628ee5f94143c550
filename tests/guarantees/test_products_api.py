"""A guarantor's system reads its guarantee products and adds and publishes drafts through the
API, under the guarantee product form's checks and the product pages' services and records."""

from __future__ import annotations

from sqlalchemy import select

from portal.audit.actions import AuditAction
from portal.audit.models import AuditEntry
from portal.enums import ProductStatus
from portal.extensions import db
from portal.guarantees.models import GuaranteeProduct
from tests.guarantees.test_requests_api import _caller, _client_of

DRAFT = {
    "name": "科技型企业担保",
    "summary": "面向省内科技型中小企业，免反担保。",
    "min_amount": "100000",
    "max_amount": "5000000",
    "max_term_months": 36,
    "fee_rate": "0.80",
    "coverage_share": "80",
    "region_codes": ["350100"],
    "eligibility": "employees <= 300",
}


def test_the_guarantor_reads_its_products_and_the_banks_they_back(app, client, market, cooperating):
    """Its own products only, with the cooperation the pages list; another's is a 404."""
    with app.app_context():
        call = _caller(client, _client_of(market, "甲"))
    listed = call("GET", "/api/v1/guarantee-products")
    assert listed.status_code == 200
    [product] = listed.get_json()
    assert product["id"] == cooperating["甲"] and product["status"] == "published"
    assert product["fee_rate"] == "0.8000" and product["coverage_share"] == "80.0000"
    assert {c["bank_product"]["code"] for c in product["cooperation"]} == {
        str(market.products["A"]),
        str(market.products["B"]),
    }
    assert all(c["mode"] == "batch" for c in product["cooperation"])
    assert call("GET", f"/api/v1/guarantee-products/{cooperating['乙']}").status_code == 404


def test_a_draft_is_checked_by_the_form_then_published(app, client, market):
    """The form's refusals name the API's fields; a good draft is saved, audited, published."""
    with app.app_context():
        call = _caller(client, _client_of(market, "甲"))
    refused = call(
        "POST",
        "/api/v1/guarantee-products",
        {**DRAFT, "min_amount": "6000000", "fee_rate": "1.5", "eligibility": "rate < 4"},
    )
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]
    assert set(errors) == {"max_amount", "fee_rate", "eligibility"}
    assert "1%" in errors["fee_rate"]  # the form's own message: the government's fee cap
    with app.app_context():
        assert db.session.scalars(select(GuaranteeProduct)).all() == []  # nothing half-saved

    made = call("POST", "/api/v1/guarantee-products", DRAFT)
    assert made.status_code == 201, made.get_json()
    draft = made.get_json()
    assert draft["status"] == "draft" and draft["max_amount"] == "5000000.00"
    assert draft["rules"]["version"] == 1 and draft["rules"]["eligibility_sentences"]
    published = call("POST", f"/api/v1/guarantee-products/{draft['id']}/publish")
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == draft["id"])
        ).all()
        assert AuditAction.GUARANTEE_PRODUCT_CREATE in actions
        assert AuditAction.GUARANTEE_PRODUCT_PUBLISH in actions


def test_an_archived_product_is_not_published_again(app, client, market, cooperating):
    """Archiving is final (the pages' rule): publishing it through the API is a 409."""
    from portal.guarantees import products as services
    from tests.guarantees.conftest import user

    with app.app_context():
        product = db.session.get(GuaranteeProduct, cooperating["甲"])
        services.archive_product(user(market.guarantor_officers["甲"]), product)
        call = _caller(client, _client_of(market, "甲"))
    refused = call("POST", f"/api/v1/guarantee-products/{cooperating['甲']}/publish")
    assert refused.status_code == 409
    assert refused.get_json()["type"].endswith("product-state")
    with app.app_context():
        assert db.session.get(GuaranteeProduct, cooperating["甲"]).status == ProductStatus.ARCHIVED

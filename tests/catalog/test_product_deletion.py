"""A bank admin deletes a draft of its own product that never went live; nothing else goes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.catalog.models import BankProduct, RuleVersion
from portal.enums import Role
from portal.extensions import db
from tests.catalog.test_product_management import _product, product_form
from tests.conftest import signed_in
from tests.factories import UserFactory


@pytest.fixture
def bank_admin(client, auth, create):
    user = create(UserFactory, role=Role.BANK_ADMIN)
    auth.login(user.email)
    return user


def _versions(app, product_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(RuleVersion.version).where(RuleVersion.product_id == product_id)
            )
        )


def _deletions(app) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(select(AuditEntry).where(AuditEntry.action == "product.delete"))
        )


def test_a_draft_is_deleted_with_its_rules_after_confirmation(app, client, bank_admin):
    """The button asks first; confirmed, the draft and its versions go and the log says so."""
    client.post("/bank/products/new", data=product_form())
    product = _product(app)
    client.post(
        f"/bank/products/{product.id}/edit",
        data=product_form(eligibility='size_class in ["small"]'),
    )
    assert _versions(app, product.id) == [1, 2]
    detail = client.get(f"/bank/products/{product.id}").get_data(as_text=True)
    assert f"/bank/products/{product.id}/delete" in detail and "删除草稿" in detail
    asked = client.post(f"/bank/products/{product.id}/delete")
    assert asked.status_code == 200 and "我确认删除该草稿" in asked.get_data(as_text=True)
    assert _product(app) is not None  # the confirmation page alone deletes nothing
    done = client.post(f"/bank/products/{product.id}/delete", data={"confirmed": "y"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/bank/products/")
    assert "已删除草稿“闽科贷”" in client.get("/bank/products/").get_data(as_text=True)
    assert _product(app) is None
    assert _versions(app, product.id) == []
    (entry,) = _deletions(app)
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        bank_admin.id,
        "BankProduct",
        product.id,
    )
    assert entry.detail["name"] == "闽科贷"


def _in_state(app, client, create, state: str) -> BankProduct:
    client.post("/bank/products/new", data=product_form())
    product = _product(app)
    client.post(f"/bank/products/{product.id}/publish", data={"confirmed": "y"})
    if state in ("published", "archived"):
        staff = create(UserFactory, role=Role.ADMIN)
        signed_in(app, staff.email).post(f"/admin/product-reviews/{product.id}/approve")
    if state == "archived":
        client.post(f"/bank/products/{product.id}/archive", data={"confirmed": "y"})
    assert _product(app).status == state
    return product


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("in_review", "产品正在平台审核中，不能删除"),
        ("published", "已发布的产品请下架"),
        ("archived", "已下架的产品不能删除"),
    ],
)
def test_a_product_past_draft_is_never_deleted(app, client, create, bank_admin, state, message):
    """In review, live or archived: refused with the reason, even when confirmed; no button."""
    product = _in_state(app, client, create, state)
    versions = _versions(app, product.id)
    detail = client.get(f"/bank/products/{product.id}").get_data(as_text=True)
    assert f"/bank/products/{product.id}/delete" not in detail
    refused = client.post(f"/bank/products/{product.id}/delete", data={"confirmed": "y"})
    assert refused.status_code == 302
    assert refused.headers["Location"].endswith(f"/bank/products/{product.id}")
    assert message in client.get(f"/bank/products/{product.id}").get_data(as_text=True)
    assert _product(app).status == state
    assert _versions(app, product.id) == versions
    assert _deletions(app) == []


def test_a_draft_returned_by_review_may_still_be_deleted(app, client, create, bank_admin):
    """Returned to draft, it never went live: the bank may drop it."""
    client.post("/bank/products/new", data=product_form())
    product = _product(app)
    client.post(f"/bank/products/{product.id}/publish", data={"confirmed": "y"})
    staff = create(UserFactory, role=Role.ADMIN)
    signed_in(app, staff.email).post(
        f"/admin/product-reviews/{product.id}/return", data={"reason": "利率区间请写明适用条件"}
    )
    assert _product(app).status == "draft"
    client.post(f"/bank/products/{product.id}/delete", data={"confirmed": "y"})
    assert _product(app) is None


def test_another_banks_draft_is_404(app, client, auth, create, bank_admin):
    """Another bank's admin gets a 404 and the draft stays."""
    client.post("/bank/products/new", data=product_form())
    product = _product(app)
    other = create(UserFactory, role=Role.BANK_ADMIN)
    auth.logout()
    auth.login(other.email)
    response = client.post(f"/bank/products/{product.id}/delete", data={"confirmed": "y"})
    assert response.status_code == 404
    assert _product(app) is not None
    assert _deletions(app) == []


@pytest.mark.parametrize("role", [Role.BANK_OFFICER, Role.SME, Role.GOV_STAFF])
def test_roles_without_product_management_are_refused(app, client, auth, create, role):
    """A bank officer (no bank:products:manage) and other roles get a 403, as the matrix says."""
    admin = create(UserFactory, role=Role.BANK_ADMIN)
    auth.login(admin.email)
    client.post("/bank/products/new", data=product_form())
    product = _product(app)
    auth.logout()
    if role == Role.BANK_OFFICER:  # an officer of the product's own bank
        with app.app_context():
            bank = db.session.get(BankProduct, product.id).institution
            user = UserFactory(role=role, institution=bank)
            db.session.commit()
            email = user.email
    else:
        email = create(UserFactory, role=role).email
    auth.login(email)
    response = client.post(f"/bank/products/{product.id}/delete", data={"confirmed": "y"})
    assert response.status_code == 403
    assert _product(app) is not None

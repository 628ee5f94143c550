"""Bank products go live only after platform review, unless the bank is trusted."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.catalog.models import BankProduct, RuleVersion
from portal.dates import today_in_china
from portal.db import utcnow
from portal.enums import Role
from portal.extensions import db
from portal.institutions.models import FinancialInstitution
from portal.mail.models import OutboxEmail
from portal.matching.catalogue import catalogue_fingerprint, invalidate_catalogue_cache
from portal.matching.models import MatchResult
from portal.notifications.models import Notification
from tests.catalog.test_product_management import GOOD_RULE, product_form
from tests.conftest import signed_in
from tests.factories import FirmFactory, InstitutionFactory, UserFactory

FORMULA = "min(amount, revenue * 0.2, 3000000)"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    invalidate_catalogue_cache()
    yield
    invalidate_catalogue_cache()


@pytest.fixture
def world(app: Flask) -> SimpleNamespace:
    """A bank with an admin and an officer, a platform admin, and a small A-grade firm."""
    with app.app_context():
        bank = InstitutionFactory()
        admin = UserFactory(role=Role.BANK_ADMIN, institution=bank, email_verified_at=utcnow())
        officer = UserFactory(role=Role.BANK_OFFICER, institution=bank)
        staff = UserFactory(role=Role.ADMIN)
        sme = UserFactory(role=Role.SME, firm=FirmFactory(tax_credit_grade="A"))
        db.session.commit()
        return SimpleNamespace(
            bank=bank.id,
            admin=admin.email,
            admin_id=admin.id,
            officer_id=officer.id,
            staff=staff.email,
            sme=sme.email,
        )


def _submit(app: Flask, world: SimpleNamespace, name: str = "闽科贷") -> int:
    """The bank admin creates a product and publishes it, all through the pages."""
    bank = signed_in(app, world.admin)
    created = bank.post("/bank/products/new", data=product_form(name=name))
    assert created.status_code == 302, created.get_data(as_text=True)[:500]
    product_id = int(re.search(r"/bank/products/(\d+)$", created.headers["Location"]).group(1))
    bank.post(f"/bank/products/{product_id}/publish", data={"confirmed": "y"})
    return product_id


def _status(app: Flask, product_id: int) -> str:
    with app.app_context():
        return db.session.get(BankProduct, product_id).status


def _matched(app: Flask, world: SimpleNamespace, product_id: int) -> bool:
    """Whether a need the firm submits now is matched against the product."""
    response = signed_in(app, world.sme).post(
        "/firm/needs/new",
        data={
            "amount_wan": "80",
            "term_months": "12",
            "guarantee_type": "credit",
            "max_rate": "",
            "purpose": "采购原材料",
            "consent": "y",
            "idempotency_key": uuid.uuid4().hex,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    need_id = int(re.search(r"/firm/needs/(\d+)$", response.headers["Location"]).group(1))
    with app.app_context():
        return (
            db.session.scalar(
                select(MatchResult.id).where(
                    MatchResult.need_id == need_id, MatchResult.product_id == product_id
                )
            )
            is not None
        )


def _actions(app: Flask, action: str, product_id: int) -> list[dict]:
    with app.app_context():
        return [
            entry.detail
            for entry in db.session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == action, AuditEntry.object_id == product_id
                )
            )
        ]


def test_submitted_product_waits_until_approved(app, client, world):
    """In review it is neither listed nor matched; the queue shows its rules; approval puts it
    live, in the catalogue and the matcher, and changes the catalogue's fingerprint."""
    product_id = _submit(app, world)
    assert _status(app, product_id) == "in_review"
    assert "闽科贷" not in client.get("/products").get_data(as_text=True)
    assert not _matched(app, world, product_id)

    staff = signed_in(app, world.staff)
    queue = staff.get("/admin/product-reviews/").get_data(as_text=True)
    assert "闽科贷" in queue
    assert "size_class in [" in queue and FORMULA in queue
    assert "新产品，全部规则" in queue

    with app.app_context():
        before = catalogue_fingerprint(today_in_china())
    approved = staff.post(f"/admin/product-reviews/{product_id}/approve", follow_redirects=True)
    assert "产品“闽科贷”已通过审核并上线" in approved.get_data(as_text=True)
    assert _status(app, product_id) == "published"
    with app.app_context():
        assert catalogue_fingerprint(today_in_china()) != before
    assert "闽科贷" in client.get("/products").get_data(as_text=True)
    assert _matched(app, world, product_id)
    assert "闽科贷" not in staff.get("/admin/product-reviews/").get_data(as_text=True)
    assert len(_actions(app, "product.approve", product_id)) == 1


def test_returned_product_is_a_draft_with_the_reason_and_the_bank_is_told(app, world):
    """Returning needs a reason; the draft shows it to the bank, whose staff are notified."""
    product_id = _submit(app, world)
    staff = signed_in(app, world.staff)
    empty = staff.post(f"/admin/product-reviews/{product_id}/return", data={"reason": "  "})
    assert "请写明退回理由" in empty.get_data(as_text=True)
    long = staff.post(f"/admin/product-reviews/{product_id}/return", data={"reason": "长" * 501})
    assert "退回理由不超过 500 个字" in long.get_data(as_text=True)
    assert _status(app, product_id) == "in_review"

    reason = "准入规则未排除被执行企业，请补充"
    staff.post(f"/admin/product-reviews/{product_id}/return", data={"reason": reason})
    assert _status(app, product_id) == "draft"
    page = signed_in(app, world.admin).get(f"/bank/products/{product_id}").get_data(as_text=True)
    assert "平台审核未通过" in page and reason in page
    with app.app_context():
        told = set(
            db.session.scalars(
                select(Notification.user_id).where(Notification.kind == "product.returned")
            )
        )
        mailed = db.session.scalar(
            select(func.count(OutboxEmail.id)).where(OutboxEmail.kind == "product.returned")
        )
    assert told == {world.admin_id, world.officer_id}
    assert mailed == 1  # only the admin has a confirmed address
    assert _actions(app, "product.return", product_id)[0]["reason"] == reason


def test_resubmission_shows_the_rules_before_and_after(app, world):
    """After a return the bank edits the rules; the queue shows the old and the new text."""
    product_id = _submit(app, world)
    staff = signed_in(app, world.staff)
    staff.post(f"/admin/product-reviews/{product_id}/return", data={"reason": "请限定经营年限"})
    bank = signed_in(app, world.admin)
    stricter = GOOD_RULE + " and years_in_business >= 2"
    bank.post(f"/bank/products/{product_id}/edit", data=product_form(eligibility=stricter))
    bank.post(f"/bank/products/{product_id}/publish", data={"confirmed": "y"})
    assert _status(app, product_id) == "in_review"
    queue = staff.get("/admin/product-reviews/").get_data(as_text=True)
    assert "上一版规则（第 1 版）" in queue and "提交审核的规则（第 2 版）" in queue
    assert "years_in_business &gt;= 2" in queue
    assert "请限定经营年限" not in bank.get(f"/bank/products/{product_id}").get_data(as_text=True)


def test_decisions_only_from_review(app, world):
    """Approving twice, or returning an approved product, is refused and changes nothing."""
    product_id = _submit(app, world)
    staff = signed_in(app, world.staff)
    staff.post(f"/admin/product-reviews/{product_id}/approve")
    again = staff.post(f"/admin/product-reviews/{product_id}/approve", follow_redirects=True)
    assert "该产品不在待审核状态" in again.get_data(as_text=True)
    returned = staff.post(
        f"/admin/product-reviews/{product_id}/return",
        data={"reason": "再看看"},
        follow_redirects=True,
    )
    assert "该产品不在待审核状态" in returned.get_data(as_text=True)
    assert _status(app, product_id) == "published"
    assert len(_actions(app, "product.approve", product_id)) == 1
    assert _actions(app, "product.return", product_id) == []


def test_bank_cannot_change_a_product_in_review_or_live(app, world):
    """Edits of a submitted or a live product are refused; no rule version is added."""
    product_id = _submit(app, world)
    bank = signed_in(app, world.admin)
    stricter = product_form(eligibility=GOOD_RULE + " and employees >= 5")
    refused = bank.post(f"/bank/products/{product_id}/edit", data=stricter, follow_redirects=True)
    assert "产品正在平台审核中，不能修改" in refused.get_data(as_text=True)
    page = bank.get(f"/bank/products/{product_id}/edit").get_data(as_text=True)
    assert "产品正在平台审核中，不能修改" in page and 'name="eligibility"' not in page
    signed_in(app, world.staff).post(f"/admin/product-reviews/{product_id}/approve")
    refused = bank.post(f"/bank/products/{product_id}/edit", data=stricter, follow_redirects=True)
    assert "已上线的产品不能修改" in refused.get_data(as_text=True)
    with app.app_context():
        versions = db.session.scalars(
            select(RuleVersion.version).where(RuleVersion.product_id == product_id)
        ).all()
    assert versions == [1]


def test_trusted_bank_goes_live_at_once(app, client, world):
    """Once platform staff trust the bank, its submission is live and recorded as approved."""
    staff = signed_in(app, world.staff)
    staff.post(f"/admin/product-reviews/institutions/{world.bank}/trust", data={"trusted": "1"})
    with app.app_context():
        assert db.session.get(FinancialInstitution, world.bank).products_trusted
        trusted = db.session.scalars(
            select(AuditEntry.detail).where(AuditEntry.action == "institution.products_trust")
        ).all()
    assert trusted == [{"trusted": True}]
    product_id = _submit(app, world)
    assert _status(app, product_id) == "published"
    assert _actions(app, "product.approve", product_id)[0]["automatic"] is True
    assert "闽科贷" in client.get("/products").get_data(as_text=True)
    assert _matched(app, world, product_id)

    staff.post(f"/admin/product-reviews/institutions/{world.bank}/trust", data={"trusted": "0"})
    second = _submit(app, world, name="闽科贷二号")
    assert _status(app, second) == "in_review"


@pytest.mark.parametrize("role", [Role.BANK_ADMIN, Role.REGULATOR, Role.GOV_STAFF, Role.SME])
def test_other_roles_cannot_review(app, create, world, role):
    """Only platform admins see the queue or decide; others get 403 and nothing changes."""
    product_id = _submit(app, world)
    other = create(UserFactory, role=role)
    client = signed_in(app, other.email)
    assert client.get("/admin/product-reviews/").status_code == 403
    assert client.post(f"/admin/product-reviews/{product_id}/approve").status_code == 403
    returned = client.post(f"/admin/product-reviews/{product_id}/return", data={"reason": "x"})
    assert returned.status_code == 403
    trust = client.post(
        f"/admin/product-reviews/institutions/{world.bank}/trust", data={"trusted": "1"}
    )
    assert trust.status_code == 403
    assert _status(app, product_id) == "in_review"

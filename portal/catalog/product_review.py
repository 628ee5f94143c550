"""Platform review of bank products: a submitted product goes live only when platform staff
approve it; a returned one goes back to draft with the reason, which its bank sees.

States: draft → in_review (the bank submits) → published (approved) or draft (returned).
Approve and return act only on a product in review, by one conditional UPDATE, so two staff
deciding at once cannot both succeed. Institutions marked as trusted skip the wait
(portal/catalog/product_services.py `publish_product`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.catalog.models import BankProduct, RuleVersion
from portal.db import utcnow
from portal.enums import ProductStatus
from portal.extensions import db
from portal.institutions.models import FinancialInstitution
from portal.notifications.service import bank_user_ids, notify, path_for

REASON_MAX = 500


class ReviewError(Exception):
    """A review decision that cannot be made; the message says why."""


@dataclass(frozen=True)
class QueueItem:
    """A product waiting for review, with the rules it would go live with and the version
    before them (None for a product with one version: its rules are all new)."""

    product: BankProduct
    submitted: RuleVersion
    previous: RuleVersion | None


def queue() -> list[QueueItem]:
    """Products waiting for review, the longest-waiting first."""
    products = db.session.scalars(
        select(BankProduct)
        .where(BankProduct.status == ProductStatus.IN_REVIEW)
        .order_by(BankProduct.submitted_at, BankProduct.id)
    ).all()
    return [_item(product) for product in products]


def _item(product: BankProduct) -> QueueItem:
    latest = db.session.scalars(
        select(RuleVersion)
        .where(RuleVersion.product_id == product.id)
        .order_by(RuleVersion.version.desc())
        .limit(2)
    ).all()
    return QueueItem(product, latest[0], latest[1] if len(latest) > 1 else None)


def trusted_institutions() -> Sequence[FinancialInstitution]:
    """Institutions whose products go live without review."""
    return db.session.scalars(
        select(FinancialInstitution)
        .where(FinancialInstitution.products_trusted.is_(True))
        .order_by(FinancialInstitution.name)
    ).all()


def approve(actor: User, product: BankProduct) -> None:
    """Put a product in review on the catalogue; the matcher picks it up on its next load."""
    now = utcnow()
    _decide(product, status=ProductStatus.PUBLISHED, published_at=now, review_note=None)
    audit.record(
        AuditAction.PRODUCT_APPROVE, actor=actor, obj=product, rule_version=_version(product)
    )
    notify(
        bank_user_ids(product.institution_id),
        "product.approved",
        _l("产品“%(name)s”已通过平台审核并上线", name=product.name),
        link=path_for("products.detail", product_id=product.id),
    )
    db.session.commit()


def return_to_draft(actor: User, product: BankProduct, reason: str) -> None:
    """Send a product in review back to its bank as a draft, saying why."""
    reason = reason.strip()
    if not reason:
        raise ReviewError(_("请写明退回理由"))
    if len(reason) > REASON_MAX:
        raise ReviewError(_("退回理由不超过 %(n)s 个字", n=REASON_MAX))
    _decide(product, status=ProductStatus.DRAFT, review_note=reason)
    audit.record(
        AuditAction.PRODUCT_RETURN,
        actor=actor,
        obj=product,
        rule_version=_version(product),
        reason=reason,
    )
    notify(
        bank_user_ids(product.institution_id),
        "product.returned",
        _l("产品“%(name)s”未通过平台审核，已退回草稿", name=product.name),
        _l("退回理由：%(reason)s", reason=reason),
        link=path_for("products.detail", product_id=product.id),
    )
    db.session.commit()


def set_trusted(actor: User, institution: FinancialInstitution, trusted: bool) -> None:
    """Let an institution's products go live without review, or stop it."""
    if institution.products_trusted == trusted:
        return
    institution.products_trusted = trusted
    audit.record(
        AuditAction.INSTITUTION_PRODUCTS_TRUST, actor=actor, obj=institution, trusted=trusted
    )
    db.session.commit()


def _decide(product: BankProduct, **values: object) -> None:
    """Move a product out of review, or refuse when it is no longer there."""
    moved = db.session.execute(
        update(BankProduct)
        .where(BankProduct.id == product.id, BankProduct.status == ProductStatus.IN_REVIEW)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if moved != 1:
        db.session.rollback()
        raise ReviewError(_("该产品不在待审核状态，可能已被处理，请刷新页面"))


def _version(product: BankProduct) -> int | None:
    return db.session.scalar(
        select(RuleVersion.version)
        .where(RuleVersion.product_id == product.id)
        .order_by(RuleVersion.version.desc())
        .limit(1)
    )

"""The public catalogue of guarantee products: what each guarantor offers, its fee and share
of a loss, who qualifies, and the bank products it is paired with."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from portal.authz import public
from portal.catalog.models import BankProduct
from portal.catalog.queries import visible_products
from portal.catalog.versions import current_version
from portal.enums import ProductStatus
from portal.extensions import db
from portal.guarantees.models import GuaranteeAgreement, GuaranteeProduct
from portal.guarantees.queries import visible_guarantee_products
from portal.pagination import paginate
from portal.rules import rule_sentences

bp = Blueprint("guarantee_catalog", __name__, url_prefix="/guarantees")


@bp.get("/")
@public
def index() -> str:
    statement = visible_guarantee_products().order_by(
        GuaranteeProduct.fee_rate, GuaranteeProduct.id
    )
    return render_template("guarantees/public_index.html", page=paginate(statement))


@bp.get("/<int:product_id>")
@public
def detail(product_id: int) -> str:
    product = db.session.scalar(
        visible_guarantee_products().where(GuaranteeProduct.id == product_id)
    )
    if product is None:
        abort(404)
    rules = current_version(product)
    return render_template(
        "guarantees/public_detail.html",
        product=product,
        eligibility=rule_sentences(rules.eligibility if rules else None),
        partners=_partners(product),
    )


def _partners(product: GuaranteeProduct) -> list[tuple[BankProduct, GuaranteeAgreement]]:
    """The published bank products it is paired with, and how."""
    rows = db.session.execute(
        select(BankProduct, GuaranteeAgreement)
        .join(GuaranteeAgreement, GuaranteeAgreement.bank_product_id == BankProduct.id)
        .where(
            GuaranteeAgreement.guarantee_product_id == product.id,
            BankProduct.id.in_(visible_products().with_only_columns(BankProduct.id)),
            BankProduct.status == ProductStatus.PUBLISHED,
        )
        .order_by(BankProduct.name)
    )
    return [(bank_product, agreement) for bank_product, agreement in rows]

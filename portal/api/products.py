"""The bank's loan products through the API: read them, add a draft, submit it for review —
through the product form's checks and the same services as the product pages."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from portal.api.access import api_scope
from portal.api.form_input import AMOUNT_RANGE_IN_WAN, checked_form
from portal.api.idempotency import idempotent
from portal.api.problems import ApiProblem
from portal.api.report_schemas import Product, ProductDraft
from portal.api.scopes import Scope
from portal.authz import Permission, get_or_404, scoped
from portal.catalog import product_services as services
from portal.catalog.forms import ProductForm
from portal.catalog.models import BankProduct
from portal.catalog.versions import current_version
from portal.extensions import db
from portal.institutions.models import FinancialInstitution
from portal.institutions.services import NotApproved
from portal.rules import rule_sentences

bp = Blueprint(
    "api_products",
    __name__,
    url_prefix="/api/v1/products",
    description="The bank's own loan products: drafts, in review, published and archived.",
)

PRODUCTS = (Scope.PRODUCTS_WRITE, Permission.BANK_PRODUCTS_MANAGE)


@bp.route("", methods=["GET"])
@api_scope(*PRODUCTS)
@bp.response(200, Product(many=True))
def list_products() -> list[dict[str, Any]]:
    """Every product of the bank, whatever its status, newest first."""
    statement = scoped(select(BankProduct), BankProduct, current_user)
    products = db.session.scalars(statement.order_by(BankProduct.id.desc()))
    return [_product(product) for product in products]


@bp.route("/<int:product_id>", methods=["GET"])
@api_scope(*PRODUCTS)
@bp.response(200, Product)
def get_product(product_id: int) -> dict[str, Any]:
    """One of the bank's products, with its rules and their sentences as firms read them."""
    return _product(get_or_404(BankProduct, product_id, current_user))


@bp.route("", methods=["POST"])
@api_scope(*PRODUCTS)
@idempotent
@bp.arguments(ProductDraft)
@bp.response(201, Product)
def create_product(body: dict[str, Any]) -> dict[str, Any]:
    """A new draft, checked as the product form checks it (422 names each wrong field)."""
    institution = get_or_404(FinancialInstitution, current_user.institution_id, current_user)
    form = checked_form(
        ProductForm,
        body,
        AMOUNT_RANGE_IN_WAN,
        _("产品未保存：请按 errors 逐项修改。"),
        "product-refused",
    )
    product = services.create_product(
        current_user, institution, form.product_data(), form.rules_data()
    )
    return _product(product)


@bp.route("/<int:product_id>/submit", methods=["POST"])
@api_scope(*PRODUCTS)
@idempotent
@bp.response(200, Product)
def submit_product(product_id: int) -> dict[str, Any]:
    """Submit a draft for the platform's review (a trusted bank's goes live at once)."""
    product = get_or_404(BankProduct, product_id, current_user)
    try:
        services.publish_product(current_user, product)
    except (NotApproved, services.ProductError) as error:
        raise ApiProblem(409, str(error), slug="product-state") from None
    return _product(product)


def _product(product: BankProduct) -> dict[str, Any]:
    version = current_version(product)
    return {
        **{name: getattr(product, name) for name in Product().fields if name != "rules"},
        "kind": str(product.kind),
        "status": str(product.status),
        "rules": {
            "version": version.version if version else None,
            "eligibility": version.eligibility if version else "",
            "instant_approval": version.instant_approval if version else None,
            "formula": version.formula if version else None,
            "eligibility_sentences": rule_sentences(version.eligibility if version else None),
            "instant_approval_sentences": rule_sentences(
                version.instant_approval if version else None
            ),
        },
    }

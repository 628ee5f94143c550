"""The guarantee institution's products through the API: read them, add a draft, publish it —
through the guarantee product form's checks and the same services as the product pages."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from portal.api.access import api_scope
from portal.api.form_input import AMOUNT_RANGE_IN_WAN, checked_form
from portal.api.guarantee_schemas import GuaranteeProduct as GuaranteeProductSchema
from portal.api.guarantee_schemas import GuaranteeProductDraft
from portal.api.idempotency import idempotent
from portal.api.problems import ApiProblem
from portal.api.scopes import Scope
from portal.authz import Permission, get_or_404, scoped
from portal.catalog.versions import current_version
from portal.extensions import db
from portal.guarantees import products as services
from portal.guarantees.forms import GuaranteeProductForm
from portal.guarantees.models import GuaranteeProduct
from portal.institutions.models import FinancialInstitution
from portal.institutions.services import NotApproved
from portal.rules import rule_sentences

bp = Blueprint(
    "api_guarantee_products",
    __name__,
    url_prefix="/api/v1/guarantee-products",
    description="The guarantee institution's own products: drafts, published and archived.",
)

PRODUCTS = (Scope.GUARANTEE_PRODUCTS_WRITE, Permission.GUARANTOR_PRODUCTS_MANAGE)


@bp.route("", methods=["GET"])
@api_scope(*PRODUCTS)
@bp.response(200, GuaranteeProductSchema(many=True))
def list_products() -> list[dict[str, Any]]:
    """Every product of the institution, whatever its status, newest first."""
    statement = scoped(select(GuaranteeProduct), GuaranteeProduct, current_user)
    products = db.session.scalars(statement.order_by(GuaranteeProduct.id.desc()))
    return [_product(product) for product in products]


@bp.route("/<int:product_id>", methods=["GET"])
@api_scope(*PRODUCTS)
@bp.response(200, GuaranteeProductSchema)
def get_product(product_id: int) -> dict[str, Any]:
    """One product, with its rule in sentences and the bank products it backs."""
    return _product(get_or_404(GuaranteeProduct, product_id, current_user))


@bp.route("", methods=["POST"])
@api_scope(*PRODUCTS)
@idempotent
@bp.arguments(GuaranteeProductDraft)
@bp.response(201, GuaranteeProductSchema)
def create_product(body: dict[str, Any]) -> dict[str, Any]:
    """A new draft, checked as the guarantee product form checks it (422 names each field).
    The bank products it backs are chosen on the product's page."""
    institution = get_or_404(FinancialInstitution, current_user.institution_id, current_user)
    form = checked_form(
        GuaranteeProductForm,
        body,
        AMOUNT_RANGE_IN_WAN,
        _("担保产品未保存：请按 errors 逐项修改。"),
        "product-refused",
    )
    try:
        product = services.create_product(
            current_user, institution, form.product_data(), form.eligibility.data or ""
        )
    except services.GuaranteeProductError as error:
        raise ApiProblem(422, str(error), slug="product-refused") from None
    return _product(product)


@bp.route("/<int:product_id>/publish", methods=["POST"])
@api_scope(*PRODUCTS)
@idempotent
@bp.response(200, GuaranteeProductSchema)
def publish_product(product_id: int) -> dict[str, Any]:
    """Put a draft on the catalogue and into the matcher's pairings with the bank products it
    backs. Publishing a published product changes nothing; an archived one is refused (409)."""
    product = get_or_404(GuaranteeProduct, product_id, current_user)
    try:
        services.publish_product(current_user, product)
    except (NotApproved, services.GuaranteeProductError) as error:
        raise ApiProblem(409, str(error), slug="product-state") from None
    return _product(product)


def _product(product: GuaranteeProduct) -> dict[str, Any]:
    version = current_version(product)
    eligibility = version.eligibility if version else ""
    fields = GuaranteeProductSchema().fields
    return {
        **{name: getattr(product, name) for name in fields if name not in ("rules", "cooperation")},
        "status": str(product.status),
        "rules": {
            "version": version.version if version else None,
            "eligibility": eligibility,
            "eligibility_sentences": rule_sentences(eligibility or None),
        },
        "cooperation": [
            {
                "bank_product": {
                    "code": str(agreement.bank_product_id),
                    "name": agreement.bank_product.name,
                },
                "bank": agreement.bank_product.institution.name,
                "mode": str(agreement.mode),
                "automatic_limit": agreement.automatic_limit,
            }
            for agreement in product.agreements
        ],
    }

"""Platform staff review bank products before they go live (portal/catalog/product_review.py)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.admin.forms import ConfirmForm
from portal.authz import Permission, get_or_404, requires
from portal.catalog import product_review as review
from portal.catalog.models import BankProduct
from portal.catalog.review_forms import ReturnForm, TrustForm
from portal.institutions.models import FinancialInstitution

bp = Blueprint("product_reviews", __name__, url_prefix="/admin/product-reviews")


@bp.get("/")
@requires(Permission.PLATFORM_PRODUCT_REVIEW)
def index() -> str:
    return _queue_page()


@bp.post("/<int:product_id>/approve")
@requires(Permission.PLATFORM_PRODUCT_REVIEW)
def approve(product_id: int) -> Response:
    product = get_or_404(BankProduct, product_id, current_user)
    if ConfirmForm().validate_on_submit():
        try:
            review.approve(current_user, product)
        except review.ReviewError as error:
            flash(str(error), "error")
        else:
            flash(_("产品“%(name)s”已通过审核并上线。", name=product.name), "success")
    return redirect(url_for("product_reviews.index"))


@bp.post("/<int:product_id>/return")
@requires(Permission.PLATFORM_PRODUCT_REVIEW)
def return_product(product_id: int) -> str | Response:
    product = get_or_404(BankProduct, product_id, current_user)
    form = ReturnForm()
    if not form.validate_on_submit():
        return _queue_page(failed=(product.id, form))
    try:
        review.return_to_draft(current_user, product, form.reason.data)
    except review.ReviewError as error:
        flash(str(error), "error")
    else:
        flash(_("产品“%(name)s”已退回银行修改。", name=product.name), "success")
    return redirect(url_for("product_reviews.index"))


@bp.post("/institutions/<int:institution_id>/trust")
@requires(Permission.PLATFORM_PRODUCT_REVIEW)
def trust(institution_id: int) -> Response:
    institution = get_or_404(FinancialInstitution, institution_id, current_user)
    form = TrustForm()
    if form.validate_on_submit():
        trusted = form.trusted.data == "1"
        review.set_trusted(current_user, institution, trusted)
        if trusted:
            flash(_("%(name)s 的产品今后提交即上线。", name=institution.name), "success")
        else:
            flash(_("%(name)s 的产品今后须经平台审核。", name=institution.name), "success")
    else:
        flash(_("请选择是否免审。"), "error")
    return redirect(url_for("product_reviews.index"))


def _queue_page(failed: tuple[int, ReturnForm] | None = None) -> str:
    """The queue; `failed` is a return form with errors, shown again under its product."""
    return render_template(
        "catalog/review_queue.html",
        items=review.queue(),
        trusted=review.trusted_institutions(),
        confirm=ConfirmForm(),
        return_forms=dict([failed]) if failed else {},
        blank_return=ReturnForm(formdata=None),
        trust_form=TrustForm(formdata=None),
    )

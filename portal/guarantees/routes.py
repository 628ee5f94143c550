"""The guarantor's pages: the officer's requests, the admin's guarantee products and their
cooperation with bank products."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.admin.forms import ConfirmForm
from portal.audit import service as audit
from portal.authz import Permission, get_or_404, requires, scoped
from portal.authz.scoping import REQUEST_STATUSES_REVEALING_FIRM
from portal.catalog.models import RuleVersion
from portal.catalog.versions import current_version
from portal.dates import today_in_china
from portal.db import utcnow, writes_on_get
from portal.enums import DECLINE_REASON_LABELS, DeclineReason
from portal.extensions import db
from portal.firms.forms import yuan_to_wan_field
from portal.firms.models import Firm
from portal.guarantees import products as product_services
from portal.guarantees import requests as request_services
from portal.guarantees import views
from portal.guarantees.forms import AgreementForm, GuaranteeDeclineForm, GuaranteeProductForm
from portal.guarantees.models import GuaranteeAgreement, GuaranteeProduct, GuaranteeRequest
from portal.institutions.models import FinancialInstitution
from portal.institutions.services import NotApproved
from portal.matching.models import FinancingNeed
from portal.pagination import paginate

bp = Blueprint("guarantees", __name__, url_prefix="/guarantor")

PROFILE_VIEW = "firm.profile_view"


# --- homes ------------------------------------------------------------------------------------


@bp.get("/")
@requires(Permission.HOME_GUARANTOR_OFFICER)
def officer_home() -> str:
    """The officer's workbench: requests waiting for an answer, soonest deadline first."""
    page = paginate(views.inbox_statement(current_user))
    return _render_inbox("guarantees/officer_home.html", page)


@bp.get("/admin")
@requires(Permission.HOME_GUARANTOR_ADMIN)
def admin_home() -> str:
    """The admin's page: the institution's guarantee products and its requests at a glance."""
    institution = get_or_404(FinancialInstitution, current_user.institution_id, current_user)
    products = db.session.scalars(
        scoped(select(GuaranteeProduct), GuaranteeProduct, current_user).order_by(
            GuaranteeProduct.id.desc()
        )
    ).all()
    return render_template(
        "guarantees/admin_home.html",
        institution=institution,
        products=products,
        counts=views.counts(current_user),
    )


# --- requests ---------------------------------------------------------------------------------


@bp.get("/requests")
@requires(Permission.GUARANTOR_REQUESTS_WORK)
def requests() -> str:
    return _render_inbox("guarantees/requests.html", paginate(views.inbox_statement(current_user)))


@bp.get("/requests/<int:request_id>")
@requires(Permission.GUARANTOR_REQUESTS_WORK)
@writes_on_get
def request_detail(request_id: int) -> str:
    """A teaser before the request is taken on; the firm's profile after (each view logged)."""
    return _render_request(get_or_404(GuaranteeRequest, request_id, current_user))


@bp.post("/requests/<int:request_id>/accept")
@requires(Permission.GUARANTOR_REQUESTS_WORK)
def accept(request_id: int) -> Response:
    found = _confirmed_request(request_id)
    try:
        request_services.accept(current_user, found)
    except request_services.GuaranteeError as error:
        flash(str(error), "error")
    else:
        flash(_("已受理。现在可以查看企业的完整信息，每次查看都会告知企业。"), "success")
    return _back_to(found)


@bp.post("/requests/<int:request_id>/issue")
@requires(Permission.GUARANTOR_REQUESTS_WORK)
def issue(request_id: int) -> Response:
    found = _confirmed_request(request_id)
    try:
        letter = request_services.issue(current_user, found)
    except request_services.GuaranteeError as error:
        flash(str(error), "error")
    else:
        flash(_("担保函 %(no)s 已出具，银行和企业已收到通知。", no=letter.letter_no), "success")
    return _back_to(found)


@bp.post("/requests/<int:request_id>/decline")
@requires(Permission.GUARANTOR_REQUESTS_WORK)
def decline(request_id: int) -> str | Response:
    found = get_or_404(GuaranteeRequest, request_id, current_user)
    form = _decline_form()
    if not form.validate_on_submit():
        return _render_request(found, decline_form=form)
    try:
        request_services.decline(
            current_user, found, DeclineReason(form.reason.data), form.note.data or ""
        )
    except request_services.GuaranteeError as error:
        flash(str(error), "error")
    else:
        flash(_("已拒绝该担保申请，原因已告知银行和企业。"), "success")
    return _back_to(found)


# --- products ---------------------------------------------------------------------------------


@bp.route("/products/new", methods=["GET", "POST"])
@requires(Permission.GUARANTOR_PRODUCTS_MANAGE)
def new_product() -> str | Response:
    form = GuaranteeProductForm()
    if form.validate_on_submit():
        institution = get_or_404(FinancialInstitution, current_user.institution_id, current_user)
        try:
            product = product_services.create_product(
                current_user, institution, form.product_data(), form.eligibility.data or ""
            )
        except product_services.GuaranteeProductError as error:
            flash(str(error), "error")
        else:
            flash(_("担保产品已保存为草稿，请添加合作的银行产品后发布。"), "success")
            return redirect(url_for("guarantees.product_detail", product_id=product.id))
    return render_template("guarantees/product_form.html", form=form, product=None)


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
@requires(Permission.GUARANTOR_PRODUCTS_MANAGE)
def product_detail(product_id: int) -> str | Response:
    """The product: its terms (editable until archived), cooperation and rule versions."""
    product = get_or_404(GuaranteeProduct, product_id, current_user)
    form = GuaranteeProductForm(obj=product) if request.method == "POST" else _prefilled(product)
    if request.method == "POST" and form.validate_on_submit():
        try:
            product_services.update_product(
                current_user, product, form.product_data(), form.eligibility.data or ""
            )
        except product_services.GuaranteeProductError as error:
            flash(str(error), "error")
        else:
            flash(_("担保产品已保存。"), "success")
            return redirect(url_for("guarantees.product_detail", product_id=product.id))
    return _render_product(product, form=form)


@bp.post("/products/<int:product_id>/publish")
@requires(Permission.GUARANTOR_PRODUCTS_MANAGE)
def publish(product_id: int) -> Response:
    product = _confirmed_product(product_id)
    try:
        product_services.publish_product(current_user, product)
    except (NotApproved, product_services.GuaranteeProductError) as error:
        flash(str(error), "error")
    else:
        flash(_("担保产品已发布，合作银行产品的匹配将自动搭配本产品。"), "success")
    return redirect(url_for("guarantees.product_detail", product_id=product.id))


@bp.post("/products/<int:product_id>/archive")
@requires(Permission.GUARANTOR_PRODUCTS_MANAGE)
def archive(product_id: int) -> Response:
    product = _confirmed_product(product_id)
    product_services.archive_product(current_user, product)
    flash(_("担保产品已下架；已出具的担保函继续有效。"), "success")
    return redirect(url_for("guarantees.product_detail", product_id=product.id))


@bp.post("/products/<int:product_id>/agreements")
@requires(Permission.GUARANTOR_PRODUCTS_MANAGE)
def add_agreement(product_id: int) -> str | Response:
    product = get_or_404(GuaranteeProduct, product_id, current_user)
    form = _agreement_form()
    if not form.validate_on_submit():
        return _render_product(product, agreement_form=form)
    try:
        product_services.add_agreement(
            current_user,
            product,
            form.bank_product_id.data,
            form.guarantee_mode(),
            form.automatic_limit(),
        )
    except product_services.GuaranteeProductError as error:
        form.bank_product_id.errors = [*form.bank_product_id.errors, str(error)]
        return _render_product(product, agreement_form=form)
    flash(_("已添加合作的银行产品。"), "success")
    return redirect(url_for("guarantees.product_detail", product_id=product.id))


@bp.post("/agreements/<int:agreement_id>/remove")
@requires(Permission.GUARANTOR_PRODUCTS_MANAGE)
def remove_agreement(agreement_id: int) -> Response:
    agreement = get_or_404(GuaranteeAgreement, agreement_id, current_user)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    product_id = agreement.guarantee_product_id
    product_services.remove_agreement(current_user, agreement)
    flash(_("已解除合作；已发出的担保申请不受影响。"), "success")
    return redirect(url_for("guarantees.product_detail", product_id=product_id))


# --- helpers ----------------------------------------------------------------------------------


def _render_inbox(template: str, page: object) -> str:
    return render_template(
        template,
        page=page,
        teasers=views.teasers(page.items),  # type: ignore[attr-defined]
        counts=views.counts(current_user),
        now=utcnow(),
        overdue=views.overdue,
    )


def _render_request(
    found: GuaranteeRequest, *, decline_form: GuaranteeDeclineForm | None = None
) -> str:
    need = firm = None
    if found.status in REQUEST_STATUSES_REVEALING_FIRM:
        need = get_or_404(FinancingNeed, found.need_id, current_user)
        firm = get_or_404(Firm, need.firm_id, current_user)
        audit.record(PROFILE_VIEW, obj=firm, firm_id=firm.id, guarantee_request=found.id)
        db.session.commit()
    return render_template(
        "guarantees/request_detail.html",
        found=found,
        teaser=views.teasers([found])[found.id],
        need=need,
        firm=firm,
        years_in_business=firm.years_in_business(today_in_china()) if firm else None,
        letter=request_services.letter_of(found.lead_id),
        fee=request_services.fee(found.amount, found.guarantee_product.fee_rate, found.term_months),
        covered=request_services.covered(found.amount, found.guarantee_product.coverage_share),
        overdue=views.overdue(found, utcnow()),
        confirm=ConfirmForm(),
        decline_form=decline_form or _decline_form(formdata=None),
    )


def _decline_form(**kwargs: object) -> GuaranteeDeclineForm:
    form = GuaranteeDeclineForm(**kwargs)
    form.reason.choices = [("", _("请选择原因"))] + [
        (reason.value, str(label)) for reason, label in DECLINE_REASON_LABELS.items()
    ]
    return form


def _render_product(
    product: GuaranteeProduct,
    *,
    form: GuaranteeProductForm | None = None,
    agreement_form: AgreementForm | None = None,
) -> str:
    history = db.session.scalars(
        scoped(select(RuleVersion), RuleVersion, current_user)
        .where(RuleVersion.guarantee_product_id == product.id)
        .order_by(RuleVersion.version.desc())
    ).all()
    return render_template(
        "guarantees/product_detail.html",
        product=product,
        form=form or _prefilled(product),
        agreement_form=agreement_form or _agreement_form(formdata=None),
        history=history,
        confirm=ConfirmForm(),
    )


def _agreement_form(**kwargs: object) -> AgreementForm:
    form = AgreementForm(**kwargs)
    form.bank_product_id.choices = [(0, _("请选择银行产品"))] + [
        (p.id, f"{p.institution.short_name} · {p.name}")
        for p in product_services.cooperating_bank_products()
    ]
    return form


def _prefilled(product: GuaranteeProduct) -> GuaranteeProductForm:
    form = GuaranteeProductForm(formdata=None, obj=product)
    form.min_amount_wan.data = yuan_to_wan_field(product.min_amount)
    form.max_amount_wan.data = yuan_to_wan_field(product.max_amount)
    rules = current_version(product)
    form.eligibility.data = rules.eligibility if rules is not None else ""
    return form


def _confirmed_request(request_id: int) -> GuaranteeRequest:
    found = get_or_404(GuaranteeRequest, request_id, current_user)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return found


def _confirmed_product(product_id: int) -> GuaranteeProduct:
    product = get_or_404(GuaranteeProduct, product_id, current_user)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return product


def _back_to(found: GuaranteeRequest) -> Response:
    return redirect(url_for("guarantees.request_detail", request_id=found.id))

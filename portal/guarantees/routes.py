"""The guarantor's pages: the officer's requests, the admin's guarantee products and their
cooperation with bank products."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.admin.forms import ConfirmForm
from portal.authz import Permission, get_or_404, requires, scoped
from portal.catalog.models import RuleVersion
from portal.catalog.versions import current_version
from portal.confirmation import Confirmation, confirmation_step
from portal.dates import today_in_china
from portal.db import utcnow, writes_on_get
from portal.enums import ProductStatus
from portal.extensions import db
from portal.firms.forms import yuan_to_wan_field
from portal.guarantees import products as product_services
from portal.guarantees import requests as request_services
from portal.guarantees import views
from portal.guarantees.forms import (
    AgreementForm,
    GuaranteeDeclineForm,
    GuaranteeProductForm,
    RiskShareForm,
)
from portal.guarantees.models import GuaranteeAgreement, GuaranteeProduct, GuaranteeRequest
from portal.institutions.models import FinancialInstitution
from portal.institutions.services import NotApproved
from portal.leads.schedule import guarantee_fee_total
from portal.needs.models import FinancingNeed
from portal.pagination import paginate

bp = Blueprint("guarantees", __name__, url_prefix="/guarantor")


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
def issue(request_id: int) -> str | Response:
    found = get_or_404(GuaranteeRequest, request_id, current_user)
    page = confirmation_step(
        Confirmation(
            title=_("出具担保函"),
            subject=_("担保申请 #%(id)s", id=found.id),
            consequences=_(
                "担保函出具后不能撤回：本机构按所列金额、期限、费率和担保责任承担保证责任，"
                "企业即可接受银行的授信方案。"
            ),
            checkbox=_("我确认按所列条件出具担保函"),
            button=_("确认出具"),
            cancel_url=url_for("guarantees.request_detail", request_id=found.id),
        )
    )
    if page is not None:
        return page
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
    form = GuaranteeDeclineForm()
    if not form.validate_on_submit():
        return _render_request(found, decline_form=form)
    try:
        request_services.decline(current_user, found, form.decline_reason(), form.note.data or "")
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
def publish(product_id: int) -> str | Response:
    product = get_or_404(GuaranteeProduct, product_id, current_user)
    page = confirmation_step(
        Confirmation(
            title=_("发布担保产品"),
            subject=product.name,
            consequences=_(
                "发布后，企业可在担保产品目录中看到本产品，平台在匹配合作银行产品时按其当前规则"
                "搭配本产品。之后修改规则将生成新版本。"
            ),
            checkbox=_("我确认发布该担保产品"),
            button=_("确认发布"),
            cancel_url=url_for("guarantees.product_detail", product_id=product.id),
        )
    )
    if page is not None:
        return page
    try:
        product_services.publish_product(current_user, product)
    except (NotApproved, product_services.GuaranteeProductError) as error:
        flash(str(error), "error")
    else:
        flash(_("担保产品已发布，合作银行产品的匹配将自动搭配本产品。"), "success")
    return redirect(url_for("guarantees.product_detail", product_id=product.id))


@bp.post("/products/<int:product_id>/archive")
@requires(Permission.GUARANTOR_PRODUCTS_MANAGE)
def archive(product_id: int) -> str | Response:
    product = get_or_404(GuaranteeProduct, product_id, current_user)
    page = confirmation_step(
        Confirmation(
            title=_("下架担保产品"),
            subject=product.name,
            consequences=_(
                "下架后本产品不再出现在目录和匹配中，不能重新发布；已出具的担保函继续有效。"
            ),
            checkbox=_("我确认下架该担保产品"),
            button=_("确认下架"),
            cancel_url=url_for("guarantees.product_detail", product_id=product.id),
            danger=True,
        )
    )
    if page is not None:
        return page
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


@bp.post("/products/<int:product_id>/risk-share")
@requires(Permission.GUARANTOR_PRODUCTS_MANAGE)
def risk_share(product_id: int) -> str | Response:
    """Attach or change the product's risk-sharing agreement (letters issued keep theirs)."""
    product = get_or_404(GuaranteeProduct, product_id, current_user)
    form = RiskShareForm()
    if not form.validate_on_submit():
        return _render_product(product, risk_form=form)
    try:
        product_services.set_risk_share(current_user, product, form.agreement_data())
    except product_services.GuaranteeProductError as error:
        if product.status == ProductStatus.ARCHIVED:  # the page has no form to show it beside
            flash(str(error), "error")
            return redirect(url_for("guarantees.product_detail", product_id=product.id))
        form.bank_share.errors = [*form.bank_share.errors, str(error)]
        return _render_product(product, risk_form=form)
    flash(_("风险分担约定已保存，此后出具的担保函按此约定分担。"), "success")
    return redirect(url_for("guarantees.product_detail", product_id=product.id))


@bp.post("/agreements/<int:agreement_id>/remove")
@requires(Permission.GUARANTOR_PRODUCTS_MANAGE)
def remove_agreement(agreement_id: int) -> str | Response:
    agreement = get_or_404(GuaranteeAgreement, agreement_id, current_user)
    page = confirmation_step(
        Confirmation(
            title=_("解除合作"),
            subject=agreement.bank_product.name,
            consequences=_(
                "解除后，该银行产品的新需求不再搭配本担保产品；已发出的担保申请不受影响。"
            ),
            checkbox=_("我确认解除与该银行产品的合作"),
            button=_("确认解除"),
            cancel_url=url_for(
                "guarantees.product_detail", product_id=agreement.guarantee_product_id
            ),
            danger=True,
        )
    )
    if page is not None:
        return page
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
    firm = views.firm_seen_by(current_user, found)
    need = get_or_404(FinancingNeed, found.need_id, current_user) if firm is not None else None
    return render_template(
        "guarantees/request_detail.html",
        found=found,
        teaser=views.teasers([found])[found.id],
        need=need,
        firm=firm,
        years_in_business=firm.years_in_business(today_in_china()) if firm else None,
        letter=request_services.letter_of(found.lead_id),
        fee=guarantee_fee_total(found.amount, found.guarantee_product.fee_rate, found.term_months),
        covered=request_services.covered(found.amount, found.guarantee_product.coverage_share),
        overdue=views.overdue(found, utcnow()),
        confirm=ConfirmForm(),
        decline_form=decline_form or GuaranteeDeclineForm(formdata=None),
    )


def _render_product(
    product: GuaranteeProduct,
    *,
    form: GuaranteeProductForm | None = None,
    agreement_form: AgreementForm | None = None,
    risk_form: RiskShareForm | None = None,
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
        risk_form=risk_form or _risk_form(product),
        history=history,
        confirm=ConfirmForm(),
    )


def _risk_form(product: GuaranteeProduct) -> RiskShareForm:
    """The risk-sharing form, filled from the product's agreement; without one, the national
    "4321" (re-guarantee 30, government 10) fitted to the product's coverage."""
    agreement = product.risk_share
    form = RiskShareForm(formdata=None, obj=agreement)
    if agreement is None:
        covered = product.coverage_share
        onward = (Decimal(30), Decimal(10)) if covered > 40 else (Decimal(0), Decimal(0))
        form.guarantor_share.data = covered - sum(onward)
        form.reguarantee_share.data, form.government_share.data = onward
        form.bank_share.data = Decimal(100) - covered
        return form
    for name in ("reguarantee_cap", "government_cap"):
        value = getattr(agreement, name)
        form[f"{name}_wan"].data = yuan_to_wan_field(value) if value is not None else None
    return form


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


def _back_to(found: GuaranteeRequest) -> Response:
    return redirect(url_for("guarantees.request_detail", request_id=found.id))

"""Bank admins manage their institution's loan products and rules."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.admin.forms import ConfirmForm
from portal.authz import Permission, get_or_404, requires, scoped
from portal.catalog import product_services as services
from portal.catalog.forms import ProductForm, SampleFirmForm
from portal.catalog.models import BankProduct, RuleVersion
from portal.catalog.versions import current_version
from portal.confirmation import Confirmation, confirmation_step
from portal.enums import ProductStatus
from portal.extensions import db
from portal.firms.forms import wan_to_yuan, yuan_to_wan_field
from portal.institutions.models import FinancialInstitution
from portal.institutions.services import NotApproved
from portal.lpr import latest_lpr
from portal.matching.facts import need_facts, pricing_facts, profile_facts

bp = Blueprint("products", __name__, url_prefix="/bank/products")


@bp.get("/")
@requires(Permission.BANK_PRODUCTS_MANAGE)
def index() -> str:
    institution = get_or_404(FinancialInstitution, current_user.institution_id, current_user)
    products = db.session.scalars(
        scoped(select(BankProduct), BankProduct, current_user).order_by(
            BankProduct.status, BankProduct.updated_at.desc()
        )
    ).all()
    return render_template("catalog/manage_index.html", institution=institution, products=products)


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.BANK_PRODUCTS_MANAGE)
def new() -> str | Response:
    institution = get_or_404(FinancialInstitution, current_user.institution_id, current_user)
    form = ProductForm()
    if form.validate_on_submit():
        product = services.create_product(
            current_user, institution, form.product_data(), form.rules_data()
        )
        flash(_("产品已保存为草稿。可先用样例企业试算规则，再发布。"), "success")
        return redirect(url_for("products.detail", product_id=product.id))
    return render_template("catalog/manage_form.html", form=form, product=None)


@bp.route("/<int:product_id>/edit", methods=["GET", "POST"])
@requires(Permission.BANK_PRODUCTS_MANAGE)
def edit(product_id: int) -> str | Response:
    product = get_or_404(BankProduct, product_id, current_user)
    try:
        services.ensure_editable(product)
    except services.ProductError as error:
        if request.method == "GET":  # the page says why, in place of the form
            return render_template("catalog/manage_form.html", product=product, locked=str(error))
        flash(str(error), "error")
        return redirect(url_for("products.detail", product_id=product.id))
    form = ProductForm(obj=product)
    if not form.is_submitted():
        _prefill(form, product)
    if form.validate_on_submit():
        try:
            version = services.update_product(
                current_user, product, form.product_data(), form.rules_data()
            )
        except services.ProductError as error:
            flash(str(error), "error")
        else:
            flash(_("已保存，当前规则为第 %(n)s 版。", n=version.version), "success")
            return redirect(url_for("products.detail", product_id=product.id))
    return render_template("catalog/manage_form.html", form=form, product=product)


@bp.route("/<int:product_id>", methods=["GET", "POST"])
@requires(Permission.BANK_PRODUCTS_MANAGE)
def detail(product_id: int) -> str:
    """The product, its rule history, and a trial of its rules on a sample firm."""
    product = get_or_404(BankProduct, product_id, current_user)
    version = current_version(product)
    sample = SampleFirmForm()
    trial = None
    if sample.validate_on_submit() and version is not None:
        facts = _sample_facts(sample, product)
        ceiling = min(product.max_amount, facts["amount"])
        trial = services.try_rules(version, facts, ceiling)
    return render_template(
        "catalog/manage_detail.html",
        product=product,
        version=version,
        history=_history(product),
        sample=sample,
        trial=trial,
        confirm=ConfirmForm(),
        deletable=services.delete_refusal(product) is None,
    )


@bp.post("/<int:product_id>/publish")
@requires(Permission.BANK_PRODUCTS_MANAGE)
def publish(product_id: int) -> str | Response:
    product = get_or_404(BankProduct, product_id, current_user)
    page = confirmation_step(
        Confirmation(
            title=_("发布产品"),
            subject=product.name,
            consequences=_publish_consequences(product),
            checkbox=_("我确认发布该产品"),
            button=_("确认发布"),
            cancel_url=url_for("products.detail", product_id=product.id),
        )
    )
    if page is not None:
        return page
    try:
        services.publish_product(current_user, product)
    except (NotApproved, services.ProductError) as error:
        flash(str(error), "error")
    else:
        if product.status == ProductStatus.PUBLISHED:
            flash(_("产品已发布，企业现在可以在产品目录中看到它。"), "success")
        else:
            flash(_("产品已提交平台审核，审核通过后上线。"), "success")
    return redirect(url_for("products.detail", product_id=product.id))


@bp.post("/<int:product_id>/archive")
@requires(Permission.BANK_PRODUCTS_MANAGE)
def archive(product_id: int) -> str | Response:
    product = get_or_404(BankProduct, product_id, current_user)
    page = confirmation_step(
        Confirmation(
            title=_("下架产品"),
            subject=product.name,
            consequences=_(
                "下架后该产品立即从产品目录和匹配结果中消失，企业不能再申请；"
                "已有的线索和贷款不受影响。下架的产品不能重新发布。"
            ),
            checkbox=_("我确认下架该产品"),
            button=_("确认下架"),
            cancel_url=url_for("products.detail", product_id=product.id),
            danger=True,
        )
    )
    if page is not None:
        return page
    services.archive_product(current_user, product)
    flash(_("产品已下架。已有的线索和贷款不受影响。"), "success")
    return redirect(url_for("products.detail", product_id=product.id))


@bp.post("/<int:product_id>/delete")
@requires(Permission.BANK_PRODUCTS_MANAGE)
def delete(product_id: int) -> str | Response:
    product = get_or_404(BankProduct, product_id, current_user)
    refusal = services.delete_refusal(product)
    if refusal is not None:
        flash(refusal, "error")
        return redirect(url_for("products.detail", product_id=product.id))
    page = confirmation_step(
        Confirmation(
            title=_("删除产品草稿"),
            subject=product.name,
            consequences=_(
                "草稿及其各版规则将被删除，不能恢复。草稿从未上线，没有任何匹配、线索或贷款引用它。"
            ),
            checkbox=_("我确认删除该草稿"),
            button=_("确认删除"),
            cancel_url=url_for("products.detail", product_id=product.id),
            danger=True,
        )
    )
    if page is not None:
        return page
    name = product.name
    try:
        services.delete_product(current_user, product)
    except services.ProductError as error:
        flash(str(error), "error")
        return redirect(url_for("products.detail", product_id=product_id))
    flash(_("已删除草稿“%(name)s”。", name=name), "success")
    return redirect(url_for("products.index"))


def _publish_consequences(product: BankProduct) -> str:
    if product.institution.products_trusted:
        return _(
            "发布后，企业即可在产品目录中看到并申请该产品，平台立即按其当前规则为企业匹配和秒批。"
            "发布的规则版本会被决策记录引用，上线后不能修改，如需调整请下架后新建产品。"
        )
    return _(
        "发布后产品先由平台审核，审核通过才进入产品目录并参与匹配；审核期间不能修改。"
        "上线后不能修改，如需调整请下架后新建产品。"
    )


def _prefill(form: ProductForm, product: BankProduct) -> None:
    form.min_amount_wan.data = yuan_to_wan_field(product.min_amount)
    form.max_amount_wan.data = yuan_to_wan_field(product.max_amount)
    version = current_version(product)
    if version is not None:
        form.eligibility.data = version.eligibility
        form.instant_approval.data = version.instant_approval or ""
        form.formula.data = version.formula or ""


def _history(product: BankProduct) -> list[RuleVersion]:
    return list(
        db.session.scalars(
            select(RuleVersion)
            .where(RuleVersion.product_id == product.id)
            .order_by(RuleVersion.version.desc())
        )
    )


def _sample_facts(form: SampleFirmForm, product: BankProduct) -> dict[str, object]:
    lpr = latest_lpr()
    return {
        **profile_facts(
            region_code=form.region_code.data,
            industry_code=form.industry_code.data,
            size_class=form.size_class.data,
            years_in_business=form.years_in_business.data,
            employees=form.employees.data,
            revenue=wan_to_yuan(form.revenue_wan.data),
            total_assets=wan_to_yuan(form.total_assets_wan.data),
            tax_credit_grade=form.tax_credit_grade.data,
            qualifications=form.qualifications.data or (),
            registry_status=form.registry_status.data,
            tax_paid_12m=wan_to_yuan(form.tax_paid_12m_wan.data or Decimal(0)),
            tax_paid_24m=wan_to_yuan(form.tax_paid_24m_wan.data or Decimal(0)),
            court_records=form.court_records.data or (),
            enforcement_amount=wan_to_yuan(form.enforcement_amount_wan.data or Decimal(0)),
        ),
        **need_facts(
            amount=wan_to_yuan(form.amount_wan.data),
            term_months=form.term_months.data,
            guarantee_type=form.guarantee_type.data,
        ),
        **pricing_facts(
            rate=product.min_rate,
            lpr_one_year=lpr.one_year if lpr else None,
            guarantee_fee_rate=product.guarantee_fee_rate,
        ),
    }

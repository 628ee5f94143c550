"""Bank onboarding (准入): institutions apply, government staff decide."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import storage
from portal.accounts.services import sign_in
from portal.admin.forms import ConfirmForm
from portal.authz import Permission, get_or_404, public, requires
from portal.authz.access import current_user_holds_institution_powers
from portal.confirmation import Confirmation, confirmation_step
from portal.db import writes_on_get
from portal.enums import ONBOARDING_LABELS, OnboardingStatus
from portal.institutions import documents, services
from portal.institutions.forms import (
    ApplicationForm,
    DecisionForm,
    InstitutionDocumentForm,
    InstitutionForm,
    StatusFilterForm,
)
from portal.institutions.models import FinancialInstitution, InstitutionDocument
from portal.pagination import paginate

bp = Blueprint("institutions", __name__)

_TAKEN_MESSAGES = {
    "name": _l("该机构名称已提交过申请或已入驻。如是本机构，请联系已注册的管理员"),
    "licence_no": _l("该金融许可证编号已被其他机构使用，请核对"),
    "email": _l("该邮箱已注册，请换一个邮箱或直接登录"),
}
_DONE_MESSAGES = {
    "approve": _l("已批准 %(name)s 入驻，已通知该机构管理员。"),
    "reject": _l("已驳回 %(name)s 的申请，已通知该机构管理员。"),
    "suspend": _l("已暂停 %(name)s，其产品已不在目录展示。"),
    "reinstate": _l("已恢复 %(name)s，其产品将重新在目录展示。"),
}


@bp.route("/institutions/apply", methods=["GET", "POST"])
@public
def apply() -> str | Response:
    if current_user.is_authenticated:
        flash(_("您已登录。如需为其他机构申请入驻，请先退出当前账号。"), "info")
        return redirect(url_for("home.index"))
    form = ApplicationForm()
    if form.validate_on_submit():
        try:
            user = services.apply(form.institution_data(), form.account_data())
        except services.AlreadyRegistered as error:
            _show_taken(form, error.fields)
        else:
            sign_in(user)
            flash(
                _(
                    "申请已提交。请在本页上传金融许可证和营业执照扫描件，"
                    "材料齐全后政府部门才能审核通过；审核结果将在站内通知您。"
                ),
                "success",
            )
            return redirect(url_for("institutions.my_application"))
    return render_template("institutions/apply.html", form=form)


@bp.route("/bank/onboarding", methods=["GET", "POST"])
@requires(Permission.INSTITUTION_ONBOARDING_APPLY)
def my_application() -> str | Response:
    institution = get_or_404(FinancialInstitution, current_user.institution_id, current_user)
    editable = services.can_edit(institution)
    form = InstitutionForm(obj=institution)
    if form.is_submitted() and not editable:
        flash(_("申请已审核通过或已暂停，不能在此修改。如需变更请联系主管部门。"), "error")
        return redirect(url_for("institutions.my_application"))
    if form.validate_on_submit():
        try:
            resubmitted = services.update_application(
                current_user, institution, form.institution_data()
            )
        except services.AlreadyRegistered as error:
            _show_taken(form, error.fields)
        except services.KindFamilyChanged:
            form.kind.errors.append(
                _("银行与融资担保机构之间不能互改类型；如类型填错，请联系平台管理员。")
            )
        except services.NotEditable:
            flash(_("申请已审核通过或已暂停，不能在此修改。如需变更请联系主管部门。"), "error")
            return redirect(url_for("institutions.my_application"))
        else:
            message = _("申请已重新提交，请等待审核。") if resubmitted else _("申请信息已保存。")
            flash(message, "success")
            return redirect(url_for("institutions.my_application"))
    return _render_application(institution, form)


def _render_application(
    institution: FinancialInstitution,
    form: InstitutionForm,
    document_form: InstitutionDocumentForm | None = None,
) -> str:
    return render_template(
        "institutions/my_application.html",
        institution=institution,
        form=form,
        editable=services.can_edit(institution),
        documents=documents.documents_of(current_user, institution),
        missing_documents=documents.missing(institution),
        document_form=document_form or InstitutionDocumentForm(formdata=None),
        confirm=ConfirmForm(),
        statuses=OnboardingStatus,
        bank_powers=current_user_holds_institution_powers(),
    )


@bp.post("/bank/onboarding/documents")
@requires(Permission.INSTITUTION_ONBOARDING_APPLY)
def upload_document() -> str | Response:
    """The applicant adds its licence, business licence or a supporting paper."""
    institution = get_or_404(FinancialInstitution, current_user.institution_id, current_user)
    form = InstitutionDocumentForm()
    if not form.validate_on_submit():
        return _render_application(institution, InstitutionForm(obj=institution), form)
    assert form.uploaded is not None  # noqa: S101  (validate_document set it)
    try:
        documents.add(current_user, institution, form.document_kind(), form.uploaded)
    except documents.DocumentRefused as error:
        flash(str(error), "error")
    else:
        flash(_("材料已上传。"), "success")
    return redirect(url_for("institutions.my_application"))


@bp.post("/bank/onboarding/documents/<int:document_id>/delete")
@requires(Permission.INSTITUTION_ONBOARDING_APPLY)
def delete_document(document_id: int) -> str | Response:
    institution = get_or_404(FinancialInstitution, current_user.institution_id, current_user)
    document = _document_of(institution, document_id)
    page = confirmation_step(
        Confirmation(
            title=_("删除申请材料"),
            subject=document.filename,
            consequences=_("该文件将从申请中移除，审核人员不再看到它；删除记录会保留。"),
            checkbox=_("我确认删除该文件"),
            button=_("确认删除"),
            cancel_url=url_for("institutions.my_application"),
            danger=True,
        )
    )
    if page is not None:
        return page
    try:
        documents.remove(current_user, institution, document)
    except documents.DocumentRefused as error:
        flash(str(error), "error")
    else:
        flash(_("已删除该材料。"), "success")
    return redirect(url_for("institutions.my_application"))


@bp.get("/bank/onboarding/documents/<int:document_id>")
@requires(Permission.INSTITUTION_ONBOARDING_APPLY)
def my_document(document_id: int) -> Response:
    institution = get_or_404(FinancialInstitution, current_user.institution_id, current_user)
    return _download(_document_of(institution, document_id))


@bp.get("/gov/onboarding/<int:institution_id>/documents/<int:document_id>")
@requires(Permission.GOV_ONBOARDING_DECIDE)
@writes_on_get
def review_document(institution_id: int, document_id: int) -> Response:
    """An application's document for the reviewer (each look is recorded)."""
    institution = get_or_404(FinancialInstitution, institution_id, current_user)
    return _download(_document_of(institution, document_id))


@bp.get("/gov/onboarding")
@requires(Permission.GOV_ONBOARDING_DECIDE)
def review_list() -> str:
    form = StatusFilterForm(formdata=request.args)
    status = form.status.data if form.validate() else OnboardingStatus.APPLIED.value
    name = None if form.q.errors else form.q.data
    page = paginate(services.review_query(current_user, status or None, name))
    return render_template(
        "institutions/review_list.html", form=form, page=page, status=status or None
    )


@bp.get("/gov/onboarding/<int:institution_id>")
@requires(Permission.GOV_ONBOARDING_DECIDE)
def review_detail(institution_id: int) -> str:
    institution = get_or_404(FinancialInstitution, institution_id, current_user)
    return render_template(
        "institutions/review_detail.html",
        institution=institution,
        documents=documents.documents_of(current_user, institution),
        missing_documents=documents.missing(institution),
        history=services.history(institution),
        actions=services.allowed_actions(institution),
    )


@bp.route("/gov/onboarding/<int:institution_id>/approve", methods=["GET", "POST"])
@requires(Permission.GOV_ONBOARDING_DECIDE)
def approve(institution_id: int) -> str | Response:
    return _decide(institution_id, "approve")


@bp.route("/gov/onboarding/<int:institution_id>/reject", methods=["GET", "POST"])
@requires(Permission.GOV_ONBOARDING_DECIDE)
def reject(institution_id: int) -> str | Response:
    return _decide(institution_id, "reject")


@bp.route("/gov/onboarding/<int:institution_id>/suspend", methods=["GET", "POST"])
@requires(Permission.GOV_ONBOARDING_DECIDE)
def suspend(institution_id: int) -> str | Response:
    return _decide(institution_id, "suspend")


@bp.route("/gov/onboarding/<int:institution_id>/reinstate", methods=["GET", "POST"])
@requires(Permission.GOV_ONBOARDING_DECIDE)
def reinstate(institution_id: int) -> str | Response:
    return _decide(institution_id, "reinstate")


def _decide(institution_id: int, action: str) -> str | Response:
    """GET shows the confirmation step; POST (with CSRF) applies the decision."""
    institution = get_or_404(FinancialInstitution, institution_id, current_user)
    detail = url_for("institutions.review_detail", institution_id=institution.id)
    if action not in services.allowed_actions(institution):
        flash(_invalid_transition(institution), "error")
        return redirect(detail)
    form = DecisionForm(action)
    if form.validate_on_submit():
        try:
            services.decide(current_user, institution, action, form.reason.data)
        except services.InvalidTransition:
            flash(_invalid_transition(institution), "error")
            return redirect(detail)
        except services.InvalidReason as error:
            form.reason.errors.append(str(error))
        except services.MissingDocuments as error:
            flash(str(error), "error")
            return redirect(detail)
        else:
            flash(_DONE_MESSAGES[action] % {"name": institution.name}, "success")
            return redirect(detail)
    return render_template(
        "institutions/review_decide.html", institution=institution, form=form, action=action
    )


def _invalid_transition(institution: FinancialInstitution) -> str:
    return _(
        "该机构当前状态为“%(status)s”，不能进行此操作，未做任何更改。",
        status=ONBOARDING_LABELS[institution.onboarding_status],
    )


def _show_taken(form: InstitutionForm, fields: frozenset[str]) -> None:
    for name in sorted(fields):
        getattr(form, name).errors.append(_TAKEN_MESSAGES[name])


def _document_of(institution: FinancialInstitution, document_id: int) -> InstitutionDocument:
    document = get_or_404(InstitutionDocument, document_id, current_user)
    if document.institution_id != institution.id or document.removed_at is not None:
        abort(404)
    return document


def _download(document: InstitutionDocument) -> Response:
    return storage.attachment(document, documents.open_document(current_user, document))

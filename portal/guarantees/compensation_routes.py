"""Pages of risk sharing: the bank's guaranteed loans and its claims for compensation, the
guarantor's decisions and recoveries, and government's review of the onward shares."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.admin.forms import ConfirmForm
from portal.authz import Permission, get_or_404, requires
from portal.authz.access import current_user_has
from portal.confirmation import Confirmation, confirmation_step
from portal.enums import ClaimStatus
from portal.firms.forms import wan_to_yuan
from portal.guarantees import compensation as services
from portal.guarantees import sharing
from portal.guarantees.forms import (
    CompensationForm,
    CompensationRejectForm,
    RecoveryForm,
    ShareDecisionForm,
)
from portal.guarantees.models import Compensation, CompensationShare, Guarantee
from portal.money import money
from portal.pagination import paginate

bp = Blueprint("compensations", __name__)


# --- the bank ----------------------------------------------------------------------------------


@bp.get("/bank/guarantees")
@requires(Permission.BANK_CLAIMS_FILE)
def bank_index() -> str:
    """The bank's guaranteed loans: their latest report, and compensation where claimable."""
    return render_template(
        "guarantees/bank_index.html", loans=services.guaranteed_loans(current_user)
    )


@bp.route("/bank/guarantees/<int:guarantee_id>/compensation", methods=["GET", "POST"])
@requires(Permission.BANK_CLAIMS_FILE)
def file(guarantee_id: int) -> str | Response:
    letter = get_or_404(Guarantee, guarantee_id, current_user)
    found = _guaranteed_loan(letter)
    form = CompensationForm()
    if not found.claimable:
        # The page says why (already claimed, or not yet in default); a post changes nothing.
        return render_template("guarantees/compensation_form.html", found=found, form=None)
    if form.validate_on_submit():
        try:
            claim = services.file(
                current_user, found, wan_to_yuan(form.loss_wan.data), form.evidence_note.data
            )
        except services.CompensationInputError as error:
            _beside_fields(form, error.problems)
        except services.CompensationError as error:
            flash(str(error), "error")
            return redirect(url_for("compensations.bank_index"))
        else:
            flash(_("代偿申请已提交担保机构。"), "success")
            return redirect(url_for("compensations.detail", compensation_id=claim.id))
    preview = sharing.split_loss(
        found.report.balance, services.risk_terms(letter), letter.covered_amount
    )
    return render_template(
        "guarantees/compensation_form.html", found=found, form=form, preview=preview
    )


# --- everyone concerned ------------------------------------------------------------------------


@bp.get("/compensations/<int:compensation_id>")
@requires(
    Permission.BANK_CLAIMS_FILE,
    Permission.GUARANTOR_REQUESTS_WORK,
    Permission.GOV_CLAIMS_DECIDE,
    Permission.SUPERVISION_VIEW,
)
def detail(compensation_id: int) -> str:
    claim = get_or_404(Compensation, compensation_id, current_user)
    return _render_detail(claim)


# --- the guarantor -----------------------------------------------------------------------------


@bp.get("/guarantor/compensations")
@requires(Permission.GUARANTOR_REQUESTS_WORK)
def guarantor_index() -> str:
    page = paginate(services.compensations_statement(current_user))
    return render_template("guarantees/compensations.html", page=page)


@bp.post("/guarantor/compensations/<int:compensation_id>/pay")
@requires(Permission.GUARANTOR_REQUESTS_WORK)
def pay(compensation_id: int) -> str | Response:
    claim = get_or_404(Compensation, compensation_id, current_user)
    page = confirmation_step(
        Confirmation(
            title=_("确认代偿"),
            subject=_("代偿 #%(id)s", id=claim.id),
            consequences=_(
                "向银行代偿 %(amount)s，不能撤回；随后自动向再担保机构和地方政府申请分担。",
                amount=money(claim.claimed_amount, None),
            ),
            checkbox=_("我确认已向银行支付代偿款"),
            button=_("确认代偿"),
            cancel_url=url_for("compensations.detail", compensation_id=claim.id),
        )
    )
    if page is not None:
        return page
    try:
        services.pay(current_user, claim)
    except services.CompensationError as error:
        flash(str(error), "error")
    else:
        flash(_("已代偿；再担保和政府分担申请已提交。"), "success")
    return redirect(url_for("compensations.detail", compensation_id=claim.id))


@bp.post("/guarantor/compensations/<int:compensation_id>/reject")
@requires(Permission.GUARANTOR_REQUESTS_WORK)
def reject(compensation_id: int) -> str | Response:
    claim = get_or_404(Compensation, compensation_id, current_user)
    form = CompensationRejectForm()
    if not form.validate_on_submit():
        return _render_detail(claim, reject_form=form)
    try:
        services.reject(current_user, claim, form.reason.data)
    except services.CompensationError as error:
        flash(str(error), "error")
    else:
        flash(_("已拒绝代偿，理由已告知银行。"), "success")
    return redirect(url_for("compensations.detail", compensation_id=claim.id))


@bp.post("/guarantor/compensations/<int:compensation_id>/recoveries")
@requires(Permission.GUARANTOR_REQUESTS_WORK)
def recover(compensation_id: int) -> str | Response:
    claim = get_or_404(Compensation, compensation_id, current_user)
    form = RecoveryForm()
    if not form.validate_on_submit():
        return _render_detail(claim, recovery_form=form)
    try:
        services.record_recovery(
            current_user,
            claim,
            wan_to_yuan(form.amount_wan.data),
            form.recovered_on.data,
            form.note.data or "",
        )
    except services.CompensationInputError as error:
        _beside_fields(form, error.problems)
        return _render_detail(claim, recovery_form=form)
    except services.CompensationError as error:
        flash(str(error), "error")
    else:
        flash(_("追偿回收已登记，并按分担比例分回各方。"), "success")
    return redirect(url_for("compensations.detail", compensation_id=claim.id))


# --- government --------------------------------------------------------------------------------


@bp.get("/gov/guarantee-shares")
@requires(Permission.GOV_CLAIMS_DECIDE)
def shares() -> str:
    page = paginate(services.shares_statement(current_user))
    return render_template(
        "guarantees/shares.html", page=page, form=ShareDecisionForm(formdata=None)
    )


@bp.post("/gov/guarantee-shares/<int:share_id>/<any(approve, reject):decision>")
@requires(Permission.GOV_CLAIMS_DECIDE)
def decide_share(share_id: int, decision: str) -> Response:
    share = get_or_404(CompensationShare, share_id, current_user)
    form = ShareDecisionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.decide_share(current_user, share, decision == "approve", form.reason.data or "")
    except services.CompensationInputError as error:
        flash(error.problems["reason"], "error")
    except services.CompensationError as error:
        flash(str(error), "error")
    else:
        flash(_("审核结果已保存，担保机构已收到通知。"), "success")
    return redirect(url_for("compensations.shares"))


# --- helpers -----------------------------------------------------------------------------------


def _guaranteed_loan(letter: Guarantee) -> services.GuaranteedLoan:
    found = services.guaranteed_loan(current_user, letter.id)
    if found is None:
        abort(404)  # a letter not yet on a disbursed loan
    return found


def _beside_fields(form: object, problems: dict[str, str]) -> None:
    for name, message in problems.items():
        field = form[name]  # type: ignore[index]
        field.errors = [*field.errors, message]


def _render_detail(
    claim: Compensation,
    *,
    reject_form: CompensationRejectForm | None = None,
    recovery_form: RecoveryForm | None = None,
) -> str:
    deciding = current_user_has(Permission.GUARANTOR_REQUESTS_WORK)
    return render_template(
        "guarantees/compensation_detail.html",
        claim=claim,
        split=sharing.as_money(claim.split),
        parties=sharing.PARTIES,
        deciding=deciding and claim.status == ClaimStatus.SUBMITTED,
        recovering=deciding and claim.status == ClaimStatus.APPROVED,
        confirm=ConfirmForm(),
        reject_form=reject_form or CompensationRejectForm(formdata=None),
        recovery_form=recovery_form or RecoveryForm(formdata=None),
    )

"""Risk compensation claims: the bank files and reports recoveries, the policy's agency decides,
the regulator reads the totals."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.authz import Permission, get_or_404, requires
from portal.claims import services
from portal.claims.forms import (
    FileClaimForm,
    QueueFilterForm,
    RecoveryForm,
    RejectForm,
    yuan_to_wan,
)
from portal.claims.models import CompensationClaim
from portal.claims.services import ClaimError, ClaimInputError
from portal.confirmation import Confirmation, confirmation_step
from portal.leads.models import Loan
from portal.money import money
from portal.pagination import paginate
from portal.subsidies import settlement

bp = Blueprint("claims", __name__)


# --- the bank ----------------------------------------------------------------------------------


@bp.get("/bank/claims/")
@requires(Permission.BANK_CLAIMS_FILE)
def bank_index() -> str:
    """The bank's claims, waiting ones first, and how many loans it may claim now."""
    page = paginate(services.claims_statement(current_user))
    claimable = services.claimable_count(current_user)
    return render_template("claims/bank_index.html", page=page, claimable=claimable)


@bp.get("/bank/claims/claimable")
@requires(Permission.BANK_CLAIMS_FILE)
def claimable() -> str:
    """The bank's loans classed 损失 or overdue past their policy's threshold, not yet claimed."""
    page = paginate(services.claimable_statement(current_user))
    rows = services.claimables(current_user, page.items)
    return render_template("claims/claimable.html", page=page, rows=rows)


@bp.route("/bank/claims/loans/<int:loan_id>/new", methods=["GET", "POST"])
@requires(Permission.BANK_CLAIMS_FILE)
def file(loan_id: int) -> str | Response:
    """File a claim on one of the bank's loans (or read why it may not be claimed yet)."""
    loan = get_or_404(Loan, loan_id, current_user)
    options, refusals = services.claim_options(current_user, loan)
    form = FileClaimForm()
    form.policy_id.choices = [(o.policy.id, o.policy.title) for o in options]
    if request.method == "GET" and options:
        form.policy_id.data = options[0].policy.id
        form.principal_wan.data = yuan_to_wan(options[0].report.balance)
    if options and form.validate_on_submit():
        try:
            claim = services.file_claim(
                current_user, loan, form.policy_id.data, form.principal(), form.evidence_note.data
            )
        except ClaimInputError as error:
            _show_beside_fields(form, error.problems)
        except ClaimError as error:
            flash(str(error), "error")
            return redirect(url_for("claims.file", loan_id=loan.id))
        else:
            flash(
                _(
                    "补偿申请已提交，申请金额 %(amount)s，等待政策主管部门审核。",
                    amount=money(claim.claimed_amount),
                ),
                "success",
            )
            return redirect(url_for("claims.bank_detail", claim_id=claim.id))
    return render_template(
        "claims/file.html", loan=loan, options=options, refusals=refusals, form=form
    )


@bp.get("/bank/claims/<int:claim_id>")
@requires(Permission.BANK_CLAIMS_FILE)
def bank_detail(claim_id: int) -> str:
    claim = get_or_404(CompensationClaim, claim_id, current_user)
    return _render_detail(claim, recovery_form=RecoveryForm())


@bp.post("/bank/claims/<int:claim_id>/recoveries")
@requires(Permission.BANK_CLAIMS_FILE)
def recover(claim_id: int) -> str | Response:
    claim = get_or_404(CompensationClaim, claim_id, current_user)
    form = RecoveryForm()
    refusal = services.recovery_refusal(claim)
    if refusal is not None:
        flash(refusal, "error")
        return redirect(url_for("claims.bank_detail", claim_id=claim.id))
    if not form.validate_on_submit():
        return _render_detail(claim, recovery_form=form)
    try:
        recovery = services.record_recovery(
            current_user, claim, form.amount(), form.recovered_on.data, form.note.data or ""
        )
    except ClaimInputError as error:
        _show_beside_fields(form, error.problems)
        return _render_detail(claim, recovery_form=form)
    except ClaimError as error:
        flash(str(error), "error")
    else:
        flash(
            _(
                "追回款已登记，%(amount)s 已退回资金池。",
                amount=money(recovery.returned_amount),
            ),
            "success",
        )
    return redirect(url_for("claims.bank_detail", claim_id=claim.id))


# --- the policy's agency ---------------------------------------------------------------------


@bp.get("/gov/claims/")
@requires(Permission.GOV_CLAIMS_DECIDE)
def queue() -> str:
    """Claims on the agency's policies: waiting ones by default."""
    form = QueueFilterForm(request.args)
    page = paginate(services.claims_statement(current_user, form.statuses()))
    return render_template("claims/queue.html", form=form, page=page)


@bp.get("/gov/claims/<int:claim_id>")
@requires(Permission.GOV_CLAIMS_DECIDE)
def review(claim_id: int) -> str:
    claim = get_or_404(CompensationClaim, claim_id, current_user)
    return _render_detail(claim, reject_form=RejectForm())


@bp.post("/gov/claims/<int:claim_id>/approve")
@requires(Permission.GOV_CLAIMS_DECIDE)
def approve(claim_id: int) -> str | Response:
    claim = get_or_404(CompensationClaim, claim_id, current_user)
    back = url_for("claims.review", claim_id=claim.id)
    refusal = services.decision_refusal(claim)
    if refusal is not None:
        flash(refusal, "error")
        return redirect(back)
    policy = claim.policy
    page = confirmation_step(
        Confirmation(
            title=_("批准补偿申请"),
            subject=_("%(policy)s · 申请 #%(id)s", policy=policy.title, id=claim.id),
            consequences=_(
                "批准后按申请金额从该政策的资金池拨付，不能撤回；之后银行登记的追回款按同一比例退回资金池。"
            ),
            checkbox=_("我确认批准该申请并从资金池拨付"),
            button=_("确认批准"),
            cancel_url=back,
            summary=[
                (_("申请金额"), money(claim.claimed_amount)),
                (
                    _("资金池剩余可用"),
                    money(policy.budget_remaining)
                    if policy.budget is not None
                    else _("未设资金规模"),
                ),
            ],
        )
    )
    if page is not None:
        return page
    try:
        services.approve(current_user, claim)
    except ClaimError as error:
        flash(str(error), "error")
    else:
        flash(
            _("已批准，%(n)s 已从资金池拨付，已通知银行。", n=money(claim.approved_amount)),
            "success",
        )
    return redirect(back)


@bp.post("/gov/claims/<int:claim_id>/reject")
@requires(Permission.GOV_CLAIMS_DECIDE)
def reject(claim_id: int) -> str | Response:
    claim = get_or_404(CompensationClaim, claim_id, current_user)
    back = url_for("claims.review", claim_id=claim.id)
    refusal = services.decision_refusal(claim)
    if refusal is not None:
        flash(refusal, "error")
        return redirect(back)
    form = RejectForm()
    if not form.validate_on_submit():
        return _render_detail(claim, reject_form=form)
    try:
        services.reject(current_user, claim, form.reason.data)
    except ClaimInputError as error:
        _show_beside_fields(form, error.problems)
        return _render_detail(claim, reject_form=form)
    except ClaimError as error:
        flash(str(error), "error")
    else:
        flash(_("已驳回，驳回原因已告知银行。"), "success")
    return redirect(back)


# --- the regulator -----------------------------------------------------------------------------


@bp.get("/claims/overview")
@requires(Permission.SUPERVISION_VIEW)
def overview() -> str:
    """Claims and payouts by status and by policy (government staff: their agency's policies)."""
    return render_template(
        "claims/overview.html",
        overview=services.overview(current_user),
        money=settlement.policy_money(current_user),
    )


# --- helpers -----------------------------------------------------------------------------------


def _show_beside_fields(form: Any, problems: dict[str, str]) -> None:
    """Put each refusal of the service beside the field it is about."""
    for name, message in problems.items():
        form[name].errors = [*form[name].errors, message]


def _render_detail(
    claim: CompensationClaim,
    *,
    recovery_form: RecoveryForm | None = None,
    reject_form: RejectForm | None = None,
) -> str:
    """One claim: the loan, firm, bank and report it rests on, the amounts and recoveries."""
    returned = services.returned_total(claim.id)
    return render_template(
        "claims/detail.html",
        claim=claim,
        recoveries=services.recoveries_of(claim),
        returned=returned,
        net_paid=(claim.approved_amount or 0) - returned,
        unrecovered=services.unrecovered(claim),
        approval_day=services.approval_day(claim),
        recovery_form=recovery_form,
        reject_form=reject_form,
    )

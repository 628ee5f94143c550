"""Government staff review, adjust, approve and export their agency's interest-subsidy batches.

The firm's pages (templates/needs/detail.html, templates/home/sme.html) include
templates/subsidies/_received.html with what their views pass from
`settlement.received_for_need` / `received_for_firm`.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.admin.forms import ConfirmForm
from portal.authz import Permission, get_or_404, requires, scoped
from portal.catalog.models import PolicyProduct
from portal.confirmation import Confirmation, confirmation_step
from portal.enums import SETTLEMENT_STATUS_LABELS, SettlementStatus
from portal.exports import export_response
from portal.extensions import db
from portal.pagination import paginate
from portal.reporting.services import reports_due_on
from portal.subsidies import settlement
from portal.subsidies.exports import payment_list
from portal.subsidies.forms import AdjustForm, BatchFilterForm
from portal.subsidies.models import SettlementBatch, SettlementLine
from portal.subsidies.settlement import NOTE_LABELS, SettlementError

bp = Blueprint("subsidies", __name__, url_prefix="/subsidies/settlements")


@bp.get("/")
@requires(Permission.GOV_SUBSIDIES_SETTLE)
def index() -> str:
    """The agency's batches, newest month first, filtered by month, policy and status."""
    form = BatchFilterForm(request.args)
    form.offer_policies(_policies())
    period, policy_id, status = form.filters()
    page = paginate(settlement.batches_statement(current_user, period, policy_id, status))
    return render_template(
        "subsidies/index.html",
        form=form,
        page=page,
        rows=settlement.batch_rows(page.items),
        statuses=SETTLEMENT_STATUS_LABELS,
    )


@bp.get("/<int:batch_id>")
@requires(Permission.GOV_SUBSIDIES_SETTLE)
def detail(batch_id: int) -> str:
    batch = get_or_404(SettlementBatch, batch_id, current_user)
    return _render_detail(batch)


@bp.route("/<int:batch_id>/lines/<int:line_id>/adjust", methods=["GET", "POST"])
@requires(Permission.GOV_SUBSIDIES_SETTLE)
def adjust(batch_id: int, line_id: int) -> str | Response:
    batch, line = _batch_and_line(batch_id, line_id)
    form = AdjustForm()
    if batch.status != SettlementStatus.DRAFT and form.is_submitted():
        flash(_("该批次已审核，不能再调整"), "error")
        return redirect(url_for("subsidies.detail", batch_id=batch.id))
    if batch.status == SettlementStatus.DRAFT and form.validate_on_submit():
        try:
            settlement.adjust(
                current_user, batch, line, form.decimal_amount(), form.reason.data or ""
            )
        except SettlementError as error:
            _field_error(form, error)
        else:
            flash(_("已调整，原因已记入审计日志。"), "success")
            return redirect(url_for("subsidies.detail", batch_id=batch.id))
    elif not form.is_submitted():
        form.amount.data = line.amount
        form.reason.data = line.adjustment_reason or ""
    draft = batch.status == SettlementStatus.DRAFT
    return render_template(
        "subsidies/adjust.html",
        batch=batch,
        row=next(r for r in settlement.line_rows(batch) if r.line.id == line.id),
        form=form if draft else None,
        room=settlement.line_room(batch, line) if draft else None,
        notes=NOTE_LABELS,
    )


@bp.post("/<int:batch_id>/approve")
@requires(Permission.GOV_SUBSIDIES_SETTLE)
def approve(batch_id: int) -> str | Response:
    batch = get_or_404(SettlementBatch, batch_id, current_user)
    if batch.status != SettlementStatus.DRAFT:
        flash(_("该批次已审核，不能重复审核"), "error")
        return redirect(url_for("subsidies.detail", batch_id=batch.id))
    page = confirmation_step(
        Confirmation(
            title=_("审核通过贴息批次"),
            subject=_batch_title(batch),
            consequences=_(
                "审核通过后，本批次金额计入政策已拨付资金和各笔贷款已获贴息，"
                "不能再调整或撤回；之后可导出拨付清单。"
            ),
            checkbox=_("我确认本批次金额无误，审核通过"),
            button=_("确认审核通过"),
            cancel_url=url_for("subsidies.detail", batch_id=batch.id),
            summary=[
                (_("笔数"), str(len(batch.lines))),
                (_("合计（元）"), f"{batch.total:,.2f}"),
            ],
        )
    )
    if page is not None:
        return page
    try:
        settlement.approve(current_user, batch)
    except SettlementError as error:
        flash(str(error), "error")
    else:
        flash(_("已审核通过，可以导出拨付清单。"), "success")
    return redirect(url_for("subsidies.detail", batch_id=batch_id))


@bp.post("/<int:batch_id>/paid")
@requires(Permission.GOV_SUBSIDIES_SETTLE)
def mark_paid(batch_id: int) -> str | Response:
    batch = get_or_404(SettlementBatch, batch_id, current_user)
    if batch.status != SettlementStatus.APPROVED:
        flash(_("只有已审核、尚未拨付的批次可以标记为已拨付"), "error")
        return redirect(url_for("subsidies.detail", batch_id=batch.id))
    page = confirmation_step(
        Confirmation(
            title=_("标记为已拨付"),
            subject=_batch_title(batch),
            consequences=_("请在财政资金实际拨付到企业后再标记。标记后不能撤回。"),
            checkbox=_("我确认本批次资金已拨付"),
            button=_("确认已拨付"),
            cancel_url=url_for("subsidies.detail", batch_id=batch.id),
        )
    )
    if page is not None:
        return page
    try:
        settlement.mark_paid(current_user, batch)
    except SettlementError as error:
        flash(str(error), "error")
    else:
        flash(_("已标记为已拨付。"), "success")
    return redirect(url_for("subsidies.detail", batch_id=batch_id))


@bp.get("/<int:batch_id>/export.xlsx")
@requires(Permission.GOV_SUBSIDIES_SETTLE)
def export(batch_id: int) -> Response:
    """The approved batch's payment list (拨付清单) as XLSX."""
    batch = get_or_404(SettlementBatch, batch_id, current_user)
    if batch.status == SettlementStatus.DRAFT:
        flash(_("批次审核通过后才能导出拨付清单"), "error")
        return redirect(url_for("subsidies.detail", batch_id=batch.id))
    table = payment_list(batch, settlement.bank_name(batch), settlement.line_rows(batch))
    name = _("贴息拨付清单-%(month)s-%(id)s", month=f"{batch.period:%Y-%m}", id=batch.id)
    return export_response(table, "xlsx", name, f"subsidy-payments-{batch.period:%Y-%m}-{batch.id}")


# --- helpers ----------------------------------------------------------------------------------


def _policies() -> list[PolicyProduct]:
    return list(
        db.session.scalars(
            scoped(select(PolicyProduct), PolicyProduct, current_user).order_by(PolicyProduct.title)
        )
    )


def _batch_and_line(batch_id: int, line_id: int) -> tuple[SettlementBatch, SettlementLine]:
    batch = get_or_404(SettlementBatch, batch_id, current_user)
    line = get_or_404(SettlementLine, line_id, current_user)
    if line.batch_id != batch.id:
        abort(404)
    return batch, line


def _field_error(form: AdjustForm, error: SettlementError) -> None:
    target = form.reason if error.field == "reason" else form.amount
    target.errors = [*target.errors, str(error)]


def _batch_title(batch: SettlementBatch) -> str:
    return f"{batch.period:%Y-%m} · {batch.policy.title} · {settlement.bank_name(batch)}"


def _render_detail(batch: SettlementBatch) -> str:
    return render_template(
        "subsidies/detail.html",
        batch=batch,
        bank=settlement.bank_name(batch),
        rows=settlement.line_rows(batch),
        notes=NOTE_LABELS,
        statuses=SETTLEMENT_STATUS_LABELS,
        due=reports_due_on(batch.period),
        confirm=ConfirmForm(),
    )


# --- for the firm's pages ---------------------------------------------------------------------


def yuan(amount: Decimal | int | None) -> str:
    """Yuan to the fen with thousands separators: 1234.5 → '1,234.50'."""
    if amount is None:
        return "—"
    return f"{Decimal(amount):,.2f}"


def points_text(value: Decimal | None) -> str:
    """Rate points without trailing zeros: 1.500000 → '1.5'."""
    if value is None:
        return "—"
    text = f"{Decimal(value).quantize(Decimal('0.0001')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


bp.add_app_template_filter(yuan, "yuan")
bp.add_app_template_filter(points_text, "points")
bp.add_app_template_global(SETTLEMENT_STATUS_LABELS, "settlement_status_labels")

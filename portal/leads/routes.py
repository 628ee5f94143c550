"""The bank's lead inbox, the open pool, and the work on one lead."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.admin.forms import ConfirmForm
from portal.authz import Permission, get_or_404, requires
from portal.channel import snapshots
from portal.dates import day_in_china, today_in_china
from portal.db import utcnow, writes_on_get
from portal.enums import GuaranteeType
from portal.firms.models import Firm
from portal.guarantees import requests as guarantee_requests
from portal.leads import queries
from portal.leads import services as lead_services
from portal.leads.forms import DecisionForm, DeclineForm, DisburseForm, InboxFilterForm
from portal.leads.models import Lead
from portal.leads.offers import offer_view, yuan
from portal.leads.services import (
    DisbursementOutOfTerms,
    LeadError,
    OfferOutOfTerms,
    offer_terms,
)
from portal.pagination import paginate

bp = Blueprint("leads", __name__, url_prefix="/bank/leads")


@bp.get("/")
@requires(Permission.BANK_LEADS_WORK)
def index() -> str:
    """The bank's leads: unanswered ones by deadline first, then the newest."""
    form = InboxFilterForm(request.args)
    page = paginate(queries.inbox_statement(current_user, form.statuses()))
    now = utcnow()
    return render_template(
        "leads/index.html",
        form=form,
        page=page,
        teasers=queries.teasers(page.items),
        flags={lead.id: queries.deadline_state(lead, now) for lead in page.items},
    )


@bp.get("/pool")
@requires(Permission.BANK_LEADS_WORK)
def pool() -> str:
    """Pooled needs this bank has an eligible product for; the first bank to claim one gets it."""
    page = paginate(queries.pool_statement(current_user.institution_id))
    return render_template(
        "leads/pool.html",
        page=page,
        teasers=queries.pool_teasers(page.items, current_user.institution_id),
        confirm=ConfirmForm(),
    )


@bp.post("/<int:lead_id>/claim")
@requires(Permission.BANK_LEADS_WORK)
def claim(lead_id: int) -> Response:
    # A pooled lead belongs to no bank yet: a lead that was never offered to this bank is a 404,
    # like another tenant's row; the service checks that the bank may still claim it.
    if not queries.offered_to_bank(lead_id, current_user.institution_id):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        lead = lead_services.claim(current_user, lead_id)
    except LeadError as error:
        flash(str(error), "error")
        return redirect(url_for("leads.pool"))
    flash(_("已领取线索 #%(id)s，请在响应时限内受理或拒绝。", id=lead.id), "success")
    return redirect(url_for("leads.detail", lead_id=lead.id))


@bp.get("/<int:lead_id>")
@requires(Permission.BANK_LEADS_WORK)
@writes_on_get
def detail(lead_id: int) -> str:
    """A teaser before acceptance; the firm's profile after it (each view is logged)."""
    return _render_detail(get_or_404(Lead, lead_id, current_user))


@bp.post("/<int:lead_id>/accept")
@requires(Permission.BANK_LEADS_WORK)
def accept(lead_id: int) -> Response:
    lead = _confirmed_lead(lead_id)
    try:
        lead_services.accept(current_user, lead)
    except LeadError as error:
        flash(str(error), "error")
    else:
        flash(_("已受理。现在可以查看企业的完整信息，每次查看都会告知企业。"), "success")
    return _back_to(lead)


@bp.post("/<int:lead_id>/decline")
@requires(Permission.BANK_LEADS_WORK)
def decline(lead_id: int) -> str | Response:
    lead = get_or_404(Lead, lead_id, current_user)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _render_detail(lead, decline_form=form)
    try:
        lead_services.decline(current_user, lead, form.decline_reason(), form.note.data or "")
    except LeadError as error:
        flash(str(error), "error")
    else:
        flash(_("已拒绝该线索，原因已告知企业。"), "success")
    return _back_to(lead)


@bp.post("/<int:lead_id>/decide")
@requires(Permission.BANK_LEADS_WORK)
def decide(lead_id: int) -> str | Response:
    lead = get_or_404(Lead, lead_id, current_user)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_detail(lead, decision_form=form)
    try:
        lead_services.record_decision(current_user, lead, form.decision())
    except OfferOutOfTerms as error:
        _show_beside_fields(form, error.problems)
        return _render_detail(lead, decision_form=form)
    except LeadError as error:
        flash(str(error), "error")
        return _render_detail(lead, decision_form=form)
    flash(_("授信方案已发送给企业，等待企业选择。"), "success")
    return _back_to(lead)


@bp.post("/<int:lead_id>/disburse")
@requires(Permission.BANK_LEADS_WORK)
def disburse(lead_id: int) -> str | Response:
    lead = get_or_404(Lead, lead_id, current_user)
    form = DisburseForm()
    if not form.validate_on_submit():
        return _render_detail(lead, disburse_form=form)
    try:
        lead_services.disburse(
            current_user, lead, form.contract_no.data, form.disbursed_on.data, form.amount()
        )
    except DisbursementOutOfTerms as error:
        _show_beside_fields(form, error.problems)
        return _render_detail(lead, disburse_form=form)
    except LeadError as error:
        flash(str(error), "error")
        return _render_detail(lead, disburse_form=form)
    flash(_("放款已登记。请按月报送该笔贷款的余额和五级分类。"), "success")
    return _back_to(lead)


# --- helpers -----------------------------------------------------------------------------------


def _confirmed_lead(lead_id: int) -> Lead:
    lead = get_or_404(Lead, lead_id, current_user)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return lead


def _back_to(lead: Lead) -> Response:
    return redirect(url_for("leads.detail", lead_id=lead.id))


def _show_beside_fields(form: DecisionForm | DisburseForm, problems: dict[str, str]) -> None:
    """Put each refusal of the service beside the field it is about."""
    for name, message in problems.items():
        form[name].errors = [*form[name].errors, message]


def _render_detail(
    lead: Lead,
    *,
    decline_form: DeclineForm | None = None,
    decision_form: DecisionForm | None = None,
    disburse_form: DisburseForm | None = None,
) -> str:
    """The lead page; after acceptance it shows the firm and records that the bank viewed it."""
    firm = queries.firm_seen_by(current_user, lead)
    need = lead.need if firm is not None else None
    teaser = queries.teasers([lead])[lead.id]
    return render_template(
        "leads/detail.html",
        **_decision_snapshot(lead, firm),
        lead=lead,
        teaser=teaser,
        need=need,
        firm=firm,
        flag=queries.deadline_state(lead, utcnow()),
        years_in_business=firm.years_in_business(today_in_china()) if firm else None,
        offer=offer_view(lead, today_in_china()),
        yuan=yuan,
        confirm=ConfirmForm(),
        decline_form=decline_form or DeclineForm(formdata=None),
        decision_form=_with_ranges(lead, decision_form or _fresh_decision(teaser)),
        disburse_form=_with_dates(lead, disburse_form or _fresh_disbursement(lead)),
        need_offers_agency_guarantee=teaser.guarantee_type == GuaranteeType.GUARANTEE_AGENCY,
        letter=guarantee_requests.letter_of(lead.id),
        guarantee_request=guarantee_requests.live_request_of(lead.id),
    )


def _decision_snapshot(lead: Lead, firm: Firm | None) -> dict[str, object]:
    """The firm as the bank saw it when it decided, and which facts have changed since."""
    snapshot = snapshots.seen_by(current_user, lead) if firm else None
    if snapshot is None or firm is None:
        return {"snapshot": None}
    as_seen = snapshots.as_seen(snapshot)
    return {
        "snapshot": snapshot,
        "snapshot_firm": as_seen,
        "snapshot_years": as_seen.years_in_business(day_in_china(snapshot.taken_at)),
        "snapshot_changes": snapshots.changed_since(snapshot, firm),
    }


def _with_dates(lead: Lead, form: DisburseForm) -> DisburseForm:
    """Say beside the date field which days a disbursement may carry."""
    first = lead_services.decision_day(lead)
    if first is not None:
        form.disbursed_on.description = _(
            "授信批复日 %(first)s 至今天之间", first=first.isoformat()
        )
    return form


def _with_ranges(lead: Lead, form: DecisionForm) -> DecisionForm:
    """Say beside each field of the decision what the product allows."""
    terms = offer_terms(lead)
    if terms is not None:
        form.amount_wan.description = terms.amount_text()
        form.rate.description = terms.rate_text()
        form.term_months.description = terms.months_text()
    return form


def _fresh_disbursement(lead: Lead) -> DisburseForm:
    """The disbursement form, pre-filled with the offered amount."""
    form = DisburseForm(formdata=None)
    if lead.approved_amount is not None:
        form.amount_wan.data = (lead.approved_amount / 10000).quantize(Decimal("0.01"))
    return form


def _fresh_decision(teaser: queries.Teaser) -> DecisionForm:
    """The decision form, pre-filled with what the firm asked for."""
    form = DecisionForm(formdata=None)
    form.amount_wan.data = (teaser.amount / 10000).quantize(Decimal("0.01"))
    form.term_months.data = teaser.term_months
    form.with_guarantee.data = teaser.guarantee_type == GuaranteeType.GUARANTEE_AGENCY
    if teaser.rate is not None:
        form.rate.data = teaser.rate.quantize(Decimal("0.01"))
    return form

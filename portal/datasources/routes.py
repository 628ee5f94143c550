"""The firm's data authorisation, a bank's query of an accepted lead's firm, and the lists of
queries (the firm's own, the regulator's and the administrator's)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.admin.forms import ConfirmForm
from portal.authz import Permission, get_or_404, requires, scoped
from portal.authz.scoping import LEAD_STATUSES_REVEALING_FIRM
from portal.confirmation import Confirmation, confirmation_step
from portal.datasources import authorisations as services
from portal.datasources import pages
from portal.datasources.authorisations import (
    AuthorisationError,
    QueryFailed,
    QueryRefused,
    QueryResult,
)
from portal.datasources.forms import AuthorisationForm, DataQueryForm
from portal.datasources.indicators import field_label
from portal.datasources.sources import SOURCE_LABELS
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads.models import Lead
from portal.needs.models import FinancingNeed
from portal.pagination import paginate
from portal.templating import local_datetime

bp = Blueprint("datasources", __name__)


# --- the firm ------------------------------------------------------------------------------------


@bp.route("/firm/data-authorisation", methods=["GET", "POST"])
@requires(Permission.FIRM_PROFILE_EDIT)
def authorisation() -> str | Response:
    """Grant (or replace) the firm's authorisation; see the one in force and the earlier ones."""
    firm = get_or_404(Firm, current_user.firm_id, current_user)
    current = pages.firm_authorisation(current_user, firm.id)
    form = AuthorisationForm()
    if not form.is_submitted() and current.active:
        form.start_from(current.authorisation)
    if form.validate_on_submit():
        try:
            granted = services.grant(
                current_user,
                firm,
                form.sources.data,
                full_records=form.full_records(),
                days=form.days.data,
            )
        except AuthorisationError as error:
            flash(str(error), "error")
        else:
            until = local_datetime(granted.valid_until)
            flash(_("数据授权已生效，有效期至 %(at)s。", at=until), "success")
            return redirect(_after_grant())
    return render_template(
        "datasources/authorisation.html",
        firm=firm,
        form=form,
        current=current,
        history=pages.history(current_user, firm.id),
        need_id=_need_to_return_to(),
        confirm=ConfirmForm(),
    )


@bp.post("/firm/data-authorisation/revoke")
@requires(Permission.FIRM_PROFILE_EDIT)
def revoke() -> str | Response:
    firm = get_or_404(Firm, current_user.firm_id, current_user)
    current = pages.firm_authorisation(current_user, firm.id)
    if not current.active:
        flash(_("当前没有生效的数据授权，无需撤回"), "info")
        return redirect(url_for("datasources.authorisation"))
    page = confirmation_step(
        Confirmation(
            title=_("撤回数据授权"),
            subject=", ".join(current.source_labels),
            consequences=_(
                "撤回后，银行立即不能再查询本企业的政务数据，已有的查询记录仍会保留；"
                "本企业的融资需求在重新授权前不能推送给新的银行。"
            ),
            checkbox=_("我确认撤回数据授权"),
            button=_("确认撤回"),
            cancel_url=url_for("datasources.authorisation"),
            danger=True,
        )
    )
    if page is not None:
        return page
    try:
        services.revoke(current_user, firm)
    except AuthorisationError as error:
        flash(str(error), "error")
    else:
        flash(_("数据授权已撤回，银行不能再查询本企业的政务数据。"), "success")
    return redirect(url_for("datasources.authorisation"))


@bp.get("/firm/data-queries")
@requires(Permission.FIRM_NEED_SUBMIT)
def firm_queries() -> str:
    """Every bank query of the firm's government data, newest first."""
    page = paginate(pages.queries_statement(current_user))
    return render_template(
        "datasources/firm_queries.html", page=page, rows=pages.rows_of(page.items, current_user)
    )


# --- the bank ------------------------------------------------------------------------------------


@bp.route("/bank/leads/<int:lead_id>/data", methods=["GET", "POST"])
@requires(Permission.BANK_LEADS_WORK)
def lead_query(lead_id: int) -> str:
    """Query one source of an accepted lead's firm; the result is shown once, and recorded."""
    lead = get_or_404(Lead, lead_id, current_user)
    form = DataQueryForm()
    result: QueryResult | None = None
    refusal = None
    if form.validate_on_submit():
        try:
            result = services.query(current_user, lead, form.chosen_source(), form.purpose.data)
        except (QueryRefused, QueryFailed) as error:
            refusal = str(error)
    return render_template(
        "datasources/lead_query.html",
        lead=lead,
        access=lead_data_access(lead),
        form=form,
        result=result,
        refusal=refusal,
        history=pages.lead_history(current_user, lead.id),
        field_label=field_label,
        source_labels=SOURCE_LABELS,
    )


# --- regulators and administrators ---------------------------------------------------------------


@bp.get("/supervision/data-queries")
@requires(Permission.DATA_QUERIES_VIEW)
def queries() -> str:
    """Every bank query of firms' government data, read only."""
    page = paginate(pages.queries_statement(current_user))
    return render_template(
        "datasources/queries.html", page=page, rows=pages.rows_of(page.items, current_user)
    )


# --- for other pages' templates ------------------------------------------------------------------


@dataclass(frozen=True)
class LeadDataAccess:
    """What the lead page's "查询政务数据" section needs: the firm's authorisation and a form."""

    firm: Firm
    authorisation: pages.AuthorisationView
    form: DataQueryForm


@bp.app_template_global()
def lead_data_access(lead: Lead) -> LeadDataAccess | None:
    """For a lead the bank has accepted: the firm's authorisation and an empty query form."""
    if lead.status not in LEAD_STATUSES_REVEALING_FIRM:
        return None
    need = get_or_404(FinancingNeed, lead.need_id, current_user)
    firm = get_or_404(Firm, need.firm_id, current_user)
    return LeadDataAccess(
        firm, pages.firm_authorisation(current_user, firm.id), DataQueryForm(formdata=None)
    )


@bp.app_template_global()
def firm_data_authorisation() -> pages.AuthorisationView | None:
    """The signed-in firm user's firm's latest authorisation (None for other users)."""
    firm_id = getattr(current_user, "firm_id", None)
    if firm_id is None:
        return None
    return pages.firm_authorisation(current_user, firm_id)


# --- helpers -------------------------------------------------------------------------------------


def _need_to_return_to() -> int | None:
    """The firm's need the page was opened from (?need=<id>), to go back to after granting."""
    need_id = request.args.get("need", type=int)
    if need_id is None:
        return None
    own = scoped(select(FinancingNeed.id), FinancingNeed, current_user)
    return db.session.scalar(own.where(FinancingNeed.id == need_id))


def _after_grant() -> str:
    need_id = _need_to_return_to()
    if need_id is not None:
        return url_for("needs.detail", need_id=need_id)
    return url_for("datasources.authorisation")

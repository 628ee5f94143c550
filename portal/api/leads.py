"""Leads through the API: the same queries, services and records as the bank's lead pages."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import Row

from portal.api.access import api_scope
from portal.api.idempotency import idempotent
from portal.api.paging import listing, page_of
from portal.api.problems import ApiProblem, run_service
from portal.api.schemas import (
    DecisionBody,
    DeclineBody,
    DisbursementBody,
    LeadDetail,
    LeadPage,
    LeadQuery,
    PoolQuery,
)
from portal.api.scopes import Scope
from portal.authz import Permission, get_or_404, scoped
from portal.channel import snapshots
from portal.enums import DeclineReason, LeadStatus, RepaymentMethod
from portal.extensions import db
from portal.firms import standards
from portal.leads import queries
from portal.leads import services as lead_services
from portal.leads.models import Lead
from portal.leads.services import CreditDecision, LeadError

bp = Blueprint(
    "api_leads",
    __name__,
    url_prefix="/api/v1/leads",
    description="Leads routed or pooled to the caller's bank.",
)

# The services name refused terms by the pages' form fields; the API's fields are in yuan.
FORM_FIELDS = {
    "amount_wan": "amount",
    "upfront_fee_wan": "upfront_fee",
    "offer_valid_until": "valid_until",
}
READ = (Scope.LEADS_READ, Permission.BANK_LEADS_WORK)
WRITE = (Scope.LEADS_WRITE, Permission.BANK_LEADS_WORK)


@bp.route("", methods=["GET"])
@api_scope(*READ)
@bp.arguments(LeadQuery, location="query", as_kwargs=True)
@bp.response(200, LeadPage)
def list_leads(status: list[str] | None, limit: int, cursor: str | None) -> Response:
    """The bank's leads, oldest first, `limit` at a time; pass `next_cursor` back as `cursor`."""
    statement = scoped(queries.teaser_statement(), Lead, current_user)
    if status:
        statement = statement.where(Lead.status.in_([LeadStatus(s) for s in status]))
    rows, next_cursor = page_of(statement, Lead.id, limit, cursor, "lead", columns=True)
    names = CodeNames()
    return listing([_summary(row, queries.teaser_of(row), names) for row in rows], next_cursor)


@bp.route("/pool", methods=["GET"])
@api_scope(*READ)
@bp.arguments(PoolQuery, location="query", as_kwargs=True)
@bp.response(200, LeadPage)
def pool(limit: int, cursor: str | None) -> Response:
    """Pooled needs the bank has an eligible product for; the first bank to claim one gets it."""
    statement = queries.pool_statement(current_user.institution_id).order_by(None)
    leads, next_cursor = page_of(statement, Lead.id, limit, cursor, "pool")
    teasers = queries.pool_teasers(leads, current_user.institution_id)
    names = CodeNames()
    items = [_summary(lead, teasers[lead.id], names) for lead in leads if lead.id in teasers]
    return listing(items, next_cursor)


@bp.route("/<int:lead_id>", methods=["GET"])
@api_scope(*READ)
@bp.response(200, LeadDetail)
def get_lead(lead_id: int) -> dict[str, Any]:
    """One lead; after acceptance with the firm's profile (the firm sees each read)."""
    return _detail(get_or_404(Lead, lead_id, current_user))


@bp.route("/<int:lead_id>/claim", methods=["POST"])
@api_scope(*WRITE)
@idempotent
@bp.response(200, LeadDetail)
def claim_lead(lead_id: int) -> dict[str, Any]:
    """Claim a pooled lead for the bank; exactly one bank wins."""
    if not queries.offered_to_bank(lead_id, current_user.institution_id):
        raise ApiProblem(404)
    lead = _run(lead_services.claim, current_user, lead_id)
    return _detail(lead)


@bp.route("/<int:lead_id>/accept", methods=["POST"])
@api_scope(*WRITE)
@idempotent
@bp.response(200, LeadDetail)
def accept_lead(lead_id: int) -> dict[str, Any]:
    """Take the lead on: from now the bank may read the firm's profile."""
    lead = get_or_404(Lead, lead_id, current_user)
    _run(lead_services.accept, current_user, lead)
    return _detail(lead)


@bp.route("/<int:lead_id>/decline", methods=["POST"])
@api_scope(*WRITE)
@idempotent
@bp.arguments(DeclineBody)
@bp.response(200, LeadDetail)
def decline_lead(body: dict[str, Any], lead_id: int) -> dict[str, Any]:
    """Say no, with a reason code (see /reference/decline-reasons) the firm reads."""
    lead = get_or_404(Lead, lead_id, current_user)
    _run(lead_services.decline, current_user, lead, DeclineReason(body["reason"]), body["note"])
    return _detail(lead)


@bp.route("/<int:lead_id>/decision", methods=["POST"])
@api_scope(*WRITE)
@idempotent
@bp.arguments(DecisionBody)
@bp.response(200, LeadDetail)
def decide_lead(body: dict[str, Any], lead_id: int) -> dict[str, Any]:
    """Send the firm a credit offer, within the product's terms."""
    lead = get_or_404(Lead, lead_id, current_user)
    decision = CreditDecision(
        amount=body["amount"],
        rate=body["rate"],
        term_months=body["term_months"],
        repayment_method=RepaymentMethod(body["repayment_method"]),
        upfront_fee=body["upfront_fee"],
        valid_until=body["valid_until"],
        with_guarantee=body["with_guarantee"],
    )
    _run(lead_services.record_decision, current_user, lead, decision)
    return _detail(lead)


@bp.route("/<int:lead_id>/disbursement", methods=["POST"])
@api_scope(*WRITE)
@idempotent
@bp.arguments(DisbursementBody)
@bp.response(200, LeadDetail)
def disburse_lead(body: dict[str, Any], lead_id: int) -> dict[str, Any]:
    """Record the disbursement of an offer the firm took (by default the whole amount)."""
    lead = get_or_404(Lead, lead_id, current_user)
    _run(
        lead_services.disburse,
        current_user,
        lead,
        body["contract_no"],
        body["disbursed_on"],
        body["amount"],
    )
    return _detail(lead)


# --- helpers -----------------------------------------------------------------------------------


def _run(operation: Any, *args: Any) -> Any:
    """Run a lead service; its refusals become 409 (state) or 422 (terms) problems."""
    return run_service(
        operation,
        *args,
        refusals=LeadError,
        state_slug="lead-state",
        fields_slug="out-of-terms",
        fields=FORM_FIELDS,
        fields_detail=_("超出产品或授信方案的条件，逐项见 errors。"),
    )


def _summary(
    lead: Lead | Row[Any], teaser: queries.Teaser, names: CodeNames | None = None
) -> dict[str, Any]:
    """A lead's summary from the lead, or from its row of `queries.teaser_statement()`."""
    names = names or CodeNames()
    instant = None
    if teaser.instant_approved:
        instant = {
            "reference": teaser.pre_approval_ref,
            "limit": teaser.limit_amount,
            "rate": teaser.rate,
        }
    return {
        "id": lead.id,
        "status": str(lead.status),
        "created_at": lead.created_at,
        "deadline_at": lead.deadline_at,
        "product": {"code": str(lead.product_id), "name": teaser.product_name}
        if lead.product_id
        else None,
        "amount": teaser.amount,
        "term_months": teaser.term_months,
        "guarantee_type": str(teaser.guarantee_type),
        "size_class": teaser.size_class,
        "region": {
            "code": teaser.region_code,
            "name": names.region(teaser.region_code),
        },
        "industry": {
            "code": teaser.industry_code,
            "name": names.industry(teaser.industry_code),
        },
        "submitted_at": teaser.submitted_at,
        "instant_approval": instant,
    }


def _detail(lead: Lead) -> dict[str, Any]:
    db.session.refresh(lead)
    detail = _summary(lead, queries.teasers([lead])[lead.id])
    firm = queries.firm_seen_by(current_user, lead)
    detail["firm"] = snapshots.profile_of(firm) if firm is not None else None
    detail["offer"] = _offer(lead) if lead.approved_amount is not None else None
    detail["decline_reason"] = lead.decline_code
    return detail


def _offer(lead: Lead) -> dict[str, Any]:
    return {
        "amount": lead.approved_amount,
        "rate": lead.approved_rate,
        "term_months": lead.approved_term_months,
        "repayment_method": str(lead.repayment_method) if lead.repayment_method else None,
        "upfront_fee": lead.upfront_fee,
        "valid_until": lead.offer_valid_until,
        "taken_at": lead.offer_taken_at,
    }


class CodeNames:
    """Region and industry names in the reader's language, each code looked up once per answer:
    a page of 100 leads has a few codes, and each lookup goes through the translations."""

    def __init__(self) -> None:
        self._regions: dict[str, str] = {}
        self._industries: dict[str, str] = {}

    def region(self, code: str) -> str:
        if code not in self._regions:
            self._regions[code] = standards.region_name(code)
        return self._regions[code]

    def industry(self, code: str) -> str:
        if code not in self._industries:
            self._industries[code] = standards.industry_name(code)
        return self._industries[code]

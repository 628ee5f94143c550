"""Guarantee requests through the API: the guarantor's pages' queries, services and records."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from portal.api.access import api_scope
from portal.api.guarantee_schemas import (
    GuaranteeDeclineBody,
    GuaranteeRequestDetail,
    GuaranteeRequestPage,
    GuaranteeRequestQuery,
)
from portal.api.idempotency import idempotent
from portal.api.paging import page_of
from portal.api.problems import run_service
from portal.api.scopes import Scope
from portal.authz import Permission, get_or_404, scoped
from portal.channel import snapshots
from portal.enums import DeclineReason, GuaranteeRequestStatus
from portal.firms import standards
from portal.guarantees import requests as request_services
from portal.guarantees import views
from portal.guarantees.models import GuaranteeRequest

bp = Blueprint(
    "api_guarantees",
    __name__,
    url_prefix="/api/v1/guarantee-requests",
    description="Requests for a guarantee that banks sent to the caller's guarantee institution.",
)

READ = (Scope.GUARANTEES_READ, Permission.GUARANTOR_REQUESTS_WORK)
WRITE = (Scope.GUARANTEES_WRITE, Permission.GUARANTOR_REQUESTS_WORK)


@bp.route("", methods=["GET"])
@api_scope(*READ)
@bp.arguments(GuaranteeRequestQuery, location="query", as_kwargs=True)
@bp.response(200, GuaranteeRequestPage)
def list_requests(status: list[str] | None, limit: int, cursor: str | None) -> dict[str, Any]:
    """The institution's guarantee requests, oldest first; pass `next_cursor` back as `cursor`."""
    statement = scoped(select(GuaranteeRequest), GuaranteeRequest, current_user)
    if status:
        wanted = [GuaranteeRequestStatus(s) for s in status]
        statement = statement.where(GuaranteeRequest.status.in_(wanted))
    rows, next_cursor = page_of(statement, GuaranteeRequest.id, limit, cursor, "guarantee")
    teasers = views.teasers(rows)
    return {"items": [_summary(row, teasers[row.id]) for row in rows], "next_cursor": next_cursor}


@bp.route("/<int:request_id>", methods=["GET"])
@api_scope(*READ)
@bp.response(200, GuaranteeRequestDetail)
def get_request(request_id: int) -> dict[str, Any]:
    """One request; once taken on, with the firm's profile (the firm sees each read)."""
    return _detail(get_or_404(GuaranteeRequest, request_id, current_user))


@bp.route("/<int:request_id>/accept", methods=["POST"])
@api_scope(*WRITE)
@idempotent
@bp.response(200, GuaranteeRequestDetail)
def accept_request(request_id: int) -> dict[str, Any]:
    """Take the request on: from now the guarantor may read the firm's profile."""
    found = get_or_404(GuaranteeRequest, request_id, current_user)
    _run(request_services.accept, current_user, found)
    return _detail(found)


@bp.route("/<int:request_id>/letter", methods=["POST"])
@api_scope(*WRITE)
@idempotent
@bp.response(200, GuaranteeRequestDetail)
def issue_letter(request_id: int) -> dict[str, Any]:
    """Issue the guarantee letter on the product's terms; it cannot be withdrawn."""
    found = get_or_404(GuaranteeRequest, request_id, current_user)
    _run(request_services.issue, current_user, found)
    return _detail(found)


@bp.route("/<int:request_id>/decline", methods=["POST"])
@api_scope(*WRITE)
@idempotent
@bp.arguments(GuaranteeDeclineBody)
@bp.response(200, GuaranteeRequestDetail)
def decline_request(body: dict[str, Any], request_id: int) -> dict[str, Any]:
    """Say no with a reason code; the next cooperating guarantor is asked."""
    found = get_or_404(GuaranteeRequest, request_id, current_user)
    reason = DeclineReason(body["reason"])
    _run(request_services.decline, current_user, found, reason, body["note"])
    return _detail(found)


def _run(operation: Any, *args: Any) -> Any:
    """Run a guarantee service; a refusal of the request's state is a 409 problem."""
    return run_service(
        operation,
        *args,
        refusals=request_services.GuaranteeError,
        state_slug="guarantee-state",
        fields_slug="guarantee-fields",
    )


def _summary(found: GuaranteeRequest, teaser: views.RequestTeaser) -> dict[str, Any]:
    product = found.guarantee_product
    return {
        "id": found.id,
        "status": str(found.status),
        "mode": str(found.mode),
        "created_at": found.created_at,
        "deadline_at": found.deadline_at,
        "amount": found.amount,
        "term_months": found.term_months,
        "bank": teaser.bank_name,
        "bank_rate": teaser.approved_rate,
        "size_class": teaser.size_class,
        "region": {"code": teaser.region_code, "name": standards.region_name(teaser.region_code)},
        "industry": {
            "code": teaser.industry_code,
            "name": standards.industry_name(teaser.industry_code),
        },
        "product": {"code": str(product.id), "name": product.name},
    }


def _detail(found: GuaranteeRequest) -> dict[str, Any]:
    from portal.extensions import db

    db.session.refresh(found)
    detail = _summary(found, views.teasers([found])[found.id])
    firm = views.firm_seen_by(current_user, found)
    detail["firm"] = snapshots.profile_of(firm) if firm is not None else None
    detail["letter"] = request_services.letter_of(found.lead_id)
    detail["decline_reason"] = found.decline_code
    return detail

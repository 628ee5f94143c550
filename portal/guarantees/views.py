"""What the guarantor's pages read: request teasers and the requests waiting, in few queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, func, select

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.authz import get_or_404, scoped
from portal.authz.scoping import REQUEST_STATUSES_REVEALING_FIRM
from portal.enums import GuaranteeRequestStatus
from portal.extensions import db
from portal.firms.models import Firm
from portal.guarantees.models import GuaranteeRequest
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Lead
from portal.needs.models import FinancingNeed


@dataclass(frozen=True)
class RequestTeaser:
    """What a guarantor may know before it takes a request on: no name, no code."""

    size_class: str
    industry_code: str
    region_code: str
    bank_name: str
    approved_rate: Decimal | None


def inbox_statement(actor: User) -> Select[Any]:
    """The guarantor's requests: open ones by deadline first, then those under review, then
    the rest, newest first."""
    waiting_first = case(
        (GuaranteeRequest.status == GuaranteeRequestStatus.OPEN, 0),
        (GuaranteeRequest.status == GuaranteeRequestStatus.ACCEPTED, 1),
        else_=2,
    )
    return scoped(select(GuaranteeRequest), GuaranteeRequest, actor).order_by(
        waiting_first, GuaranteeRequest.deadline_at, GuaranteeRequest.id.desc()
    )


def teasers(requests: list[GuaranteeRequest]) -> dict[int, RequestTeaser]:
    """Each request's teaser: the firm's size, industry and region and the asking bank, read
    as columns (the firm itself stays hidden until the request is taken on)."""
    if not requests:
        return {}
    rows = db.session.execute(
        select(
            GuaranteeRequest.id,
            Firm.size_class,
            Firm.industry_code,
            Firm.region_code,
            FinancialInstitution.short_name,
            Lead.approved_rate,
        )
        .join(Lead, Lead.id == GuaranteeRequest.lead_id)
        .join(FinancialInstitution, FinancialInstitution.id == Lead.institution_id)
        .join(FinancingNeed, FinancingNeed.id == GuaranteeRequest.need_id)
        .join(Firm, Firm.id == FinancingNeed.firm_id)
        .where(GuaranteeRequest.id.in_([r.id for r in requests]))
    )
    return {
        request_id: RequestTeaser(str(size), industry, region, bank, rate)
        for request_id, size, industry, region, bank, rate in rows
    }


def counts(actor: User) -> dict[str, int]:
    """How many of the guarantor's requests are in each status."""
    rows = db.session.execute(
        scoped(
            select(GuaranteeRequest.status, func.count()).group_by(GuaranteeRequest.status),
            GuaranteeRequest,
            actor,
        )
    )
    return {str(status): count for status, count in rows}


def overdue(request: GuaranteeRequest, now: dt.datetime) -> bool:
    """Whether an open request is past its deadline (the job will move it on)."""
    return (
        request.status == GuaranteeRequestStatus.OPEN
        and request.deadline_at is not None
        and request.deadline_at <= now
    )


def firm_seen_by(actor: User, request: GuaranteeRequest) -> Firm | None:
    """The firm behind a request the guarantor has taken on, or None before that.

    Each look is an audit entry the firm reads, from the page or through the API alike.
    """
    if request.status not in REQUEST_STATUSES_REVEALING_FIRM:
        return None
    need = get_or_404(FinancingNeed, request.need_id, actor)
    firm = get_or_404(Firm, need.firm_id, actor)
    audit.record(
        AuditAction.FIRM_PROFILE_VIEW,
        actor=actor,
        obj=firm,
        firm_id=firm.id,
        guarantee_request=request.id,
    )
    db.session.commit()
    return firm

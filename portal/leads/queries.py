"""Read-only queries for the bank's lead pages: the inbox, the open pool and the teaser.

Leads are read through the scoping layer. The teaser is the one deliberate exception to reading
whole rows: it projects only the anonymised facts (size class, industry, region, amount, term,
guarantee, pre-approval) of a need whose lead the bank reads through the scoping layer (loaded
already, or scoped in the same statement), or of a pooled need the bank may claim. It never loads
the firm's row, so the firm's name and credit code cannot reach a bank before it accepts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Select, case, select
from sqlalchemy.orm import aliased

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.authz import get_or_404, scoped
from portal.authz.scoping import LEAD_STATUSES_REVEALING_FIRM
from portal.catalog.models import BankProduct
from portal.dates import SHANGHAI
from portal.enums import GuaranteeType, LeadOrigin, LeadStatus
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads.models import Lead
from portal.matching.models import MatchResult
from portal.needs.models import FinancingNeed

OVERDUE = "overdue"
DUE_TODAY = "today"


class Teaser(NamedTuple):
    """What a bank may know about a need before it accepts the lead (a named tuple: an API page
    makes a hundred, and a frozen dataclass took a tenth of the page's time to build them)."""

    lead_id: int
    size_class: str
    industry_code: str
    region_code: str
    amount: Decimal
    term_months: int
    guarantee_type: GuaranteeType
    submitted_at: dt.datetime
    instant_approved: bool = False
    pre_approval_ref: str | None = None
    limit_amount: Decimal | None = None
    rate: Decimal | None = None
    product_name: str | None = None


def inbox_statement(actor: User, statuses: Iterable[LeadStatus] | None) -> Select[Any]:
    """The bank's leads: unanswered ones first, soonest deadline first; then the newest."""
    statement = scoped(select(Lead), Lead, actor)
    if statuses is not None:
        statement = statement.where(Lead.status.in_(tuple(statuses)))
    unanswered_first = case((Lead.status == LeadStatus.OPEN, 0), else_=1)
    open_deadline = case((Lead.status == LeadStatus.OPEN, Lead.deadline_at), else_=None)
    return statement.order_by(
        unanswered_first, open_deadline.asc(), Lead.created_at.desc(), Lead.id.desc()
    )


def pool_statement(institution_id: int) -> Select[Any]:
    """Pooled leads the bank could claim: it has an eligible product and holds no lead for them.

    Pooled leads have no bank yet, so they are not any bank's tenant rows; eligibility is the test.
    """
    eligible = (
        select(MatchResult.id)
        .join(BankProduct, BankProduct.id == MatchResult.product_id)
        .where(
            MatchResult.need_id == Lead.need_id,
            MatchResult.eligible.is_(True),
            BankProduct.institution_id == institution_id,
        )
    )
    held = aliased(Lead)
    already_here = select(held.id).where(
        held.need_id == Lead.need_id, held.institution_id == institution_id
    )
    return (
        select(Lead)
        .where(Lead.status == LeadStatus.POOLED, eligible.exists(), ~already_here.exists())
        .order_by(Lead.created_at.desc(), Lead.id.desc())
    )


def offered_to_bank(lead_id: int, institution_id: int) -> bool:
    """Whether the lead went to the open pool with a need one of the bank's products fits.

    Only such a lead was ever offered to the bank, so only it may be claimed, or be reported
    as already claimed by another bank. Any other lead id is not the bank's to know of (404).
    """
    fits = (
        select(MatchResult.id)
        .join(BankProduct, BankProduct.id == MatchResult.product_id)
        .where(
            MatchResult.need_id == Lead.need_id,
            MatchResult.eligible.is_(True),
            BankProduct.institution_id == institution_id,
        )
    )
    offered = select(Lead.id).where(
        Lead.id == lead_id, Lead.origin == LeadOrigin.POOL, fits.exists()
    )
    return db.session.scalar(offered) is not None


@cache
def teaser_statement() -> Select[Any]:
    """Each lead's own state beside its teaser's columns, one row a lead; the caller scopes it
    (`scoped(teaser_statement(), Lead, actor)`) or names leads it has already loaded.

    Built once: a statement is immutable (each `where` makes a new one), and building this
    join took a tenth of an API lead page."""
    return (
        select(
            Lead.id,
            Lead.status,
            Lead.created_at,
            Lead.deadline_at,
            Lead.product_id,
            Firm.size_class,
            Firm.industry_code,
            Firm.region_code,
            FinancingNeed.amount,
            FinancingNeed.term_months,
            FinancingNeed.guarantee_type,
            FinancingNeed.created_at.label("submitted_at"),
            MatchResult.instant_approved,
            MatchResult.pre_approval_ref,
            MatchResult.limit_amount,
            MatchResult.rate,
            BankProduct.name.label("product_name"),
        )
        .join(FinancingNeed, FinancingNeed.id == Lead.need_id)
        .join(Firm, Firm.id == FinancingNeed.firm_id)
        .outerjoin(MatchResult, MatchResult.id == Lead.match_result_id)
        .outerjoin(BankProduct, BankProduct.id == Lead.product_id)
    )


def teasers(leads: Iterable[Lead]) -> dict[int, Teaser]:
    """The anonymised teaser of each lead, by lead id (leads already loaded by the caller)."""
    ids = [lead.id for lead in leads]
    if not ids:
        return {}
    rows = db.session.execute(teaser_statement().where(Lead.id.in_(ids)))
    return {row.id: teaser_of(row) for row in rows}


def teaser_of(row: Any) -> Teaser:
    """The teaser in a row of `teaser_statement()` (unpacked by position: a page of a hundred
    rows read by name took as long as its query)."""
    (lead_id, _status, _created, _deadline, _product, size, industry, region, *need) = row
    amount, term, guarantee, submitted, instant, reference, limit, rate, product_name = need
    return Teaser(
        lead_id,
        str(size),
        industry,
        region,
        amount,
        term,
        guarantee,
        submitted,
        bool(instant),
        reference if instant else None,
        limit,
        rate,
        product_name,
    )


def pool_teasers(leads: Iterable[Lead], institution_id: int) -> dict[int, Teaser]:
    """Teasers of pooled leads, with the bank's own best match (product, pre-approval) filled in."""
    leads = list(leads)
    found = teasers(leads)
    best = _best_eligible_results([lead.need_id for lead in leads], institution_id)
    for lead in leads:
        match = best.get(lead.need_id)
        if match is None or lead.id not in found:
            found.pop(lead.id, None)
            continue
        result, product_name = match
        found[lead.id] = found[lead.id]._replace(
            instant_approved=result.instant_approved,
            pre_approval_ref=result.pre_approval_ref if result.instant_approved else None,
            limit_amount=result.limit_amount,
            rate=result.rate,
            product_name=product_name,
        )
    return found


def _best_eligible_results(
    need_ids: list[int], institution_id: int
) -> dict[int, tuple[MatchResult, str]]:
    """For each need, the bank's best-ranked eligible result and its product's name: one query
    for the whole page (what `claimable_result` answers for a single lead)."""
    if not need_ids:
        return {}
    rows = db.session.execute(
        select(MatchResult, BankProduct.name)
        .join(BankProduct, BankProduct.id == MatchResult.product_id)
        .where(
            MatchResult.need_id.in_(need_ids),
            MatchResult.eligible.is_(True),
            BankProduct.institution_id == institution_id,
        )
        .order_by(MatchResult.need_id, MatchResult.rank)
    ).all()
    best: dict[int, tuple[MatchResult, str]] = {}
    for result, name in rows:
        best.setdefault(result.need_id, (result, name))
    return best


def deadline_state(lead: Lead, now: dt.datetime) -> str | None:
    """'overdue' or 'today' for an unanswered lead whose deadline has passed or falls today."""
    if lead.status != LeadStatus.OPEN or lead.deadline_at is None:
        return None
    if lead.deadline_at < now:
        return OVERDUE
    if lead.deadline_at.astimezone(SHANGHAI).date() == now.astimezone(SHANGHAI).date():
        return DUE_TODAY
    return None


def firm_seen_by(actor: User, lead: Lead) -> Firm | None:
    """The firm behind a lead the actor's bank has accepted, or None before that.

    Each look is an audit entry the firm reads on its "who looked at my data" page, whether
    an officer opened the lead page or the bank's system read the lead through the API.
    """
    if lead.status not in LEAD_STATUSES_REVEALING_FIRM:
        return None
    need = get_or_404(FinancingNeed, lead.need_id, actor)
    firm = get_or_404(Firm, need.firm_id, actor)
    audit.record(
        AuditAction.FIRM_PROFILE_VIEW, actor=actor, obj=firm, firm_id=firm.id, lead=lead.id
    )
    db.session.commit()
    return firm

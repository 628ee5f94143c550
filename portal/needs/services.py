"""Financing needs: a firm submits one (matched at once) and may withdraw it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.datasources import authorisations, reviews
from portal.db import utcnow
from portal.enums import GuaranteeType, LeadCloseReason, LeadStatus, NeedStatus
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads.ending import offer_ended
from portal.leads.models import Lead
from portal.leads.services import lock_need, offer_taken
from portal.matching.services import run_matcher, store_results
from portal.needs.models import FinancingNeed
from portal.notifications.service import bank_user_ids, notify, path_for

CONSENT_SCOPE = "routed_banks_profile"  # the firm's profile, to the banks its need is routed to
OPEN_LEAD_STATUSES = (LeadStatus.POOLED, LeadStatus.OPEN, LeadStatus.ACCEPTED, LeadStatus.APPROVED)


class NeedError(Exception):
    """A need operation that cannot be done; the message says why."""


@dataclass(frozen=True)
class NeedInput:
    amount: Decimal
    term_months: int
    purpose: str
    guarantee_type: GuaranteeType
    max_rate: Decimal | None


def submit_need(actor: User, firm: Firm, data: NeedInput, idempotency_key: str) -> FinancingNeed:
    """Record a need, match it and store the results, in one transaction.

    The form carries a key minted when it was shown: submitting the same form twice (double
    click, back and resubmit) returns the need the first submission made.
    """
    existing = _need_by_key(idempotency_key)
    if existing is not None:
        return _own_or_refuse(existing, firm)
    if reviews.needs_held(firm):
        raise NeedError(_("企业身份尚在审核中，审核通过后即可提交融资需求"))
    need = FinancingNeed(
        firm=firm,
        submitted_by_id=actor.id,
        amount=data.amount,
        term_months=data.term_months,
        purpose=data.purpose,
        guarantee_type=data.guarantee_type,
        max_rate=data.max_rate,
        consent_at=utcnow(),
        consent_scope=CONSENT_SCOPE,
        idempotency_key=idempotency_key,
    )
    db.session.add(need)
    try:
        db.session.flush()
    except IntegrityError:
        # The same form won a race from another worker a moment ago.
        db.session.rollback()
        return _own_or_refuse(_need_by_key(idempotency_key), firm)
    authorisations.grant_with_need(actor, firm)
    outcome = run_matcher(need)
    store_results(need, outcome)
    audit.record(
        AuditAction.NEED_SUBMIT,
        actor=actor,
        obj=need,
        firm_id=firm.id,
        eligible=len(outcome.eligible),
        instant=sum(m.instant_approved for m in outcome.eligible),
    )
    db.session.commit()
    return need


def _need_by_key(key: str) -> FinancingNeed | None:
    return db.session.scalar(select(FinancingNeed).where(FinancingNeed.idempotency_key == key))


def _own_or_refuse(need: FinancingNeed | None, firm: Firm) -> FinancingNeed:
    if need is None or need.firm_id != firm.id:
        raise NeedError(_("表单已失效，请刷新页面后重新提交"))
    return need


def withdraw_need(actor: User, need: FinancingNeed) -> None:
    """The firm no longer needs the money: close its open leads and tell those banks."""
    lock_need(need)  # a bank cannot accept or claim while the need is being withdrawn
    if need.status in (NeedStatus.FULFILLED, NeedStatus.WITHDRAWN):
        db.session.rollback()
        raise NeedError(_("该需求已结束，无需撤回"))
    if offer_taken(need):
        db.session.rollback()
        raise NeedError(_("您已接受银行的授信方案，需求不能再撤回；如不再需要贷款，请联系该银行"))
    need.status = NeedStatus.WITHDRAWN
    need.withdrawn_at = utcnow()
    for lead in db.session.scalars(
        select(Lead).where(Lead.need_id == need.id, Lead.status.in_(OPEN_LEAD_STATUSES))
    ):
        lead.status = LeadStatus.CLOSED
        lead.closed_reason = LeadCloseReason.NEED_WITHDRAWN
        offer_ended(lead.id, LeadCloseReason.NEED_WITHDRAWN)
        if lead.institution_id is not None:
            notify(
                bank_user_ids(lead.institution_id),
                "lead.closed",
                _l("线索 #%(id)s 已关闭：企业撤回了融资需求", id=lead.id),
                link=path_for("leads.detail", lead_id=lead.id),
            )
    audit.record(AuditAction.NEED_WITHDRAW, actor=actor, obj=need, firm_id=need.firm_id)
    db.session.commit()

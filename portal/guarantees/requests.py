"""Bank–guarantor linkage (银担联动): a bank's credit decision conditional on a guarantee asks a
guarantor, who takes the request on (and then sees the firm), issues a guarantee letter
(担保函) or declines with a reason. Under 见贷即保 the letter is issued with the bank's
decision. A request declined or left past its deadline goes to the next guarantee that
cooperates with the bank product and takes the firm; when none is left the bank's offer closes.

The guarantee chosen is the matcher's: the catalogue's pairings for the bank product, checked
against the firm's facts today and the loan the bank decided (`next_guarantee`). State changes
are conditional updates, as for leads, so a double click or a racing job changes nothing twice.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal.accounts.models import User
from portal.api import webhooks
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.catalog.models import RuleVersion
from portal.catalog.queries import current_rules
from portal.dates import today_in_china
from portal.db import utcnow
from portal.enums import (
    DeclineReason,
    GuaranteeMode,
    GuaranteeRequestStatus,
    LeadCloseReason,
    LeadStatus,
)
from portal.extensions import db
from portal.guarantees import queries
from portal.guarantees.models import Guarantee, GuaranteeProduct, GuaranteeRequest
from portal.leads.models import Lead, Loan
from portal.leads.schedule import guarantee_fee_total
from portal.matching.catalogue import load_catalogue
from portal.matching.engine import CatalogueGuarantee
from portal.matching.facts import firm_facts, need_facts
from portal.notifications.service import bank_user_ids, firm_user_ids, notify, path_for
from portal.subsidies import grants
from portal.workdays import add_business_days

LIVE = (GuaranteeRequestStatus.OPEN, GuaranteeRequestStatus.ACCEPTED)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
TWELVE = Decimal(12)


class GuaranteeError(Exception):
    """A guarantee request operation that cannot be done now; the message says why."""


# --- which guarantee ---------------------------------------------------------------------------


def next_guarantee(
    lead: Lead, amount: Decimal, term_months: int, tried: set[int] | None = None
) -> CatalogueGuarantee | None:
    """The cheapest guarantee cooperating with the lead's bank product that takes the firm
    and this loan, skipping guarantors already asked."""
    if lead.product_id is None:
        return None
    need = lead.need
    today = today_in_china()
    catalogue = load_catalogue(today)
    facts = {
        **firm_facts(need.firm, today),
        **need_facts(
            amount=amount,
            term_months=term_months,
            guarantee_type=str(need.guarantee_type),
            purpose=need.purpose,
        ),
        # The matcher's facts include the LPR, and a guarantee's rule may read it.
        "lpr_one_year": catalogue.lpr_one_year or Decimal(0),
    }
    for guarantee in catalogue.guarantees.get(lead.product_id, ()):
        if tried and guarantee.institution_id in tried:
            continue
        if guarantee.takes(facts):
            return guarantee
    return None


# --- asking ------------------------------------------------------------------------------------


def request_guarantee(
    lead: Lead, guarantee: CatalogueGuarantee, now: dt.datetime
) -> GuaranteeRequest:
    """Ask the guarantor for a guarantee on the lead's decided loan (the caller commits).

    Under a 见贷即保 agreement within its limit the letter is issued at once.
    """
    product = db.session.get(GuaranteeProduct, guarantee.id)
    agreement = queries.agreement_for(guarantee.id, lead.product_id)
    automatic = agreement is not None and agreement.issues_automatically(lead.approved_amount)
    request = GuaranteeRequest(
        lead_id=lead.id,
        need_id=lead.need_id,
        institution_id=product.institution_id,
        guarantee_product_id=product.id,
        rule_version_id=_rule_version_id(product),
        mode=agreement.mode if agreement is not None else GuaranteeMode.BATCH,
        status=GuaranteeRequestStatus.OPEN,
        amount=lead.approved_amount,
        term_months=lead.approved_term_months,
        deadline_at=None if automatic else add_business_days(now, _response_days(product)),
        created_at=now,
    )
    db.session.add(request)
    db.session.flush()
    if automatic:
        request.status = GuaranteeRequestStatus.ISSUED
        request.decided_at = request.first_response_at = now
        _issue_letter(request, product, issued_by=None, automatic=True)
        _tell_guarantor(
            request, _l("见贷即保：已随银行授信自动出具担保函（申请 #%(id)s）", id=request.id)
        )
        _tell_firm_and_bank(request, "guarantee.issued", _issued_title(request))
    else:
        _tell_guarantor(request, _l("新的担保申请 #%(id)s，请在时限内响应", id=request.id))
    webhooks.emit(
        request.institution_id,
        webhooks.EventType.GUARANTEE_REQUESTED,
        {"request_id": request.id, "lead_id": lead.id, "status": str(request.status)},
    )
    audit.record(
        AuditAction.GUARANTEE_REQUEST_CREATE,
        actor=None,
        obj=request,
        firm_id=lead.need.firm_id,
        lead=lead.id,
        automatic=automatic,
    )
    return request


def _rule_version_id(product: GuaranteeProduct) -> int:
    versions = current_rules(RuleVersion.guarantee_product_id, [product.id])
    return versions[product.id].id


def _response_days(product: GuaranteeProduct) -> int:
    return product.response_days or product.institution.response_days


# --- the guarantor's answers -------------------------------------------------------------------


def accept(actor: User, request: GuaranteeRequest) -> None:
    """The guarantor takes the request on; from now it may see the firm's profile."""
    now = utcnow()
    _transition(
        request,
        (GuaranteeRequestStatus.OPEN,),
        status=GuaranteeRequestStatus.ACCEPTED,
        accepted_at=now,
        first_response_at=now,
        handled_by_id=actor.id,
    )
    audit.record(
        AuditAction.GUARANTEE_REQUEST_ACCEPT, actor=actor, obj=request, firm_id=_firm_id(request)
    )
    db.session.commit()


def issue(actor: User, request: GuaranteeRequest) -> Guarantee:
    """The guarantor issues the guarantee letter; the firm may then take the bank's offer."""
    _transition(
        request,
        (GuaranteeRequestStatus.ACCEPTED,),
        status=GuaranteeRequestStatus.ISSUED,
        decided_at=utcnow(),
        handled_by_id=actor.id,
    )
    letter = _issue_letter(request, request.guarantee_product, issued_by=actor, automatic=False)
    audit.record(
        AuditAction.GUARANTEE_REQUEST_ISSUE,
        actor=actor,
        obj=request,
        firm_id=_firm_id(request),
        letter=letter.letter_no,
        amount=letter.amount,
        fee_rate=letter.fee_rate,
    )
    _tell_firm_and_bank(request, "guarantee.issued", _issued_title(request))
    db.session.commit()
    return letter


def decline(actor: User, request: GuaranteeRequest, reason: DeclineReason, note: str) -> None:
    """The guarantor says no, with a reason; the next cooperating guarantee is asked."""
    now = utcnow()
    _transition(
        request,
        LIVE,
        status=GuaranteeRequestStatus.DECLINED,
        decline_code=reason.value,
        decline_note=note.strip() or None,
        decided_at=now,
        first_response_at=request.first_response_at or now,
        handled_by_id=actor.id,
    )
    audit.record(
        AuditAction.GUARANTEE_REQUEST_DECLINE,
        actor=actor,
        obj=request,
        firm_id=_firm_id(request),
        reason=reason.value,
    )
    _reroute(request, now)
    db.session.commit()


def refusal(request: GuaranteeRequest) -> str | None:
    """Why the guarantor can no longer act on the request, or None."""
    if request.status in LIVE:
        return None
    if request.status == GuaranteeRequestStatus.ISSUED:
        return _("担保函已出具，不能再受理或拒绝")
    if request.status == GuaranteeRequestStatus.EXPIRED:
        return _("该申请已超过响应时限，已转给其他担保机构")
    return _("该申请已结束，不能再操作")


def _transition(
    request: GuaranteeRequest,
    expected: tuple[GuaranteeRequestStatus, ...],
    **values: Any,
) -> None:
    """Move a request on only if it is still as expected (else someone got there first)."""
    changed = db.session.execute(
        update(GuaranteeRequest)
        .where(GuaranteeRequest.id == request.id, GuaranteeRequest.status.in_(expected))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        db.session.refresh(request)
        raise GuaranteeError(refusal(request) or _("申请状态已变化，请刷新后再操作"))
    db.session.refresh(request)


# --- the letter --------------------------------------------------------------------------------


def _issue_letter(
    request: GuaranteeRequest, product: GuaranteeProduct, *, issued_by: User | None, automatic: bool
) -> Guarantee:
    lead = db.session.get(Lead, request.lead_id)
    letter = Guarantee(
        request_id=request.id,
        lead_id=lead.id,
        institution_id=request.institution_id,
        bank_institution_id=lead.institution_id,
        guarantee_product_id=product.id,
        firm_id=lead.need.firm_id,
        letter_no=_letter_no(),
        amount=request.amount,
        coverage_share=product.coverage_share,
        covered_amount=covered(request.amount, product.coverage_share),
        fee_rate=product.fee_rate,
        fee_amount=guarantee_fee_total(request.amount, product.fee_rate, request.term_months),
        term_months=request.term_months,
        automatic=automatic,
        issued_by_id=issued_by.id if issued_by is not None else None,
        # The risk-sharing terms stay as they were at issue, whatever the product says later.
        risk_terms=product.risk_share.terms() if product.risk_share is not None else None,
    )
    db.session.add(letter)
    db.session.flush()
    return letter


def covered(amount: Decimal, coverage_share: Decimal) -> Decimal:
    """The most the guarantor pays on a loss: the principal times its share, to the fen."""
    return (amount * coverage_share / HUNDRED).quantize(CENT, ROUND_HALF_UP)


def _letter_no() -> str:
    # Readable over the phone: DB, the day, eight random characters.
    return f"DB{today_in_china():%Y%m%d}{secrets.token_hex(4).upper()}"


def letter_of(lead_id: int) -> Guarantee | None:
    """The guarantee letter issued on a lead's offer, if any."""
    return db.session.scalar(select(Guarantee).where(Guarantee.lead_id == lead_id))


def live_request_of(lead_id: int) -> GuaranteeRequest | None:
    """The request on a lead still waiting for a guarantor, if any."""
    return db.session.scalar(
        select(GuaranteeRequest).where(
            GuaranteeRequest.lead_id == lead_id, GuaranteeRequest.status.in_(LIVE)
        )
    )


def guarantees_of(
    lead_ids: list[int],
) -> tuple[dict[int, Guarantee], dict[int, GuaranteeRequest]]:
    """For these leads, the letter issued on each and the request still waiting on each (two
    queries; none for no leads)."""
    if not lead_ids:
        return {}, {}
    letters = db.session.scalars(select(Guarantee).where(Guarantee.lead_id.in_(lead_ids)))
    waiting = db.session.scalars(
        select(GuaranteeRequest).where(
            GuaranteeRequest.lead_id.in_(lead_ids), GuaranteeRequest.status.in_(LIVE)
        )
    )
    return {g.lead_id: g for g in letters}, {r.lead_id: r for r in waiting}


def attach_to_loan(lead: Lead, loan: Loan) -> None:
    """The letter on the lead's offer covers the loan once disbursed (the caller commits)."""
    db.session.execute(
        update(Guarantee)
        .where(Guarantee.lead_id == lead.id, Guarantee.loan_id.is_(None))
        .values(loan_id=loan.id)
        .execution_options(synchronize_session=False)
    )


# --- deadlines, rerouting and closing ----------------------------------------------------------


def expire_overdue(now: dt.datetime) -> int:
    """Requests left open past their deadline expire and go to the next guarantee (idempotent:
    an expired request is not open any more)."""
    overdue = db.session.scalars(
        select(GuaranteeRequest).where(
            GuaranteeRequest.status == GuaranteeRequestStatus.OPEN,
            GuaranteeRequest.deadline_at <= now,
        )
    ).all()
    expired = 0
    for request in overdue:
        changed = db.session.execute(
            update(GuaranteeRequest)
            .where(
                GuaranteeRequest.id == request.id,
                GuaranteeRequest.status == GuaranteeRequestStatus.OPEN,
            )
            .values(status=GuaranteeRequestStatus.EXPIRED)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            expired += 1
            db.session.refresh(request)
            audit.record(AuditAction.GUARANTEE_REQUEST_EXPIRE, actor=None, obj=request)
            _reroute(request, now)
    db.session.commit()
    return expired


def _reroute(ended: GuaranteeRequest, now: dt.datetime) -> None:
    """Ask the next guarantee after a decline or an expiry; with none left, close the offer."""
    lead = db.session.get(Lead, ended.lead_id)
    if lead.status != LeadStatus.APPROVED or lead.offer_taken_at is not None:
        return
    tried = set(
        db.session.scalars(
            select(GuaranteeRequest.institution_id).where(GuaranteeRequest.lead_id == lead.id)
        )
    )
    guarantee = next_guarantee(lead, lead.approved_amount, lead.approved_term_months, tried)
    if guarantee is not None:
        request_guarantee(lead, guarantee, now)
        return
    _close_offer_without_guarantee(lead)


def _close_offer_without_guarantee(lead: Lead) -> None:
    lead.status = LeadStatus.CLOSED
    lead.closed_reason = LeadCloseReason.GUARANTEE_UNAVAILABLE
    grants.release_offer(lead.id, LeadCloseReason.GUARANTEE_UNAVAILABLE)
    webhooks.emit(
        lead.institution_id,
        *webhooks.lead_closed(lead, LeadCloseReason.GUARANTEE_UNAVAILABLE),
    )
    audit.record(
        AuditAction.LEAD_CLOSE, actor=None, obj=lead, reason=LeadCloseReason.GUARANTEE_UNAVAILABLE
    )
    title = _l("线索 #%(id)s 的授信方案已关闭：没有担保机构为该笔贷款提供担保", id=lead.id)
    notify(
        bank_user_ids(lead.institution_id),
        "lead.closed",
        title,
        link=path_for("leads.detail", lead_id=lead.id),
    )
    notify(
        firm_user_ids(lead.need.firm_id),
        "lead.closed",
        _l("%(bank)s 的授信方案未能获得担保，已关闭", bank=lead.institution.short_name),
        link=path_for("needs.detail", need_id=lead.need_id),
    )


def close_requests_of(lead_ids: list[int], reason: str) -> None:
    """The offers behind these requests ended (another offer taken, the need withdrawn, the
    offer lapsed): requests still waiting close (the caller commits)."""
    if not lead_ids:
        return
    db.session.execute(
        update(GuaranteeRequest)
        .where(GuaranteeRequest.lead_id.in_(lead_ids), GuaranteeRequest.status.in_(LIVE))
        .values(status=GuaranteeRequestStatus.CLOSED, closed_reason=reason)
        .execution_options(synchronize_session=False)
    )


# --- who hears ---------------------------------------------------------------------------------


def _firm_id(request: GuaranteeRequest) -> int:
    return db.session.get(Lead, request.lead_id).need.firm_id


def _issued_title(request: GuaranteeRequest) -> str:
    return _(
        "%(guarantor)s 已为线索 #%(id)s 出具担保函",
        guarantor=request.institution.short_name,
        id=request.lead_id,
    )


def _tell_guarantor(request: GuaranteeRequest, title: str) -> None:
    notify(
        bank_user_ids(request.institution_id),
        "guarantee.request",
        title,
        link=path_for("guarantees.request_detail", request_id=request.id),
    )


def _tell_firm_and_bank(request: GuaranteeRequest, kind: str, title: str) -> None:
    lead = db.session.get(Lead, request.lead_id)
    notify(
        bank_user_ids(lead.institution_id),
        kind,
        title,
        link=path_for("leads.detail", lead_id=lead.id),
    )
    notify(
        firm_user_ids(lead.need.firm_id),
        kind,
        title,
        link=path_for("needs.detail", need_id=lead.need_id),
    )

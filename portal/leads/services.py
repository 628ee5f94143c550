"""The lead workflow: routing a need to banks, the open pool, the bank's answers, the offer the
firm takes, disbursement, and the deadline job.

State changes that two people (or two scheduler runs) could race on are conditional updates:
`UPDATE ... WHERE status = <expected>` and a check of the row count, which works the same on
SQLite and PostgreSQL. One lead per bank and need is also a unique constraint. Whatever sends a
need to a bank, lets a bank in, or settles the need first holds the need's row (`lock_need`), so
the count of banks reached and the check that the need is still live hold until the commit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from portal import settings
from portal.accounts.models import User
from portal.api import webhooks
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.catalog.models import BankProduct
from portal.channel import snapshots
from portal.channel.services import default_contact
from portal.datasources.authorisations import AuthorisationRequired, require_authorisation
from portal.dates import add_months, day_in_china, today_in_china
from portal.db import utcnow
from portal.enums import (
    DeclineReason,
    GuaranteeType,
    LeadCloseReason,
    LeadOrigin,
    LeadStatus,
    NeedStatus,
    RepaymentMethod,
)
from portal.extensions import db
from portal.guarantees import requests as guarantee_requests
from portal.institutions.models import FinancialInstitution
from portal.leads.ending import offer_ended
from portal.leads.models import Lead, Loan
from portal.matching.engine import CatalogueGuarantee
from portal.matching.models import MatchResult
from portal.needs.models import FinancingNeed
from portal.notifications.service import bank_user_ids, firm_user_ids, notify, path_for
from portal.numbers import AMOUNT_WAN, MONTHS, RATE_PERCENT, Quantity, plain
from portal.settings import max_banks_per_need
from portal.subsidies import grants
from portal.workdays import add_business_days

LIVE_NEED_STATUSES = (NeedStatus.OPEN, NeedStatus.ROUTED)
UNANSWERED = (LeadStatus.OPEN,)
STILL_OPEN = (LeadStatus.POOLED, LeadStatus.OPEN, LeadStatus.ACCEPTED, LeadStatus.APPROVED)
CENT = Decimal("0.01")


class LeadError(Exception):
    """A lead operation that cannot be done now; the message says why."""


# --- routing -------------------------------------------------------------------------------


def eligible_results(need: FinancingNeed) -> list[MatchResult]:
    """The need's eligible matches, best first."""
    return list(
        db.session.scalars(
            select(MatchResult)
            .where(MatchResult.need_id == need.id, MatchResult.eligible.is_(True))
            .order_by(MatchResult.rank)
        )
    )


def apply_to_products(actor: User, need: FinancingNeed, product_ids: list[int]) -> list[Lead]:
    """The firm applies to up to three of its eligible products: one lead per bank."""
    _hold_live_need(need)
    _require_authorisation(need)
    chosen = [r for r in eligible_results(need) if r.product_id in set(product_ids)]
    most = max_banks_per_need()
    if not chosen or len(set(product_ids)) > most:
        raise _refuse(_("请选择 1 至 %(n)s 个符合条件的产品", n=most))
    if len(chosen) != len(set(product_ids)):
        raise _refuse(_("所选产品中有不符合条件的，请重新选择"))
    new_banks = {_bank_of(r) for r in chosen} - _tried_banks(need)
    _require_room(need, len(new_banks))
    leads = _route(need, chosen, LeadOrigin.APPLIED)
    audit.record(
        AuditAction.NEED_APPLY, actor=actor, obj=need, firm_id=need.firm_id, leads=len(leads)
    )
    db.session.commit()
    return leads


def route_best(actor: User, need: FinancingNeed, count: int | None = None) -> list[Lead]:
    """The platform sends the need to the best eligible banks it has not been sent to."""
    _hold_live_need(need)
    _require_authorisation(need)
    _require_room(need, 1)
    room = _room(need)
    picks = _next_banks(need, room if count is None else min(count, room))
    if not picks:
        raise _refuse(_("没有尚未推送的符合条件的银行，可以选择放入抢单池"))
    leads = _route(need, picks, LeadOrigin.BEST)
    audit.record(
        AuditAction.NEED_ROUTE_BEST, actor=actor, obj=need, firm_id=need.firm_id, leads=len(leads)
    )
    db.session.commit()
    return leads


def send_to_pool(actor: User, need: FinancingNeed) -> Lead:
    """Offer the need to every eligible bank; the first to claim it gets it."""
    _hold_live_need(need)
    _require_authorisation(need)
    pooled = db.session.scalar(
        select(Lead).where(Lead.need_id == need.id, Lead.status == LeadStatus.POOLED)
    )
    if pooled is not None:
        db.session.rollback()
        return pooled
    if not eligible_results(need):
        raise _refuse(_("没有符合条件的银行产品，暂不能放入抢单池"))
    _require_room(need, 1)  # the pooled lead holds the place of the bank that will claim it
    lead = Lead(need_id=need.id, status=LeadStatus.POOLED, origin=LeadOrigin.POOL)
    db.session.add(lead)
    need.status = NeedStatus.ROUTED
    audit.record(AuditAction.NEED_POOL, actor=actor, obj=need, firm_id=need.firm_id)
    db.session.commit()
    return lead


def _hold_live_need(need: FinancingNeed) -> None:
    """Lock the need's row, then check it still takes banks; else roll back and say why."""
    lock_need(need)
    reason = settled_reason(need)
    if reason is not None:
        raise _refuse(reason)


def lock_need(need: FinancingNeed) -> None:
    """Hold the need's row until the commit, so routing, claims and taking an offer queue up.

    A bank count or a settled check made after this stays true until the commit. The write is
    a no-op update because SQLite has no SELECT ... FOR UPDATE.
    """
    db.session.execute(
        update(FinancingNeed)
        .where(FinancingNeed.id == need.id)
        .values(status=FinancingNeed.status)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(need)


def settled_reason(need: FinancingNeed) -> str | None:
    """Why the need takes no more banks or answers (offer taken, withdrawn…), or None if live."""
    if need.status == NeedStatus.WITHDRAWN:
        return _("该需求已撤回，不能再推送、领取或受理")
    if need.status == NeedStatus.FULFILLED:
        return _("该需求已放款，不能再推送、领取或受理")
    if need.status not in LIVE_NEED_STATUSES:
        return _("该需求已结束，不能再推送、领取或受理")
    if offer_taken(need):
        return _("已接受一家银行的授信方案，该需求不能再推送、领取或受理")
    return None


def offer_taken(need: FinancingNeed) -> bool:
    """Whether the firm has taken one of the need's offers (the need is then settled)."""
    taken = select(Lead.id).where(Lead.need_id == need.id, Lead.offer_taken_at.is_not(None))
    return db.session.scalar(taken.limit(1)) is not None


def banks_reached(need: FinancingNeed) -> int:
    """Banks the need has gone to in any way, counting a pooled lead as the bank to claim it."""
    reached = select(func.count(Lead.id)).where(
        Lead.need_id == need.id,
        or_(Lead.institution_id.is_not(None), Lead.status == LeadStatus.POOLED),
    )
    return db.session.scalar(reached) or 0


def _require_authorisation(need: FinancingNeed) -> None:
    """A need goes to banks only while the firm's data authorisation is in force."""
    try:
        require_authorisation(need)
    except AuthorisationRequired as error:
        raise _refuse(str(error)) from error


def _room(need: FinancingNeed) -> int:
    return max(max_banks_per_need() - banks_reached(need), 0)


def _require_room(need: FinancingNeed, wanted: int) -> None:
    room = _room(need)
    if room == 0:
        raise _refuse(
            _("本需求已推送给 %(n)s 家银行，已达每个需求的上限，不能再推送", n=max_banks_per_need())
        )
    if wanted > room:
        raise _refuse(
            _(
                "每个需求最多推送给 %(n)s 家银行，本需求还可再选 %(room)s 家",
                n=max_banks_per_need(),
                room=room,
            )
        )


def _refuse(message: str) -> LeadError:
    """End the transaction (releasing the need's lock) and give the refusal to raise."""
    db.session.rollback()
    return LeadError(message)


def _tried_banks(need: FinancingNeed) -> set[int]:
    return set(
        db.session.scalars(
            select(Lead.institution_id).where(
                Lead.need_id == need.id, Lead.institution_id.is_not(None)
            )
        )
    )


def _next_banks(need: FinancingNeed, count: int) -> list[MatchResult]:
    """The best eligible result of each bank not yet tried, in rank order."""
    tried, picks = _tried_banks(need), []
    for result in eligible_results(need):
        bank = _bank_of(result)
        if bank not in tried:
            tried.add(bank)
            picks.append(result)
        if len(picks) == count:
            break
    return picks


def _bank_of(result: MatchResult) -> int:
    return db.session.get(BankProduct, result.product_id).institution_id


def _route(
    need: FinancingNeed,
    results: list[MatchResult],
    origin: LeadOrigin,
    now: dt.datetime | None = None,
) -> list[Lead]:
    """One new lead per bank not yet tried; its deadline counts from `now` (default: now)."""
    now = now or utcnow()
    tried, leads = _tried_banks(need), []
    for result in results:
        product = db.session.get(BankProduct, result.product_id)
        if product.institution_id in tried:
            continue  # one lead per bank: its best product carries the application
        tried.add(product.institution_id)
        leads.append(_new_lead(need, result, product, origin, now))
    if not leads:
        raise LeadError(_("所选银行都已收到本需求"))
    need.status = NeedStatus.ROUTED
    db.session.flush()
    for lead in leads:
        _tell_bank_new_lead(lead)
    return leads


def _new_lead(
    need: FinancingNeed,
    result: MatchResult,
    product: BankProduct,
    origin: LeadOrigin,
    now: dt.datetime,
) -> Lead:
    lead = Lead(
        need_id=need.id,
        institution_id=product.institution_id,
        product_id=product.id,
        match_result_id=result.id,
        status=LeadStatus.OPEN,
        origin=origin,
        pre_approved=result.instant_approved,
        deadline_at=add_business_days(now, _response_days(product)),
        created_at=now,
    )
    db.session.add(lead)
    return lead


def _response_days(product: BankProduct) -> int:
    return product.response_days or product.institution.response_days


def _tell_bank_new_lead(lead: Lead) -> None:
    title = (
        _l("新的预授信线索 #%(id)s，请在时限内确认", id=lead.id)
        if lead.pre_approved
        else _l("新的融资线索 #%(id)s，请在时限内响应", id=lead.id)
    )
    notify(
        bank_user_ids(lead.institution_id),
        "lead.new",
        title,
        link=path_for("leads.detail", lead_id=lead.id),
    )
    webhooks.emit(
        lead.institution_id,
        webhooks.EventType.LEAD_ROUTED,
        {
            "lead_id": lead.id,
            "status": str(lead.status),
            "pre_approved": bool(lead.pre_approved),
            "deadline_at": lead.deadline_at.isoformat() if lead.deadline_at else None,
        },
    )


# --- the open pool ---------------------------------------------------------------------------


def claimable_result(lead: Lead, institution_id: int) -> MatchResult | None:
    """The bank's best eligible result for a pooled lead's need, if it has one."""
    return db.session.scalar(
        select(MatchResult)
        .join(BankProduct, BankProduct.id == MatchResult.product_id)
        .where(
            MatchResult.need_id == lead.need_id,
            MatchResult.eligible.is_(True),
            BankProduct.institution_id == institution_id,
        )
        .order_by(MatchResult.rank)
        .limit(1)
    )


def claim(actor: User, lead_id: int) -> Lead:
    """Claim a pooled lead. Exactly one bank wins, however many click at the same moment."""
    lead = db.session.get(Lead, lead_id)
    if lead is None:
        raise LeadError(_("该线索已被其他银行领取"))
    _hold_live_need(lead.need)
    db.session.refresh(lead)  # as it is now that the need is held, not as first read
    if lead.status != LeadStatus.POOLED:
        raise _refuse(lead_refusal(lead) or _("该线索已被其他银行领取"))
    result = claimable_result(lead, actor.institution_id)
    if result is None:
        raise _refuse(_("本行没有符合该需求条件的产品，不能领取"))
    product = db.session.get(BankProduct, result.product_id)
    now = utcnow()
    try:
        won = db.session.execute(
            update(Lead)
            .where(Lead.id == lead_id, Lead.status == LeadStatus.POOLED)
            .values(
                status=LeadStatus.OPEN,
                institution_id=actor.institution_id,
                product_id=product.id,
                match_result_id=result.id,
                pre_approved=result.instant_approved,
                claimed_at=now,
                deadline_at=add_business_days(now, _response_days(product)),
                handled_by_id=actor.id,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
    except IntegrityError:
        # The need already reached this bank through another route.
        db.session.rollback()
        raise LeadError(_("本行已收到该需求，请在线索列表中处理")) from None
    if won != 1:
        db.session.rollback()
        raise LeadError(_("该线索已被其他银行领取"))
    db.session.refresh(lead)
    audit.record(AuditAction.LEAD_CLAIM, actor=actor, obj=lead, firm_id=lead.need.firm_id)
    notify(
        firm_user_ids(lead.need.firm_id),
        "lead.claimed",
        _l("%(bank)s 已领取您的融资需求", bank=lead.institution.short_name),
        link=path_for("needs.detail", need_id=lead.need_id),
    )
    db.session.commit()
    return lead


# --- the bank's answers ----------------------------------------------------------------------


def _transition(
    lead: Lead, expected: tuple[LeadStatus, ...], *conditions: Any, **values: object
) -> None:
    """Move a lead on only if it is still as expected (else someone got there first)."""
    changed = db.session.execute(
        update(Lead)
        .where(Lead.id == lead.id, Lead.status.in_(expected), *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise LeadError(lead_refusal(lead) or _("线索状态已变化，请刷新后再操作"))
    db.session.refresh(lead)


def lead_refusal(lead: Lead) -> str | None:
    """Why nothing more can be done on a lead that has ended, or None if it has not."""
    if lead.status == LeadStatus.CLOSED:
        if lead.closed_reason == LeadCloseReason.NEED_WITHDRAWN:
            return _("该线索已关闭：企业撤回了融资需求，不能再操作")
        if lead.closed_reason == LeadCloseReason.OFFER_EXPIRED:
            return _("该授信方案已过有效期，线索已关闭，不能再操作")
        return _("该线索已关闭：企业选择了其他银行的方案，不能再操作")
    if lead.status == LeadStatus.DECLINED:
        return _("该线索已拒绝，不能再操作")
    if lead.status == LeadStatus.EXPIRED:
        return _("该线索已超过响应时限，不能再操作")
    if lead.status == LeadStatus.DISBURSED:
        return _("该线索已放款，不能再操作")
    return None


def accept(actor: User, lead: Lead) -> None:
    """The bank takes the lead on; from now it may see the firm's profile."""
    refusal = lead_refusal(lead)
    if refusal is not None:
        raise LeadError(refusal)
    _hold_live_need(lead.need)  # a settled need shows its firm to no new bank
    now = utcnow()
    contact_name, contact_phone = default_contact(actor)
    _transition(
        lead,
        UNANSWERED,
        status=LeadStatus.ACCEPTED,
        accepted_at=now,
        first_response_at=lead.first_response_at or now,
        handled_by_id=actor.id,
        contact_name=contact_name,
        contact_phone=contact_phone,
    )
    audit.record(AuditAction.LEAD_ACCEPT, actor=actor, obj=lead, firm_id=lead.need.firm_id)
    _tell_firm(lead, "lead.accepted", _l("%(bank)s 已受理您的融资申请", bank=_bank(lead)))
    db.session.commit()


def decline(actor: User, lead: Lead, reason: DeclineReason, note: str) -> None:
    """The bank says no, with a reason code the firm and the regulator can read."""
    now = utcnow()
    looked = lead.status == LeadStatus.ACCEPTED  # a bank that saw the firm keeps what it saw
    _transition(
        lead,
        (LeadStatus.OPEN, LeadStatus.ACCEPTED),
        status=LeadStatus.DECLINED,
        decline_code=reason.value,
        decline_note=note.strip() or None,
        decided_at=now,
        first_response_at=lead.first_response_at or now,
        handled_by_id=actor.id,
    )
    audit.record(
        AuditAction.LEAD_DECLINE,
        actor=actor,
        obj=lead,
        firm_id=lead.need.firm_id,
        reason=reason.value,
    )
    if looked:
        snapshots.take(lead, "decline")
    _tell_firm(lead, "lead.declined", _l("%(bank)s 未能受理您的融资申请", bank=_bank(lead)))
    db.session.commit()


MAX_OFFER_VALID_DAYS = 90  # the longest a bank may keep an offer open


def default_valid_until(today: dt.date) -> dt.date:
    """The last day to take an offer whose bank named none (the platform's setting)."""
    return today + dt.timedelta(days=settings.offer_valid_days())


@dataclass(frozen=True)
class CreditDecision:
    amount: Decimal
    rate: Decimal
    term_months: int
    repayment_method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALMENT
    upfront_fee: Decimal = Decimal(0)  # one-off fees, yuan
    valid_until: dt.date | None = None  # last day the firm may take it; None: default_valid_until()
    # The offer holds only with a guarantee institution's guarantee (银担联动).
    with_guarantee: bool = False


def offer_validity_problem(valid_until: dt.date, today: dt.date) -> str | None:
    """What is wrong with an offer's last valid day: not after today, or too far off."""
    if valid_until <= today:
        return _(
            "方案有效期应晚于今天 %(today)s，如 %(example)s",
            today=today.isoformat(),
            example=default_valid_until(today).isoformat(),
        )
    last = today + dt.timedelta(days=MAX_OFFER_VALID_DAYS)
    if valid_until > last:
        return _(
            "方案有效期最长 %(n)s 天，应不晚于 %(last)s",
            n=MAX_OFFER_VALID_DAYS,
            last=last.isoformat(),
        )
    return None


@dataclass(frozen=True)
class OfferTerms:
    """What a credit decision on a lead may offer: the product's published ranges, and no more
    than the pre-approved (秒批) limit when the lead carries one. Amounts in 万元."""

    amount_wan: Quantity
    rate: Quantity
    months: Quantity
    capped_by_pre_approval: bool

    def amount_text(self) -> str:
        """The allowed amount, for beside the amount field."""
        values = {"low": plain(self.amount_wan.low), "high": plain(self.amount_wan.high)}
        if self.capped_by_pre_approval:
            return _("可批 %(low)s 至 %(high)s 万元（不超过秒批额度）", **values)
        return _("可批 %(low)s 至 %(high)s 万元（本产品的额度范围）", **values)

    def rate_text(self) -> str:
        """The allowed rate, for beside the rate field."""
        return _(
            "本产品公布的年利率为 %(low)s%% 至 %(high)s%%",
            low=plain(self.rate.low),
            high=plain(self.rate.high),
        )

    def months_text(self) -> str:
        """The allowed term, for beside the term field."""
        return _(
            "本产品的期限为 %(low)s 至 %(high)s 个月",
            low=plain(self.months.low),
            high=plain(self.months.high),
        )

    def problems(self, decision: CreditDecision) -> dict[str, str]:
        """Each field of the decision outside its range, with the range it must lie in."""
        wan = decision.amount / 10000
        found = {}
        if not self.amount_wan.low <= wan <= self.amount_wan.high:
            found["amount_wan"] = _("批复金额超出范围：%(range)s", range=self.amount_text())
        if not self.rate.low <= decision.rate <= self.rate.high:
            found["rate"] = _("年利率超出范围：%(range)s", range=self.rate_text())
        if not self.months.low <= decision.term_months <= self.months.high:
            found["term_months"] = _("期限超出范围：%(range)s", range=self.months_text())
        if decision.upfront_fee < 0 or decision.upfront_fee > decision.amount:
            found["upfront_fee_wan"] = _("一次性费用应在 0 至批复金额之间（万元）")
        if decision.valid_until is not None:
            validity = offer_validity_problem(decision.valid_until, today_in_china())
            if validity is not None:
                found["offer_valid_until"] = validity
        return found


class OfferOutOfTerms(LeadError):
    """A credit decision outside the product's terms; `problems` maps each field to its range."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__(_("授信方案超出本产品的公布条件，请按各栏提示修改"))


def offer_terms(lead: Lead) -> OfferTerms | None:
    """The ranges a decision on the lead must keep to, or None for a lead without a product."""
    product = lead.product
    if product is None:
        return None
    high = product.max_amount
    limit = _pre_approved_limit(lead)
    capped = limit is not None and limit < high
    if capped:
        high = limit
    low = min(product.min_amount, high)
    return OfferTerms(
        amount_wan=AMOUNT_WAN.narrow(low / 10000, high / 10000),
        rate=RATE_PERCENT.narrow(product.min_rate, product.max_rate),
        months=MONTHS.narrow(product.min_term_months, product.max_term_months),
        capped_by_pre_approval=capped,
    )


def _pre_approved_limit(lead: Lead) -> Decimal | None:
    if not lead.pre_approved or lead.match_result_id is None:
        return None
    result = db.session.get(MatchResult, lead.match_result_id)
    return result.limit_amount if result is not None else None


def record_decision(actor: User, lead: Lead, decision: CreditDecision) -> None:
    """The bank's credit decision: an offer of amount, rate and term for the firm to take."""
    refusal = lead_refusal(lead)
    if refusal is not None:
        raise LeadError(refusal)
    terms = offer_terms(lead)
    problems = terms.problems(decision) if terms is not None else {}
    if problems:
        raise OfferOutOfTerms(problems)
    if decision.amount > lead.need.amount * 2:
        raise LeadError(_("批复金额不应超过申请金额的两倍，请核对"))
    guarantee = _guarantee_for(lead, decision)
    _transition(
        lead,
        (LeadStatus.ACCEPTED,),
        status=LeadStatus.APPROVED,
        approved_amount=decision.amount,
        approved_rate=decision.rate,
        approved_term_months=decision.term_months,
        repayment_method=decision.repayment_method,
        upfront_fee=decision.upfront_fee,
        offer_valid_until=decision.valid_until or default_valid_until(today_in_china()),
        guarantee_fee_rate=guarantee.fee_rate if guarantee else _guarantee_fee_rate(lead),
        guarantee_required=guarantee is not None,
        decided_at=utcnow(),
        handled_by_id=actor.id,
    )
    snapshots.take(lead, "offer")
    grants.grant_offer(lead, today_in_china())
    if guarantee is not None:
        guarantee_requests.request_guarantee(lead, guarantee, utcnow())
    audit.record(
        AuditAction.LEAD_DECIDE,
        actor=actor,
        obj=lead,
        firm_id=lead.need.firm_id,
        amount=decision.amount,
        rate=decision.rate,
        term=decision.term_months,
        repayment=decision.repayment_method.value,
        with_guarantee=guarantee is not None,
    )
    _tell_firm(lead, "lead.offer", _l("%(bank)s 给出了授信方案，请比较后选择", bank=_bank(lead)))
    db.session.commit()


def _guarantee_for(lead: Lead, decision: CreditDecision) -> CatalogueGuarantee | None:
    """The guarantee a decision conditional on one will ask for, or None when unconditional."""
    if not decision.with_guarantee:
        return None
    if lead.need.guarantee_type != GuaranteeType.GUARANTEE_AGENCY:
        # A guarantee fee the firm never agreed to: it asked for a loan on other terms.
        raise LeadError(_("企业申请时未选择融资担保公司担保，不能以担保为条件给出方案"))
    guarantee = guarantee_requests.next_guarantee(lead, decision.amount, decision.term_months)
    if guarantee is None:
        raise LeadError(
            _(
                "没有与本产品合作、且可为该企业这笔贷款担保的担保产品；"
                "请调整金额或期限，或不以担保为条件给出方案"
            )
        )
    return guarantee


# --- the firm decides ------------------------------------------------------------------------


def offer_lapsed_reason(lead: Lead, today: dt.date) -> str | None:
    """Why the firm can no longer take an offer past its validity date, or None."""
    valid_until = lead.offer_valid_until
    if valid_until is None or today <= valid_until:
        return None
    return _(
        "该授信方案的有效期已于 %(day)s 结束，不能再接受；如仍需要，请联系银行重新出具方案",
        day=valid_until.isoformat(),
    )


def take_offer(actor: User, lead: Lead) -> None:
    """The firm takes one offer; its other open leads close and those banks are told."""
    need = lead.need
    _hold_live_need(need)
    lapsed = offer_lapsed_reason(lead, today_in_china())
    if lapsed is not None:
        raise _refuse(lapsed)
    if lead.guarantee_required and guarantee_requests.letter_of(lead.id) is None:
        raise _refuse(_("该方案以担保机构担保为条件，担保函出具后才能接受，请稍候"))
    # Only once: a second take (double click, two tabs) must not close or notify anything again.
    _transition(
        lead, (LeadStatus.APPROVED,), Lead.offer_taken_at.is_(None), offer_taken_at=utcnow()
    )
    others = db.session.scalars(
        select(Lead).where(Lead.need_id == need.id, Lead.id != lead.id, Lead.status.in_(STILL_OPEN))
    ).all()
    for other in others:
        other.status = LeadStatus.CLOSED
        other.closed_reason = LeadCloseReason.OTHER_OFFER_TAKEN
        offer_ended(other.id, LeadCloseReason.OTHER_OFFER_TAKEN)
        if other.institution_id is not None:
            notify(
                bank_user_ids(other.institution_id),
                "lead.closed",
                _l("线索 #%(id)s 已关闭：企业选择了其他银行", id=other.id),
                link=path_for("leads.detail", lead_id=other.id),
            )
    notify(
        bank_user_ids(lead.institution_id),
        "lead.offer_taken",
        _l("企业接受了本行对线索 #%(id)s 的授信方案，请办理放款", id=lead.id),
        link=path_for("leads.detail", lead_id=lead.id),
    )
    webhooks.emit(
        lead.institution_id,
        webhooks.EventType.LEAD_OFFER_TAKEN,
        {"lead_id": lead.id, "status": str(lead.status)},
    )
    audit.record(AuditAction.LEAD_OFFER_TAKEN, actor=actor, obj=lead, firm_id=need.firm_id)
    db.session.commit()


# --- disbursement ----------------------------------------------------------------------------


class DisbursementOutOfTerms(LeadError):
    """A disbursement dated or sized outside what the offer allows; `problems` maps each field
    to what to fix."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__(_("放款信息有误，请按各栏提示修改"))


def decision_day(lead: Lead) -> dt.date | None:
    """The day (Asia/Shanghai) the bank recorded its credit decision."""
    return day_in_china(lead.decided_at)


def disbursement_problems(lead: Lead, disbursed_on: dt.date, amount: Decimal) -> dict[str, str]:
    """What is wrong with a disbursement: a day outside decision day to today, or too much."""
    found = {}
    first, today = decision_day(lead), today_in_china()
    if first is not None and not first <= disbursed_on <= today:
        found["disbursed_on"] = _(
            "放款日期应在授信批复日 %(first)s 至今天 %(today)s 之间",
            first=first.isoformat(),
            today=today.isoformat(),
        )
    if amount <= 0:
        found["amount_wan"] = _("放款金额应大于 0（万元）")
    elif lead.approved_amount is not None and amount > lead.approved_amount:
        found["amount_wan"] = _(
            "放款金额不能超过批复金额 %(amount)s 万元", amount=plain(lead.approved_amount / 10000)
        )
    return found


def disburse(
    actor: User,
    lead: Lead,
    contract_no: str,
    disbursed_on: dt.date,
    amount: Decimal | None = None,
) -> Loan:
    """Record the disbursement of a taken offer (by default the whole offered amount)."""
    refusal = lead_refusal(lead)
    if refusal is not None:
        raise LeadError(refusal)
    if lead.offer_taken_at is None:
        raise LeadError(_("企业尚未接受本行的授信方案，暂不能放款"))
    amount = lead.approved_amount if amount is None else amount
    problems = disbursement_problems(lead, disbursed_on, amount)
    if problems:
        raise DisbursementOutOfTerms(problems)
    _transition(lead, (LeadStatus.APPROVED,), status=LeadStatus.DISBURSED)
    need = lead.need
    loan = Loan(
        lead_id=lead.id,
        institution_id=lead.institution_id,
        firm_id=need.firm_id,
        product_id=lead.product_id,
        contract_no=contract_no.strip(),
        amount=amount,
        rate=lead.approved_rate,
        guarantee_fee_rate=lead.guarantee_fee_rate or Decimal(0),
        term_months=lead.approved_term_months,
        repayment_method=lead.repayment_method or RepaymentMethod.EQUAL_INSTALMENT,
        disbursed_on=disbursed_on,
        maturity_on=add_months(disbursed_on, lead.approved_term_months),
    )
    db.session.add(loan)
    need.status = NeedStatus.FULFILLED
    db.session.flush()
    grants.commit_to_loan(lead, loan)
    guarantee_requests.attach_to_loan(lead, loan)
    audit.record(
        AuditAction.LOAN_DISBURSE, actor=actor, obj=loan, firm_id=need.firm_id, lead=lead.id
    )
    _tell_firm(lead, "loan.disbursed", _l("%(bank)s 已放款，祝经营顺利", bank=_bank(lead)))
    db.session.commit()
    return loan


def _guarantee_fee_rate(lead: Lead) -> Decimal:
    """The guarantee fee an offer carries: the product's (percent a year)."""
    product = lead.product
    return product.guarantee_fee_rate if product is not None else Decimal(0)


# --- deadlines -------------------------------------------------------------------------------


def expire_overdue(now: dt.datetime) -> int:
    """Expire unanswered leads past their deadline and reroute each need to its next bank.

    Safe to run twice: a lead expires only from OPEN, and a need reaches a bank only once.
    """
    overdue = db.session.scalars(
        select(Lead).where(Lead.status == LeadStatus.OPEN, Lead.deadline_at < now)
    ).all()
    expired = 0
    for lead in overdue:
        changed = db.session.execute(
            update(Lead)
            .where(Lead.id == lead.id, Lead.status == LeadStatus.OPEN)
            .values(status=LeadStatus.EXPIRED, sla_breached=True)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            expired += 1
            db.session.refresh(lead)
            audit.record(
                AuditAction.LEAD_EXPIRE,
                obj=lead,
                firm_id=lead.need.firm_id,
                institution=lead.institution_id,
            )
            _reroute(lead, now)
        db.session.commit()
    return expired


def _reroute(expired: Lead, now: dt.datetime) -> None:
    need = expired.need
    lock_need(need)
    notify(
        bank_user_ids(expired.institution_id),
        "lead.expired",
        _l("线索 #%(id)s 已超过响应时限，已关闭并计为超时", id=expired.id),
        link=path_for("leads.detail", lead_id=expired.id),
    )
    if settled_reason(need) is not None:
        return
    if _room(need) == 0:
        _tell_firm(
            expired,
            "need.no_more_banks",
            _l(
                "%(bank)s 未在时限内响应。本需求已推送给 %(n)s 家银行，达到上限；"
                "如仍需融资，可撤回本需求后重新提交",
                bank=_bank(expired),
                n=max_banks_per_need(),
            ),
        )
        return
    picks = _next_banks(need, 1)
    if not picks:
        _tell_firm(
            expired,
            "need.no_more_banks",
            _l(
                "%(bank)s 未在时限内响应，暂无其他符合条件的银行。可将需求放入抢单池",
                bank=_bank(expired),
            ),
        )
        return
    [lead] = _route(need, picks, LeadOrigin.REROUTE, now)
    _tell_firm(
        expired,
        "need.rerouted",
        _l("%(old)s 未在时限内响应，已为您转派给 %(new)s", old=_bank(expired), new=_bank(lead)),
    )


def warn_near_deadlines(now: dt.datetime, within: dt.timedelta = dt.timedelta(hours=4)) -> int:
    """Remind banks of leads whose deadline is near; each lead is reminded once."""
    leads = db.session.scalars(
        select(Lead).where(
            Lead.status == LeadStatus.OPEN, Lead.deadline_at >= now, Lead.deadline_at < now + within
        )
    ).all()
    sent = 0
    for lead in leads:
        sent += notify(
            bank_user_ids(lead.institution_id),
            "lead.deadline_near",
            _l("线索 #%(id)s 即将超过响应时限，请尽快处理", id=lead.id),
            link=path_for("leads.detail", lead_id=lead.id),
            dedupe_key=f"deadline-near-{lead.id}",
        )
        webhooks.emit(
            lead.institution_id,
            webhooks.EventType.LEAD_DEADLINE_NEAR,
            {
                "lead_id": lead.id,
                "status": str(lead.status),
                "deadline_at": lead.deadline_at.isoformat(),
            },
            dedupe_key=f"deadline-near-{lead.id}",
        )
    db.session.commit()
    return sent


# --- helpers ---------------------------------------------------------------------------------


def _bank(lead: Lead) -> str:
    institution = db.session.get(FinancialInstitution, lead.institution_id)
    return institution.short_name if institution else ""


def _tell_firm(lead: Lead, kind: str, title: str) -> None:
    notify(
        firm_user_ids(lead.need.firm_id),
        kind,
        title,
        link=path_for("needs.detail", need_id=lead.need_id),
    )

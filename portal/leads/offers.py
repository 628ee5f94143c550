"""An offer as the firm and the bank see it, and the job that closes offers past their date.

The offer's figures come from what was stored at the credit decision: its terms on the lead
and the policies granted on it (`portal.subsidies.grants`), priced by the one subsidy rule and
scheduled by `portal.leads.schedule`. Nothing here reads the match's explanation: the offer's
own rate, not the product's, is what the subsidy applies to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.catalog.models import PolicyProduct, RuleVersion
from portal.enums import (
    REPAYMENT_METHOD_LABELS,
    BenefitKind,
    GrantStatus,
    LeadCloseReason,
    LeadStatus,
    RepaymentMethod,
)
from portal.extensions import db
from portal.guarantees import requests as guarantee_requests
from portal.guarantees.models import Guarantee, GuaranteeRequest
from portal.leads.ending import offer_ended
from portal.leads.models import Lead
from portal.leads.schedule import OfferCosts, offer_costs
from portal.money import money, percent
from portal.notifications.service import bank_user_ids, firm_user_ids, notify, path_for
from portal.numbers import plain
from portal.subsidies import grants
from portal.subsidies.models import SubsidyGrant

# An offer made before repayment methods were recorded is scheduled as the commonest one.
ASSUMED_METHOD = RepaymentMethod.EQUAL_INSTALMENT


@dataclass(frozen=True)
class AppliedPolicy:
    """One policy granted on the offer, as stored at the credit decision."""

    title: str
    benefit_kind: BenefitKind
    value: Decimal  # rate points, or a share between 0 and 1, or yuan
    rule_version: int | None
    status: GrantStatus
    expected_amount: Decimal  # yuan over the loan, what the grant reserved

    @property
    def text(self) -> str:
        return benefit_words(self.benefit_kind, self.value)


@dataclass(frozen=True)
class OfferView:
    """An offer's terms, its granted policies and what it costs before and after them."""

    lead: Lead
    policies: tuple[AppliedPolicy, ...]
    costs: OfferCosts
    max_rate: Decimal | None  # the highest rate the firm said it would accept
    today: dt.date
    # An offer conditional on a guarantee: the letter once issued, else the guarantor asked.
    letter: Guarantee | None = None
    asked: GuaranteeRequest | None = None

    @property
    def awaiting_guarantee(self) -> bool:
        """Conditional on a guarantee that is not issued yet: the firm cannot take it now."""
        return self.lead.guarantee_required and self.letter is None

    @property
    def method(self) -> RepaymentMethod:
        return self.lead.repayment_method or ASSUMED_METHOD

    @property
    def method_text(self) -> str:
        if self.lead.repayment_method is None:
            return _("未注明（按等额本息测算）")
        return str(REPAYMENT_METHOD_LABELS[self.lead.repayment_method])

    @property
    def above_max_rate(self) -> bool:
        """Whether the bank's rate is above what the firm said it would accept."""
        return self.max_rate is not None and self.costs.price.rate > self.max_rate

    @property
    def valid_until(self) -> dt.date | None:
        return self.lead.offer_valid_until

    @property
    def expired(self) -> bool:
        """Past its last valid day and not taken: the firm can no longer take it."""
        valid_until = self.lead.offer_valid_until
        return (
            valid_until is not None
            and self.today > valid_until
            and self.lead.offer_taken_at is None
        )

    @property
    def upfront_fee(self) -> Decimal:
        return self.lead.upfront_fee or Decimal(0)

    @property
    def live_policies(self) -> tuple[AppliedPolicy, ...]:
        return tuple(p for p in self.policies if p.status != GrantStatus.RELEASED)


def benefit_words(kind: BenefitKind, value: Decimal) -> str:
    """A granted benefit in words: 贴息 3.15 个百分点, 补贴 50.00% 的担保费 …"""
    if kind == BenefitKind.RATE_POINTS:
        return _("贴息 %(points)s 个百分点", points=plain(value))
    if kind == BenefitKind.FEE_SHARE:
        return _("补贴 %(share)s 的担保费", share=percent(value * 100))
    if kind == BenefitKind.LOSS_SHARE:
        return _("风险补偿分担 %(share)s 的损失", share=percent(value * 100))
    return _("一次性奖励 %(amount)s", amount=money(value))


def yuan(amount: Decimal) -> str:
    """Yuan to the fen with thousands separators, for repayment schedules: 88,848.79."""
    return format_decimal(amount, format="#,##0.00")


def offer_views(leads: Sequence[Lead], today: dt.date) -> list[OfferView]:
    """The offers of these leads, their grants read in one query (policies and versions in
    one more each)."""
    by_lead = grants.grants_by_lead(lead.id for lead in leads)
    stored = [grant for found in by_lead.values() for grant in found]
    versions = _rule_versions(stored)
    guaranteed = [lead.id for lead in leads if lead.guarantee_required]
    letters, asked = guarantee_requests.guarantees_of(guaranteed)
    return [
        replace(
            _view(lead, by_lead.get(lead.id, []), versions, today),
            letter=letters.get(lead.id),
            asked=asked.get(lead.id),
        )
        for lead in leads
    ]


def offer_view(lead: Lead, today: dt.date) -> OfferView | None:
    """The lead's offer, or None before the bank's credit decision."""
    if lead.approved_amount is None:
        return None
    return offer_views([lead], today)[0]


def _rule_versions(stored: Sequence[SubsidyGrant]) -> dict[int, int]:
    """Each grant's rule version number by its id; the policies loaded for their titles."""
    policy_ids = {grant.policy_id for grant in stored}
    if policy_ids:  # loads them into the session, so each grant's .policy is found there
        db.session.scalars(select(PolicyProduct).where(PolicyProduct.id.in_(policy_ids))).all()
    version_ids = {grant.rule_version_id for grant in stored if grant.rule_version_id}
    if not version_ids:
        return {}
    rows = db.session.execute(
        select(RuleVersion.id, RuleVersion.version).where(RuleVersion.id.in_(version_ids))
    )
    return {version_id: number for version_id, number in rows}


def _view(
    lead: Lead, stored: Iterable[SubsidyGrant], versions: dict[int, int], today: dt.date
) -> OfferView:
    stored = list(stored)
    policies = tuple(
        AppliedPolicy(
            title=grant.policy.title,
            benefit_kind=grant.benefit_kind,
            value=grant.value,
            rule_version=versions.get(grant.rule_version_id),
            status=grant.status,
            expected_amount=grant.expected_amount,
        )
        for grant in stored
    )
    method = lead.repayment_method or ASSUMED_METHOD
    costs = offer_costs(grants.offer_price(lead), method, grants.as_benefits(stored))
    return OfferView(lead, policies, costs, lead.need.max_rate, today)


# --- offers past their date ------------------------------------------------------------------


def close_lapsed_offers(today: dt.date) -> int:
    """Close offers not taken by their last valid day and give back what their grants reserved.

    Safe to run twice: an offer closes only while approved, untaken and past its date, in a
    conditional update, so a run (or a firm taking it at the same moment) that got there first
    wins and the other changes nothing. No response deadline was missed: no breach is counted.
    """
    pending = (
        Lead.status == LeadStatus.APPROVED,
        Lead.offer_taken_at.is_(None),
        Lead.offer_valid_until < today,
    )
    lapsed = db.session.scalars(select(Lead).where(*pending).order_by(Lead.id)).all()
    closed = 0
    for lead in lapsed:
        changed = db.session.execute(
            update(Lead)
            .where(Lead.id == lead.id, *pending)
            .values(status=LeadStatus.CLOSED, closed_reason=LeadCloseReason.OFFER_EXPIRED)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            db.session.refresh(lead)
            offer_ended(lead.id, LeadCloseReason.OFFER_EXPIRED)
            audit.record(
                AuditAction.LEAD_OFFER_EXPIRE,
                obj=lead,
                firm_id=lead.need.firm_id,
                institution=lead.institution_id,
                valid_until=lead.offer_valid_until.isoformat(),
            )
            _tell_of_lapse(lead)
            closed += 1
        db.session.commit()
    return closed


def _tell_of_lapse(lead: Lead) -> None:
    day = lead.offer_valid_until.isoformat()
    notify(
        bank_user_ids(lead.institution_id),
        "lead.offer_expired",
        _l(
            "线索 #%(id)s 的授信方案已过有效期（%(day)s），企业未接受，线索已关闭",
            id=lead.id,
            day=day,
        ),
        link=path_for("leads.detail", lead_id=lead.id),
    )
    bank = lead.institution.short_name if lead.institution else ""
    notify(
        firm_user_ids(lead.need.firm_id),
        "lead.offer_expired",
        _l("%(bank)s 的授信方案已过有效期（%(day)s），已关闭", bank=bank, day=day),
        link=path_for("needs.detail", need_id=lead.need_id),
    )

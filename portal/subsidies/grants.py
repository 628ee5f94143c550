"""Grants: the policies a credit decision applies, stored, reserved, committed and released.

At the bank's credit decision the offer's own terms (amount, rate, term, guarantee fee) are run
through the one subsidy rule (`portal.subsidies.evaluate`) with the firm's facts, against the
policies in force that day. Each applied benefit becomes a grant row holding the policy, the rule
version, the value, the expected cost and the cap it used, and reserves its expected cost from
the policy's budget. A policy whose budget cannot hold it is left out and the rule chosen again
without it, so the next best policy of that kind may apply.

The grant follows the offer: taken and disbursed, it is committed at the disbursed amount; if
the offer lapses (another offer taken, the need withdrawn, the offer expired) it is released.
A policy closed after an offer was made still honours that offer: the firm was promised it
while the policy was in force.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from portal.catalog import queries
from portal.catalog.compiled import compiled
from portal.catalog.models import BankProduct, PolicyProduct
from portal.dates import day_in_china
from portal.db import utcnow
from portal.enums import BenefitKind, GrantStatus
from portal.extensions import db
from portal.lpr import latest_lpr
from portal.matching.facts import firm_facts, need_facts
from portal.subsidies import budget
from portal.subsidies.evaluate import PolicyRule, benefits_for
from portal.subsidies.models import SubsidyGrant
from portal.subsidies.rule import (
    Benefit,
    LoanPrice,
    PolicyTerms,
    applied_value,
    expected_amount,
    yearly_amount,
)

if TYPE_CHECKING:
    from portal.firms.models import Firm
    from portal.leads.models import Lead, Loan
    from portal.needs.models import FinancingNeed

LIVE = (GrantStatus.RESERVED, GrantStatus.COMMITTED)
# Benefits a decision grants and reserves budget for; a loss share is recorded (the loan is
# covered by the pool) and drawn only by an approved compensation claim.
GRANTED_KINDS = (
    BenefitKind.RATE_POINTS,
    BenefitKind.FEE_SHARE,
    BenefitKind.LUMP_SUM,
    BenefitKind.LOSS_SHARE,
)
ZERO = Decimal(0)


def policy_terms(policy: PolicyProduct, rule_version_id: int | None = None) -> PolicyTerms:
    """The rule's view of a policy row."""
    return PolicyTerms(
        id=policy.id,
        title=policy.title,
        benefit_kind=policy.benefit_kind,
        valid_from=policy.valid_from,
        valid_to=policy.valid_to,
        closed_on=day_in_china(policy.closed_at),
        cap=policy.benefit_cap,
        budget_left=policy.budget_remaining,
        rule_version_id=rule_version_id,
    )


def policy_rules(policies: Sequence[PolicyProduct]) -> list[PolicyRule]:
    """Policies with their newest rules compiled (one query)."""
    versions = queries.current_policy_rules(policy.id for policy in policies)
    return [
        PolicyRule(policy_terms(policy, versions[policy.id].id), compiled(versions[policy.id]))
        for policy in policies
        if policy.id in versions
    ]


def stacking_rules(product: BankProduct, day: dt.date) -> list[PolicyRule]:
    """The live policies that stack on a product on `day`, with their rules."""
    policies = [p for p in queries.live_policies(day) if queries.policy_stacks_on(p, product)]
    return policy_rules(policies)


def drawn_by_firm(firm_id: int, *, except_lead_id: int | None = None) -> dict[int, Decimal]:
    """Per policy, what the firm's live grants count against its yearly cap (yuan a year)."""
    statement = (
        select(SubsidyGrant.policy_id, func.coalesce(func.sum(SubsidyGrant.cap_used), 0))
        .where(SubsidyGrant.firm_id == firm_id, SubsidyGrant.status.in_(LIVE))
        .group_by(SubsidyGrant.policy_id)
    )
    if except_lead_id is not None:
        statement = statement.where(SubsidyGrant.lead_id != except_lead_id)
    return {policy_id: Decimal(total) for policy_id, total in db.session.execute(statement)}


def offer_facts(firm: Firm, need: FinancingNeed, price: LoanPrice, day: dt.date) -> dict[str, Any]:
    """The firm's facts and the need's, on the offer's terms, with the LPR in force."""
    lpr = latest_lpr(day)
    return {
        **firm_facts(firm, day),
        **need_facts(
            amount=price.amount,
            term_months=price.term_months,
            guarantee_type=str(need.guarantee_type),
            purpose=need.purpose,
        ),
        "lpr_one_year": lpr.one_year if lpr is not None else Decimal(0),
    }


def offer_price(lead: Lead) -> LoanPrice:
    """The loan the offer describes."""
    return LoanPrice(
        amount=lead.approved_amount,
        rate=lead.approved_rate,
        term_months=lead.approved_term_months,
        guarantee_fee_rate=lead.guarantee_fee_rate or ZERO,
    )


def benefits_on_offer(
    lead: Lead, day: dt.date, *, without: Iterable[int] = ()
) -> tuple[Benefit, ...]:
    """What the subsidy rule gives the offer on `day` (nothing stored or reserved)."""
    if lead.product is None:
        return ()
    need = lead.need
    price = offer_price(lead)
    skip = set(without)
    rules = [r for r in stacking_rules(lead.product, day) if r.terms.id not in skip]
    drawn = drawn_by_firm(need.firm_id, except_lead_id=lead.id)
    facts = offer_facts(need.firm, need, price, day)
    return benefits_for(rules, facts, price, day, drawn)


def grant_offer(lead: Lead, day: dt.date) -> list[SubsidyGrant]:
    """Store and reserve the offer's applied benefits; the caller commits."""
    price = offer_price(lead)
    refused: set[int] = set()
    while True:
        applied = [
            b
            for b in benefits_on_offer(lead, day, without=refused)
            if b.applied and b.benefit_kind in GRANTED_KINDS
        ]
        short = _reserve_all(applied, price)
        if short is None:
            break
        refused.add(short)
    grants = [_grant_row(lead, benefit, price) for benefit in applied]
    db.session.add_all(grants)
    return grants


def _reserve_all(applied: Sequence[Benefit], price: LoanPrice) -> int | None:
    """Reserve each benefit's expected cost; on the first that does not fit, undo the others
    and return that policy's id."""
    done: list[tuple[int, Decimal]] = []
    for benefit in applied:
        amount = _reservable(benefit, price)
        if not budget.reserve(benefit.policy_id, amount):
            for policy_id, held in done:
                budget.release(policy_id, held)
            return benefit.policy_id
        done.append((benefit.policy_id, amount))
    return None


def _reservable(benefit: Benefit, price: LoanPrice) -> Decimal:
    if benefit.benefit_kind == BenefitKind.LOSS_SHARE:
        return ZERO
    return expected_amount(benefit, price)


def _grant_row(lead: Lead, benefit: Benefit, price: LoanPrice) -> SubsidyGrant:
    return SubsidyGrant(
        policy_id=benefit.policy_id,
        rule_version_id=benefit.rule_version_id,
        lead_id=lead.id,
        firm_id=lead.need.firm_id,
        institution_id=lead.institution_id,
        benefit_kind=benefit.benefit_kind,
        value=benefit.value,
        expected_amount=_reservable(benefit, price),
        cap_used=yearly_amount(benefit, price)
        if benefit.benefit_kind != BenefitKind.LOSS_SHARE
        else ZERO,
        status=GrantStatus.RESERVED,
    )


def grants_of(lead_id: int) -> list[SubsidyGrant]:
    """The grants made on one offer (any status), by policy."""
    return list(
        db.session.scalars(
            select(SubsidyGrant)
            .where(SubsidyGrant.lead_id == lead_id)
            .order_by(SubsidyGrant.policy_id)
        )
    )


def grants_by_lead(lead_ids: Iterable[int]) -> dict[int, list[SubsidyGrant]]:
    """Grants of several offers in one query."""
    ids = sorted(set(lead_ids))
    found: dict[int, list[SubsidyGrant]] = {lead_id: [] for lead_id in ids}
    if not ids:
        return found
    rows = db.session.scalars(
        select(SubsidyGrant).where(SubsidyGrant.lead_id.in_(ids)).order_by(SubsidyGrant.policy_id)
    )
    for grant in rows:
        found[grant.lead_id].append(grant)
    return found


def as_benefits(grants: Iterable[SubsidyGrant]) -> tuple[Benefit, ...]:
    """Stored grants in the rule's terms, for pricing an offer or a loan from them."""
    return tuple(
        Benefit(
            g.policy_id,
            g.policy.title,
            g.benefit_kind,
            g.value,
            applied=True,
            rule_version_id=g.rule_version_id,
        )
        for g in grants
        if g.status != GrantStatus.RELEASED
    )


def release_offer(lead_id: int, reason: str) -> None:
    """Give back what a lapsed offer reserved; its grants stay on record as released."""
    for grant in grants_of(lead_id):
        if grant.status != GrantStatus.RESERVED:
            continue
        budget.release(grant.policy_id, grant.expected_amount)
        grant.status = GrantStatus.RELEASED
        grant.released_at = utcnow()
        grant.release_reason = reason


def commit_to_loan(lead: Lead, loan: Loan) -> None:
    """The offer is paid out: its grants move to the loan at the disbursed amount, and the
    loan carries the interest and fee subsidy they give."""
    price = LoanPrice(
        amount=loan.amount,
        rate=loan.rate,
        term_months=loan.term_months,
        guarantee_fee_rate=loan.guarantee_fee_rate,
    )
    grants = [g for g in grants_of(lead.id) if g.status == GrantStatus.RESERVED]
    for grant in grants:
        held = grant.expected_amount
        benefit = as_benefits([grant])[0]
        grant.expected_amount = min(_reservable(benefit, price), held)
        grant.cap_used = min(grant.cap_used or ZERO, yearly_amount(benefit, price))
        budget.commit(grant.policy_id, held, grant.expected_amount)
        grant.status = GrantStatus.COMMITTED
        grant.loan_id = loan.id
    benefits = as_benefits(grants)
    loan.subsidy_rate = min(applied_value(benefits, BenefitKind.RATE_POINTS), loan.rate)
    share = applied_value(benefits, BenefitKind.FEE_SHARE)
    loan.fee_subsidy_rate = (loan.guarantee_fee_rate * share).quantize(Decimal("0.0001"))

"""The matcher run for a need: match it, store the results, grant 秒批 held back for facts."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.catalog.compiled import compiled
from portal.catalog.models import RuleVersion
from portal.catalog.rule_health import report_policy, report_product
from portal.datasources import instant
from portal.dates import today_in_china
from portal.db import utcnow
from portal.enums import NeedStatus
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads.models import Lead
from portal.matching.catalogue import load_catalogue
from portal.matching.engine import Catalogue, MatchOutcome, ProductMatch, match
from portal.matching.facts import firm_facts, need_facts
from portal.matching.models import MatchResult
from portal.needs.models import FinancingNeed
from portal.notifications.service import firm_user_ids, notify, path_for
from portal.rules import FACTS, FactType
from portal.subsidies import grants


def run_matcher(need: FinancingNeed) -> MatchOutcome:
    """Match a need against the catalogue as it is today."""
    today = today_in_china()
    facts = need_facts(
        amount=need.amount,
        term_months=need.term_months,
        guarantee_type=str(need.guarantee_type),
        purpose=need.purpose,
    )
    catalogue = load_catalogue(today)
    drawn = grants.drawn_by_firm(need.firm_id)
    outcome = match(catalogue, firm_facts(need.firm, today), facts, drawn)
    report_unevaluable(catalogue, outcome)
    return outcome


def report_unevaluable(catalogue: Catalogue, outcome: MatchOutcome) -> None:
    """Tell each owner whose rule could not be evaluated in this match (once per version)."""
    for policy in catalogue.policies:
        rules = policy.rules
        if rules.problem is not None and policy.agency_id is not None:
            report_policy(
                policy.agency_id, policy.id, policy.title, rules.version_id, rules.version
            )
    for found in (*outcome.eligible, *outcome.ineligible):
        reasons = (*found.reasons, *found.instant_reasons)
        if any(reason.failure.unevaluable for reason in reasons):
            product, rules = found.product, found.product.rules
            report_product(
                product.institution_id, product.id, product.name, rules.version_id, rules.version
            )


def store_results(need: FinancingNeed, outcome: MatchOutcome) -> None:
    """Store each eligible product's result with the rule version that decided it, and the
    others' reasons on the need.

    The eligible results (a few dozen) go in as one Core executemany of plain rows: no ORM
    object each. The products the firm does not qualify for (hundreds) are one JSON value on
    the need: a row each, pipelined one statement per row, cost more than the matching.
    """
    gate = _InstantGate(need.firm, today_in_china())
    rows = [_result_row(need, m, rank, gate) for rank, m in enumerate(outcome.eligible, start=1)]
    if rows:
        db.session.execute(insert(MatchResult.__table__), rows)
    need.unmatched = [_unmatched(found) for found in outcome.ineligible]


def _unmatched(found: ProductMatch) -> dict[str, Any]:
    """What the need page shows of a product the firm does not qualify for, as rendered now."""
    return {
        "product_id": found.product.id,
        "rule_version_id": found.product.rules.version_id,
        "reasons": _distinct_reasons(found.reasons),
        "hint": found.hint,
    }


class _InstantGate:
    """秒批 only on verified, fresh facts: one check per distinct set of facts read."""

    def __init__(self, firm: Firm, today: dt.date) -> None:
        self.firm, self.today = firm, today
        self.checks: dict[tuple[str, ...], instant.InstantCheck] = {}

    def __call__(self, found: ProductMatch) -> instant.InstantCheck | None:
        if not found.instant_approved:
            return None
        rules = found.product.rules
        names = tuple(instant.firm_facts_read(rules.instant_approval, rules.formula))
        result = self.checks.get(names)
        if result is None:
            result = self.checks[names] = instant.check(self.firm, names, self.today)
        return result


def _result_row(
    need: FinancingNeed, found: ProductMatch, rank: int | None, gate: _InstantGate
) -> dict[str, Any]:
    checked = gate(found)
    approved = checked is not None and checked.allowed
    return {
        "need_id": need.id,
        "product_id": found.product.id,
        "rule_version_id": found.product.rules.version_id,
        "eligible": found.eligible,
        "instant_approved": approved,
        "pre_approval_ref": _reference() if approved else None,
        "limit_amount": found.limit if found.eligible else None,
        "rate": found.rate,
        "adjusted_rate": found.adjusted_rate if found.eligible else None,
        "annual_cost": found.annual_cost if found.eligible else None,
        "rank": rank,
        "guarantee_product_id": found.guarantee.id if found.guarantee is not None else None,
        "explanation": _explanation(found, checked),
    }


def _reference() -> str:
    # Readable on the phone to a bank: date plus eight random characters.
    return f"PA{today_in_china():%Y%m%d}{secrets.token_hex(4).upper()}"


def _explanation(found: ProductMatch, checked: instant.InstantCheck | None) -> dict[str, Any]:
    """What the firm is shown, as rendered at match time (the rules may change later).

    A pre-approval keeps the facts it rested on with their provenance (`instant_facts`); one
    held back for want of verified facts names them (`instant_unverified`).
    """
    extra: dict[str, Any] = {}
    if found.guarantee is not None:
        # The paired guarantee as the firm saw it; its product may change later.
        extra["guarantee"] = {
            "product_id": found.guarantee.id,
            "name": found.guarantee.name,
            "institution": found.guarantee.institution_name,
            "fee_rate": str(found.guarantee.fee_rate),
            "coverage_share": str(found.guarantee.coverage_share),
        }
    if checked is not None:
        extra["instant_facts"] = list(checked.deciding)
        if not checked.allowed:
            extra["instant_unverified"] = list(checked.unverified)
    return extra | {
        "reasons": _distinct_reasons(found.reasons),
        "hint": found.hint,
        "instant_reasons": _distinct_reasons(found.instant_reasons),
        "instant_hint": found.instant_hint,
        "guarantee_fee_rate": str(found.guarantee_fee_rate),
        "adjusted_fee_rate": str(found.adjusted_fee_rate),
        "policies": [
            {
                "id": p.policy_id,
                "title": p.title,
                "benefit_kind": str(p.benefit_kind),
                "value": str(p.value),
                "applied": p.applied,
                "capped": p.capped,
                "rule_version_id": p.rule_version_id,
            }
            for p in found.policies
        ],
    }


def _reason(reason: Any) -> dict[str, str | None]:
    return {"explanation": str(reason.explanation), "hint": reason.hint}


# Facts that take one value of a list (担保方式, 地区): one refusal says all there is. A list fact
# (资质认定) stays: each clause on it asks for a different value.
CHOICE_TYPES = frozenset({FactType.ENUM})


def _distinct_reasons(reasons: Sequence[Any]) -> list[dict[str, str | None]]:
    """One reason per choice fact (担保方式, 地区, 企业规模…): a product's own terms and its rule
    may both refuse the same guarantee type, and the firm needs to read that once. The first
    (the product's terms, which name what it accepts) is kept; reasons on numbers all stay,
    since each names its own limit."""
    shown, said = [], set()
    for reason in reasons:
        fact = FACTS.get(reason.fact or "")
        if fact is not None and fact.type in CHOICE_TYPES:
            if fact.name in said:
                continue
            said.add(fact.name)
        shown.append(_reason(reason))
    return shown


# --- 秒批 deferred for want of verified facts ------------------------------------------------

DEFERRED_WINDOW = dt.timedelta(days=30)


def retry_deferred_instant(today: dt.date) -> int:
    """Grant the 秒批 held back for unverified facts once those facts are verified and fresh.

    Looks at eligible, not pre-approved results of live needs of the last 30 days whose
    explanation names unverified facts; the firm's re-verification (or registration) may since
    have verified them. Safe to run twice: a granted result is no longer deferred.
    """
    since = utcnow() - DEFERRED_WINDOW
    rows = db.session.execute(
        select(MatchResult, FinancingNeed)
        .join(FinancingNeed, FinancingNeed.id == MatchResult.need_id)
        .where(
            FinancingNeed.status.in_((NeedStatus.OPEN, NeedStatus.ROUTED)),
            FinancingNeed.created_at >= since,
            MatchResult.eligible,
            MatchResult.instant_approved.is_(False),
        )
    ).all()
    granted = 0
    for result, need in rows:
        if result.explanation.get("instant_unverified") and _grant_deferred(result, need, today):
            granted += 1
    db.session.commit()
    return granted


def _grant_deferred(result: MatchResult, need: FinancingNeed, today: dt.date) -> bool:
    rules = compiled(db.session.get(RuleVersion, result.rule_version_id))
    names = instant.firm_facts_read(rules.instant_approval, rules.formula)
    checked = instant.check(need.firm, names, today)
    if not checked.allowed:
        return False
    result.instant_approved = True
    result.pre_approval_ref = _reference()
    explanation = {k: v for k, v in result.explanation.items() if k != "instant_unverified"}
    result.explanation = explanation | {"instant_facts": list(checked.deciding)}
    for lead in db.session.scalars(select(Lead).where(Lead.match_result_id == result.id)):
        lead.pre_approved = True
    audit.record(
        AuditAction.NEED_INSTANT_GRANTED,
        obj=need,
        firm_id=need.firm_id,
        product=result.product_id,
        reference=result.pre_approval_ref,
    )
    notify(
        firm_user_ids(need.firm_id),
        "need.instant_granted",
        _l("企业数据已核验，融资需求 #%(id)s 获得秒批预授信", id=need.id),
        link=path_for("needs.detail", need_id=need.id),
        dedupe_key=f"instant-granted-{result.id}",
    )
    return True

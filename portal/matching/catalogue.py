"""The matcher's catalogue, read from the database and kept per process until it changes.

What the public catalogue shows is what the matcher sees (the same queries): published products
of approved banks, published guarantee products of approved guarantors with the bank products
they cooperate with, and published policies in force today, each with its newest rule version,
the 1-year LPR in force, and each bank's response record (median hours from a lead's creation to
the bank's first response, over leads created in the last 180 days).

Building a catalogue of thousands of products takes a while (the matcher precomputes its check
table), so the built catalogue is kept per process and rebuilt only when a one-row fingerprint
query says that something it depends on has changed: products, guarantee products and their
agreements, policies, rule versions, the LPR in force, or which institutions are approved.
The date is part of the key, so policies start and end on time and the response record is at
most a day old.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
import threading
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select

from portal.catalog import queries
from portal.catalog.compiled import CompiledRules, compiled
from portal.catalog.models import BankProduct, PolicyProduct, RuleVersion
from portal.dates import SHANGHAI
from portal.enums import OnboardingStatus, ProductStatus
from portal.extensions import db
from portal.guarantees import queries as guarantee_queries
from portal.guarantees.models import GuaranteeAgreement, GuaranteeProduct
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Lead
from portal.lpr import latest_lpr, one_year_on
from portal.matching.engine import (
    Catalogue,
    CatalogueGuarantee,
    CataloguePolicy,
    CatalogueProduct,
)

log = logging.getLogger(__name__)

RESPONSE_WINDOW_DAYS = 180
DEFAULT_RESPONSE_HOURS = Decimal(48)  # a bank with no answered lead in the window
_HOURS = Decimal("0.01")
_SECONDS_PER_HOUR = Decimal(3600)

_lock = threading.Lock()
_cached: tuple[tuple[Any, ...], Catalogue] | None = None


def load_catalogue(today: dt.date) -> Catalogue:
    """The catalogue as of `today` (Asia/Shanghai date), rebuilt only when the data changed."""
    global _cached
    key = (id(db.engine), today, *catalogue_fingerprint(today))
    with _lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1]
    catalogue = build_catalogue(today)
    with _lock:
        _cached = (key, catalogue)
    return catalogue


def invalidate_catalogue_cache() -> None:
    """Forget the built catalogue; the next load builds it afresh."""
    global _cached
    with _lock:
        _cached = None


def catalogue_fingerprint(today: dt.date) -> tuple[Any, ...]:
    """One small query whose answer changes whenever the matcher's catalogue would."""
    approved = FinancialInstitution.onboarding_status == OnboardingStatus.APPROVED
    live = BankProduct.status == ProductStatus.PUBLISHED
    lpr_in_force = one_year_on(today)
    statement = select(
        select(func.count(BankProduct.id)).scalar_subquery(),
        select(func.max(BankProduct.updated_at)).scalar_subquery(),
        # An approval (or a return) changes the status; counted too, not left to timestamps.
        select(func.count(BankProduct.id)).where(live).scalar_subquery(),
        select(func.count(PolicyProduct.id)).scalar_subquery(),
        select(func.max(PolicyProduct.updated_at)).scalar_subquery(),
        select(func.count(GuaranteeProduct.id)).scalar_subquery(),
        select(func.max(GuaranteeProduct.updated_at)).scalar_subquery(),
        select(func.count(GuaranteeAgreement.id)).scalar_subquery(),
        select(func.max(GuaranteeAgreement.id)).scalar_subquery(),
        select(func.max(RuleVersion.id)).scalar_subquery(),
        lpr_in_force.scalar_subquery(),
        select(func.count(FinancialInstitution.id)).where(approved).scalar_subquery(),
        select(func.sum(FinancialInstitution.id)).where(approved).scalar_subquery(),
        select(func.max(FinancialInstitution.status_changed_at)).scalar_subquery(),
    )
    return tuple(db.session.execute(statement).one())


def build_catalogue(today: dt.date) -> Catalogue:
    """Read products, policies, their rules, the LPR and the banks' response records."""
    products = list(db.session.scalars(queries.visible_products().order_by(BankProduct.id)))
    product_rules = _compiled(queries.current_product_rules(p.id for p in products))
    policies = [p for p in queries.live_policies(today) if not _budget_spent(p)]
    policy_rules = _compiled(queries.current_policy_rules(p.id for p in policies))
    policies = [p for p in policies if p.id in policy_rules]
    hours = response_hours(p.institution_id for p in products)
    lpr = latest_lpr(today)
    matched = [p for p in products if p.id in product_rules]
    return Catalogue(
        products=tuple(_product(p, product_rules[p.id], hours[p.institution_id]) for p in matched),
        policies=tuple(_policy(p, policy_rules[p.id]) for p in policies),
        lpr_one_year=lpr.one_year if lpr is not None else None,
        stacking={
            product.id: [
                policy.id for policy in policies if queries.policy_stacks_on(policy, product)
            ]
            for product in matched
        },
        guarantees=guarantee_pairings(),
    )


def guarantee_pairings() -> dict[int, tuple[CatalogueGuarantee, ...]]:
    """Per bank product, the published guarantee products that cooperate with it, cheapest
    first (fee, then the larger share of a loss borne, then id)."""
    products = list(db.session.scalars(guarantee_queries.visible_guarantee_products()))
    rules = _compiled(guarantee_queries.current_guarantee_rules(p.id for p in products))
    prepared = {p.id: _guarantee(p, rules[p.id]) for p in products if p.id in rules}
    agreements = guarantee_queries.cooperating(prepared)
    return {
        bank_product_id: tuple(
            sorted(
                (prepared[a.guarantee_product_id] for a in found),
                key=lambda g: (g.fee_rate, -g.coverage_share, g.id),
            )
        )
        for bank_product_id, found in agreements.items()
    }


def response_hours(
    institution_ids: Iterable[int], now: dt.datetime | None = None
) -> dict[int, Decimal]:
    """Each bank's median hours to a first response over leads created in the window (one query).

    Banks without an answered lead in the window get DEFAULT_RESPONSE_HOURS.
    """
    ids = set(institution_ids)
    if now is None:
        now = dt.datetime.now(dt.UTC)
    today = now.astimezone(SHANGHAI).date()
    start_day = today - dt.timedelta(days=RESPONSE_WINDOW_DAYS)
    since = dt.datetime.combine(start_day, dt.time(), tzinfo=SHANGHAI).astimezone(dt.UTC)
    rows = db.session.execute(
        select(Lead.institution_id, Lead.created_at, Lead.first_response_at).where(
            Lead.institution_id.in_(ids),
            Lead.created_at >= since,
            Lead.first_response_at.is_not(None),
        )
    )
    waits: dict[int, list[Decimal]] = defaultdict(list)
    for institution_id, created_at, first_response_at in rows:
        seconds = (first_response_at - created_at).total_seconds()
        waits[institution_id].append(Decimal(max(int(seconds), 0)) / _SECONDS_PER_HOUR)
    return {
        institution_id: (
            Decimal(statistics.median(waits[institution_id])).quantize(_HOURS, ROUND_HALF_UP)
            if waits.get(institution_id)
            else DEFAULT_RESPONSE_HOURS
        )
        for institution_id in ids
    }


def _compiled(versions: dict[int, RuleVersion]) -> dict[int, CompiledRules]:
    """Compiled rules per owner id. A version that no longer validates is kept, compiled into
    rules that cannot be evaluated (see portal.catalog.compiled); it is logged."""
    rules = {}
    for owner_id, version in versions.items():
        rules[owner_id] = compiled(version)
        if rules[owner_id].problem is not None:
            log.warning("rules of version %s cannot be evaluated (owner %s)", version.id, owner_id)
    return rules


def _budget_spent(policy: PolicyProduct) -> bool:
    return policy.budget_remaining is not None and policy.budget_remaining <= 0


def _product(product: BankProduct, rules: CompiledRules, hours: Decimal) -> CatalogueProduct:
    institution = product.institution
    return CatalogueProduct(
        id=product.id,
        institution_id=product.institution_id,
        institution_name=institution.short_name or institution.name,
        name=product.name,
        kind=str(product.kind),
        min_amount=product.min_amount,
        max_amount=product.max_amount,
        min_term_months=product.min_term_months,
        max_term_months=product.max_term_months,
        min_rate=product.min_rate,
        max_rate=product.max_rate,
        guarantee_fee_rate=product.guarantee_fee_rate or Decimal(0),
        guarantee_types=frozenset(product.guarantee_types or ()),
        region_codes=frozenset(product.region_codes or ()),
        rules=rules,
        response_hours=hours,
    )


def _guarantee(product: GuaranteeProduct, rules: CompiledRules) -> CatalogueGuarantee:
    institution = product.institution
    return CatalogueGuarantee(
        id=product.id,
        institution_id=product.institution_id,
        institution_name=institution.short_name or institution.name,
        name=product.name,
        fee_rate=product.fee_rate,
        coverage_share=product.coverage_share,
        min_amount=product.min_amount,
        max_amount=product.max_amount,
        max_term_months=product.max_term_months,
        region_codes=frozenset(product.region_codes or ()),
        rules=rules,
    )


def _policy(policy: PolicyProduct, rules: CompiledRules) -> CataloguePolicy:
    return CataloguePolicy(
        id=policy.id,
        title=policy.title,
        kind=str(policy.kind),
        benefit_kind=policy.benefit_kind,
        benefit_cap=policy.benefit_cap,
        rules=rules,
        agency_id=policy.agency_id,
    )

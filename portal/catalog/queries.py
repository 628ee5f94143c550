"""Read-only queries behind the public catalogue: published products, live policies, rules.

Only rows a visitor may see leave this module: published products of approved banks, and
published (or, for a policy's own page, closed) policies. Drafts never appear.

JSON list columns (`region_codes`, `guarantee_types`) are matched with LIKE on the column's text,
e.g. `region_codes LIKE '%"350100"%'`. SQLite stores JSON as text and PostgreSQL's `json` type
casts to its stored text, so one expression works on both, runs in the database, and keeps
`paginate()` counting and slicing the real result. JSON operators differ between the two
databases, and filtering in Python after the query would break the page counts. The quotes in
the pattern make the match exact: "3501" cannot match "350100".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, cast, false, func, or_, select, true
from sqlalchemy.orm import joinedload

from portal import lpr
from portal.catalog.models import BankProduct, PolicyProduct, RuleVersion
from portal.enums import OnboardingStatus, PolicyKind, ProductKind, ProductStatus
from portal.extensions import db
from portal.institutions.models import FinancialInstitution, GovernmentAgency

PROVINCE_CODE = "350000"
LIKE_ESCAPE = "\\"
_PRODUCT_KIND_VALUES = frozenset(kind.value for kind in ProductKind)


class ProductSort:
    NEWEST = "newest"
    RATE = "rate"
    AMOUNT = "amount"


@dataclass(frozen=True)
class ProductFilters:
    """What a visitor asked the product list for; None means "any". Money in yuan."""

    q: str | None = None
    kind: ProductKind | None = None
    institution_id: int | None = None
    region_code: str | None = None
    amount: Decimal | None = None
    term_months: int | None = None
    guarantee_type: str | None = None
    max_rate: Decimal | None = None
    policy_backed: bool = False
    sort: str = ProductSort.NEWEST


@dataclass(frozen=True)
class PolicyFilters:
    """What a visitor asked the policy list for; `current_only` hides expired and future ones."""

    q: str | None = None
    kind: PolicyKind | None = None
    agency_id: int | None = None
    current_only: bool = True


def escape_like(text: str) -> str:
    """Text with LIKE's wildcards escaped, to be matched literally (with LIKE_ESCAPE)."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def contains_text(column: Any, text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match; works for Chinese on SQLite and PostgreSQL."""
    return column.ilike(f"%{escape_like(text)}%", escape=LIKE_ESCAPE)


def json_list_contains(column: Any, value: str) -> ColumnElement[bool]:
    """A JSON list of strings holds `value` (see the module docstring for why LIKE)."""
    pattern = f'%"{escape_like(value)}"%'
    return cast(column, String).like(pattern, escape=LIKE_ESCAPE)


def json_list_is_empty(column: Any) -> ColumnElement[bool]:
    """A JSON list column holds no items (stored as the text `[]`)."""
    return func.replace(cast(column, String), " ", "") == "[]"


# --------------------------------------------------------------------------- bank products


def visible_products() -> Select[tuple[BankProduct]]:
    """Published products of approved institutions: what the public may see."""
    return (
        select(BankProduct)
        .join(BankProduct.institution)
        .where(
            BankProduct.status == ProductStatus.PUBLISHED,
            FinancialInstitution.onboarding_status == OnboardingStatus.APPROVED,
        )
        .options(joinedload(BankProduct.institution))
    )


def serves_region(region_code: str) -> ColumnElement[bool]:
    """A product serves a city when it lists none (the whole province), the province, or it."""
    return or_(
        json_list_is_empty(BankProduct.region_codes),
        json_list_contains(BankProduct.region_codes, PROVINCE_CODE),
        json_list_contains(BankProduct.region_codes, region_code),
    )


def published_products(
    filters: ProductFilters, backed_ids: Collection[int] = ()
) -> Select[tuple[BankProduct]]:
    """The public product list for the filters, sorted.

    `backed_ids` are the products `policy_backed` keeps: pricing.backed_product_ids decides
    them, by the rule the product page lists its policies with.
    """
    statement = visible_products()
    for condition in _product_conditions(filters, backed_ids):
        statement = statement.where(condition)
    return statement.order_by(*_product_order(filters.sort))


def _product_conditions(
    filters: ProductFilters, backed_ids: Collection[int]
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.q:
        conditions.append(
            or_(
                contains_text(BankProduct.name, filters.q),
                contains_text(BankProduct.summary, filters.q),
                contains_text(FinancialInstitution.name, filters.q),
                contains_text(FinancialInstitution.short_name, filters.q),
            )
        )
    if filters.kind:
        conditions.append(BankProduct.kind == filters.kind)
    if filters.institution_id:
        conditions.append(BankProduct.institution_id == filters.institution_id)
    if filters.region_code:
        conditions.append(serves_region(filters.region_code))
    if filters.amount is not None:
        conditions.append(
            and_(BankProduct.min_amount <= filters.amount, BankProduct.max_amount >= filters.amount)
        )
    if filters.term_months is not None:
        conditions.append(
            and_(
                BankProduct.min_term_months <= filters.term_months,
                BankProduct.max_term_months >= filters.term_months,
            )
        )
    if filters.guarantee_type:
        conditions.append(json_list_contains(BankProduct.guarantee_types, filters.guarantee_type))
    if filters.max_rate is not None:
        conditions.append(BankProduct.min_rate <= filters.max_rate)
    if filters.policy_backed:
        conditions.append(BankProduct.id.in_(backed_ids) if backed_ids else false())
    return conditions


def _product_order(sort: str) -> tuple[Any, ...]:
    # Every order ends on the id so that pages never overlap or skip a product.
    if sort == ProductSort.RATE:
        return (BankProduct.min_rate.asc(), BankProduct.max_rate.asc(), BankProduct.id.asc())
    if sort == ProductSort.AMOUNT:
        return (BankProduct.max_amount.desc(), BankProduct.id.desc())
    return (BankProduct.published_at.desc().nulls_last(), BankProduct.id.desc())


def backed_by_any(policies: Iterable[PolicyProduct]) -> ColumnElement[bool]:
    """SQL for "at least one of these policies stacks on the product"."""
    clauses = [_stacks_on_clause(policy) for policy in policies]
    return or_(*clauses) if clauses else false()


def _stacks_on_clause(policy: PolicyProduct) -> ColumnElement[bool]:
    """SQL twin of `policy_stacks_on`; the policy's lists are small and already loaded."""
    if policy.applies_to_kinds:
        # Unknown kind strings would be refused by the enum column's bind check; they match nothing.
        kinds = [kind for kind in policy.applies_to_kinds if kind in _PRODUCT_KIND_VALUES]
        by_kind = BankProduct.kind.in_(kinds) if kinds else false()
    else:
        by_kind = true()
    by_id = (
        BankProduct.id.in_(policy.applies_to_product_ids)
        if policy.applies_to_product_ids
        else true()
    )
    return and_(by_kind, by_id)


def policy_stacks_on(policy: PolicyProduct, product: BankProduct) -> bool:
    """Whether a policy applies to a product: its kind (if listed) and its id (if listed)."""
    if policy.applies_to_kinds and str(product.kind) not in policy.applies_to_kinds:
        return False
    return not (policy.applies_to_product_ids and product.id not in policy.applies_to_product_ids)


def get_visible_product(product_id: int) -> BankProduct | None:
    """One product the public may see, or None (draft, archived, or bank not approved)."""
    return db.session.scalar(visible_products().where(BankProduct.id == product_id))


def products_for_policy(policy: PolicyProduct) -> list[BankProduct]:
    """Published products of approved banks that a policy stacks on."""
    statement = visible_products().where(_stacks_on_clause(policy))
    return list(db.session.scalars(statement.order_by(BankProduct.name, BankProduct.id)))


def approved_institutions() -> list[FinancialInstitution]:
    """Banks whose products the public may see, for the bank filter."""
    return list(
        db.session.scalars(
            select(FinancialInstitution)
            .where(FinancialInstitution.onboarding_status == OnboardingStatus.APPROVED)
            .order_by(FinancialInstitution.name)
        )
    )


# --------------------------------------------------------------------------- policies


def live_policies(today: dt.date) -> list[PolicyProduct]:
    """Published policies in force on `today` (Asia/Shanghai date), with their agencies."""
    return list(
        db.session.scalars(
            select(PolicyProduct)
            .where(PolicyProduct.status == ProductStatus.PUBLISHED, _valid_on(today))
            .options(joinedload(PolicyProduct.agency))
            .order_by(PolicyProduct.id)
        )
    )


def _valid_on(today: dt.date) -> ColumnElement[bool]:
    return and_(
        PolicyProduct.valid_from <= today,
        or_(PolicyProduct.valid_to.is_(None), PolicyProduct.valid_to >= today),
    )


def published_policies(filters: PolicyFilters, today: dt.date) -> Select[tuple[PolicyProduct]]:
    """The public policy list for the filters, newest in force first."""
    statement = (
        select(PolicyProduct)
        .join(PolicyProduct.agency)
        .where(PolicyProduct.status == ProductStatus.PUBLISHED)
        .options(joinedload(PolicyProduct.agency))
    )
    if filters.q:
        statement = statement.where(
            or_(
                contains_text(PolicyProduct.title, filters.q),
                contains_text(PolicyProduct.summary, filters.q),
                contains_text(PolicyProduct.source_document, filters.q),
                contains_text(GovernmentAgency.name, filters.q),
                contains_text(GovernmentAgency.short_name, filters.q),
            )
        )
    if filters.kind:
        statement = statement.where(PolicyProduct.kind == filters.kind)
    if filters.agency_id:
        statement = statement.where(PolicyProduct.agency_id == filters.agency_id)
    if filters.current_only:
        statement = statement.where(_valid_on(today))
    return statement.order_by(PolicyProduct.valid_from.desc(), PolicyProduct.id.desc())


def get_public_policy(policy_id: int) -> PolicyProduct | None:
    """A published or closed policy; drafts are not public."""
    return db.session.scalar(
        select(PolicyProduct)
        .where(
            PolicyProduct.id == policy_id,
            PolicyProduct.status.in_((ProductStatus.PUBLISHED, ProductStatus.ARCHIVED)),
        )
        .options(joinedload(PolicyProduct.agency))
    )


def policy_agencies() -> list[GovernmentAgency]:
    """Agencies with at least one published policy, for the agency filter."""
    with_policies = select(PolicyProduct.agency_id).where(
        PolicyProduct.status == ProductStatus.PUBLISHED
    )
    return list(
        db.session.scalars(
            select(GovernmentAgency)
            .where(GovernmentAgency.id.in_(with_policies))
            .order_by(GovernmentAgency.name)
        )
    )


# --------------------------------------------------------------------------- rules and rates


def current_product_rules(product_ids: Iterable[int]) -> dict[int, RuleVersion]:
    """The newest rule version of each product, in one query."""
    return current_rules(RuleVersion.product_id, product_ids)


def current_policy_rules(policy_ids: Iterable[int]) -> dict[int, RuleVersion]:
    """The newest rule version of each policy, in one query."""
    return current_rules(RuleVersion.policy_id, policy_ids)


def current_rules(owner_column: Any, owner_ids: Iterable[int]) -> dict[int, RuleVersion]:
    """The newest rule version per owner, for owners in `owner_column` (one query)."""
    ids = sorted(set(owner_ids))
    if not ids:
        return {}
    newest = (
        select(owner_column.label("owner_id"), func.max(RuleVersion.version).label("version"))
        .where(owner_column.in_(ids))
        .group_by(owner_column)
        .subquery()
    )
    rows = db.session.scalars(
        select(RuleVersion).join(
            newest,
            and_(owner_column == newest.c.owner_id, RuleVersion.version == newest.c.version),
        )
    )
    return {getattr(row, owner_column.key): row for row in rows}


def instant_approval_ids(product_ids: Iterable[int]) -> set[int]:
    """Of these products, those whose current rules offer instant approval (秒批)."""
    rules = current_product_rules(product_ids)
    return {product_id for product_id, version in rules.items() if version.instant_approval}


def latest_lpr_one_year(today: dt.date) -> Decimal | None:
    """The 1-year LPR in effect on `today`, or None when the table is empty."""
    return db.session.scalar(lpr.one_year_on(today))

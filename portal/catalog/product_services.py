"""Bank product services: create, edit, publish, archive, and try the rules on a sample firm."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.catalog.compiled import compiled, pre_approved_limit
from portal.catalog.models import BankProduct, RuleVersion
from portal.catalog.versions import current_version, record_rules
from portal.db import assign_changed, utcnow
from portal.enums import ProductStatus
from portal.extensions import db
from portal.institutions.models import FinancialInstitution
from portal.institutions.services import ensure_can_publish
from portal.matching.engine import NO_POSITIVE_LIMIT
from portal.rules import ClauseFailure


class ProductError(Exception):
    """A product operation that cannot be done; the message says why."""


def create_product(
    actor: User, institution: FinancialInstitution, fields: dict[str, Any], rules: dict[str, Any]
) -> BankProduct:
    """A new draft product with its first rule version, in one transaction."""
    product = BankProduct(institution=institution, status=ProductStatus.DRAFT, **fields)
    db.session.add(product)
    db.session.flush()
    version, _ = record_rules(product, created_by_id=actor.id, note="创建产品", **rules)
    audit.record(AuditAction.PRODUCT_CREATE, actor=actor, obj=product, rule_version=version.version)
    db.session.commit()
    return product


def update_product(
    actor: User, product: BankProduct, fields: dict[str, Any], rules: dict[str, Any]
) -> RuleVersion:
    """Change a product; changed rules become a new version, old versions stay."""
    if product.status == ProductStatus.ARCHIVED:
        raise ProductError("已下架的产品不能修改，请新建产品")
    changed = assign_changed(product, fields)
    version, created = record_rules(product, created_by_id=actor.id, note="编辑产品", **rules)
    audit.record(
        AuditAction.PRODUCT_UPDATE,
        actor=actor,
        obj=product,
        fields=",".join(sorted(changed)),
        rule_version=version.version,
        new_rule_version=created,
    )
    db.session.commit()
    return version


def publish_product(actor: User, product: BankProduct) -> None:
    """Put a draft on the public catalogue; only approved institutions may publish."""
    ensure_can_publish(product.institution)
    if product.status == ProductStatus.PUBLISHED:
        return
    if current_version(product) is None:
        raise ProductError("产品还没有规则，不能发布")
    product.status = ProductStatus.PUBLISHED
    product.published_at = utcnow()
    audit.record(AuditAction.PRODUCT_PUBLISH, actor=actor, obj=product)
    db.session.commit()


def archive_product(actor: User, product: BankProduct) -> None:
    """Take a product off the catalogue for good; its leads and loans keep their history."""
    if product.status == ProductStatus.ARCHIVED:
        return
    product.status = ProductStatus.ARCHIVED
    audit.record(AuditAction.PRODUCT_ARCHIVE, actor=actor, obj=product)
    db.session.commit()


@dataclass(frozen=True)
class TrialResult:
    """What a product's rules say about one sample firm and need."""

    version: int
    eligible: bool
    failures: list[ClauseFailure]
    instant_offered: bool
    instant_approved: bool
    instant_failures: list[ClauseFailure]
    limit: Decimal | None
    problem: str | None = None  # why the stored rules cannot be evaluated, naming the place


def try_rules(version: RuleVersion, facts: dict[str, Any], ceiling: Decimal) -> TrialResult:
    """Evaluate a stored rule version against sample facts, explaining every failed clause.

    The limit is worked out as the matcher does (`pre_approved_limit`), up to `ceiling`: the
    product's maximum or the amount asked, whichever is lower.
    """
    rules = compiled(version)
    eligibility = rules.eligibility.evaluate(facts)
    instant = rules.instant_approval.evaluate(facts) if rules.instant_approval else None
    value = rules.formula.evaluate(facts) if rules.formula else None
    limit = None if rules.formula and value is None else pre_approved_limit(value, ceiling)
    instant_failures = list(instant.failures) if instant else []
    instant_approved = bool(instant and instant.passed and eligibility.passed)
    if instant_approved and limit is None:
        instant_approved = False
        instant_failures.append(NO_POSITIVE_LIMIT.render(facts))
    return TrialResult(
        version=version.version,
        eligible=eligibility.passed,
        failures=list(eligibility.failures),
        instant_offered=rules.instant_approval is not None,
        instant_approved=instant_approved,
        instant_failures=instant_failures,
        limit=limit,
        problem=rules.problem,
    )

"""Bank product services: create, edit, submit for review, archive, and try the rules on a
sample firm.

A product is live (published) only after platform review (portal/catalog/product_review.py),
or at once for a trusted institution. A live product's terms and rules do not change: the
rules in force are the newest version, so an edit would bypass review; the bank archives the
product and submits a new one instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, exists, or_, select

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.catalog.compiled import compiled, pre_approved_limit
from portal.catalog.models import BankProduct, RuleVersion
from portal.catalog.versions import current_version, record_rules
from portal.db import assign_changed, utcnow
from portal.enums import ProductStatus
from portal.extensions import db
from portal.guarantees.models import GuaranteeAgreement
from portal.institutions.models import FinancialInstitution
from portal.institutions.services import ensure_can_publish
from portal.leads.models import Lead, Loan
from portal.matching.engine import NO_POSITIVE_LIMIT
from portal.matching.models import MatchResult
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
    """Change a draft; changed rules become a new version, old versions stay."""
    ensure_editable(product)
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


def ensure_editable(product: BankProduct) -> None:
    """Only a draft changes: a submitted or live product keeps the terms the platform reviewed."""
    if product.status == ProductStatus.ARCHIVED:
        raise ProductError(_("已下架的产品不能修改，请新建产品"))
    if product.status == ProductStatus.IN_REVIEW:
        raise ProductError(_("产品正在平台审核中，不能修改；如被退回，可修改后重新提交"))
    if product.status == ProductStatus.PUBLISHED:
        # The matcher applies the newest rule version, so an edit would go live unreviewed.
        raise ProductError(
            _("已上线的产品不能修改，请下架后新建产品并提交审核；已有线索和贷款不受影响")
        )


def publish_product(actor: User, product: BankProduct) -> None:
    """The bank publishes a draft: it goes to platform review, or live at once when the
    institution is trusted (recorded as approved automatically). Only approved institutions
    may publish."""
    ensure_can_publish(product.institution)
    if product.status in (ProductStatus.IN_REVIEW, ProductStatus.PUBLISHED):
        return
    if product.status == ProductStatus.ARCHIVED:
        raise ProductError(_("已下架的产品不能重新发布，请新建产品"))
    version = current_version(product)
    if version is None:
        raise ProductError(_("产品还没有规则，不能发布"))
    product.status = ProductStatus.IN_REVIEW
    product.submitted_at = utcnow()
    product.review_note = None
    audit.record(AuditAction.PRODUCT_SUBMIT, actor=actor, obj=product, rule_version=version.version)
    if product.institution.products_trusted:
        _go_live(product)
        audit.record(
            AuditAction.PRODUCT_APPROVE,
            actor=actor,
            obj=product,
            rule_version=version.version,
            automatic=True,
        )
    db.session.commit()


def _go_live(product: BankProduct) -> None:
    """Put a product on the catalogue; the caller records who approved it and commits."""
    product.status = ProductStatus.PUBLISHED
    product.published_at = utcnow()
    product.review_note = None


def archive_product(actor: User, product: BankProduct) -> None:
    """Take a product off the catalogue for good; its leads and loans keep their history."""
    if product.status == ProductStatus.ARCHIVED:
        return
    product.status = ProductStatus.ARCHIVED
    audit.record(AuditAction.PRODUCT_ARCHIVE, actor=actor, obj=product)
    db.session.commit()


def delete_refusal(product: BankProduct) -> str | None:
    """Why the product cannot be deleted, or None: only a draft that never went live and that
    no decision cites (match result, lead, loan, guarantee cooperation) goes."""
    if product.status == ProductStatus.IN_REVIEW:
        return _("产品正在平台审核中，不能删除；如不再需要，请等待审核结果后再删除草稿")
    if product.status == ProductStatus.ARCHIVED:
        return _("已下架的产品不能删除：只有从未发布过的草稿可以删除，下架产品的记录会保留")
    if product.status != ProductStatus.DRAFT or product.published_at is not None:
        return _("只有从未发布过的草稿可以删除；已发布的产品请下架，已有记录会保留")
    if db.session.scalar(select(_cited(product.id))):
        return _("该产品已被匹配结果、线索、贷款或银担合作引用，不能删除；请下架该产品")
    return None


def _cited(product_id: int) -> Any:
    """Whether any row outside the catalogue names the product or one of its rule versions."""
    versions = select(RuleVersion.id).where(RuleVersion.product_id == product_id)
    return or_(
        exists().where(
            or_(MatchResult.product_id == product_id, MatchResult.rule_version_id.in_(versions))
        ),
        exists().where(Lead.product_id == product_id),
        exists().where(Loan.product_id == product_id),
        exists().where(GuaranteeAgreement.bank_product_id == product_id),
    )


def delete_product(actor: User, product: BankProduct) -> None:
    """Delete a draft that never went live, with its rule versions, in one transaction. One
    conditional DELETE decides, so a draft a colleague submitted a moment ago stays."""
    refusal = delete_refusal(product)
    if refusal is not None:
        raise ProductError(refusal)
    audit.record(
        AuditAction.PRODUCT_DELETE,
        actor=actor,
        obj=product,
        name=product.name,
        institution_id=product.institution_id,
    )
    product_id = product.id
    # Lock the draft first (PostgreSQL), so it cannot be submitted while its versions go.
    still_draft = db.session.scalar(
        select(BankProduct.id)
        .where(
            BankProduct.id == product_id,
            BankProduct.status == ProductStatus.DRAFT,
            BankProduct.published_at.is_(None),
        )
        .with_for_update()
    )
    if still_draft is None:
        db.session.rollback()
        raise ProductError(_("产品的状态已变化，请刷新页面后重试"))
    db.session.execute(delete(RuleVersion).where(RuleVersion.product_id == product_id))
    db.session.execute(
        delete(BankProduct)
        .where(BankProduct.id == product_id)
        .execution_options(synchronize_session=False)
    )
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

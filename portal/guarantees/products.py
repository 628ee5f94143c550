"""Guarantee products: a guarantor's admin writes, publishes and archives them, and lists the
bank products each one cooperates with (批量担保 / 见贷即保)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.catalog.models import BankProduct, RuleVersion
from portal.catalog.queries import get_visible_product, visible_products
from portal.catalog.versions import current_version, record_rules
from portal.db import assign_changed, utcnow
from portal.enums import GuaranteeMode, ProductStatus
from portal.extensions import db
from portal.guarantees.models import (
    GOVERNMENT_FEE_CAP,
    GuaranteeAgreement,
    GuaranteeProduct,
    RiskShareAgreement,
)
from portal.institutions.models import FinancialInstitution
from portal.institutions.services import ensure_can_publish
from portal.matching.engine import PRODUCT_PRICING_FACTS
from portal.numbers import plain
from portal.rules import RuleError, compile_rule


class GuaranteeProductError(Exception):
    """A guarantee product operation that cannot be done; the message says why."""


def rule_problem(text: str) -> str | None:
    """Why an eligibility rule cannot be a guarantee product's, or None.

    A guarantee is paired with many bank products, so its rule may read the firm and the need
    but not one bank product's price.
    """
    try:
        rule = compile_rule(text or "")
    except RuleError as error:
        return str(error)
    read = {getattr(fact, "name", fact) for fact in rule.facts_used}
    if read & PRODUCT_PRICING_FACTS:
        return _("担保产品的准入规则不能引用银行产品的利率或担保费率（rate、guarantee_fee_rate）")
    return None


def create_product(
    actor: User, institution: FinancialInstitution, fields: dict[str, Any], eligibility: str
) -> GuaranteeProduct:
    """A new draft guarantee product with its first rule version, in one transaction."""
    _check_fee(fields["fee_rate"])
    product = GuaranteeProduct(institution=institution, status=ProductStatus.DRAFT, **fields)
    db.session.add(product)
    db.session.flush()
    version, _created = record_rules(
        product, eligibility=eligibility, created_by_id=actor.id, note="创建担保产品"
    )
    audit.record(
        AuditAction.GUARANTEE_PRODUCT_CREATE, actor=actor, obj=product, rule_version=version.version
    )
    db.session.commit()
    return product


def update_product(
    actor: User, product: GuaranteeProduct, fields: dict[str, Any], eligibility: str
) -> RuleVersion:
    """Change a guarantee product; a changed rule becomes a new version, old ones stay."""
    if product.status == ProductStatus.ARCHIVED:
        raise GuaranteeProductError(_("已下架的担保产品不能修改，请新建产品"))
    _check_fee(fields["fee_rate"])
    changed = assign_changed(product, fields)
    version, created = record_rules(
        product, eligibility=eligibility, created_by_id=actor.id, note="编辑担保产品"
    )
    audit.record(
        AuditAction.GUARANTEE_PRODUCT_UPDATE,
        actor=actor,
        obj=product,
        fields=",".join(sorted(changed)),
        rule_version=version.version,
        new_rule_version=created,
    )
    db.session.commit()
    return version


def publish_product(actor: User, product: GuaranteeProduct) -> None:
    """Put a draft on the public catalogue and into the matcher's pairings."""
    ensure_can_publish(product.institution)
    if product.status == ProductStatus.ARCHIVED:
        raise GuaranteeProductError(_("已下架的担保产品不能重新发布，请新建产品"))
    if product.status == ProductStatus.PUBLISHED:
        return
    if current_version(product) is None:
        raise GuaranteeProductError(_("担保产品还没有准入规则，不能发布"))
    product.status = ProductStatus.PUBLISHED
    product.published_at = utcnow()
    audit.record(AuditAction.GUARANTEE_PRODUCT_PUBLISH, actor=actor, obj=product)
    db.session.commit()


def archive_product(actor: User, product: GuaranteeProduct) -> None:
    """Take a product off the catalogue for good; guarantees issued on it stay in force."""
    if product.status == ProductStatus.ARCHIVED:
        return
    product.status = ProductStatus.ARCHIVED
    audit.record(AuditAction.GUARANTEE_PRODUCT_ARCHIVE, actor=actor, obj=product)
    db.session.commit()


def add_agreement(
    actor: User,
    product: GuaranteeProduct,
    bank_product_id: int,
    mode: GuaranteeMode,
    automatic_limit: Decimal | None,
) -> GuaranteeAgreement:
    """List a published bank product the guarantee backs, and how (one per pair)."""
    if product.status == ProductStatus.ARCHIVED:
        raise GuaranteeProductError(_("已下架的担保产品不能新增合作产品"))
    bank_product = get_visible_product(bank_product_id)
    if bank_product is None:
        raise GuaranteeProductError(_("所选银行产品不存在或未发布，请重新选择"))
    if automatic_limit is not None and automatic_limit > product.max_amount:
        raise GuaranteeProductError(_("见贷即保限额不能高于本担保产品的最高担保额"))
    agreement = GuaranteeAgreement(
        guarantee_product=product,
        bank_product_id=bank_product.id,
        mode=mode,
        automatic_limit=automatic_limit if mode == GuaranteeMode.AUTOMATIC else None,
    )
    db.session.add(agreement)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise GuaranteeProductError(_("已与该银行产品建立合作，如需调整请先解除")) from None
    audit.record(
        AuditAction.GUARANTEE_PRODUCT_AGREEMENT_ADD,
        actor=actor,
        obj=product,
        bank_product=bank_product.id,
        mode=mode.value,
    )
    db.session.commit()
    return agreement


def remove_agreement(actor: User, agreement: GuaranteeAgreement) -> None:
    """End a cooperation: new needs are no longer paired; requests already sent go on."""
    product = agreement.guarantee_product
    audit.record(
        AuditAction.GUARANTEE_PRODUCT_AGREEMENT_REMOVE,
        actor=actor,
        obj=product,
        bank_product=agreement.bank_product_id,
    )
    db.session.delete(agreement)
    db.session.commit()


HUNDRED = Decimal(100)


def set_risk_share(actor: User, product: GuaranteeProduct, values: dict[str, Any]) -> None:
    """Attach or change the product's risk-sharing agreement; letters issued keep theirs."""
    if product.status == ProductStatus.ARCHIVED:
        raise GuaranteeProductError(_("已下架的担保产品不能修改，请新建产品"))
    shares = [values[k] for k in ("guarantor_share", "reguarantee_share", "bank_share")]
    shares.append(values["government_share"])
    if sum(shares, Decimal(0)) != HUNDRED:
        raise GuaranteeProductError(_("四方分担比例合计应为 100%"))
    if values["bank_share"] != HUNDRED - product.coverage_share:
        raise GuaranteeProductError(
            _(
                "银行分担比例应为 100%% 减去本产品的担保责任比例（%(share)s%%），即 %(bank)s%%",
                share=plain(product.coverage_share),
                bank=plain(HUNDRED - product.coverage_share),
            )
        )
    agreement = product.risk_share or RiskShareAgreement(guarantee_product_id=product.id)
    for key, value in values.items():
        setattr(agreement, key, value)
    product.risk_share = agreement
    audit.record(
        AuditAction.GUARANTEE_PRODUCT_RISK_SHARE,
        actor=actor,
        obj=product,
        shares="/".join(plain(s) for s in shares),
        trigger=values.get("trigger_overdue_days"),
    )
    db.session.commit()


def cooperating_bank_products() -> list[BankProduct]:
    """Published bank products of approved banks that accept a guarantee institution's
    guarantee: what a guarantor may cooperate with."""
    products = db.session.scalars(visible_products().order_by(BankProduct.name, BankProduct.id))
    return [p for p in products if _takes_agency_guarantee(p)]


def _takes_agency_guarantee(product: BankProduct) -> bool:
    accepted = product.guarantee_types or []
    return not accepted or "guarantee_agency" in accepted


def _check_fee(fee_rate: Decimal) -> None:
    if fee_rate > GOVERNMENT_FEE_CAP:
        raise GuaranteeProductError(
            _("政府性融资担保机构的担保费率不超过 %(cap)s%%/年", cap=GOVERNMENT_FEE_CAP)
        )

"""Reads of guarantee products that the public catalogue and the matcher share."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from portal.catalog.models import BankProduct, RuleVersion
from portal.catalog.queries import current_rules
from portal.enums import OnboardingStatus, ProductStatus
from portal.extensions import db
from portal.guarantees.models import GuaranteeAgreement, GuaranteeProduct
from portal.institutions.models import FinancialInstitution


def visible_guarantee_products() -> Select[tuple[GuaranteeProduct]]:
    """Published guarantee products of approved guarantors: what the public may see."""
    return (
        select(GuaranteeProduct)
        .join(GuaranteeProduct.institution)
        .where(
            GuaranteeProduct.status == ProductStatus.PUBLISHED,
            FinancialInstitution.onboarding_status == OnboardingStatus.APPROVED,
        )
        .options(joinedload(GuaranteeProduct.institution))
    )


def current_guarantee_rules(product_ids: Iterable[int]) -> dict[int, RuleVersion]:
    """The newest rule version of each guarantee product, in one query."""
    return current_rules(RuleVersion.guarantee_product_id, product_ids)


def cooperating(guarantee_ids: Iterable[int]) -> dict[int, list[GuaranteeAgreement]]:
    """The agreements of these guarantee products with published bank products, per bank
    product (one query)."""
    ids = sorted(set(guarantee_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        select(GuaranteeAgreement)
        .join(BankProduct, BankProduct.id == GuaranteeAgreement.bank_product_id)
        .where(
            GuaranteeAgreement.guarantee_product_id.in_(ids),
            BankProduct.status == ProductStatus.PUBLISHED,
        )
        .order_by(GuaranteeAgreement.id)
    )
    found: dict[int, list[GuaranteeAgreement]] = defaultdict(list)
    for agreement in rows:
        found[agreement.bank_product_id].append(agreement)
    return found


def agreement_for(guarantee_product_id: int, bank_product_id: int) -> GuaranteeAgreement | None:
    """The agreement between a guarantee product and a bank product, if there is one."""
    return db.session.scalar(
        select(GuaranteeAgreement).where(
            GuaranteeAgreement.guarantee_product_id == guarantee_product_id,
            GuaranteeAgreement.bank_product_id == bank_product_id,
        )
    )

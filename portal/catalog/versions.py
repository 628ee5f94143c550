"""Versioned rules: a product's or policy's rules change only by adding a new version.

Old versions stay, so every decision can cite the exact rules that made it.
"""

from __future__ import annotations

from sqlalchemy import func, select

from portal.catalog.models import BankProduct, PolicyProduct, RuleVersion
from portal.extensions import db
from portal.guarantees.models import GuaranteeProduct

# A bank product, a policy or a guarantee product: each has its own numbered versions.
RuleOwner = BankProduct | PolicyProduct | GuaranteeProduct


def current_version(owner: RuleOwner) -> RuleVersion | None:
    """The newest rule version of a product, policy or guarantee product, if it has any."""
    column = _owner_column(owner)
    return db.session.scalar(
        select(RuleVersion).where(column == owner.id).order_by(RuleVersion.version.desc()).limit(1)
    )


def record_rules(
    owner: RuleOwner,
    *,
    eligibility: str,
    instant_approval: str | None = None,
    formula: str | None = None,
    created_by_id: int | None = None,
    note: str | None = None,
) -> tuple[RuleVersion, bool]:
    """Store the rules as a new version unless they equal the current one.

    Returns the version in force and whether it was created. The caller validates the texts
    first and commits.
    """
    texts = (_clean(eligibility) or "", _clean(instant_approval), _clean(formula))
    current = current_version(owner) if owner.id is not None else None
    if (
        current is not None
        and (
            current.eligibility,
            current.instant_approval,
            current.formula,
        )
        == texts
    ):
        return current, False
    if owner.id is None:
        db.session.flush()
    next_number = (
        db.session.scalar(
            select(func.coalesce(func.max(RuleVersion.version), 0)).where(
                _owner_column(owner) == owner.id
            )
        )
        + 1
    )
    version = RuleVersion(
        version=next_number,
        eligibility=texts[0],
        instant_approval=texts[1],
        formula=texts[2],
        created_by_id=created_by_id,
        note=note,
        **{_owner_key(owner): owner.id},
    )
    db.session.add(version)
    db.session.flush()
    return version, True


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    stripped = text.strip()
    return stripped or None


def _owner_key(owner: RuleOwner) -> str:
    if isinstance(owner, BankProduct):
        return "product_id"
    if isinstance(owner, GuaranteeProduct):
        return "guarantee_product_id"
    return "policy_id"


def _owner_column(owner: RuleOwner):
    return getattr(RuleVersion, _owner_key(owner))

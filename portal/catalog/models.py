"""The catalogue: bank loan products, government policy products and their versioned rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, Rate, utcnow
from portal.enums import BenefitKind, PolicyKind, ProductKind, ProductStatus, db_enum
from portal.institutions.models import FinancialInstitution, GovernmentAgency


class BankProduct(Base):
    __tablename__ = "bank_products"
    __table_args__ = (
        CheckConstraint("min_amount > 0 AND min_amount <= max_amount", name="amount_range"),
        CheckConstraint(
            "min_term_months > 0 AND min_term_months <= max_term_months", name="term_range"
        ),
        CheckConstraint("min_rate >= 0 AND min_rate <= max_rate", name="rate_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("financial_institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[ProductKind] = mapped_column(db_enum(ProductKind, "product_kind"), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    # A guarantee fee the firm pays on top of interest (percent a year), e.g. 1.0 for 担保贷.
    guarantee_fee_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0"))
    min_amount: Mapped[Decimal]
    max_amount: Mapped[Decimal]
    min_term_months: Mapped[int]
    max_term_months: Mapped[int]
    min_rate: Mapped[Decimal] = mapped_column(Rate)
    max_rate: Mapped[Decimal] = mapped_column(Rate)
    guarantee_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # GB/T 2260 codes served; an empty list means the whole province.
    region_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    response_days: Mapped[int | None]
    status: Mapped[ProductStatus] = mapped_column(
        db_enum(ProductStatus, "product_status"), default=ProductStatus.DRAFT, index=True
    )
    published_at: Mapped[dt.datetime | None]
    # When the bank last submitted it for the platform's review.
    submitted_at: Mapped[dt.datetime | None]
    # Why the platform returned it to draft; shown to the bank until it submits again.
    review_note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    institution: Mapped[FinancialInstitution] = relationship()

    def __repr__(self) -> str:
        return f"<BankProduct {self.id} {self.name}>"


class PolicyProduct(Base):
    __tablename__ = "policy_products"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_from <= valid_to", name="validity_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The policy file's id under policies/, so that loading the files again updates, not adds.
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(160))
    agency_id: Mapped[int] = mapped_column(ForeignKey("government_agencies.id"), index=True)
    kind: Mapped[PolicyKind] = mapped_column(db_enum(PolicyKind, "policy_kind"), index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    source_document: Mapped[str] = mapped_column(String(160))
    source_date: Mapped[dt.date]
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date | None]
    budget: Mapped[Decimal | None]
    # The budget's states in yuan (see portal.subsidies.budget): held by offers not yet taken,
    # spent on disbursed loans and approved claims, and of that already paid out. A policy
    # applies only while budget − reserved − committed is above zero.
    budget_reserved: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    budget_committed: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    budget_paid: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    benefit_kind: Mapped[BenefitKind] = mapped_column(
        db_enum(BenefitKind, "benefit_kind"), default=BenefitKind.RATE_POINTS
    )
    # Most a single firm may receive from this policy in a year, in yuan (for a risk
    # compensation pool: the most one claim may draw); None means no cap.
    benefit_cap: Mapped[Decimal | None]
    # Interest subsidy settlement: the day count of a year (balance × points ÷ 100 ÷ day_count
    # per day) and whether months the loan is 次级 or worse are still subsidised.
    day_count: Mapped[int] = mapped_column(default=360)
    pays_non_performing: Mapped[bool] = mapped_column(default=False)
    # Risk compensation: a loan may be claimed once classed 损失, or once overdue this many days.
    claim_overdue_days: Mapped[int | None]
    # Product kinds the policy stacks on; product ids narrow it further when given.
    applies_to_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    applies_to_product_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # The policies/ file it was loaded from; None for drafts written in the web UI.
    source_file: Mapped[str | None] = mapped_column(String(160))
    closed_at: Mapped[dt.datetime | None]
    status: Mapped[ProductStatus] = mapped_column(
        db_enum(ProductStatus, "policy_status"), default=ProductStatus.DRAFT, index=True
    )
    published_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    agency: Mapped[GovernmentAgency] = relationship()

    @property
    def budget_in_use(self) -> Decimal:
        """Reserved plus committed: what the budget can no longer give to anyone else."""
        return (self.budget_reserved or Decimal(0)) + (self.budget_committed or Decimal(0))

    @property
    def budget_remaining(self) -> Decimal | None:
        """What new grants may still take; None for a policy without a budget."""
        if self.budget is None:
            return None
        return max(self.budget - self.budget_in_use, Decimal(0))

    def __repr__(self) -> str:
        return f"<PolicyProduct {self.id} {self.slug}>"


class RuleVersion(Base):
    """One immutable version of a product's or a policy's rules; decisions cite its id."""

    __tablename__ = "rule_versions"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN product_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN policy_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN guarantee_product_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="exactly_one_owner",
        ),
        UniqueConstraint("product_id", "version", name="uq_rule_versions_product_version"),
        UniqueConstraint("policy_id", "version", name="uq_rule_versions_policy_version"),
        UniqueConstraint(
            "guarantee_product_id", "version", name="uq_rule_versions_guarantee_version"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("bank_products.id"), index=True)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policy_products.id"), index=True)
    guarantee_product_id: Mapped[int | None] = mapped_column(
        ForeignKey("guarantee_products.id"), index=True
    )
    version: Mapped[int]
    eligibility: Mapped[str] = mapped_column(Text, default="")
    instant_approval: Mapped[str | None] = mapped_column(Text)
    # A product's credit-limit formula or a policy's benefit formula.
    formula: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Why the rule changed, shown in the version history.
    note: Mapped[str | None] = mapped_column(String(200))

    def __repr__(self) -> str:
        return f"<RuleVersion {self.id} v{self.version}>"

"""Policy benefits granted on offers and loans, and the monthly settlement batches that pay them.

A grant is written at the bank's credit decision, one per applied policy, with the rule version,
the value (rate points or fee share), the amount it is expected to cost over the loan and the
cap that limited it. Nothing later recomputes or parses what was shown: the offer comparison,
the loan, the settlement and the dashboard read the grant.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.catalog.models import PolicyProduct
from portal.db import Base, utcnow
from portal.enums import BenefitKind, GrantStatus, SettlementStatus, db_enum

# Rate points (0–100) or a share (0–1), to the places the rule language's results are kept.
BenefitValue = Numeric(12, 6)


class SubsidyGrant(Base):
    __tablename__ = "subsidy_grants"
    __table_args__ = (
        UniqueConstraint("lead_id", "policy_id", name="uq_subsidy_grants_lead_policy"),
        CheckConstraint("value > 0", name="value_positive"),
        CheckConstraint("expected_amount >= 0", name="expected_not_negative"),
        CheckConstraint("paid_amount >= 0", name="paid_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy_products.id"), index=True)
    rule_version_id: Mapped[int] = mapped_column(ForeignKey("rule_versions.id"))
    # The offer it was granted on; None only for loans made before the platform's lead flow.
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("financial_institutions.id"))
    benefit_kind: Mapped[BenefitKind] = mapped_column(db_enum(BenefitKind, "grant_benefit_kind"))
    value: Mapped[Decimal] = mapped_column(BenefitValue)
    # What the grant costs the policy over the loan (yuan): held while reserved, spent once
    # committed; settlements pay it out and never beyond it.
    expected_amount: Mapped[Decimal]
    # The firm's yearly cap left when the grant was made (yuan); None: the policy has no cap.
    cap_used: Mapped[Decimal | None]
    paid_amount: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    status: Mapped[GrantStatus] = mapped_column(
        db_enum(GrantStatus, "grant_status"), default=GrantStatus.RESERVED, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    released_at: Mapped[dt.datetime | None]
    release_reason: Mapped[str | None] = mapped_column(String(32))

    policy: Mapped[PolicyProduct] = relationship()


class SettlementBatch(Base):
    """One month's interest subsidy of one policy for the loans of one bank."""

    __tablename__ = "subsidy_settlement_batches"
    __table_args__ = (
        UniqueConstraint(
            "policy_id", "institution_id", "period", name="uq_settlement_batches_policy_bank_period"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy_products.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("financial_institutions.id"), index=True)
    period: Mapped[dt.date] = mapped_column(index=True)  # first day of the settled month
    status: Mapped[SettlementStatus] = mapped_column(
        db_enum(SettlementStatus, "settlement_status"), default=SettlementStatus.DRAFT, index=True
    )
    total: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[dt.datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[dt.datetime | None]

    policy: Mapped[PolicyProduct] = relationship()
    lines: Mapped[list[SettlementLine]] = relationship(
        back_populates="batch", order_by="SettlementLine.id"
    )


class SettlementLine(Base):
    """One loan's subsidy in a batch: from its reported balance, adjustable with a reason."""

    __tablename__ = "subsidy_settlement_lines"
    __table_args__ = (
        UniqueConstraint("batch_id", "loan_id", name="uq_settlement_lines_batch_loan"),
        CheckConstraint("computed_amount >= 0", name="computed_not_negative"),
        CheckConstraint(
            "adjusted_amount IS NULL OR adjusted_amount >= 0", name="adjusted_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("subsidy_settlement_batches.id"), index=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("subsidy_grants.id"), index=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    balance: Mapped[Decimal]  # the month-end balance the bank reported
    days: Mapped[int]
    points: Mapped[Decimal] = mapped_column(BenefitValue)
    computed_amount: Mapped[Decimal]
    adjusted_amount: Mapped[Decimal | None]
    adjustment_reason: Mapped[str | None] = mapped_column(String(200))
    # Why the line pays nothing or less than computed (non-performing month, cap or budget reached).
    note: Mapped[str | None] = mapped_column(String(32))

    batch: Mapped[SettlementBatch] = relationship(back_populates="lines")

    @property
    def amount(self) -> Decimal:
        """What the line pays: the adjusted amount when staff adjusted it, else the computed one."""
        return self.computed_amount if self.adjusted_amount is None else self.adjusted_amount

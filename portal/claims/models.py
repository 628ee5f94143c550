"""Risk compensation claims on a policy's pool, and the recoveries that return money to it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.catalog.models import PolicyProduct
from portal.db import Base, utcnow
from portal.enums import ClaimStatus, db_enum
from portal.firms.models import Firm
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Loan
from portal.reporting.models import LoanStatusReport
from portal.subsidies.models import BenefitValue


class CompensationClaim(Base):
    __tablename__ = "compensation_claims"
    __table_args__ = (
        CheckConstraint("principal_outstanding > 0", name="principal_positive"),
        CheckConstraint("share > 0 AND share <= 1", name="share_in_range"),
        CheckConstraint("claimed_amount >= 0", name="claimed_not_negative"),
        CheckConstraint("recovered_total >= 0", name="recovered_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policy_products.id"), index=True)
    rule_version_id: Mapped[int] = mapped_column(ForeignKey("rule_versions.id"))
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("financial_institutions.id"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    # The loan report that made the loan claimable (its class and overdue days), for provenance.
    report_id: Mapped[int | None] = mapped_column(ForeignKey("loan_status_reports.id"))
    principal_outstanding: Mapped[Decimal]
    share: Mapped[Decimal] = mapped_column(BenefitValue)
    claimed_amount: Mapped[Decimal]
    approved_amount: Mapped[Decimal | None]
    # Recoveries reported after approval; each returns `share` of itself to the pool.
    recovered_total: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    evidence_note: Mapped[str] = mapped_column(Text)
    status: Mapped[ClaimStatus] = mapped_column(
        db_enum(ClaimStatus, "claim_status"), default=ClaimStatus.SUBMITTED, index=True
    )
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]

    # The rows a claim rests on, read through the claim once the claim itself was scoped.
    policy: Mapped[PolicyProduct] = relationship()
    loan: Mapped[Loan] = relationship()
    firm: Mapped[Firm] = relationship()
    institution: Mapped[FinancialInstitution] = relationship()
    report: Mapped[LoanStatusReport | None] = relationship()
    recoveries: Mapped[list[ClaimRecovery]] = relationship(
        back_populates="claim", order_by="ClaimRecovery.id"
    )


class ClaimRecovery(Base):
    __tablename__ = "claim_recoveries"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("returned_amount >= 0", name="returned_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("compensation_claims.id"), index=True)
    amount: Mapped[Decimal]  # what the bank recovered from the firm or collateral
    returned_amount: Mapped[Decimal]  # the pool's share of it, returned to the budget
    recovered_on: Mapped[dt.date]
    note: Mapped[str | None] = mapped_column(String(200))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    claim: Mapped[CompensationClaim] = relationship(back_populates="recoveries")

"""Financing guarantees (云上担保): guarantee products, the bank products they cooperate with,
the requests banks send with a credit decision, and the guarantee letters (担保函) issued."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from portal.catalog.models import BankProduct
from portal.db import Base, Rate, utcnow
from portal.enums import ClaimStatus, GuaranteeMode, GuaranteeRequestStatus, ProductStatus, db_enum
from portal.institutions.models import FinancialInstitution

# Government financing guarantee institutions charge at most 1% a year (国办发〔2019〕6号).
GOVERNMENT_FEE_CAP = Decimal("1.0")


class GuaranteeProduct(Base):
    __tablename__ = "guarantee_products"
    __table_args__ = (
        CheckConstraint("min_amount > 0 AND min_amount <= max_amount", name="amount_range"),
        CheckConstraint("max_term_months BETWEEN 1 AND 360", name="term_range"),
        CheckConstraint("fee_rate >= 0 AND fee_rate <= 10", name="fee_rate_range"),
        CheckConstraint("coverage_share > 0 AND coverage_share <= 100", name="coverage_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("financial_institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    summary: Mapped[str] = mapped_column(Text, default="")
    min_amount: Mapped[Decimal]
    max_amount: Mapped[Decimal]
    max_term_months: Mapped[int]
    # Percent a year of the loan principal, charged on the guarantee.
    fee_rate: Mapped[Decimal] = mapped_column(Rate)
    # Percent of the loan's loss the guarantor bears before any risk sharing (e.g. 80).
    coverage_share: Mapped[Decimal] = mapped_column(Rate)
    # GB/T 2260 codes served; an empty list means the whole province.
    region_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Business days the guarantor has to take a request on; None: the institution's default.
    response_days: Mapped[int | None]
    status: Mapped[ProductStatus] = mapped_column(
        db_enum(ProductStatus, "guarantee_product_status"),
        default=ProductStatus.DRAFT,
        index=True,
    )
    published_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    institution: Mapped[FinancialInstitution] = relationship()
    agreements: Mapped[list[GuaranteeAgreement]] = relationship(
        back_populates="guarantee_product", order_by="GuaranteeAgreement.id"
    )
    risk_share: Mapped[RiskShareAgreement | None] = relationship()

    def __repr__(self) -> str:
        return f"<GuaranteeProduct {self.id} {self.name}>"


class GuaranteeAgreement(Base):
    """A bank product the guarantee product backs (银担合作), and how."""

    __tablename__ = "guarantee_agreements"
    __table_args__ = (
        UniqueConstraint("guarantee_product_id", "bank_product_id", name="uq_agreement_pair"),
        CheckConstraint(
            "automatic_limit IS NULL OR automatic_limit > 0", name="automatic_limit_positive"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guarantee_product_id: Mapped[int] = mapped_column(
        ForeignKey("guarantee_products.id"), index=True
    )
    bank_product_id: Mapped[int] = mapped_column(ForeignKey("bank_products.id"), index=True)
    mode: Mapped[GuaranteeMode] = mapped_column(db_enum(GuaranteeMode, "guarantee_mode"))
    # 见贷即保: the largest loan guaranteed with the bank's decision; larger ones are confirmed
    # by the guarantor as under 批量担保. None: up to the guarantee product's maximum.
    automatic_limit: Mapped[Decimal | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    guarantee_product: Mapped[GuaranteeProduct] = relationship(back_populates="agreements")
    bank_product: Mapped[BankProduct] = relationship()

    def issues_automatically(self, amount: Decimal) -> bool:
        """Whether a loan of `amount` is guaranteed with the bank's decision (见贷即保)."""
        if self.mode != GuaranteeMode.AUTOMATIC:
            return False
        return self.automatic_limit is None or amount <= self.automatic_limit


class GuaranteeRequest(Base):
    """One bank lead's credit decision sent to one guarantor: the guarantor's lead."""

    __tablename__ = "guarantee_requests"
    __table_args__ = (
        # A lead asks each guarantor at most once: rerouting and retried jobs cannot double it.
        UniqueConstraint("lead_id", "institution_id", name="uq_guarantee_request_lead_guarantor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("financing_needs.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("financial_institutions.id"), index=True)
    guarantee_product_id: Mapped[int] = mapped_column(ForeignKey("guarantee_products.id"))
    rule_version_id: Mapped[int] = mapped_column(ForeignKey("rule_versions.id"))
    mode: Mapped[GuaranteeMode] = mapped_column(db_enum(GuaranteeMode, "guarantee_request_mode"))
    status: Mapped[GuaranteeRequestStatus] = mapped_column(
        db_enum(GuaranteeRequestStatus, "guarantee_request_status"), index=True
    )
    # The loan to guarantee, as the bank decided it.
    amount: Mapped[Decimal]
    term_months: Mapped[int]
    deadline_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    accepted_at: Mapped[dt.datetime | None]
    first_response_at: Mapped[dt.datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decline_code: Mapped[str | None] = mapped_column(String(32))
    decline_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)

    institution: Mapped[FinancialInstitution] = relationship()
    guarantee_product: Mapped[GuaranteeProduct] = relationship()


class Guarantee(Base):
    """A guarantee letter (担保函): issued on a request, in force on the loan once disbursed."""

    __tablename__ = "guarantees"
    __table_args__ = (
        CheckConstraint("amount > 0 AND covered_amount > 0", name="amounts_positive"),
        CheckConstraint("covered_amount <= amount", name="covered_within_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("guarantee_requests.id"), unique=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), unique=True)
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("financial_institutions.id"), index=True)
    bank_institution_id: Mapped[int] = mapped_column(
        ForeignKey("financial_institutions.id"), index=True
    )
    guarantee_product_id: Mapped[int] = mapped_column(ForeignKey("guarantee_products.id"))
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    letter_no: Mapped[str] = mapped_column(String(32), unique=True)
    amount: Mapped[Decimal]  # the loan principal guaranteed, yuan
    coverage_share: Mapped[Decimal] = mapped_column(Rate)  # percent of a loss the guarantor bears
    covered_amount: Mapped[Decimal]  # amount × coverage, the most the guarantor pays
    fee_rate: Mapped[Decimal] = mapped_column(Rate)  # percent a year of the principal
    fee_amount: Mapped[Decimal]  # the whole fee over the term, yuan
    term_months: Mapped[int]
    # Issued by the guarantor's officer, or with the bank's decision under 见贷即保.
    automatic: Mapped[bool] = mapped_column(default=False)
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The product's risk-sharing agreement as it stood at issue (RiskShareAgreement.terms);
    # None when the product had none: the guarantor then bears its coverage share alone.
    risk_terms: Mapped[dict[str, object] | None] = mapped_column(JSON)

    institution: Mapped[FinancialInstitution] = relationship(foreign_keys=[institution_id])
    bank: Mapped[FinancialInstitution] = relationship(foreign_keys=[bank_institution_id])
    guarantee_product: Mapped[GuaranteeProduct] = relationship()


class RiskShareAgreement(Base):
    """How a loss on a guaranteed loan is shared (风险分担, e.g. the national "4321"): shares in
    percent per party summing to 100, optional caps per loan on the re-guarantee and government
    shares (the guarantor bears what a cap leaves), and when the bank may claim compensation."""

    __tablename__ = "risk_share_agreements"
    __table_args__ = (
        CheckConstraint(
            "guarantor_share + reguarantee_share + bank_share + government_share = 100",
            name="shares_sum_to_100",
        ),
        CheckConstraint(
            "guarantor_share > 0 AND reguarantee_share >= 0 AND bank_share >= 0"
            " AND government_share >= 0",
            name="shares_in_range",
        ),
        CheckConstraint(
            "trigger_overdue_days IS NULL OR trigger_overdue_days BETWEEN 1 AND 720",
            name="trigger_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guarantee_product_id: Mapped[int] = mapped_column(
        ForeignKey("guarantee_products.id"), unique=True
    )
    guarantor_share: Mapped[Decimal] = mapped_column(Rate)
    reguarantee_share: Mapped[Decimal] = mapped_column(Rate)
    bank_share: Mapped[Decimal] = mapped_column(Rate)
    government_share: Mapped[Decimal] = mapped_column(Rate)
    reguarantee_cap: Mapped[Decimal | None]  # yuan per loan; None: no cap
    government_cap: Mapped[Decimal | None]
    # The bank may claim once the loan is classed 损失, or overdue this many days (None: 损失 only).
    trigger_overdue_days: Mapped[int | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def terms(self) -> dict[str, object]:
        """The agreement as the guarantee letter keeps it (a snapshot: later edits do not
        reach letters already issued)."""
        return {
            "shares": {
                "guarantor": str(self.guarantor_share),
                "reguarantee": str(self.reguarantee_share),
                "bank": str(self.bank_share),
                "government": str(self.government_share),
            },
            "caps": {
                "reguarantee": None if self.reguarantee_cap is None else str(self.reguarantee_cap),
                "government": None if self.government_cap is None else str(self.government_cap),
            },
            "trigger_overdue_days": self.trigger_overdue_days,
        }


class Compensation(Base):
    """A bank's claim on a guarantee after default (代偿), the guarantor's payment, and the
    loss as the agreement splits it among the parties."""

    __tablename__ = "compensations"
    __table_args__ = (
        CheckConstraint("loss_amount > 0", name="loss_positive"),
        CheckConstraint("claimed_amount >= 0", name="claimed_not_negative"),
        CheckConstraint("recovered_total >= 0", name="recovered_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guarantee_id: Mapped[int] = mapped_column(ForeignKey("guarantees.id"), unique=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    bank_institution_id: Mapped[int] = mapped_column(
        ForeignKey("financial_institutions.id"), index=True
    )
    institution_id: Mapped[int] = mapped_column(ForeignKey("financial_institutions.id"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    # The loan report that made the loan claimable, for provenance, and why (loss / overdue).
    report_id: Mapped[int] = mapped_column(ForeignKey("loan_status_reports.id"))
    ground: Mapped[str] = mapped_column(String(16))
    loss_amount: Mapped[Decimal]  # principal outstanding at default, yuan
    claimed_amount: Mapped[Decimal]  # what the guarantor owes the bank under the letter
    # Each party's part of the loss in yuan ({"guarantor", "reguarantee", "bank",
    # "government"}), summing to loss_amount; worked out by portal.guarantees.sharing.
    split: Mapped[dict[str, str]] = mapped_column(JSON)
    # submitted (claimed by the bank), approved (paid by the guarantor) or rejected.
    status: Mapped[ClaimStatus] = mapped_column(
        db_enum(ClaimStatus, "compensation_status"), default=ClaimStatus.SUBMITTED, index=True
    )
    evidence_note: Mapped[str] = mapped_column(Text)
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    recovered_total: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]

    guarantee: Mapped[Guarantee] = relationship()
    shares: Mapped[list[CompensationShare]] = relationship(
        back_populates="compensation", order_by="CompensationShare.id"
    )
    recoveries: Mapped[list[CompensationRecovery]] = relationship(
        back_populates="compensation", order_by="CompensationRecovery.id"
    )


class CompensationShare(Base):
    """The guarantor's claim, after paying the bank, for the re-guarantee's or the
    government's part of the loss; reviewed by government staff."""

    __tablename__ = "compensation_shares"
    __table_args__ = (
        UniqueConstraint("compensation_id", "party", name="uq_compensation_share_party"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    compensation_id: Mapped[int] = mapped_column(ForeignKey("compensations.id"), index=True)
    party: Mapped[str] = mapped_column(String(16))  # reguarantee, government
    amount: Mapped[Decimal]
    status: Mapped[ClaimStatus] = mapped_column(
        db_enum(ClaimStatus, "compensation_share_status"),
        default=ClaimStatus.SUBMITTED,
        index=True,
    )
    region_code: Mapped[str] = mapped_column(String(6), index=True)  # the firm's city
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    compensation: Mapped[Compensation] = relationship(back_populates="shares")


class CompensationRecovery(Base):
    """Money the guarantor recovers from the firm after paying, shared back to every party in
    the proportions the loss was split."""

    __tablename__ = "compensation_recoveries"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    compensation_id: Mapped[int] = mapped_column(ForeignKey("compensations.id"), index=True)
    amount: Mapped[Decimal]
    split: Mapped[dict[str, str]] = mapped_column(JSON)  # each party's part, summing to amount
    recovered_on: Mapped[dt.date]
    note: Mapped[str | None] = mapped_column(String(200))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    compensation: Mapped[Compensation] = relationship(back_populates="recoveries")

"""Leads (a need routed to one bank) and the loans they turn into."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.catalog.models import BankProduct
from portal.db import Base, Rate, utcnow
from portal.enums import LeadOrigin, LeadStatus, LoanStatus, RepaymentMethod, db_enum
from portal.firms.models import Firm
from portal.institutions.models import FinancialInstitution
from portal.needs.models import FinancingNeed


class Lead(Base):
    __tablename__ = "leads"
    __table_args__ = (
        # Only a pooled lead may be without a bank; claiming it sets one. An unclaimed pooled
        # lead closes without one when its need is settled or withdrawn.
        CheckConstraint(
            "institution_id IS NOT NULL OR status IN ('pooled', 'closed')",
            name="bank_unless_pooled",
        ),
        # A need reaches each bank at most once: rerouting and retried jobs cannot double it.
        UniqueConstraint("need_id", "institution_id", name="uq_leads_need_institution"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("financing_needs.id"), index=True)
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("financial_institutions.id"), index=True
    )
    product_id: Mapped[int | None] = mapped_column(ForeignKey("bank_products.id"))
    match_result_id: Mapped[int | None] = mapped_column(ForeignKey("match_results.id"))
    status: Mapped[LeadStatus] = mapped_column(db_enum(LeadStatus, "lead_status"), index=True)
    origin: Mapped[LeadOrigin] = mapped_column(
        db_enum(LeadOrigin, "lead_origin"), default=LeadOrigin.APPLIED
    )
    pre_approved: Mapped[bool] = mapped_column(default=False)
    deadline_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    claimed_at: Mapped[dt.datetime | None]
    first_response_at: Mapped[dt.datetime | None]
    accepted_at: Mapped[dt.datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decline_code: Mapped[str | None] = mapped_column(String(32))
    decline_note: Mapped[str | None] = mapped_column(Text)
    approved_amount: Mapped[Decimal | None]
    approved_rate: Mapped[Decimal | None] = mapped_column(Rate)
    approved_term_months: Mapped[int | None]
    # The offer's other terms: how it is repaid, one-off fees (yuan), the guarantee fee
    # (percent a year) and the last day the firm may take it.
    repayment_method: Mapped[RepaymentMethod | None] = mapped_column(
        db_enum(RepaymentMethod, "lead_repayment_method")
    )
    upfront_fee: Mapped[Decimal | None]
    guarantee_fee_rate: Mapped[Decimal | None] = mapped_column(Rate)
    offer_valid_until: Mapped[dt.date | None]
    # The offer holds only with a guarantee institution's guarantee (银担联动): the firm may take
    # it once a guarantee letter is issued (portal.guarantees.requests).
    guarantee_required: Mapped[bool] = mapped_column(default=False)
    decided_at: Mapped[dt.datetime | None]
    offer_taken_at: Mapped[dt.datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(String(32))
    sla_breached: Mapped[bool] = mapped_column(default=False)
    # Whom the firm calls at the bank about this lead, set when the bank accepts it.
    contact_name: Mapped[str | None] = mapped_column(String(40))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)

    need: Mapped[FinancingNeed] = relationship()
    institution: Mapped[FinancialInstitution | None] = relationship()
    product: Mapped[BankProduct | None] = relationship()


class Loan(Base):
    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("term_months > 0", name="term_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("financial_institutions.id"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("bank_products.id"), index=True)
    contract_no: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal]
    rate: Mapped[Decimal] = mapped_column(Rate)
    # Rate points off from the interest subsidy granted at the credit decision (its grant row
    # in portal.subsidies holds the policy and rule version).
    subsidy_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0"))
    repayment_method: Mapped[RepaymentMethod] = mapped_column(
        db_enum(RepaymentMethod, "loan_repayment_method"),
        default=RepaymentMethod.EQUAL_INSTALMENT,
    )
    # The guarantee fee (percent a year) and the part of it a fee-subsidy policy pays.
    guarantee_fee_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0"))
    fee_subsidy_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0"))
    term_months: Mapped[int]
    disbursed_on: Mapped[dt.date] = mapped_column(index=True)
    maturity_on: Mapped[dt.date]
    status: Mapped[LoanStatus] = mapped_column(
        db_enum(LoanStatus, "loan_status"), default=LoanStatus.ACTIVE
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    institution: Mapped[FinancialInstitution] = relationship()
    firm: Mapped[Firm] = relationship()
    product: Mapped[BankProduct | None] = relationship()

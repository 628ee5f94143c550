"""Firms (enterprises): the SMEs that seek finance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.enums import TaxCreditGrade, db_enum
from portal.firms.standards import SizeClass

if TYPE_CHECKING:
    from portal.accounts.models import User


class Firm(Base):
    __tablename__ = "firms"
    __table_args__ = (
        CheckConstraint("employees >= 0", name="employees_not_negative"),
        CheckConstraint("revenue >= 0", name="revenue_not_negative"),
        CheckConstraint("total_assets >= 0", name="total_assets_not_negative"),
        CheckConstraint("enforcement_amount >= 0", name="enforcement_amount_not_negative"),
        CheckConstraint("tax_paid_12m >= 0", name="tax_paid_12m_not_negative"),
        CheckConstraint("tax_paid_24m >= 0", name="tax_paid_24m_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    industry_code: Mapped[str] = mapped_column(String(4), index=True)
    employees: Mapped[int]
    revenue: Mapped[Decimal]  # yuan, last full year
    total_assets: Mapped[Decimal]  # yuan
    established_on: Mapped[dt.date]
    tax_credit_grade: Mapped[TaxCreditGrade] = mapped_column(
        db_enum(TaxCreditGrade, "tax_credit_grade")
    )
    qualifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Derived from the 2011 size standard whenever the figures change; stored for filtering.
    size_class: Mapped[SizeClass] = mapped_column(db_enum(SizeClass, "size_class"), index=True)
    legal_representative: Mapped[str | None] = mapped_column(String(40))
    # Facts only the exchange gives (no firm declares them): until a source has spoken they
    # hold the benign values below, and `verified_fields` does not name them, so a 秒批 rule
    # reading them defers to the bank (portal/datasources/instant.py).
    registry_status: Mapped[str] = mapped_column(String(16), default="active")
    court_records: Mapped[list[str]] = mapped_column(JSON, default=list)  # dishonest, enforcement
    enforcement_amount: Mapped[Decimal] = mapped_column(default=Decimal(0))  # open cases, yuan
    tax_paid_12m: Mapped[Decimal] = mapped_column(default=Decimal(0))  # yuan
    tax_paid_24m: Mapped[Decimal] = mapped_column(default=Decimal(0))  # yuan
    # Which profile fields hold verified values and where each came from:
    # {"tax_credit_grade": {"source": "tax", "as_of": "2026-11-30", "reference": "…",
    #   "fact_id": 12}}; a field not listed is as the firm declared it.
    verified_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Who the registrant is to the firm: confirmed by the registry (the legal representative's
    # name and ID number) or by a reviewed authorisation letter. The ID number is kept only as
    # a salted hash.
    identity_method: Mapped[str | None] = mapped_column(String(16))
    identity_verified_at: Mapped[dt.datetime | None]
    legal_rep_id_hash: Mapped[str | None] = mapped_column(String(128))
    # When the firm's facts were last fetched from the exchange (re-verification order).
    facts_checked_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="firm")

    def years_in_business(self, today: dt.date) -> int:
        """Whole years since establishment."""
        return whole_years(self.established_on, today)

    def __repr__(self) -> str:
        return f"<Firm {self.id} {self.credit_code}>"


def whole_years(since: dt.date, today: dt.date) -> int:
    """Whole years from `since` to `today`, never negative."""
    years = today.year - since.year
    if (today.month, today.day) < (since.month, since.day):
        years -= 1
    return max(years, 0)

"""The exchange's own tables: one group per government source, keyed by credit code.

Each source keeps, per firm, the as-of date and the bureau's reference number of its record, since
every fact the portal stores cites both. Money is held as whole fen in integers: exact on SQLite
(which has no decimal type) as on PostgreSQL, and answered as a yuan decimal string.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _firm_key() -> Mapped[str]:
    """The credit code as (part of) the primary key, pointing at the registry's firm."""
    return mapped_column(
        String(18), ForeignKey("registry_firms.credit_code", ondelete="CASCADE"), primary_key=True
    )


class RegistryFirm(Base):
    """市场监管: the market registry's entry for a firm; a code absent here is unknown."""

    __tablename__ = "registry_firms"

    credit_code: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    legal_representative: Mapped[str] = mapped_column(String(40))
    legal_rep_id_number: Mapped[str] = mapped_column(String(18))
    registered_capital_fen: Mapped[int] = mapped_column(BigInteger)
    established_on: Mapped[dt.date]
    region_code: Mapped[str] = mapped_column(String(6))
    industry_code: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(10))  # active 存续 · cancelled 注销 · revoked 吊销
    as_of: Mapped[dt.date]
    reference: Mapped[str] = mapped_column(String(40))


class TaxRecord(Base):
    """税务: the firm's credit grade and what its returns declared and paid."""

    __tablename__ = "tax_records"

    credit_code: Mapped[str] = _firm_key()
    credit_grade: Mapped[str] = mapped_column(String(1))
    grade_year: Mapped[int]
    revenue_fen: Mapped[int] = mapped_column(BigInteger)
    tax_paid_12m_fen: Mapped[int] = mapped_column(BigInteger)
    tax_paid_24m_fen: Mapped[int] = mapped_column(BigInteger)
    as_of: Mapped[dt.date]
    reference: Mapped[str] = mapped_column(String(40))


class SocialInsuranceAccount(Base):
    """社保: the firm's contribution account; its months are in social_insurance_months."""

    __tablename__ = "social_insurance_accounts"

    credit_code: Mapped[str] = _firm_key()
    as_of: Mapped[dt.date]
    reference: Mapped[str] = mapped_column(String(40))


class SocialInsuranceMonth(Base):
    """Insured employees in one month ("YYYY-MM"), as the firm's contributions show."""

    __tablename__ = "social_insurance_months"

    credit_code: Mapped[str] = _firm_key()
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    insured: Mapped[int]


class QualificationList(Base):
    """工信/科技: the lists' answer for a firm, even when it holds no certificate."""

    __tablename__ = "qualification_lists"

    credit_code: Mapped[str] = _firm_key()
    as_of: Mapped[dt.date]
    reference: Mapped[str] = mapped_column(String(40))


class QualificationCertificate(Base):
    """One certificate (专精特新, 高新技术企业, 科技型中小企业), expired ones kept."""

    __tablename__ = "qualification_certificates"

    credit_code: Mapped[str] = _firm_key()
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    certificate_no: Mapped[str] = mapped_column(String(40))
    valid_from: Mapped[dt.date]
    valid_to: Mapped[dt.date]


class CourtRecord(Base):
    """法院: whether the firm is on the 失信被执行人 list; its cases are in court_cases."""

    __tablename__ = "court_records"

    credit_code: Mapped[str] = _firm_key()
    dishonest: Mapped[bool]
    as_of: Mapped[dt.date]
    reference: Mapped[str] = mapped_column(String(40))


class CourtCase(Base):
    """An enforcement case (执行案件) against the firm, open or closed."""

    __tablename__ = "court_cases"

    credit_code: Mapped[str] = _firm_key()
    case_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    filed_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(10))  # open · closed

"""Verified facts, the firm's authorisations, the record of every query, and identity reviews.

A `FirmFact` is one source's record of one firm as the exchange gave it (source, as-of date,
reference, the data): the provenance of every verified value. The firm's profile columns carry
the verified values, and `Firm.verified_fields` says which, from which record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.datasources.sources import Source
from portal.db import Base, utcnow
from portal.enums import db_enum


class FirmFact(Base):
    __tablename__ = "firm_facts"
    __table_args__ = (
        Index("ix_firm_facts_firm_source_fetched", "firm_id", "source", "fetched_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"))
    source: Mapped[Source] = mapped_column(db_enum(Source, "fact_source"))
    found: Mapped[bool]  # False: the source does not know the firm
    as_of: Mapped[dt.date | None]
    reference: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DataAuthorisation(Base):
    """The firm's 授权书: which sources the banks its needs reach may query, and until when."""

    __tablename__ = "data_authorisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    # False: banks see derived indicators only (可用不可见); True: the records themselves.
    full_records: Mapped[bool] = mapped_column(default=False)
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    valid_until: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class DataQuery(Base):
    """One look by a bank at a firm's government data: allowed, refused or failed."""

    __tablename__ = "data_queries"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    authorisation_id: Mapped[int | None] = mapped_column(ForeignKey("data_authorisations.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("financial_institutions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    source: Mapped[Source] = mapped_column(db_enum(Source, "query_source"))
    purpose: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # ok, refused, failed
    detail: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class IdentityLetter(Base):
    """An authorisation letter (委托授权书) by which a registrant who is not the legal
    representative shows they act for the firm; platform staff review it."""

    __tablename__ = "identity_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FactDispute(Base):
    """The firm says a verified value is wrong; platform staff look into it."""

    __tablename__ = "fact_disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    field: Mapped[str] = mapped_column(String(32))
    source: Mapped[Source] = mapped_column(db_enum(Source, "dispute_source"))
    fact_id: Mapped[int | None] = mapped_column(ForeignKey("firm_facts.id"))
    note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None]
    decision_note: Mapped[str | None] = mapped_column(String(200))

"""What the bank and the firm exchange on an accepted lead."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base, utcnow
from portal.enums import DocumentKind, DocumentRequestStatus, db_enum
from portal.storage import StoredFile


class LeadMessage(Base):
    """One message on a lead, from the bank's side or the firm's."""

    __tablename__ = "lead_messages"
    __table_args__ = (CheckConstraint("side IN ('bank', 'firm')", name="side_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    side: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship()


class DocumentRequest(Base):
    """The bank asks the firm for a document (营业执照, 财务报表, 纳税证明 …)."""

    __tablename__ = "document_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(db_enum(DocumentKind, "document_kind"))
    note: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[DocumentRequestStatus] = mapped_column(
        db_enum(DocumentRequestStatus, "document_request_status"),
        default=DocumentRequestStatus.OPEN,
    )
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]

    requested_by: Mapped[User] = relationship()


class LeadDocument(StoredFile, Base):
    """A file the firm uploaded on a lead. The content lives in the document store under a
    random key (portal/storage.py), never under the name the firm gave it."""

    __tablename__ = "lead_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("document_requests.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(db_enum(DocumentKind, "lead_document_kind"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    uploaded_by: Mapped[User] = relationship()


class ProfileSnapshot(Base):
    """The firm's profile as the bank saw it when it decided (offer or decline): the values,
    their provenance marks and when they were taken, whatever the firm changes later."""

    __tablename__ = "lead_profile_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(16))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    taken_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

"""Consents: which version of the user agreement and of the privacy policy each user accepted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow
from portal.enums import db_enum
from portal.legal.documents import Document


class Consent(Base):
    """A user accepted one version of one document, at a time, from an address.

    Rows are only added: a new version is accepted with a row of its own, so the record shows
    every version a user agreed to and when (the proof of consent, 个人信息保护法 第十四条).
    """

    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("user_id", "document", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    document: Mapped[Document] = mapped_column(db_enum(Document, "legal_document"))
    version: Mapped[str] = mapped_column(String(16))
    accepted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    remote_addr: Mapped[str | None] = mapped_column(String(64))

"""Financial institutions (banks, guarantors) and government agencies."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.enums import InstitutionDocumentKind, InstitutionKind, OnboardingStatus, db_enum
from portal.storage import StoredFile

if TYPE_CHECKING:
    from portal.accounts.models import User


# An application may be edited, and its documents changed, while open or after a rejection.
EDITABLE_STATUSES = frozenset({OnboardingStatus.APPLIED, OnboardingStatus.REJECTED})


class FinancialInstitution(Base):
    __tablename__ = "financial_institutions"
    __table_args__ = (
        CheckConstraint("response_days BETWEEN 1 AND 30", name="response_days_range"),
        CheckConstraint(
            "(work_starts_at IS NULL AND work_ends_at IS NULL)"
            " OR (work_starts_at IS NOT NULL AND work_ends_at IS NOT NULL"
            " AND work_starts_at < work_ends_at)",
            name="working_hours_order",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    short_name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[InstitutionKind] = mapped_column(db_enum(InstitutionKind, "institution_kind"))
    # 金融许可证 number issued by the regulator; unique where known.
    licence_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(40))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    onboarding_status: Mapped[OnboardingStatus] = mapped_column(
        db_enum(OnboardingStatus, "onboarding_status"),
        default=OnboardingStatus.APPLIED,
        index=True,
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    # What the institution wrote when applying to join.
    application_note: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[dt.datetime | None]
    # Who changed the status is in the audit log; a users FK here would make a cycle.
    # Business days a lead may wait for this bank's first answer (SBA's lender match uses 2).
    response_days: Mapped[int] = mapped_column(default=2)
    # The hours firms may call (Asia/Shanghai), shown beside the institution on their needs.
    work_starts_at: Mapped[dt.time | None] = mapped_column(Time)
    work_ends_at: Mapped[dt.time | None] = mapped_column(Time)
    # Team mailboxes that also receive the institution's work e-mails (portal/mail/outbox.py).
    notify_emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Set by platform staff: this bank's products go live without waiting for review.
    products_trusted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(
        back_populates="institution", foreign_keys="User.institution_id"
    )

    @property
    def can_publish(self) -> bool:
        return self.onboarding_status == OnboardingStatus.APPROVED

    @property
    def working_hours(self) -> str | None:
        """The contact hours as firms read them ("09:00–17:30"), or None when not set."""
        if self.work_starts_at is None or self.work_ends_at is None:
            return None
        return f"{self.work_starts_at:%H:%M}–{self.work_ends_at:%H:%M}"

    def __repr__(self) -> str:
        return f"<FinancialInstitution {self.id} {self.short_name}>"


def is_guarantor(institution: FinancialInstitution) -> bool:
    """Whether the institution is a financing guarantee institution rather than a bank."""
    return institution.kind == InstitutionKind.GUARANTEE


class GovernmentAgency(Base):
    __tablename__ = "government_agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    short_name: Mapped[str] = mapped_column(String(40))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="agency")

    def __repr__(self) -> str:
        return f"<GovernmentAgency {self.id} {self.short_name}>"


class InstitutionDocument(StoredFile, Base):
    """A document an institution's application carries (its licence, its business licence),
    kept in the document store (portal/storage.py) under a random key."""

    __tablename__ = "institution_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("financial_institutions.id"), index=True)
    kind: Mapped[InstitutionDocumentKind] = mapped_column(
        db_enum(InstitutionDocumentKind, "institution_document_kind")
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Taken off the application by its applicant; kept, since a reviewer may have read it.
    removed_at: Mapped[dt.datetime | None]


def can_edit(institution: FinancialInstitution) -> bool:
    """Whether the applicant may still edit the application (open or rejected)."""
    return institution.onboarding_status in EDITABLE_STATUSES

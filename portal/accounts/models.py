"""User accounts. One table for every role; the tenant columns say whom a user works for."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ColumnElement, ForeignKey, String, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.enums import FirmRole, Role, db_enum

if TYPE_CHECKING:
    from portal.firms.models import Firm
    from portal.institutions.models import FinancialInstitution, GovernmentAgency


def new_session_token() -> str:
    """A fresh random token; changing it invalidates every cookie that carries the old one."""
    return secrets.token_urlsafe(24)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        # A user's tenant column must match the role: the scoping layer relies on it.
        CheckConstraint("(role = 'sme') = (firm_id IS NOT NULL)", name="sme_has_firm"),
        CheckConstraint(
            "(role IN ('bank_officer', 'bank_admin', 'guarantor_officer', 'guarantor_admin'))"
            " = (institution_id IS NOT NULL)",
            name="bank_user_has_institution",
        ),
        CheckConstraint(
            "(role = 'gov_staff') = (agency_id IS NOT NULL)", name="gov_user_has_agency"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[Role] = mapped_column(db_enum(Role, "role"), index=True)
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firms.id"), index=True)
    # A firm's users are its owners (who run its team and export its data) or its members;
    # NULL for everyone else (migration 0023 made every firm user before it an owner).
    firm_role: Mapped[FirmRole | None] = mapped_column(db_enum(FirmRole, "firm_role"))
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("financial_institutions.id"), index=True
    )
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("government_agencies.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    locale: Mapped[str | None] = mapped_column(String(16))
    # Notifications are e-mailed only to an address its owner confirmed (email_confirmation.py),
    # and not for the categories they switched off (portal/mail/outbox.py CATEGORIES).
    email_verified_at: Mapped[dt.datetime | None]
    email_off: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # An invited account (portal/team/invitations.py) has no usable password until its owner
    # accepts the invitation (joined_at); other accounts were never invited.
    invited_at: Mapped[dt.datetime | None]
    joined_at: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]
    # Two-factor sign-in (RFC 6238). The secret is set when enrolment starts and counts only once
    # confirmed; the last accepted time step stops a code from being used twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[dt.datetime | None]
    totp_last_step: Mapped[int | None]
    # The user an API client acts as (portal/api/models.py): never signs in, never gets mail,
    # and is not one of the team its institution's admins manage.
    api_client: Mapped[bool] = mapped_column(default=False)

    firm: Mapped[Firm | None] = relationship(back_populates="users")
    institution: Mapped[FinancialInstitution | None] = relationship(back_populates="users")
    agency: Mapped[GovernmentAgency | None] = relationship(back_populates="users")

    # Flask-Login protocol. The id carries the session token so that a cookie issued before the
    # last login or logout no longer loads the user (flask-login issue #480).
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        """Invalidate every session this user holds."""
        self.session_token = new_session_token()

    @property
    def has_two_factor(self) -> bool:
        return self.totp_secret is not None and self.totp_confirmed_at is not None

    @property
    def is_firm_owner(self) -> bool:
        return self.firm_id is not None and self.firm_role == FirmRole.OWNER

    @hybrid_property
    def invitation_pending(self) -> bool:
        """Invited, and the invitation not accepted yet: the account cannot sign in."""
        return self.invited_at is not None and self.joined_at is None

    @invitation_pending.inplace.expression
    @classmethod
    def _invitation_pending_expression(cls) -> ColumnElement[bool]:
        return and_(cls.invited_at.is_not(None), cls.joined_at.is_(None))

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class RecoveryCode(Base):
    """A one-time code that stands in for the authenticator app; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    used_at: Mapped[dt.datetime | None]


class ThrottleCounter(Base):
    """Failed sign-in attempts per key and time window, when Redis is not configured.

    One row per (key, window); workers increment it with an upsert, so the count holds across
    processes and machines that share the database.
    """

    __tablename__ = "throttle_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class AccountToken(Base):
    """A single-use link sent by e-mail (password reset, address confirmation); only its hash
    is kept, so the table gives nobody a working link."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(24))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The address the link was sent to: a confirmation counts only for that address.
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]

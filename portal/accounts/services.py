"""Account services: registration, sign-in and sign-out, staff accounts.

Services take the data and the acting user, change the database in one transaction and raise
domain exceptions that views turn into messages.
"""

from __future__ import annotations

from typing import Any

from flask_login import login_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.accounts.passwords import hash_password, verify_password
from portal.audit import service as audit
from portal.db import utcnow
from portal.enums import Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.firms.services import build_firm
from portal.institutions.models import FinancialInstitution, GovernmentAgency


class AccountError(Exception):
    """Base of the account domain's errors."""


class EmailTaken(AccountError):
    """Another account already uses this email."""


class CreditCodeTaken(AccountError):
    """A firm with this credit code is already registered."""


class InvalidCredentials(AccountError):
    """The email and password do not match an active account."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_exists(email: str) -> bool:
    return db.session.scalar(select(func.count()).where(User.email == normalise_email(email))) > 0


def register_firm(account: dict[str, Any], profile: dict[str, Any], credit_code: str) -> User:
    """Create a firm and its first user in one transaction."""
    if email_exists(account["email"]):
        raise EmailTaken
    if db.session.scalar(select(Firm.id).where(Firm.credit_code == credit_code)) is not None:
        raise CreditCodeTaken
    firm = build_firm(credit_code=credit_code, **profile)
    user = User(
        email=normalise_email(account["email"]),
        password_hash=hash_password(account["password"]),
        full_name=account["full_name"].strip(),
        phone=(account.get("phone") or "").strip() or None,
        role=Role.SME,
        firm=firm,
    )
    db.session.add_all([firm, user])
    try:
        db.session.flush()
    except IntegrityError as error:
        # Two registrations of the same code or email racing past the checks above.
        db.session.rollback()
        raise _duplicate_error(error) from None
    audit.record("firm.register", actor=user, obj=firm, firm_id=firm.id)
    db.session.commit()
    return user


def _duplicate_error(error: IntegrityError) -> AccountError:
    text = str(error.orig).lower()
    return CreditCodeTaken() if "credit_code" in text else EmailTaken()


def authenticate(email: str, password: str) -> User:
    """The active user with these credentials, or InvalidCredentials."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if not verify_password(user.password_hash if user else None, password) or not (
        user and user.is_active
    ):
        audit.record("auth.login_failed", actor=user, email=normalise_email(email)[:254])
        db.session.commit()
        raise InvalidCredentials
    return user


def sign_in(user: User) -> None:
    """Start a fresh session: a new token ends any session this user held before."""
    user.rotate_session_token()
    user.last_login_at = utcnow()
    login_user(user)
    audit.record("auth.login", actor=user)
    db.session.commit()


def sign_out(user: User) -> None:
    """End the session for good: the old cookie, even copied, no longer loads the user."""
    user.rotate_session_token()
    audit.record("auth.logout", actor=user)
    db.session.commit()
    logout_user()


def create_staff_user(actor: User, data: dict[str, Any]) -> User:
    """An admin creates a bank, government, regulator or admin account."""
    if email_exists(data["email"]):
        raise EmailTaken
    role = Role(data["role"])
    user = User(
        email=normalise_email(data["email"]),
        password_hash=hash_password(data["password"]),
        full_name=data["full_name"].strip(),
        phone=(data.get("phone") or "").strip() or None,
        role=role,
        institution_id=_tenant_id(role, data, "institution_id", FinancialInstitution),
        agency_id=_tenant_id(role, data, "agency_id", GovernmentAgency),
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise EmailTaken from None
    audit.record("user.create", actor=actor, obj=user, role=str(role))
    db.session.commit()
    return user


_TENANT_ROLES = {
    "institution_id": (Role.BANK_OFFICER, Role.BANK_ADMIN),
    "agency_id": (Role.GOV_STAFF,),
}


def _tenant_id(role: Role, data: dict[str, Any], key: str, model: type) -> int | None:
    """The tenant id the role needs, checked to exist; None for roles without one."""
    if role not in _TENANT_ROLES[key]:
        return None
    tenant = db.session.get(model, data.get(key) or 0)
    if tenant is None:
        raise LookupError(key)
    return tenant.id


def set_active(actor: User, user: User, active: bool) -> None:
    """Disable or enable an account; disabling also ends its sessions."""
    user.is_active = active
    user.rotate_session_token()
    audit.record("user.activate" if active else "user.deactivate", actor=actor, obj=user)
    db.session.commit()

"""Account services: registration, sign-in and sign-out, staff accounts.

Services take the data and the acting user, change the database in one transaction and raise
domain exceptions that views turn into messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import session
from flask_login import login_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.accounts import email_confirmation, throttle, two_factor
from portal.accounts.models import User
from portal.accounts.passwords import hash_password, verify_password
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.authz.access import SECOND_FACTOR_SESSION_KEY
from portal.db import utcnow
from portal.enums import GUARANTOR_ROLES, INSTITUTION_ROLES, FirmRole, OnboardingStatus, Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.firms.services import build_firm
from portal.i18n import LOCALE_SESSION_KEY
from portal.institutions.models import FinancialInstitution, GovernmentAgency, is_guarantor


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


def ensure_available(email: str, credit_code: str) -> None:
    """EmailTaken or CreditCodeTaken when either is registered already."""
    if email_exists(email):
        raise EmailTaken
    if db.session.scalar(select(Firm.id).where(Firm.credit_code == credit_code)) is not None:
        raise CreditCodeTaken


def register_firm(
    account: dict[str, Any],
    profile: dict[str, Any],
    credit_code: str,
    *,
    before_commit: Callable[[User, Firm], None] | None = None,
) -> User:
    """Create a firm and its first user in one transaction.

    `before_commit(user, firm)` runs inside that transaction (the firm's verification and
    identity); if it raises, nothing is saved and the error goes to the caller.
    """
    ensure_available(account["email"], credit_code)
    firm = build_firm(credit_code=credit_code, **profile)
    user = User(
        email=normalise_email(account["email"]),
        password_hash=hash_password(account["password"]),
        full_name=account["full_name"].strip(),
        phone=(account.get("phone") or "").strip() or None,
        role=Role.SME,
        firm=firm,
        firm_role=FirmRole.OWNER,
    )
    db.session.add_all([firm, user])
    try:
        db.session.flush()
    except IntegrityError as error:
        # Two registrations of the same code or email racing past the checks above.
        db.session.rollback()
        raise _duplicate_error(error) from None
    audit.record(AuditAction.FIRM_REGISTER, actor=user, obj=firm, firm_id=firm.id)
    if before_commit is not None:
        try:
            before_commit(user, firm)
        except Exception:
            db.session.rollback()
            raise
    email_confirmation.send_link(user)
    db.session.commit()
    return user


def _duplicate_error(error: IntegrityError) -> AccountError:
    text = str(error.orig).lower()
    return CreditCodeTaken() if "credit_code" in text else EmailTaken()


def authenticate(email: str, password: str, address: str | None = None) -> User:
    """The active user with these credentials, or InvalidCredentials (or Throttled).

    The attempt is counted before the password is checked (so however many arrive at once, no
    more than the limit are checked); a failure is logged in its own commit, so it stands
    whatever the caller does, and a success gives the count back.
    """
    attempt = throttle.begin(email, address, step="password")
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if not verify_password(user.password_hash if user else None, password) or not (
        user and user.is_active
    ):
        _record_failure(email, user, step="password")
        raise InvalidCredentials
    attempt.succeeded()
    return user


def _record_failure(email: str, user: User | None, *, step: str) -> None:
    audit.record(
        AuditAction.AUTH_LOGIN_FAILED, actor=user, email=normalise_email(email)[:254], step=step
    )
    db.session.commit()


def sign_in(user: User, address: str | None = None, *, second_factor: bool = False) -> None:
    """Start a fresh session: a new token ends any session this user held before.

    Whatever the browser's session held before signing in is dropped (only the language
    choice survives), so nothing planted in it before login carries over. The session notes
    whether it began with a second factor: bank powers need one (portal/authz/permissions.py).
    """
    locale = fresh_session()
    if locale and user.locale != locale:
        user.locale = locale  # the language chosen on the sign-in pages is the person's choice
    session[SECOND_FACTOR_SESSION_KEY] = second_factor
    user.rotate_session_token()
    user.last_login_at = utcnow()
    login_user(user)
    start_session_clock()
    throttle.record_success(user.email, address)
    audit.record(AuditAction.AUTH_LOGIN, actor=user, two_factor=user.has_two_factor)
    db.session.commit()


def sign_out(user: User) -> None:
    """End the session for good: the old cookie, even copied, no longer loads the user."""
    user.rotate_session_token()
    audit.record(AuditAction.AUTH_LOGOUT, actor=user)
    db.session.commit()
    logout_user()
    fresh_session()


def fresh_session() -> str | None:
    """Empty the browser's session but for its language choice, which it returns (or None)."""
    locale = session.get(LOCALE_SESSION_KEY)
    session.clear()
    if locale:
        session[LOCALE_SESSION_KEY] = locale
    return locale


# --- Two-factor sign-in --------------------------------------------------------------------
# Between the password and the code, the session holds only a pending marker: the user id, its
# session token (so a password change or logout elsewhere voids it) and when it was made.

PENDING_LOGIN = "pending_login"
PENDING_LOGIN_SECONDS = 300


def begin_second_step(user: User, next_url: str | None) -> None:
    fresh_session()
    session[PENDING_LOGIN] = {
        "user_id": user.id,
        "token": user.session_token,
        "at": int(time.time()),
        "next": next_url,
    }


def pending_user() -> User | None:
    """The user who gave the right password moments ago and owes the second step, if any."""
    pending = session.get(PENDING_LOGIN)
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("at", 0) > PENDING_LOGIN_SECONDS:
        session.pop(PENDING_LOGIN, None)
        return None
    user = db.session.get(User, pending.get("user_id") or 0)
    if user is None or not user.is_active or user.session_token != pending.get("token"):
        return None
    return user


def pending_next() -> str | None:
    pending = session.get(PENDING_LOGIN)
    return pending.get("next") if isinstance(pending, dict) else None


def complete_second_step(user: User, code: str, address: str | None) -> None:
    """Check an authenticator code or a recovery code, then sign in; else InvalidCredentials.

    Counted before the check like a password; each code is accepted by one request only.
    """
    attempt = throttle.begin(user.email, address, step="two_factor")
    if two_factor.verify_code(user, code):
        method = "totp"
    elif two_factor.use_recovery_code(user, code):
        method = "recovery_code"
    else:
        _record_failure(user.email, user, step="two_factor")
        raise InvalidCredentials
    audit.record(AuditAction.AUTH_TWO_FACTOR, actor=user, method=method)
    sign_in(user, address, second_factor=True)
    attempt.succeeded()


def start_enrolment(user: User) -> None:
    """Give the user a secret to add to an authenticator app (kept until confirmed)."""
    if user.totp_secret is None or user.totp_confirmed_at is not None:
        user.totp_secret = two_factor.new_secret()
        user.totp_confirmed_at = None
        user.totp_last_step = None
        db.session.commit()


def confirm_enrolment(user: User, code: str, address: str | None) -> list[str]:
    """Bind the authenticator once it shows a valid code; returns the recovery codes to show."""
    attempt = throttle.begin(user.email, address, step="enrolment")
    if not two_factor.verify_code(user, code):
        _record_failure(user.email, user, step="enrolment")
        raise InvalidCredentials
    user.totp_confirmed_at = utcnow()
    codes = two_factor.issue_recovery_codes(user)
    audit.record(AuditAction.AUTH_TWO_FACTOR_ENROLLED, actor=user, obj=user)
    sign_in(user, address, second_factor=True)
    attempt.succeeded()
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    codes = two_factor.issue_recovery_codes(user)
    audit.record(AuditAction.AUTH_RECOVERY_CODES_REGENERATED, actor=user, obj=user)
    db.session.commit()
    return codes


def change_password(user: User, current: str, new: str) -> None:
    """Change the password after checking the current one; other sessions end."""
    if not verify_password(user.password_hash, current):
        raise InvalidCredentials
    user.password_hash = hash_password(new)
    user.rotate_session_token()
    audit.record(AuditAction.AUTH_PASSWORD_CHANGED, actor=user, obj=user)
    db.session.commit()
    # The rotated token would sign this browser out too; keep it signed in, as the user asked.
    login_user(user)


def reset_two_factor(actor: User, user: User) -> None:
    """An admin clears a user's authenticator (lost phone and codes); enrolment starts anew."""
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    user.rotate_session_token()
    two_factor.issue_recovery_codes(user)  # replaces the old codes; the new ones are never shown
    audit.record(AuditAction.USER_TWO_FACTOR_RESET, actor=actor, obj=user)
    db.session.commit()


# --- Session lifetime ------------------------------------------------------------------------

SESSION_SIGNED_IN_AT = "signed_in_at"
SESSION_SEEN_AT = "seen_at"


def start_session_clock() -> None:
    now = int(time.time())
    session.permanent = True
    session[SESSION_SIGNED_IN_AT] = now
    session[SESSION_SEEN_AT] = now


def session_expired(idle_limit: int, absolute_limit: int) -> bool:
    """Whether the signed-in session has been idle or alive too long; else note this visit."""
    now = int(time.time())
    signed_in_at = session.get(SESSION_SIGNED_IN_AT)
    seen_at = session.get(SESSION_SEEN_AT)
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        return True
    if now - seen_at > idle_limit or now - signed_in_at > absolute_limit:
        return True
    # Rewriting the cookie on every request is wasteful; a minute's precision is plenty.
    if now - seen_at >= 60:
        session[SESSION_SEEN_AT] = now
    return False


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
        **staff_tenancy(role, data),
    )
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise EmailTaken from None
    audit.record(AuditAction.USER_CREATE, actor=actor, obj=user, role=str(role))
    email_confirmation.send_link(user)
    db.session.commit()
    return user


def create_admin_from_cli(email: str, full_name: str, password: str) -> User:
    """The operator creates an administrator at the command line (no acting user)."""
    if email_exists(email):
        raise EmailTaken
    user = User(
        email=normalise_email(email),
        password_hash=hash_password(password),
        full_name=full_name.strip(),
        role=Role.ADMIN,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        AuditAction.USER_CREATE, actor=None, obj=user, role=str(Role.ADMIN), via="command line"
    )
    db.session.commit()
    return user


_TENANT_ROLES = {
    "institution_id": tuple(INSTITUTION_ROLES),
    "agency_id": (Role.GOV_STAFF,),
}


def staff_tenancy(role: Role, data: dict[str, Any]) -> dict[str, int | None]:
    """The tenant columns of a new staff account: the institution or agency its role needs,
    checked to exist and to fit the role (LookupError if not); None where the role has none."""
    return {
        "institution_id": _tenant_id(role, data, "institution_id", FinancialInstitution),
        "agency_id": _tenant_id(role, data, "agency_id", GovernmentAgency),
    }


def _tenant_id(role: Role, data: dict[str, Any], key: str, model: type) -> int | None:
    """The tenant id the role needs, checked to exist; None for roles without one."""
    if role not in _TENANT_ROLES[key]:
        return None
    tenant = db.session.get(model, data.get(key) or 0)
    if tenant is None:
        raise LookupError(key)
    if getattr(tenant, "onboarding_status", None) == OnboardingStatus.REJECTED:
        raise LookupError(key)  # nobody works for an institution whose application was refused
    if isinstance(tenant, FinancialInstitution) and is_guarantor(tenant) != (
        role in GUARANTOR_ROLES
    ):
        # A bank officer works for a bank, a guarantor's officer for a guarantee institution.
        raise LookupError(key)
    return tenant.id


EDITABLE = ("full_name", "email", "phone", "institution_id", "agency_id")


def update_user(actor: User, user: User, data: dict[str, Any]) -> list[str]:
    """Correct an account's name, e-mail, phone or employer; the fields that changed.

    A new e-mail address must be confirmed again, and a new address or employer ends the
    account's sessions (its powers follow the employer). EmailTaken, or LookupError for an
    employer that does not exist, does not fit the role or was rejected; nothing saved then.
    """
    wanted = {
        "full_name": data["full_name"].strip(),
        "email": normalise_email(data["email"]),
        "phone": (data.get("phone") or "").strip() or None,
        **(staff_tenancy(user.role, data) if user.role != Role.SME else {}),
    }
    changed = {k: (getattr(user, k), v) for k, v in wanted.items() if getattr(user, k) != v}
    if not changed:
        return []
    if "email" in changed and email_exists(wanted["email"]):
        raise EmailTaken
    for key, (_before, after) in changed.items():
        setattr(user, key, after)
    if changed.keys() & {"email", "institution_id", "agency_id"}:
        user.rotate_session_token()
    if "email" in changed:
        user.email_verified_at = None
        email_confirmation.send_link(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise EmailTaken from None
    audit.record(
        AuditAction.USER_UPDATE,
        actor=actor,
        obj=user,
        **{f"{k}_before": before for k, (before, _after) in changed.items()},
        **{f"{k}_after": after for k, (_before, after) in changed.items()},
    )
    db.session.commit()
    return sorted(changed)


def set_active(actor: User, user: User, active: bool) -> None:
    """Disable or enable an account; disabling also ends its sessions."""
    user.is_active = active
    user.rotate_session_token()
    audit.record(
        AuditAction.USER_ACTIVATE if active else AuditAction.USER_DEACTIVATE, actor=actor, obj=user
    )
    db.session.commit()

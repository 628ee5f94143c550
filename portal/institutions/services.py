"""Bank onboarding (准入): applications, government decisions, and who may publish.

Services take the acting user, change the database in one transaction (audit entry and
notifications included) and raise domain exceptions that views turn into messages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.exc import IntegrityError

from portal import settings
from portal.accounts.models import User
from portal.accounts.passwords import hash_password
from portal.accounts.services import email_exists, normalise_email
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.audit.models import AuditEntry
from portal.authz import scoped
from portal.dates import today_in_china
from portal.db import utcnow
from portal.enums import InstitutionDocumentKind, InstitutionKind, OnboardingStatus, Role
from portal.extensions import db
from portal.institutions import documents
from portal.institutions.models import (
    EDITABLE_STATUSES,
    FinancialInstitution,
    can_edit,
    is_guarantor,
)
from portal.legal import services as legal
from portal.notifications.models import Notification

MIN_REASON_LENGTH = 4
MAX_REASON_LENGTH = 500

# The institution fields an applicant fills in and may edit while the application is open.
APPLICATION_FIELDS = (
    "name",
    "short_name",
    "kind",
    "licence_no",
    "region_code",
    "contact_name",
    "contact_phone",
    "application_note",
)


class OnboardingError(Exception):
    """Base of the onboarding domain's errors."""


class AlreadyRegistered(OnboardingError):
    """Another institution or account already uses one of these values."""

    def __init__(self, fields: frozenset[str]) -> None:
        super().__init__(", ".join(sorted(fields)))
        self.fields = fields


class NotEditable(OnboardingError):
    """The application is decided (approved or suspended) and can no longer be edited here."""


class InvalidTransition(OnboardingError):
    """The decision does not apply to the institution's current status."""


class InvalidReason(OnboardingError):
    """The reason is missing, too short or too long."""


class MissingDocuments(OnboardingError):
    """An application without its licence or business licence cannot be approved."""

    def __init__(self, kinds: list[InstitutionDocumentKind]) -> None:
        super().__init__(
            _(
                "申请缺少%(kinds)s，不能批准。请通知机构在准入申请页上传后再审核。",
                kinds=documents.missing_text(kinds),
            )
        )
        self.kinds = kinds


class NotApproved(OnboardingError):
    """The institution may not publish products (not yet approved, rejected or suspended)."""

    def __init__(self, message: object) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class Decision:
    """One government decision: the statuses it applies to and the status it leads to."""

    action: str
    sources: frozenset[OnboardingStatus]
    target: OnboardingStatus
    reason_required: bool


_APPLIED = frozenset({OnboardingStatus.APPLIED})
DECISIONS: dict[str, Decision] = {
    d.action: d
    for d in (
        Decision("approve", _APPLIED, OnboardingStatus.APPROVED, reason_required=False),
        Decision("reject", _APPLIED, OnboardingStatus.REJECTED, reason_required=True),
        Decision(
            "suspend",
            frozenset({OnboardingStatus.APPROVED}),
            OnboardingStatus.SUSPENDED,
            reason_required=True,
        ),
        Decision(
            "reinstate",
            frozenset({OnboardingStatus.SUSPENDED}),
            OnboardingStatus.APPROVED,
            reason_required=False,
        ),
    )
}

# What each decision tells the institution's administrators.
_NOTICE_TITLES = {
    "approve": _l("机构准入申请已通过"),
    "reject": _l("机构准入申请未通过"),
    "suspend": _l("本机构已被暂停"),
    "reinstate": _l("本机构已恢复正常"),
}
_NOTICE_BODIES = {
    "approve": _l(
        "贵机构已通过准入审核。请重新登录并按提示开启两步验证，之后即可进入机构管理、发布产品。"
    ),
    "reject": _l("贵机构的准入申请未通过审核。请按审核意见修改后重新提交。"),
    "suspend": _l("贵机构已被暂停，产品暂不在平台目录展示，也不能发布新产品。"),
    "reinstate": _l("贵机构已恢复正常，产品将重新在平台目录展示。请重新登录后继续办理业务。"),
}


# Applying and editing -------------------------------------------------------------------------


class KindFamilyChanged(OnboardingError):
    """An application edit that would turn a bank into a guarantor or back."""


def apply(institution_data: dict[str, Any], account: dict[str, Any]) -> User:
    """Create an institution (APPLIED) and its first administrator in one transaction, with
    the administrator's consent to the user agreement and the privacy policy in force."""
    data = _clean_institution(institution_data)
    taken = _taken_fields(data, email=account["email"])
    if taken:
        raise AlreadyRegistered(taken)
    institution = FinancialInstitution(
        **data,
        onboarding_status=OnboardingStatus.APPLIED,
        response_days=settings.new_institution_response_days(),
    )
    user = User(
        email=normalise_email(account["email"]),
        password_hash=hash_password(account["password"]),
        full_name=account["full_name"].strip(),
        phone=(account.get("phone") or "").strip() or None,
        role=admin_role_for(institution),
        institution=institution,
    )
    db.session.add_all([institution, user])
    try:
        db.session.flush()
    except IntegrityError:
        # Two applications racing past the checks above: say which value is now taken.
        db.session.rollback()
        raise AlreadyRegistered(
            _taken_fields(data, email=account["email"]) or frozenset({"name"})
        ) from None
    audit.record(AuditAction.INSTITUTION_APPLY, actor=user, obj=institution, name=institution.name)
    legal.record_consents(user, today_in_china())  # the application form's consent box
    db.session.commit()
    return user


def admin_role_for(institution: FinancialInstitution) -> Role:
    """The role of an institution's administrator: a guarantor's or a bank's."""
    return Role.GUARANTOR_ADMIN if is_guarantor(institution) else Role.BANK_ADMIN


def update_application(
    actor: User, institution: FinancialInstitution, institution_data: dict[str, Any]
) -> bool:
    """Edit an open or rejected application; a rejected one goes back to review.

    Returns True when the edit resubmitted a rejected application.
    """
    if not can_edit(institution):
        raise NotEditable
    data = _clean_institution(institution_data)
    if (data["kind"] == InstitutionKind.GUARANTEE) != is_guarantor(institution):
        # Its users' roles follow the kind: a bank cannot become a guarantor by an edit.
        raise KindFamilyChanged
    taken = _taken_fields(data, exclude_id=institution.id)
    if taken:
        raise AlreadyRegistered(taken)
    resubmitted = institution.onboarding_status == OnboardingStatus.REJECTED
    values: dict[str, Any] = dict(data)
    if resubmitted:
        values.update(
            onboarding_status=OnboardingStatus.APPLIED,
            status_reason=None,
            status_changed_at=utcnow(),
        )
    # Conditional on the status, so an edit racing a decision cannot change a decided institution.
    try:
        changed = _update_where_status(institution, EDITABLE_STATUSES, values)
    except IntegrityError:
        db.session.rollback()
        raise AlreadyRegistered(
            _taken_fields(data, exclude_id=institution.id) or frozenset({"name"})
        ) from None
    if not changed:
        db.session.rollback()
        raise NotEditable
    action = AuditAction.INSTITUTION_RESUBMIT if resubmitted else AuditAction.INSTITUTION_UPDATE
    audit.record(action, actor=actor, obj=institution, name=institution.name)
    db.session.commit()
    return resubmitted


def _clean_institution(data: dict[str, Any]) -> dict[str, Any]:
    """The application fields, trimmed; an empty optional field becomes None."""
    cleaned = {key: data.get(key) for key in APPLICATION_FIELDS}
    for key, value in cleaned.items():
        if isinstance(value, str):
            cleaned[key] = value.strip() or None
    if cleaned["licence_no"]:
        cleaned["licence_no"] = cleaned["licence_no"].upper()
    return cleaned


def _taken_fields(
    data: dict[str, Any], *, email: str | None = None, exclude_id: int | None = None
) -> frozenset[str]:
    """Which of name, licence number and email another institution or account already uses."""
    taken = set()
    others = select(FinancialInstitution.id)
    if exclude_id is not None:
        others = others.where(FinancialInstitution.id != exclude_id)
    if db.session.scalar(others.where(FinancialInstitution.name == data["name"])) is not None:
        taken.add("name")
    licence_no = data.get("licence_no")
    if (
        licence_no
        and db.session.scalar(others.where(FinancialInstitution.licence_no == licence_no))
        is not None
    ):
        taken.add("licence_no")
    if email is not None and email_exists(email):
        taken.add("email")
    return frozenset(taken)


# Government decisions -------------------------------------------------------------------------


def clean_reason(decision: Decision, reason: str | None) -> str | None:
    """The trimmed reason, or InvalidReason when it breaks the decision's rules."""
    text = (reason or "").strip()
    if len(text) > MAX_REASON_LENGTH:
        raise InvalidReason(_("理由不能超过 %(n)s 个字", n=MAX_REASON_LENGTH))
    if decision.reason_required and len(text) < MIN_REASON_LENGTH:
        raise InvalidReason(
            _("请填写理由，至少 %(n)s 个字；机构将在准入申请页看到它", n=MIN_REASON_LENGTH)
        )
    return text or None


def decide(
    actor: User, institution: FinancialInstitution, action: str, reason: str | None = None
) -> None:
    """Apply one decision (approve, reject, suspend, reinstate) in one transaction.

    Sets the status, its reason and time, records the audit entry and notifies every active
    administrator of the institution. A decision that does not apply to the current status
    raises InvalidTransition and changes nothing.
    """
    decision = DECISIONS[action]
    previous = institution.onboarding_status
    if previous not in decision.sources:
        raise InvalidTransition
    text = clean_reason(decision, reason)
    if action == "approve" and (lacking := documents.missing(institution)):
        raise MissingDocuments(lacking)
    values = {
        "onboarding_status": decision.target,
        "status_reason": text,
        "status_changed_at": utcnow(),
    }
    # Two reviewers deciding at once: only the first conditional update finds the old status.
    if not _update_where_status(institution, decision.sources, values):
        db.session.rollback()
        raise InvalidTransition
    audit.record(
        AuditAction(f"institution.{action}"),
        actor=actor,
        obj=institution,
        reason=text,
        from_status=str(previous),
        to_status=str(decision.target),
    )
    _notify_admins(institution, action, text)
    if decision.target == OnboardingStatus.APPROVED:
        _end_sessions(institution)
    db.session.commit()


def approve(actor: User, institution: FinancialInstitution, note: str | None = None) -> None:
    """Admit an applicant (applied → approved); the note is optional."""
    decide(actor, institution, "approve", note)


def reject(actor: User, institution: FinancialInstitution, reason: str) -> None:
    """Turn an application down (applied → rejected); a reason is required."""
    decide(actor, institution, "reject", reason)


def suspend(actor: User, institution: FinancialInstitution, reason: str) -> None:
    """Suspend an approved institution (approved → suspended); a reason is required."""
    decide(actor, institution, "suspend", reason)


def reinstate(actor: User, institution: FinancialInstitution, note: str | None = None) -> None:
    """Lift a suspension (suspended → approved); the note is optional."""
    decide(actor, institution, "reinstate", note)


def allowed_actions(institution: FinancialInstitution) -> list[str]:
    """The decisions that apply to the institution's current status, in display order."""
    return [a for a, d in DECISIONS.items() if institution.onboarding_status in d.sources]


def _update_where_status(
    institution: FinancialInstitution,
    statuses: frozenset[OnboardingStatus],
    values: dict[str, Any],
) -> bool:
    """Update the row only while its status is one of `statuses`; whether a row changed."""
    result = db.session.execute(
        update(FinancialInstitution)
        .where(
            FinancialInstitution.id == institution.id,
            FinancialInstitution.onboarding_status.in_(statuses),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.refresh(institution)
    return True


def _end_sessions(institution: FinancialInstitution) -> None:
    """Sign the institution's users out, so bank powers begin at a fresh sign-in.

    That sign-in asks for the second factor (enrolling it the first time); a session begun
    before approval, with the password alone, never gains bank powers.
    """
    users = db.session.scalars(select(User).where(User.institution_id == institution.id)).all()
    for user in users:
        user.rotate_session_token()


def _notify_admins(institution: FinancialInstitution, action: str, reason: str | None) -> None:
    admins = db.session.scalars(
        select(User).where(
            User.institution_id == institution.id,
            User.role == admin_role_for(institution),
            User.is_active.is_(True),
        )
    ).all()
    link = url_for("institutions.my_application") if has_request_context() else None
    default_locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    for admin in admins:
        # Written in the recipient's language, not the reviewer's.
        with force_locale(admin.locale or default_locale):
            body = str(_NOTICE_BODIES[action])
            if reason:
                body += _("意见：%(reason)s", reason=reason)
            notification = Notification(
                user_id=admin.id,
                kind=f"institution.{action}",
                title=str(_NOTICE_TITLES[action]),
                body=body,
                link=link,
            )
        db.session.add(notification)


# Reading for review ---------------------------------------------------------------------------


def review_query(actor: User, status: str | None, name: str | None = None) -> Select[Any]:
    """Institutions for the review list, filtered by status (None or "" is every status)."""
    statement = scoped(select(FinancialInstitution), FinancialInstitution, actor)
    if status:
        statement = statement.where(FinancialInstitution.onboarding_status == status)
    if name and name.strip():
        pattern = f"%{_escape_like(name.strip())}%"
        statement = statement.where(
            FinancialInstitution.name.like(pattern, escape="\\")
            | FinancialInstitution.short_name.like(pattern, escape="\\")
        )
    if status == OnboardingStatus.APPLIED:
        # A queue: the longest-waiting application first.
        return statement.order_by(FinancialInstitution.created_at, FinancialInstitution.id)
    return statement.order_by(
        FinancialInstitution.created_at.desc(), FinancialInstitution.id.desc()
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class HistoryItem:
    at: dt.datetime
    action: str
    actor_name: str | None
    actor_role: str | None
    reason: str | None


def history(institution: FinancialInstitution) -> list[HistoryItem]:
    """The institution's onboarding history from the audit log, oldest first.

    The audit log is not tenant data the scoping layer opens to government staff; reviewers
    may read the entries about an institution they can see, and only here.
    """
    rows = db.session.execute(
        select(AuditEntry, User.full_name)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(
            AuditEntry.object_type == FinancialInstitution.__name__,
            AuditEntry.object_id == institution.id,
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    return [
        HistoryItem(
            at=entry.at,
            action=entry.action,
            actor_name=actor_name,
            actor_role=entry.actor_role,
            reason=_detail_text(entry.detail, "reason"),
        )
        for entry, actor_name in rows
    ]


def _detail_text(detail: dict[str, object] | None, key: str) -> str | None:
    value = (detail or {}).get(key)
    return str(value) if value else None


# Publishing and the catalogue -----------------------------------------------------------------


def ensure_can_publish(institution: FinancialInstitution) -> None:
    """Raise NotApproved unless the institution may publish products.

    Only an approved institution may publish. Product publishing calls this before it sets a
    product to published, and shows `str(error)` to the user:

        try:
            ensure_can_publish(product.institution)
        except NotApproved as error:
            flash(str(error), "error")
    """
    status = institution.onboarding_status
    if status == OnboardingStatus.APPROVED:
        return
    if status == OnboardingStatus.SUSPENDED:
        raise NotApproved(_l("本机构已被暂停，暂不能发布产品"))
    raise NotApproved(_l("本机构尚未通过准入审核，暂不能发布产品"))


def visible_institution_ids_clause() -> ColumnElement[bool]:
    """The WHERE clause for institutions whose products the public catalogue shows.

    Suspension hides an institution's products; applied and rejected ones have none to show.
    Catalogue queries join the product's institution and add this clause:

        select(BankProduct).join(BankProduct.institution).where(visible_institution_ids_clause())

    or filter by id: `BankProduct.institution_id.in_(select(FinancialInstitution.id).where(...))`.
    """
    return FinancialInstitution.onboarding_status == OnboardingStatus.APPROVED

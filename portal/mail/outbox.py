"""Putting e-mail in the outbox: in the caller's transaction, in the recipient's language.

Nothing here talks to a mail server. A message is rendered when its event happens (so it says
what was true then) and committed with the event; if the event rolls back, so does the message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import messages
from portal.accounts.models import User
from portal.enums import OnboardingStatus
from portal.extensions import db
from portal.institutions.models import FinancialInstitution
from portal.mail.models import OutboxEmail

# Which notifications also go by e-mail, by the category a user may switch off. A kind that is
# not here stays in the portal only (it is routine, or the reader is already on the page).
CATEGORIES: dict[str, Any] = {
    "work": _l("待办提醒：新线索、响应时限、担保与代偿申请"),
    "decisions": _l("办理结果：受理、授信方案、放款、审核结果"),
    "reports": _l("报表：贷款月报报送提醒、月度监测报告"),
    "money": _l("资金：贴息批次、风险补偿、代偿分担的审核结果"),
}
CATEGORY_OF_KIND: dict[str, str] = {
    "lead.new": "work",
    "lead.deadline_near": "work",
    "lead.expired": "work",
    "lead.offer_taken": "work",
    "lead.firm_facts_changed": "work",
    "lead.message": "work",
    "lead.documents_requested": "work",
    "lead.document_uploaded": "work",
    "guarantee.request": "work",
    "claim.filed": "work",
    "compensation.filed": "work",
    "compensation.share_submitted": "work",
    "lead.claimed": "decisions",
    "lead.accepted": "decisions",
    "lead.declined": "decisions",
    "lead.offer": "decisions",
    "lead.offer_expired": "decisions",
    "lead.rerouted": "decisions",
    "loan.disbursed": "decisions",
    "need.instant_granted": "decisions",
    "guarantee.issued": "decisions",
    "guarantee.declined": "decisions",
    "product.approved": "decisions",
    "product.returned": "decisions",
    "monthly_report": "reports",
    "loan_reports.missing": "reports",
    "claim.approved": "money",
    "claim.rejected": "money",
    "compensation.decided": "money",
    "compensation.share_decided": "money",
    "subsidy.settlement_approved": "money",
}


def wants(user: User, kind: str) -> bool:
    """Whether this notification reaches the user by e-mail: a kind that goes by e-mail, a
    category the user left on, an active account and an address the user has confirmed."""
    category = CATEGORY_OF_KIND.get(kind)
    return (
        category is not None
        and user.is_active
        and user.email_verified_at is not None
        and category not in (user.email_off or [])
    )


def queue_notification(
    user_ids: Iterable[int],
    kind: str,
    title: messages.Stored,
    body: messages.Stored | None,
    link: str | None,
    dedupe_key: str | None,
) -> int:
    """Queue the e-mail twin of a notification for each recipient who wants it, and a copy for
    the team mailboxes of the recipients' institutions (`queue_mailbox_copies`)."""
    ids = list(user_ids)
    queued = _queue_for_recipients(ids, kind, title, body, link, dedupe_key)
    return queued + queue_mailbox_copies(ids, kind, title, body, link, dedupe_key)


def _queue_for_recipients(
    user_ids: Iterable[int],
    kind: str,
    title: messages.Stored,
    body: messages.Stored | None,
    link: str | None,
    dedupe_key: str | None,
) -> int:
    ids = sorted(set(user_ids))
    if not ids or kind not in CATEGORY_OF_KIND:
        return 0
    queued = 0
    for user in db.session.scalars(select(User).where(User.id.in_(ids))):
        if not wants(user, kind):
            continue
        with force_locale(locale_of(user)):
            subject = messages.render(title)
            text = render_template(
                "mail/notification.txt",
                user=user,
                title=subject,
                body=messages.render(body),
                url=absolute(link),
                preferences_url=absolute("/account/email"),
            )
            key = f"{dedupe_key}:{user.id}" if dedupe_key else None
            queued += queue(user, subject, text, kind=kind, dedupe_key=key)
    return queued


def queue_mailbox_copies(
    user_ids: Iterable[int],
    kind: str,
    title: messages.Stored,
    body: messages.Stored | None,
    link: str | None,
    dedupe_key: str | None,
) -> int:
    """Copy a work notification to the team mailboxes of the recipients' institutions.

    An institution's admins name up to five addresses (a team mailbox, say) in its settings
    (portal/team/settings.py); each gets the e-mails of the "work" category that reach the
    institution's users, in Chinese, as a mailbox has no language of its own. An institution
    that is not approved hears of no work, so its mailboxes do not either.
    """
    ids = sorted(set(user_ids))
    if not ids or CATEGORY_OF_KIND.get(kind) != "work":
        return 0
    queued = 0
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = messages.render(title)
        for institution in _approved_institutions_of(ids):
            text = render_template(
                "mail/institution_notification.txt",
                institution=institution,
                title=subject,
                body=messages.render(body),
                url=absolute(link),
            )
            for address in institution.notify_emails or []:
                key = f"{dedupe_key}:box:{_digest(address)}" if dedupe_key else None
                queued += queue(None, subject, text, kind=kind, to=address, dedupe_key=key)
    return queued


def _approved_institutions_of(user_ids: list[int]) -> list[FinancialInstitution]:
    employers = select(User.institution_id).where(User.id.in_(user_ids))
    return list(
        db.session.scalars(
            select(FinancialInstitution)
            .where(
                FinancialInstitution.id.in_(employers),
                FinancialInstitution.onboarding_status == OnboardingStatus.APPROVED,
            )
            .order_by(FinancialInstitution.id)
        )
    )


def _digest(address: str) -> str:
    """A short stand-in for an address in a dedupe key (addresses may be long)."""
    return hashlib.sha256(address.encode()).hexdigest()[:16]


def queue(
    user: User | None,
    subject: str,
    body: str,
    *,
    kind: str,
    to: str | None = None,
    dedupe_key: str | None = None,
) -> int:
    """Add one message to the outbox (the caller commits); 0 if its dedupe key was used.

    Call it in the recipient's language (`force_locale`, as `render` does): the subject's
    brand is translated here.
    """
    if dedupe_key and _queued(dedupe_key):
        return 0
    row = OutboxEmail(
        user_id=user.id if user is not None else None,
        to_address=to or user.email,  # type: ignore[union-attr]
        subject=f"【{brand()}】{subject}"[:255],
        body=body,
        kind=kind,
        dedupe_key=dedupe_key,
    )
    try:
        with db.session.begin_nested():  # a twin queued by another worker just now
            db.session.add(row)
    except IntegrityError:
        return 0
    return 1


def send_to(user: User, kind: str, subject: Any, template: str, **context: Any) -> int:
    """Queue one message to the user: `subject` (an `_l` text) and the template rendered in the
    user's language. For mail about the account itself, which goes whatever the preferences."""
    with force_locale(locale_of(user)):
        body = render_template(template, user=user, **context)
        return queue(user, str(subject), body, kind=kind)


def locale_of(user: User) -> str:
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def absolute(path: str | None) -> str | None:
    """A link a mail reader can follow: the portal's public address before the site path."""
    if path is None:
        return None
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + path


def brand() -> str:
    return gettext("产融通")


def _queued(dedupe_key: str) -> bool:
    found = select(OutboxEmail.id).where(OutboxEmail.dedupe_key == dedupe_key)
    return db.session.scalar(found) is not None

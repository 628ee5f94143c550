"""Recording consent to the user agreement and the privacy policy, and asking for it again.

Registration and the bank onboarding application record the versions in force in their own
transaction (`record_consents`): the account and the proof of what it accepted are saved
together or not at all. A user who has not accepted the version in force of either document
(a new version, or an account made before consents were kept) accepts on the consent page
(`accept`), audited.
"""

from __future__ import annotations

import datetime as dt

from flask import has_request_context, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.extensions import db
from portal.legal.documents import Document, Version, changes_since, current_versions
from portal.legal.models import Consent


def record_consents(user: User, today: dt.date) -> list[Consent]:
    """Add the user's acceptance of the versions in force today (the caller commits)."""
    if user.id is None:
        db.session.flush()  # a user made in this transaction needs its id
    return _add(user, outstanding(user, today))


def outstanding(user: User, today: dt.date) -> list[Version]:
    """The versions in force today that the user has not accepted yet."""
    accepted = set(
        db.session.execute(
            select(Consent.document, Consent.version).where(Consent.user_id == user.id)
        ).tuples()
    )  # a few rows a user: one per document and version accepted
    return [v for v in current_versions(today) if (v.document, v.version) not in accepted]


def accept(user: User, today: dt.date) -> list[Version]:
    """Record the user's acceptance of the versions in force they had not accepted, audited.

    Returns the versions accepted now (none when there was nothing left to accept, also when
    the same form, sent twice at once, was recorded by the other request). Commits.
    """
    pending = outstanding(user, today)
    if not pending:
        return []
    _add(user, pending)
    audit.record(
        AuditAction.LEGAL_CONSENT,
        actor=user,
        obj=user,
        **{v.document.value: v.version for v in pending},
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the unique (user, document, version) refused a double submit
        return []
    return pending


def latest_accepted(user: User) -> dict[Document, str]:
    """The version of each document the user accepted last (documents never accepted: absent)."""
    rows = db.session.execute(
        select(Consent.document, Consent.version)
        .where(Consent.user_id == user.id)
        .order_by(Consent.accepted_at, Consent.id)
    ).tuples()
    return {document: version for document, version in rows}  # later rows win


def what_changed(user: User, today: dt.date) -> list[tuple[Version, list[Version]]]:
    """For each version the user still has to accept: the versions published since the one
    they accepted last, newest first (every version when they never accepted one)."""
    accepted = latest_accepted(user)
    return [
        (version, changes_since(version.document, accepted.get(version.document), today))
        for version in outstanding(user, today)
    ]


def _add(user: User, versions: list[Version]) -> list[Consent]:
    address = request.remote_addr if has_request_context() else None
    rows = [
        Consent(user_id=user.id, document=v.document, version=v.version, remote_addr=address)
        for v in versions
    ]
    db.session.add_all(rows)
    return rows

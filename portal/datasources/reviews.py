"""Platform staff's reviews: authorisation letters and disputes of verified facts.

Each is a state machine closed after one decision. A letter is submitted, then approved or
rejected; a dispute is open, then upheld or rejected. A decision is a conditional UPDATE on the
status, so of two reviewers deciding at once exactly one succeeds; each decision is audited and
the firm's users are told, in one transaction. An upheld dispute re-verifies the fact from its
source in that same transaction: if the exchange cannot answer, nothing is decided.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.datasources import provenance, verification
from portal.datasources.models import FactDispute, FirmFact, IdentityLetter
from portal.datasources.sources import Source
from portal.db import utcnow
from portal.extensions import db
from portal.firms.models import Firm
from portal.notifications.service import firm_user_ids, notify, path_for
from portal.uploads import UploadedFile

SUBMITTED, APPROVED, REJECTED = "submitted", "approved", "rejected"  # letters
OPEN, UPHELD = "open", "upheld"  # disputes (and REJECTED)

# What a firm's identity stands at: confirmed (by the registry or a letter), a letter waiting for
# review, a letter turned down (another may be sent), or never asked (firms from before
# identity checks, and demo data): only the middle two hold back financing needs.
VERIFIED, PENDING, LETTER_REJECTED, UNCONFIRMED = "verified", "pending", "rejected", "unconfirmed"
MIN_NOTE = 5
MAX_DISPUTE_NOTE = 2000


class ReviewError(Exception):
    """A review step that cannot be taken; the subclass says why. Nothing was changed."""


class AlreadyDecided(ReviewError):
    """The letter or dispute was decided already (perhaps by another reviewer a moment ago)."""


class IdentityAlreadyVerified(ReviewError):
    """The firm's identity is confirmed: no letter is needed."""


class LetterAwaitingReview(ReviewError):
    """A letter of the firm waits for review already."""


class NotDisputable(ReviewError):
    """The field holds no verified value (nothing to dispute)."""


class DisputeAlreadyOpen(ReviewError):
    """The firm has an open dispute of this field already."""


class NoteTooShort(ReviewError):
    """A note or reason is required."""


# --- identity -------------------------------------------------------------------------------


def latest_letter(firm: Firm) -> IdentityLetter | None:
    return db.session.scalar(
        select(IdentityLetter)
        .where(IdentityLetter.firm_id == firm.id)
        .order_by(IdentityLetter.id.desc())
        .limit(1)
    )


def identity_state(firm: Firm) -> str:
    """VERIFIED, PENDING, LETTER_REJECTED or UNCONFIRMED (see above)."""
    if firm.identity_method:
        return VERIFIED
    letter = latest_letter(firm)
    if letter is None:
        return UNCONFIRMED
    return {SUBMITTED: PENDING, REJECTED: LETTER_REJECTED}.get(letter.status, VERIFIED)


def needs_held(firm: Firm) -> bool:
    """Whether the firm must wait for its identity before it may seek finance."""
    return identity_state(firm) in (PENDING, LETTER_REJECTED)


def add_letter(actor: User, firm: Firm, letter: UploadedFile) -> IdentityLetter:
    """Keep a letter for review, audited; the caller commits (registration)."""
    row = _letter_row(actor, firm, letter)
    audit.record(
        AuditAction.IDENTITY_LETTER_SUBMIT, actor=actor, obj=row, firm_id=firm.id, **_about(letter)
    )
    return row


def submit_letter(actor: User, firm: Firm, letter: UploadedFile) -> IdentityLetter:
    """A firm whose letter was turned down sends another (one transaction)."""
    state = identity_state(firm)
    if state == VERIFIED:
        raise IdentityAlreadyVerified
    if state == PENDING:
        raise LetterAwaitingReview
    row = _letter_row(actor, firm, letter)
    audit.record(
        AuditAction.IDENTITY_LETTER_SUBMIT, actor=actor, obj=row, firm_id=firm.id, **_about(letter)
    )
    db.session.commit()
    return row


def _letter_row(actor: User, firm: Firm, letter: UploadedFile) -> IdentityLetter:
    row = IdentityLetter(
        firm_id=firm.id,
        user_id=actor.id,
        filename=letter.filename,
        content_type=letter.content_type,
        content=letter.content,
        sha256=letter.sha256,
        status=SUBMITTED,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _about(letter: UploadedFile) -> dict[str, Any]:
    """What the audit log keeps of a letter: its digest and size, not its content."""
    return {"sha256": letter.sha256, "size": len(letter.content)}


def decide_letter(actor: User, letter: IdentityLetter, approve: bool, reason: str | None) -> None:
    """Approve (the firm's identity is confirmed) or reject (a reason is required) a letter."""
    text = _note(reason, required=not approve)
    target = APPROVED if approve else REJECTED
    now = utcnow()
    _claim(
        IdentityLetter,
        letter,
        SUBMITTED,
        {"status": target, "decision_reason": text, "reviewed_by_id": actor.id, "reviewed_at": now},
    )
    firm = db.session.get(Firm, letter.firm_id)
    if approve and not firm.identity_method:
        firm.identity_method = "letter"
        firm.identity_verified_at = now
    action = (
        AuditAction.IDENTITY_LETTER_APPROVED if approve else AuditAction.IDENTITY_LETTER_REJECTED
    )
    audit.record(action, actor=actor, obj=letter, firm_id=firm.id, reason=text)
    if approve:
        title = _l("授权委托书已审核通过，现在可以提交融资需求")
    else:
        title = _l("授权委托书未通过审核：%(reason)s", reason=text)
    notify(
        firm_user_ids(firm.id),
        action,
        title,
        link=path_for("reviews.identity"),
    )
    db.session.commit()


# --- disputes --------------------------------------------------------------------------------


def open_dispute(actor: User, firm: Firm, field: str, note: str) -> FactDispute:
    """The firm says a verified value is wrong; platform staff will look into it."""
    found = provenance.verified(firm).get(field)
    if found is None:
        raise NotDisputable
    text = _note(note, required=True, limit=MAX_DISPUTE_NOTE)
    existing = db.session.scalar(
        select(FactDispute.id).where(
            FactDispute.firm_id == firm.id, FactDispute.field == field, FactDispute.status == OPEN
        )
    )
    if existing is not None:
        raise DisputeAlreadyOpen
    fact_id = found.get("fact_id")
    if fact_id is not None and db.session.get(FirmFact, fact_id) is None:
        fact_id = None
    dispute = FactDispute(
        firm_id=firm.id,
        field=field,
        source=Source(found["source"]),
        fact_id=fact_id,
        note=text,
        status=OPEN,
        created_by_id=actor.id,
    )
    db.session.add(dispute)
    db.session.flush()
    audit.record(
        AuditAction.FACT_DISPUTE_OPEN, actor=actor, obj=dispute, firm_id=firm.id, field=field
    )
    db.session.commit()
    return dispute


def close_dispute(
    actor: User, dispute: FactDispute, upheld: bool, note: str, today: dt.date
) -> list[verification.Change]:
    """Close a dispute with a note; upheld, the fact is fetched again from its source.

    Raises AlreadyDecided, NoteTooShort or VerificationUnavailable (nothing is changed then).
    """
    text = _note(note, required=True)
    target = UPHELD if upheld else REJECTED
    values = {
        "status": target,
        "decided_by_id": actor.id,
        "decided_at": utcnow(),
        "decision_note": text,
    }
    _claim(FactDispute, dispute, OPEN, values)
    firm = db.session.get(Firm, dispute.firm_id)
    changes: list[verification.Change] = []
    if upheld:
        try:
            changes = verification.verify(actor, firm, today, sources=[dispute.source])
        except verification.VerificationUnavailable:
            db.session.rollback()
            raise
    action = AuditAction.FACT_DISPUTE_UPHELD if upheld else AuditAction.FACT_DISPUTE_REJECTED
    audit.record(
        action,
        actor=actor,
        obj=dispute,
        firm_id=firm.id,
        field=dispute.field,
        note=text,
        changed=",".join(change.field for change in changes),
    )
    label = provenance.FIELD_LABELS.get(dispute.field, dispute.field)
    if upheld:
        title = _l("您对“%(field)s”的异议已受理，平台已重新核验：%(note)s", field=label, note=text)
    else:
        title = _l("您对“%(field)s”的异议未获支持：%(note)s", field=label, note=text)
    notify(firm_user_ids(firm.id), action, title, link=_profile_link())
    db.session.commit()
    return changes


def _profile_link() -> str:
    return path_for("home.firm_profile")


# --- lists for the review page ---------------------------------------------------------------


def letters_query(pending: bool) -> Select[Any]:
    """Letters waiting (oldest first) or decided (newest first)."""
    statement = select(IdentityLetter)
    if pending:
        return statement.where(IdentityLetter.status == SUBMITTED).order_by(IdentityLetter.id)
    return statement.where(IdentityLetter.status != SUBMITTED).order_by(IdentityLetter.id.desc())


def disputes_query(pending: bool) -> Select[Any]:
    """Disputes open (oldest first) or closed (newest first)."""
    statement = select(FactDispute)
    if pending:
        return statement.where(FactDispute.status == OPEN).order_by(FactDispute.id)
    return statement.where(FactDispute.status != OPEN).order_by(FactDispute.id.desc())


def open_disputes(firm: Firm) -> dict[str, FactDispute]:
    """The firm's open disputes by field."""
    rows = db.session.scalars(
        select(FactDispute).where(FactDispute.firm_id == firm.id, FactDispute.status == OPEN)
    )
    return {row.field: row for row in rows}


# --- helpers ---------------------------------------------------------------------------------


def _note(text: str | None, *, required: bool, limit: int = 200) -> str | None:
    cleaned = (text or "").strip()
    if required and len(cleaned) < MIN_NOTE:
        raise NoteTooShort
    return cleaned[:limit] or None


def _claim(model: type, row: Any, status: str, values: dict[str, Any]) -> None:
    """Move the row out of `status`, only if it is still in it; else AlreadyDecided."""
    if row.status != status:
        raise AlreadyDecided
    result = db.session.execute(
        update(model)
        .where(model.id == row.id, model.status == status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise AlreadyDecided
    db.session.refresh(row)

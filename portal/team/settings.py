"""An institution's own settings, kept by its admins: the default response deadline of its
leads, the working hours firms see as its contact hours, and the team mailboxes that also get
its work e-mails (portal/mail/outbox.py `queue_mailbox_copies`).

The text rules (times, addresses) are pure functions here, so the form and any other caller
read them the same way; saving changes the row and records what changed from what, together.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.extensions import db
from portal.institutions.models import FinancialInstitution

MIN_RESPONSE_DAYS, MAX_RESPONSE_DAYS = 1, 30  # the column's CHECK says the same
MAX_MAILBOXES = 5
MAX_ADDRESS_LENGTH = 254
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)", re.ASCII)
# Addresses may be separated by new lines, commas or semicolons (as people paste them).
_SEPARATORS = re.compile(r"[\n,;，；]+")


@dataclass(frozen=True)
class InstitutionSettings:
    response_days: int
    work_starts_at: dt.time | None
    work_ends_at: dt.time | None
    notify_emails: tuple[str, ...]


class BadAddress(ValueError):
    """An address that is not one, too many of them, or one given twice."""

    def __init__(self, reason: str, address: str = "") -> None:
        super().__init__(reason, address)
        self.reason = reason  # "invalid", "too_many", "duplicate"
        self.address = address


def parse_clock(text: str) -> dt.time | None:
    """ "09:00" → 09:00; None for anything but a 24-hour HH:MM."""
    match = _CLOCK.fullmatch(text.strip())
    return dt.time(int(match[1]), int(match[2])) if match else None


def parse_addresses(text: str) -> tuple[str, ...]:
    """The mailboxes in the text, lower-cased, in order; BadAddress names the first problem."""
    found: list[str] = []
    for piece in _SEPARATORS.split(text or ""):
        candidate = piece.strip()
        if not candidate:
            continue
        address = _checked_address(candidate)
        if address in found:
            raise BadAddress("duplicate", address)
        found.append(address)
    if len(found) > MAX_MAILBOXES:
        raise BadAddress("too_many")
    return tuple(found)


def _checked_address(candidate: str) -> str:
    if len(candidate) > MAX_ADDRESS_LENGTH:
        raise BadAddress("invalid", candidate)
    try:
        checked = validate_email(candidate, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise BadAddress("invalid", candidate) from None
    return checked.normalized.lower()


def current(institution: FinancialInstitution) -> InstitutionSettings:
    return InstitutionSettings(
        response_days=institution.response_days,
        work_starts_at=institution.work_starts_at,
        work_ends_at=institution.work_ends_at,
        notify_emails=tuple(institution.notify_emails or ()),
    )


def save(actor: User, institution: FinancialInstitution, new: InstitutionSettings) -> bool:
    """Store the settings; the audit entry gives each changed one's value before and after
    (`response_days_before`, `response_days_after`, ...). False, and nothing written, when
    nothing changed."""
    before, after = _readable(current(institution)), _readable(new)
    changed = sorted(key for key in after if after[key] != before[key])
    if not changed:
        return False
    institution.response_days = new.response_days
    institution.work_starts_at = new.work_starts_at
    institution.work_ends_at = new.work_ends_at
    institution.notify_emails = list(new.notify_emails)
    values: dict[str, int | str | None] = {}
    for key in changed:
        values[f"{key}_before"], values[f"{key}_after"] = before[key], after[key]
    audit.record(AuditAction.INSTITUTION_SETTINGS_SAVE, actor=actor, obj=institution, **values)
    db.session.commit()
    return True


def _readable(settings: InstitutionSettings) -> dict[str, int | str | None]:
    """The settings as the audit log keeps them: hours as 09:00-17:30, addresses in one line."""
    hours = None
    if settings.work_starts_at is not None and settings.work_ends_at is not None:
        hours = f"{settings.work_starts_at:%H:%M}-{settings.work_ends_at:%H:%M}"
    return {
        "response_days": settings.response_days,
        "work_hours": hours,
        "notify_emails": ", ".join(settings.notify_emails) or None,
    }

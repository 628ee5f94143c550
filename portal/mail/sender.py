"""Sending the outbox through SMTP: one scheduled job, retries with backoff, never a double.

Each message is claimed with one conditional UPDATE (pending → sending) and committed before it
is handed to the server, then marked sent. Two senders cannot both claim it, so two scheduler
processes, or a job that overlaps the next, send each message once.

A message whose sender stopped between the claim and the mark (a crash, a kill) is left
`sending`; after CLAIM_EXPIRES it becomes `failed`, not pending again: the server may well have
accepted it, and a second copy is worse than a missing one the log names. The recipient can ask
again (a password reset), and each notification is also in the portal.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from flask import current_app
from sqlalchemy import select, update

from portal.db import utcnow
from portal.extensions import db
from portal.mail.models import OutboxEmail, OutboxStatus

log = logging.getLogger(__name__)

# Minutes to wait after the 1st, 2nd, … failed attempt; after the last the message is failed.
BACKOFF_MINUTES = (1, 5, 15, 60, 240, 720)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
CLAIM_EXPIRES = dt.timedelta(minutes=15)
BATCH = 200


class _Deferred(Exception):
    """The server could not take the message now (a 4xx reply, no connection): try later."""


def configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send_due(now: dt.datetime | None = None) -> int:
    """Send the messages that are due; the number sent. Safe to run from several processes."""
    now = now or utcnow()
    _fail_abandoned(now)
    if not configured():
        return 0
    due = db.session.scalars(
        select(OutboxEmail.id)
        .where(OutboxEmail.status == OutboxStatus.PENDING, OutboxEmail.next_attempt_at <= now)
        .order_by(OutboxEmail.id)
        .limit(BATCH)
    ).all()
    db.session.commit()  # end the read before the first claim
    sent = 0
    connection: smtplib.SMTP | None = None
    try:
        for message_id in due:
            if not _claim(message_id, now):
                continue  # another sender has it
            row = db.session.get(OutboxEmail, message_id)
            try:
                connection = connection or _connect()
                connection.send_message(_message(row))
            except _Deferred as error:
                _retry_later(row, now, str(error))
                break  # the server is not taking mail now: leave the rest for the next run
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
                if _is_temporary(error):
                    _retry_later(row, now, _describe(error))
                    break
                _give_up(row, _describe(error))
            except (OSError, smtplib.SMTPException) as error:
                _retry_later(row, now, _describe(error))
                break
            else:
                row.status, row.sent_at, row.last_error = OutboxStatus.SENT, utcnow(), None
                db.session.commit()
                sent += 1
    finally:
        if connection is not None:
            _quit(connection)
    return sent


def _claim(message_id: int, now: dt.datetime) -> bool:
    claimed = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == message_id, OutboxEmail.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxEmail.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


def _retry_later(row: OutboxEmail, now: dt.datetime, error: str) -> None:
    if row.attempts >= MAX_ATTEMPTS:
        _give_up(row, error)
        return
    row.status = OutboxStatus.PENDING
    row.next_attempt_at = now + dt.timedelta(minutes=BACKOFF_MINUTES[row.attempts - 1])
    row.last_error = error[:500]
    db.session.commit()
    log.warning("mail %s deferred (attempt %s): %s", row.id, row.attempts, error)


def _give_up(row: OutboxEmail, error: str) -> None:
    row.status, row.last_error = OutboxStatus.FAILED, error[:500]
    db.session.commit()
    log.error("mail %s to %s failed for good: %s", row.id, row.to_address, error)


def _fail_abandoned(now: dt.datetime) -> None:
    """Claims older than CLAIM_EXPIRES: their sender stopped mid-send (see the module's note)."""
    db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.status == OutboxStatus.SENDING,
            OutboxEmail.claimed_at < now - CLAIM_EXPIRES,
        )
        .values(
            status=OutboxStatus.FAILED,
            last_error="the sender stopped while sending; not sent again to avoid a duplicate",
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _connect() -> smtplib.SMTP:
    config = current_app.config
    host, port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
    timeout = float(config["MAIL_TIMEOUT"])
    security = config["MAIL_SECURITY"]
    try:
        if security == "ssl":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            connection = smtplib.SMTP(host, port, timeout=timeout)
            if security == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except (OSError, smtplib.SMTPException) as error:
        raise _Deferred(_describe(error)) from error
    return connection


def _message(row: OutboxEmail) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["From"] = formataddr((config["MAIL_FROM_NAME"], config["MAIL_FROM"]))
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at.replace(tzinfo=dt.UTC))
    # One id per outbox row: a copy sent twice by any path is recognisably the same message.
    domain = config["MAIL_FROM"].rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<outbox.{row.id}.{row.created_at:%Y%m%d%H%M%S}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message.set_content(row.body)
    return message


def _is_temporary(error: smtplib.SMTPException) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    return 400 <= getattr(error, "smtp_code", 500) < 500


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()

"""Notifications by e-mail: written with the event, sent through real SMTP on loopback, in the
recipient's language, retried after the server was down, and never sent twice."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from demo.mail_sink import MailSink
from portal.db import utcnow
from portal.enums import Role
from portal.extensions import db
from portal.mail.models import OutboxEmail, OutboxStatus
from portal.mail.sender import BACKOFF_MINUTES, CLAIM_EXPIRES, MAX_ATTEMPTS
from portal.notifications.service import notify
from tests.factories import UserFactory
from tests.mail.conftest import send_outbox

CONFIRMED = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


def officer(create, **fields):
    fields.setdefault("email_verified_at", CONFIRMED)
    return create(UserFactory, role=Role.BANK_OFFICER, **fields)


def tell(app: Flask, user_ids: list[int], kind: str = "lead.new", **kwargs) -> None:
    with app.app_context():
        notify(
            user_ids,
            kind,
            _l("新的融资线索 #%(id)s，请在时限内响应", id=42),
            link="/bank/leads/42",
            **kwargs,
        )
        db.session.commit()


def outbox(app: Flask) -> list[OutboxEmail]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def test_a_notification_that_matters_is_mailed_once(app, create, sink: MailSink):
    user = officer(create)
    tell(app, [user.id])
    assert send_outbox(app) == 1
    assert send_outbox(app) == 0
    [message] = sink.messages()
    assert message["To"] == user.email
    assert message["Subject"] == "【产融通】新的融资线索 #42，请在时限内响应"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_content()
    assert f"{user.full_name}，您好" in body
    assert "http://portal.test/bank/leads/42" in body
    assert "http://portal.test/account/email" in body
    [row] = outbox(app)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)


def test_the_mail_is_in_the_recipients_language(app, create, sink: MailSink):
    user = officer(create, locale="en")
    tell(app, [user.id])
    send_outbox(app)
    [message] = sink.messages()
    assert "New financing lead #42" in message["Subject"], message["Subject"]
    assert "产融通" not in message.get_content().split("--")[0]


def test_the_notification_is_shown_in_the_readers_language(app, create, client, auth):
    """Written while a Chinese-speaking user acted; read by an English-speaking one."""
    user = officer(create, locale="en")
    tell(app, [user.id])
    auth.login(user.email)
    client.post("/language", data={"locale": "en"})
    page = client.get("/notifications/").get_data(as_text=True)
    assert "New financing lead #42" in page


@pytest.mark.parametrize(
    "fields",
    [
        {"email_verified_at": None},  # an address nobody confirmed
        {"email_off": ["work"]},  # the category switched off
        {"is_active": False},
    ],
)
def test_no_mail_without_a_confirmed_address_and_the_users_wish(app, create, sink, fields):
    user = officer(create, **fields)
    tell(app, [user.id])
    assert outbox(app) == []


def test_a_routine_notification_stays_in_the_portal(app, create, sink):
    user = officer(create)
    tell(app, [user.id], kind="lead.closed")
    assert outbox(app) == []


def test_an_event_rolled_back_sends_nothing(app, create, sink):
    user = officer(create)
    with app.app_context():
        notify([user.id], "lead.new", _l("新的融资线索 #%(id)s，请在时限内响应", id=1))
        db.session.rollback()
    assert outbox(app) == []


def test_a_reminder_sent_twice_is_mailed_once(app, create, sink):
    user = officer(create)
    tell(app, [user.id], kind="lead.deadline_near", dedupe_key="deadline-near-42")
    tell(app, [user.id], kind="lead.deadline_near", dedupe_key="deadline-near-42")
    send_outbox(app)
    assert len(sink.messages()) == 1


def test_mail_waits_while_the_server_is_down_and_goes_once_it_is_back(app, create, sink):
    user = officer(create)
    tell(app, [user.id])
    sink.stop()
    now = utcnow()
    assert send_outbox(app, now=now) == 0
    [row] = outbox(app)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.next_attempt_at == now + dt.timedelta(minutes=BACKOFF_MINUTES[0])
    assert "Refused" in row.last_error or "Error" in row.last_error
    sink.start()  # same port, same directory
    assert send_outbox(app, now=now) == 0  # not yet due
    assert send_outbox(app, now=now + dt.timedelta(minutes=2)) == 1
    assert send_outbox(app, now=now + dt.timedelta(minutes=30)) == 0
    assert len(sink.messages()) == 1


def test_after_the_last_attempt_the_message_is_failed(app, create, sink):
    user = officer(create)
    tell(app, [user.id])
    sink.stop()
    now = utcnow()
    for _ in range(MAX_ATTEMPTS):
        send_outbox(app, now=now)
        now += dt.timedelta(days=1)
    [row] = outbox(app)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, MAX_ATTEMPTS)
    sink.start()
    assert send_outbox(app, now=now) == 0
    assert sink.messages() == []


def test_a_message_claimed_by_a_sender_that_died_is_not_sent_again(app, create, sink):
    """The server may have taken it before the sender stopped: no second copy."""
    user = officer(create)
    tell(app, [user.id])
    with app.app_context():
        row = db.session.scalars(select(OutboxEmail)).one()
        row.status, row.claimed_at, row.attempts = OutboxStatus.SENDING, utcnow(), 1
        db.session.commit()
    assert send_outbox(app) == 0  # still within the claim: left alone
    assert send_outbox(app, now=utcnow() + CLAIM_EXPIRES + dt.timedelta(minutes=1)) == 0
    [row] = outbox(app)
    assert row.status == OutboxStatus.FAILED
    assert "not sent again" in row.last_error
    assert sink.messages() == []


def test_an_address_the_server_refuses_for_good_is_not_retried(app, create, sink, monkeypatch):
    import smtplib

    user = officer(create)
    tell(app, [user.id])

    def refuse(self, message, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"5.1.1 no such mailbox")})

    monkeypatch.setattr(smtplib.SMTP, "send_message", refuse)
    assert send_outbox(app) == 0
    [row] = outbox(app)
    assert row.status == OutboxStatus.FAILED
    assert "no such mailbox" in row.last_error


def test_mail_waits_in_the_outbox_while_no_server_is_configured(app, create):
    user = officer(create)
    tell(app, [user.id])
    assert send_outbox(app) == 0
    [row] = outbox(app)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)

"""Confirming an address, and choosing which notifications also come by e-mail."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select

from demo.mail_sink import MailSink
from portal.accounts import services
from portal.accounts.models import User
from portal.enums import Role
from portal.extensions import db
from tests.conftest import PASSWORD
from tests.factories import InstitutionFactory, UserFactory
from tests.mail.conftest import send_outbox
from tests.mail.test_outbox import tell


def confirmation_link(sink: MailSink) -> str:
    body = sink.messages()[-1].get_content()
    return re.search(r"http://portal\.test(/email/confirm/\S+)", body).group(1)


def verified_at(app: Flask, user_id: int):
    with app.app_context():
        return db.session.get(User, user_id).email_verified_at


def test_a_new_staff_account_is_asked_to_confirm_its_address(app, create, sink, client):
    admin = create(UserFactory, role=Role.ADMIN)
    bank = create(InstitutionFactory)
    with app.app_context():
        user = services.create_staff_user(
            db.session.get(User, admin.id),
            {
                "email": "Officer@Bank.example",
                "password": PASSWORD,
                "full_name": "林晓",
                "role": "bank_officer",
                "institution_id": bank.id,
            },
        )
        user_id = user.id
    send_outbox(app)
    [message] = sink.messages()
    assert message["To"] == "officer@bank.example"
    assert "请确认您的邮箱" in message["Subject"]
    link = confirmation_link(sink)

    page = client.get(link)  # a mail scanner opening the link confirms nothing
    assert page.status_code == 200
    assert verified_at(app, user_id) is None
    client.post(link)
    assert verified_at(app, user_id) is not None
    assert client.post(link).status_code == 404  # used


def test_until_confirmed_notifications_stay_in_the_portal(app, create, sink, client, auth):
    user = create(UserFactory, role=Role.BANK_OFFICER)
    tell(app, [user.id])
    send_outbox(app)
    assert sink.messages() == []
    auth.login(user.email)
    page = client.get("/account/email").get_data(as_text=True)
    assert "尚未确认" in page
    client.post("/account/email/confirmation")
    send_outbox(app)
    client.post(confirmation_link(sink))
    tell(app, [user.id])
    send_outbox(app)
    assert "新的融资线索" in sink.messages()[-1]["Subject"]


def test_resending_is_limited(app, create, sink, client, auth):
    user = create(UserFactory, role=Role.SME)
    auth.login(user.email)
    for _ in range(4):
        client.post("/account/email/confirmation")
    send_outbox(app)
    assert len(sink.messages()) == 3
    assert "发送过于频繁" in client.get("/account/email").get_data(as_text=True)


def test_a_user_switches_a_category_off(app, create, sink, client, auth):
    from tests.mail.test_outbox import CONFIRMED

    user = create(UserFactory, role=Role.BANK_OFFICER, email_verified_at=CONFIRMED)
    auth.login(user.email)
    page = client.get("/account/email").get_data(as_text=True)
    assert page.count('type="checkbox"') == 4 and page.count("checked") == 4
    saved = client.post("/account/email", data={"categories": ["decisions", "reports", "money"]})
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.email_off).where(User.id == user.id)) == ["work"]
    tell(app, [user.id], kind="lead.new")
    tell(app, [user.id], kind="loan_reports.missing")
    send_outbox(app)
    assert len(sink.messages()) == 1


def test_a_category_that_does_not_exist_is_refused(app, create, client, auth):
    user = create(UserFactory, role=Role.SME)
    auth.login(user.email)
    page = client.post("/account/email", data={"categories": ["spam"]})
    assert "所选项不在可选范围内" in page.get_data(as_text=True)

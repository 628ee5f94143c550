"""A forgotten password, reset by a link e-mailed through real SMTP: single-use, short-lived,
and silent about which addresses have accounts."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update

from demo.mail_sink import MailSink
from portal.accounts.models import AccountToken, User
from portal.audit.models import AuditEntry
from portal.enums import Role
from portal.extensions import db
from tests.conftest import PASSWORD, signed_in
from tests.factories import UserFactory
from tests.mail.conftest import send_outbox

NEW_PASSWORD = "a new and rather long passphrase"
SAME_ANSWER = "重置密码的链接已发送到该邮箱"


def ask_for_link(client, email: str, address: str = "203.0.113.20"):
    return client.post(
        "/password/forgot", data={"email": email}, environ_base={"REMOTE_ADDR": address}
    )


def link_in(sink: MailSink) -> str:
    body = sink.messages()[-1].get_content()
    return re.search(r"http://portal\.test(/password/reset/\S+)", body).group(1)


def test_a_firm_user_resets_a_forgotten_password_by_email(app, client, create, sink, auth):
    user = create(UserFactory, role=Role.SME)
    response = ask_for_link(client, user.email)
    assert response.status_code == 302
    assert SAME_ANSWER in client.get("/login").get_data(as_text=True)
    send_outbox(app)
    [message] = sink.messages()
    assert message["To"] == user.email
    assert "重置密码" in message["Subject"]
    assert "30 分钟内" in message.get_content()

    link = link_in(sink)
    assert "设置新密码" in client.get(link).get_data(as_text=True)
    done = client.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert done.headers["Location"].endswith("/login")
    assert auth.login(user.email, PASSWORD).status_code == 200  # the old one no longer works
    assert auth.login(user.email, NEW_PASSWORD).status_code == 302

    send_outbox(app)
    told = sink.messages()[-1]
    assert "您的密码已修改" in told["Subject"]


def test_a_link_works_once(app, client, create, sink):
    user = create(UserFactory, role=Role.SME)
    ask_for_link(client, user.email)
    send_outbox(app)
    link = link_in(sink)
    client.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    other = "another long passphrase"
    again = client.post(link, data={"password": other, "password_confirm": other})
    assert again.status_code == 404
    assert "链接已失效" in again.get_data(as_text=True)
    assert client.get(link).status_code == 404


def test_an_expired_link_is_refused(app, client, create, sink):
    user = create(UserFactory, role=Role.SME)
    ask_for_link(client, user.email)
    send_outbox(app)
    with app.app_context():
        db.session.execute(
            update(AccountToken).values(expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        )
        db.session.commit()
    assert client.get(link_in(sink)).status_code == 404


def test_a_link_for_an_address_the_account_no_longer_has_is_refused(app, client, create, sink):
    user = create(UserFactory, role=Role.SME)
    ask_for_link(client, user.email)
    send_outbox(app)
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(email="new@example.com"))
        db.session.commit()
    assert client.get(link_in(sink)).status_code == 404


def test_an_unknown_address_gets_the_same_answer_and_no_mail(app, client, create, sink):
    known = create(UserFactory, role=Role.SME)
    answers = []
    for email in (known.email, "nobody@example.com"):
        response = ask_for_link(client, email)
        answers.append((response.status_code, response.headers["Location"]))
    assert answers[0] == answers[1]
    send_outbox(app)
    assert [m["To"] for m in sink.messages()] == [known.email]


def test_a_reset_signs_the_account_out_everywhere(app, client, create, sink):
    user = create(UserFactory, role=Role.SME)
    elsewhere = signed_in(app, user.email)
    assert elsewhere.get("/firm").status_code == 200
    ask_for_link(client, user.email)
    send_outbox(app)
    link = link_in(sink)
    client.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert elsewhere.get("/firm").status_code == 302


def test_the_new_password_is_checked_like_any_other(app, client, create, sink):
    user = create(UserFactory, role=Role.SME)
    ask_for_link(client, user.email)
    send_outbox(app)
    link = link_in(sink)
    page = client.post(link, data={"password": "short", "password_confirm": "short"})
    assert "密码长度应为 8 到 128 个字符" in page.get_data(as_text=True)
    # The link is not used up by a refused form.
    assert client.get(link).status_code == 200


def test_asking_too_often_from_one_address_is_throttled(app, client, create, sink):
    for n in range(10):
        assert ask_for_link(client, f"someone{n}@example.com").status_code == 302
    refused = ask_for_link(client, "someone@example.com")
    assert refused.status_code == 429
    assert "请求过于频繁" in refused.get_data(as_text=True)


def test_one_account_gets_at_most_three_links_a_window(app, client, create, sink):
    user = create(UserFactory, role=Role.SME)
    for n in range(5):
        ask_for_link(client, user.email, address=f"198.51.100.{n}")
    send_outbox(app)
    assert len(sink.messages()) == 3


def test_requests_and_resets_are_audited(app, client, create, sink):
    user = create(UserFactory, role=Role.SME)
    ask_for_link(client, user.email)
    send_outbox(app)
    link = link_in(sink)
    client.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == user.id)
        ).all()
    assert "auth.password_reset_requested" in actions
    assert "auth.password_reset" in actions

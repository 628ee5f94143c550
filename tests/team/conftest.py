"""An approved bank with its admin signed in, another bank beside it, and the real SMTP server
of tests/mail (its `sink` fixture, imported here) to receive what the team pages send."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from demo.mail_sink import MailSink
from portal.enums import Role
from portal.extensions import db
from portal.institutions.models import FinancialInstitution
from tests.conftest import signed_in
from tests.factories import InstitutionFactory, UserFactory
from tests.mail.conftest import send_outbox, sink  # noqa: F401  (the fixture, shared)

INVITEE = "wang.fang@bank.example.com"
NEW_PASSWORD = "a long passphrase of my own"


@pytest.fixture
def bank(app: Flask) -> SimpleNamespace:
    """An approved bank (甲银行) with an admin and an officer, and another bank (乙银行) with its
    own admin and officer: their ids and e-mails."""
    with app.app_context():
        ours = InstitutionFactory(name="甲银行福建分行", short_name="甲银行")
        theirs = InstitutionFactory(name="乙银行福建分行", short_name="乙银行")
        people = {
            "admin": UserFactory(role=Role.BANK_ADMIN, institution=ours, full_name="林静"),
            "officer": UserFactory(role=Role.BANK_OFFICER, institution=ours, full_name="陈立"),
            "other_admin": UserFactory(role=Role.BANK_ADMIN, institution=theirs),
            "other_officer": UserFactory(role=Role.BANK_OFFICER, institution=theirs),
        }
        db.session.commit()
        return SimpleNamespace(
            id=ours.id,
            other_id=theirs.id,
            **{name: SimpleNamespace(id=u.id, email=u.email) for name, u in people.items()},
        )


def add_colleague(app: Flask, bank_id: int, role: Role = Role.BANK_ADMIN) -> int:
    """Another user of the bank (enrolled, joined); their id."""
    with app.app_context():
        institution = db.session.get(FinancialInstitution, bank_id)
        user = UserFactory(role=role, institution=institution)
        db.session.commit()
        return user.id


@pytest.fixture
def admin_client(app: Flask, bank: SimpleNamespace) -> FlaskClient:
    return signed_in(app, bank.admin.email)


def invite(client: FlaskClient, **overrides: str):
    form = {"full_name": "王芳", "email": INVITEE, "phone": "", "role": "bank_officer"}
    form.update(overrides)
    return client.post("/team/invite", data=form)


def invitation_link(app: Flask, mail: MailSink) -> str:
    """Send what the outbox holds and return the path of the newest invitation link."""
    send_outbox(app)
    body = mail.messages()[-1].get_content()
    return re.search(r"http://portal\.test(/invitation/\S+)", body).group(1)


def accept(client: FlaskClient, link: str, password: str = NEW_PASSWORD):
    return client.post(link, data={"password": password, "password_confirm": password})

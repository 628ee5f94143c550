"""A firm with its owner signed in, a second firm beside it, and the real SMTP server of
tests/mail (its `sink` fixture, imported here) to receive the invitations."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.enums import FirmRole, GuaranteeType, Role
from portal.extensions import db
from portal.needs.services import NeedInput, submit_need
from tests.conftest import signed_in
from tests.factories import FirmFactory, UserFactory
from tests.mail.conftest import send_outbox, sink  # noqa: F401  (the fixture, shared)
from tests.team.conftest import NEW_PASSWORD, accept, invitation_link  # noqa: F401

INVITEE = "li.na@firm.example.com"
PURPOSE = "采购一批数控机床"


@pytest.fixture
def firm(app: Flask) -> SimpleNamespace:
    """闽江精密 with its owner (张伟), a member and a need; another firm with its owner and
    member: their ids and e-mails."""
    with app.app_context():
        ours, theirs = FirmFactory(name="闽江精密机械有限公司"), FirmFactory()
        people = {
            "owner": UserFactory(role=Role.SME, firm=ours, full_name="张伟"),
            "member": UserFactory(role=Role.SME, firm=ours, firm_role=FirmRole.MEMBER),
            "other_owner": UserFactory(role=Role.SME, firm=theirs),
            "other_member": UserFactory(role=Role.SME, firm=theirs, firm_role=FirmRole.MEMBER),
        }
        need = NeedInput(
            amount=Decimal("800000"),
            term_months=12,
            purpose=PURPOSE,
            guarantee_type=GuaranteeType.CREDIT,
            max_rate=None,
        )
        need_id = submit_need(people["owner"], ours, need, "firm-team-need").id
        db.session.commit()
        return SimpleNamespace(
            id=ours.id,
            need_id=need_id,
            other_id=theirs.id,
            **{name: SimpleNamespace(id=u.id, email=u.email) for name, u in people.items()},
        )


@pytest.fixture
def owner_client(app: Flask, firm: SimpleNamespace) -> FlaskClient:
    return signed_in(app, firm.owner.email)


@pytest.fixture
def member_client(app: Flask, firm: SimpleNamespace) -> FlaskClient:
    return signed_in(app, firm.member.email)


def invite(client: FlaskClient, **overrides: str):
    form = {"full_name": "李娜", "email": INVITEE, "phone": "", "role": "member"}
    form.update(overrides)
    return client.post("/firm/team/invite", data=form)


def confirmed(client: FlaskClient, path: str, **form: str):
    """Post a team action with the confirmation box ticked."""
    return client.post(path, data={**form, "confirmed": "y", "step": "confirm"})

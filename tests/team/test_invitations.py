"""A bank admin invites a colleague by e-mail: the link, sent through real SMTP, lets them set a
password once within 7 days; they sign in and enrol their second factor."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from portal.accounts.models import AccountToken, User
from portal.audit.models import AuditEntry
from portal.enums import Role
from portal.extensions import db
from tests.factories import GuarantorFactory, UserFactory
from tests.mail.conftest import send_outbox
from tests.team.conftest import INVITEE, NEW_PASSWORD, accept, invitation_link, invite


def invitee(app) -> User:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == INVITEE))


def actions_on(app, user_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.object_type == "User", AuditEntry.object_id == user_id)
                .order_by(AuditEntry.id)
            )
        )


def test_the_invitee_sets_a_password_signs_in_and_enrols(app, bank, admin_client, client, sink):
    """Invite → e-mail over SMTP → the link sets a password → sign-in asks for enrolment."""
    response = invite(admin_client)
    assert response.headers["Location"].endswith("/team")
    made = invitee(app)
    assert (made.role, made.institution_id) == (Role.BANK_OFFICER, bank.id)
    assert made.joined_at is None and made.invited_at is not None
    team_page = admin_client.get("/team").get_data(as_text=True)
    assert "已邀请" in team_page and INVITEE in team_page

    # Nothing signs in to the account before the invitation is accepted.
    for guess in (made.password_hash, NEW_PASSWORD):
        refused = client.post("/login", data={"email": INVITEE, "password": guess})
        assert refused.status_code == 200

    link = invitation_link(app, sink)
    [message] = sink.messages()
    assert message["To"] == INVITEE
    assert "邀请您加入产融通" in message["Subject"]
    body = message.get_content()
    assert "林静 邀请您以“银行客户经理”的身份加入产融通" in body
    assert "甲银行福建分行" in body and "7 天内" in body

    page = client.get(link).get_data(as_text=True)
    assert "王芳，欢迎加入产融通" in page
    done = accept(client, link)
    assert done.headers["Location"].endswith("/login")
    joined = invitee(app)
    assert joined.joined_at is not None and joined.email_verified_at is not None
    assert actions_on(app, joined.id) == ["team.invite", "team.invitation_accept"]

    signed = client.post("/login", data={"email": INVITEE, "password": NEW_PASSWORD})
    assert signed.headers["Location"].endswith("/login/enrol")
    assert "绑定" in client.get("/login/enrol").get_data(as_text=True)
    assert "有效" in admin_client.get("/team").get_data(as_text=True)


def test_a_used_link_is_refused(app, bank, admin_client, client, sink):
    """A link sets a password once; opened again it is the 404 "link invalid" page."""
    invite(admin_client)
    link = invitation_link(app, sink)
    accept(client, link)
    again = accept(client, link, "another long passphrase")
    assert again.status_code == 404
    assert "链接已失效" in again.get_data(as_text=True)
    assert client.get(link).status_code == 404


def test_an_expired_link_is_refused_and_shown_as_expired(app, bank, admin_client, client, sink):
    """A link past its 7 days opens nothing; the team page says the invitation expired."""
    invite(admin_client)
    link = invitation_link(app, sink)
    with app.app_context():
        db.session.execute(
            update(AccountToken).values(expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        )
        db.session.commit()
    assert client.get(link).status_code == 404
    assert accept(client, link).status_code == 404
    assert "邀请已过期" in admin_client.get("/team").get_data(as_text=True)


def test_the_link_lasts_seven_days(app, bank, admin_client, sink):
    """An invitation link is issued for 7 days."""
    invite(admin_client)
    with app.app_context():
        token = db.session.scalar(select(AccountToken))
        assert token.purpose == "invitation"
        assert token.expires_at - token.created_at == dt.timedelta(days=7)


def test_resending_sends_a_new_link_and_voids_the_old(app, bank, admin_client, client, sink):
    """Resending mails a new link and voids the old one; an accepted invitation is not resent."""
    invite(admin_client)
    old = invitation_link(app, sink)
    user_id = invitee(app).id
    resent = admin_client.post(f"/team/{user_id}/invitation")
    assert resent.headers["Location"].endswith("/team")
    new = invitation_link(app, sink)
    assert new != old and len(sink.messages()) == 2
    assert client.get(old).status_code == 404
    assert accept(client, new).headers["Location"].endswith("/login")
    assert actions_on(app, user_id) == [
        "team.invite",
        "team.invitation_resend",
        "team.invitation_accept",
    ]
    # Accepted: there is nothing left to resend.
    admin_client.post(f"/team/{user_id}/invitation")
    assert "无需重新发送" in admin_client.get("/team").get_data(as_text=True)
    assert send_outbox(app) == 0


def test_an_address_in_use_is_refused(app, bank, admin_client, sink):
    """An address that has an account is refused beside the field, and nothing is sent."""
    page = invite(admin_client, email=bank.other_officer.email).get_data(as_text=True)
    assert "该邮箱已有账号" in page
    assert send_outbox(app) == 0


def test_a_bank_invites_only_bank_roles(app, bank, admin_client, sink):
    """The form offers the bank's two roles; a forged guarantor role is refused."""
    form = admin_client.get("/team/invite").get_data(as_text=True)
    assert 'value="bank_officer"' in form and 'value="bank_admin"' in form
    assert "guarantor_officer" not in form and "gov_staff" not in form
    refused = invite(admin_client, role="guarantor_officer")
    assert refused.status_code == 200
    assert invitee(app) is None
    assert invite(admin_client, role="bank_admin").status_code == 302
    assert invitee(app).role == Role.BANK_ADMIN


def test_a_guarantor_admin_invites_guarantor_roles(app, client, auth, sink):
    """A guarantor's admin is offered the guarantor's roles and invites into its institution."""
    with app.app_context():
        admin = UserFactory(role=Role.GUARANTOR_ADMIN, institution=GuarantorFactory())
        db.session.commit()
        email, guarantor_id = admin.email, admin.institution_id
    auth.login(email)
    form = client.get("/team/invite").get_data(as_text=True)
    assert 'value="guarantor_officer"' in form and "bank_officer" not in form
    assert invite(client, role="guarantor_officer").status_code == 302
    made = invitee(app)
    assert (made.role, made.institution_id) == (Role.GUARANTOR_OFFICER, guarantor_id)


def test_an_invitee_gets_no_password_reset_link(app, bank, admin_client, client, sink):
    """The invitation sets the first password; a reset link would skip joining."""
    invite(admin_client)
    send_outbox(app)
    client.post("/password/forgot", data={"email": INVITEE})
    assert send_outbox(app) == 0


def test_a_disabled_invitees_link_does_not_open(app, bank, admin_client, client, sink):
    """Disabling an invitee voids their link."""
    invite(admin_client)
    link = invitation_link(app, sink)
    user_id = invitee(app).id
    admin_client.post(f"/team/{user_id}/active", data={"active": "0", "confirmed": "y"})
    assert client.get(link).status_code == 404


def test_a_platform_admin_invites_staff_by_email(app, create, client, auth, sink, bank):
    """Platform admins invite staff with the same invitation, and resend it."""
    admin = create(UserFactory, role=Role.ADMIN)
    auth.login(admin.email)
    form = {
        "role": "bank_admin",
        "full_name": "王芳",
        "email": INVITEE,
        "phone": "",
        "institution_id": str(bank.id),
        "agency_id": "0",
    }
    assert (
        client.post("/admin/users/invite", data=form).headers["Location"].endswith("/admin/users")
    )
    assert "已邀请" in client.get("/admin/users").get_data(as_text=True)
    made = invitee(app)
    assert (made.role, made.institution_id, made.joined_at) == (Role.BANK_ADMIN, bank.id, None)
    old = invitation_link(app, sink)
    client.post(f"/admin/users/{made.id}/invitation")
    new = invitation_link(app, sink)
    auth.logout()
    assert client.get(old).status_code == 404
    assert accept(client, new).headers["Location"].endswith("/login")


def test_a_platform_admin_invites_to_an_existing_institution_only(app, create, client, auth):
    """A bank role without an institution is refused, and no account is made."""
    admin = create(UserFactory, role=Role.ADMIN)
    auth.login(admin.email)
    form = {
        "role": "bank_officer",
        "full_name": "王芳",
        "email": INVITEE,
        "institution_id": "0",
        "agency_id": "0",
    }
    page = client.post("/admin/users/invite", data=form).get_data(as_text=True)
    assert "银行和担保机构用户须选择所属金融机构" in page
    assert invitee(app) is None


def test_a_colleague_under_a_local_demo_domain_can_be_invited(app, bank, admin_client, sink):
    """The demo's addresses (name@demo.local) are accepted where the portal delivers to its own
    mail sink; a production portal keeps refusing special-use domains."""
    response = invite(admin_client, email="new.officer@demo.local")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "new.officer@demo.local"))

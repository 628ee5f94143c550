"""A firm's owners run its team: invite colleagues by e-mail, disable and enable them, and pass
ownership on; members do the firm's business but cannot manage the team."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.enums import FirmRole, Role
from portal.extensions import db
from tests.firm_team.conftest import (
    INVITEE,
    NEW_PASSWORD,
    PURPOSE,
    accept,
    confirmed,
    invitation_link,
    invite,
)


def user(app, user_id: int | None = None, email: str | None = None) -> User:
    with app.app_context():
        if email is not None:
            return db.session.scalar(select(User).where(User.email == email))
        return db.session.get(User, user_id)


def actions_on(app, user_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.object_type == "User", AuditEntry.object_id == user_id)
                .order_by(AuditEntry.id)
            )
        )


def test_an_invited_colleague_joins_and_sees_the_firms_needs(app, firm, owner_client, client, sink):
    """Invite → e-mail over SMTP → the link sets a password → sign-in → the firm's needs."""
    page = owner_client.get("/firm/team").get_data(as_text=True)
    assert firm.member.email in page and "企业负责人" in page
    response = invite(owner_client)
    assert response.headers["Location"].endswith("/firm/team")
    made = user(app, email=INVITEE)
    assert (made.role, made.firm_id, made.firm_role) == (Role.SME, firm.id, FirmRole.MEMBER)
    assert "已邀请" in owner_client.get("/firm/team").get_data(as_text=True)

    link = invitation_link(app, sink)
    [message] = sink.messages()
    assert message["To"] == INVITEE
    body = message.get_content()
    assert "张伟 邀请您" in body and "闽江精密机械有限公司" in body
    assert "两步验证" not in body  # firm accounts sign in with a password alone

    assert "闽江精密机械有限公司" in client.get(link).get_data(as_text=True)
    assert accept(client, link).headers["Location"].endswith("/login")
    signed = client.post("/login", data={"email": INVITEE, "password": NEW_PASSWORD})
    assert signed.status_code == 302 and "/login" not in signed.headers["Location"]
    assert f"/firm/needs/{firm.need_id}" in client.get("/firm/needs/").get_data(as_text=True)
    assert PURPOSE in client.get(f"/firm/needs/{firm.need_id}").get_data(as_text=True)
    assert client.get("/firm/team").status_code == 403  # a member
    assert actions_on(app, made.id) == ["team.invite", "team.invitation_accept"]


def test_an_owner_can_invite_another_owner(app, firm, owner_client):
    """The role chosen on the form is the one the invitee gets."""
    invite(owner_client, role="owner")
    assert user(app, email=INVITEE).firm_role == FirmRole.OWNER


def test_an_address_with_an_account_is_refused(app, firm, owner_client):
    """Inviting an address that already has an account says so and makes nothing."""
    page = invite(owner_client, email=firm.other_member.email).get_data(as_text=True)
    assert "该邮箱已有账号" in page


def test_a_member_cannot_manage_the_team_nor_export(firm, member_client):
    """Members are refused every team page and action, and the export, with 403."""
    uid = firm.owner.id
    assert member_client.get("/firm/team").status_code == 403
    assert member_client.get("/firm/team/invite").status_code == 403
    assert invite(member_client).status_code == 403
    assert member_client.post(f"/firm/team/{uid}/active", data={"active": "0"}).status_code == 403
    assert member_client.post(f"/firm/team/{uid}/role", data={"role": "member"}).status_code == 403
    assert member_client.post(f"/firm/team/{uid}/transfer").status_code == 403
    assert member_client.get("/firm/export").status_code == 403
    home = member_client.get("/firm").get_data(as_text=True)
    assert "/firm/team" not in home and "/firm/export" not in home


def test_the_owners_home_links_the_team_and_the_export(firm, owner_client):
    """The firm's home and the navigation lead owners to both pages."""
    home = owner_client.get("/firm").get_data(as_text=True)
    assert 'href="/firm/team"' in home and 'href="/firm/export"' in home


def test_an_owner_disables_and_enables_a_member(app, firm, owner_client):
    """Disabling asks for confirmation first, then ends the member's access; enabling restores."""
    path = f"/firm/team/{firm.member.id}/active"
    asked = owner_client.post(path, data={"active": "0"})
    assert asked.status_code == 200 and "我确认停用该用户" in asked.get_data(as_text=True)
    assert user(app, firm.member.id).is_active
    confirmed(owner_client, path, active="0")
    assert not user(app, firm.member.id).is_active
    owner_client.post(path, data={"active": "1"})
    assert user(app, firm.member.id).is_active
    assert actions_on(app, firm.member.id) == ["user.deactivate", "user.activate"]


def test_ownership_is_passed_on(app, firm, owner_client, member_client):
    """Transfer: the member becomes the owner and the former owner a member, audited."""
    path = f"/firm/team/{firm.member.id}/transfer"
    asked = owner_client.post(path)
    assert "我确认移交企业负责人" in asked.get_data(as_text=True)
    assert user(app, firm.member.id).firm_role == FirmRole.MEMBER
    done = confirmed(owner_client, path)
    assert done.status_code == 302
    assert user(app, firm.member.id).firm_role == FirmRole.OWNER
    assert user(app, firm.owner.id).firm_role == FirmRole.MEMBER
    assert owner_client.get("/firm/team").status_code == 403
    assert member_client.get("/firm/team").status_code == 200
    assert actions_on(app, firm.member.id) == ["firm.ownership_transfer"]


def test_ownership_goes_only_to_a_colleague_who_joined(app, firm, owner_client):
    """A pending invitee cannot be made the firm's owner by transfer."""
    invite(owner_client)
    invitee = user(app, email=INVITEE)
    page = confirmed(owner_client, f"/firm/team/{invitee.id}/transfer")
    assert "只能移交给已接受邀请且未停用的同事" in owner_client.get(
        page.headers["Location"]
    ).get_data(as_text=True)
    assert user(app, firm.owner.id).firm_role == FirmRole.OWNER
    assert user(app, invitee.id).firm_role == FirmRole.MEMBER


def test_the_last_owner_cannot_step_down(app, firm, owner_client):
    """The firm's only owner cannot make themselves a member; with a second owner they can."""
    path = f"/firm/team/{firm.owner.id}/role"
    refused = confirmed(owner_client, path, role="member")
    message = owner_client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "企业至少要有一位有效的负责人" in message
    assert user(app, firm.owner.id).firm_role == FirmRole.OWNER

    owner_client.post(f"/firm/team/{firm.member.id}/role", data={"role": "owner"})
    assert user(app, firm.member.id).firm_role == FirmRole.OWNER
    confirmed(owner_client, path, role="member")
    assert user(app, firm.owner.id).firm_role == FirmRole.MEMBER
    assert actions_on(app, firm.owner.id) == ["firm.role_change"]


def test_the_last_active_owner_cannot_be_demoted_by_a_disabled_ones_presence(
    app, firm, owner_client
):
    """A disabled owner does not count: the active owner still cannot step down."""
    owner_client.post(f"/firm/team/{firm.member.id}/role", data={"role": "owner"})
    confirmed(owner_client, f"/firm/team/{firm.member.id}/active", active="0")
    confirmed(owner_client, f"/firm/team/{firm.owner.id}/role", role="member")
    assert user(app, firm.owner.id).firm_role == FirmRole.OWNER


def test_an_owner_cannot_disable_themselves(app, firm, owner_client):
    """Disabling one's own account is refused with a message; nothing changes."""
    refused = confirmed(owner_client, f"/firm/team/{firm.owner.id}/active", active="0")
    assert "不能停用自己的账号" in owner_client.get(refused.headers["Location"]).get_data(
        as_text=True
    )
    assert user(app, firm.owner.id).is_active


@pytest.mark.parametrize(
    ("method", "path", "form"),
    [
        ("post", "/firm/team/{id}/active", {"active": "0"}),
        ("post", "/firm/team/{id}/active", {"active": "1"}),
        ("post", "/firm/team/{id}/role", {"role": "owner"}),
        ("post", "/firm/team/{id}/transfer", {}),
        ("post", "/firm/team/{id}/invitation", {}),
    ],
)
def test_another_firms_user_is_missing(app, firm, owner_client, method, path, form):
    """Every action on another firm's user is a 404, confirmed or not; nothing changes."""
    for target in (firm.other_owner.id, firm.other_member.id):
        url = path.format(id=target)
        assert owner_client.post(url, data=form).status_code == 404
        assert confirmed(owner_client, url, **form).status_code == 404
        assert actions_on(app, target) == []
    theirs = user(app, firm.other_member.id)
    assert theirs.is_active and theirs.firm_role == FirmRole.MEMBER
    page = owner_client.get("/firm/team").get_data(as_text=True)
    assert firm.other_member.email not in page

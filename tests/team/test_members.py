"""A bank admin disables, enables and resets the second factor of its own colleagues only: never
itself, never the last admin, never another bank's user; officers may not."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.enums import Role
from portal.extensions import db
from portal.team import services
from tests.conftest import PASSWORD, signed_in
from tests.factories import AgencyFactory, UserFactory
from tests.team.conftest import add_colleague, invite

TEAM_ACTIONS = ("active", "two-factor-reset", "invitation")


def user(app, user_id: int) -> User:
    with app.app_context():
        return db.session.get(User, user_id)


def audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEntry.id)))


def disable(client, user_id: int, *, confirmed: bool = True):
    data = {"active": "0", **({"confirmed": "y"} if confirmed else {})}
    return client.post(f"/team/{user_id}/active", data=data)


def test_the_team_page_lists_the_banks_users_only(app, bank, admin_client):
    """The team page lists the bank's own users, with their second factor, and no one else's."""
    page = admin_client.get("/team").get_data(as_text=True)
    assert bank.admin.email in page and bank.officer.email in page
    assert bank.other_officer.email not in page and bank.other_admin.email not in page
    assert "已绑定" in page  # factory staff are enrolled
    assert "（我）" in page


def test_disabling_an_officer_ends_their_session_and_sign_in(app, bank, admin_client, auth):
    officer = signed_in(app, bank.officer.email)
    assert officer.get("/bank").status_code == 200
    asked = disable(admin_client, bank.officer.id, confirmed=False)
    assert "我确认停用该用户" in asked.get_data(as_text=True)
    assert officer.get("/bank").status_code == 200  # not yet: nothing confirmed
    done = disable(admin_client, bank.officer.id)
    assert done.headers["Location"].endswith("/team")
    assert officer.get("/bank").status_code == 302  # the open session is over
    assert not user(app, bank.officer.id).is_active
    assert "已停用" in admin_client.get("/team").get_data(as_text=True)
    again = auth.login(bank.officer.email)
    assert again.status_code == 200 and "邮箱或密码不正确" in again.get_data(as_text=True)

    admin_client.post(f"/team/{bank.officer.id}/active", data={"active": "1"})
    assert user(app, bank.officer.id).is_active
    assert signed_in(app, bank.officer.email).get("/bank").status_code == 200


def test_an_admin_cannot_disable_or_reset_itself(app, bank, admin_client):
    """An admin neither disables nor resets its own account."""
    disable(admin_client, bank.admin.id)
    assert user(app, bank.admin.id).is_active
    admin_client.post(f"/team/{bank.admin.id}/two-factor-reset", data={"confirmed": "y"})
    assert user(app, bank.admin.id).has_two_factor
    assert "不能停用或重置自己的账号" in admin_client.get("/team").get_data(as_text=True)


def test_one_admin_disables_another(app, bank, admin_client):
    """With another active admin left, an admin may be disabled."""
    second = add_colleague(app, bank.id)
    disable(admin_client, second)
    assert not user(app, second).is_active


def test_the_last_active_admin_is_never_disabled(app, bank):
    """Two admins disabling each other at once: whichever comes second is refused."""
    second_id = add_colleague(app, bank.id)
    with app.app_context():
        first, second = db.session.get(User, bank.admin.id), db.session.get(User, second_id)
        services.set_active(first, second, False)  # the first request wins
        with pytest.raises(services.LastAdmin):
            services.set_active(second, first, False)  # the second was already in flight
    assert user(app, bank.admin.id).is_active


def test_an_admin_who_never_joined_does_not_count(app, bank, admin_client):
    """An invited admin who has not accepted cannot run the team, so they keep no one safe."""
    invite(admin_client, role="bank_admin")
    other_id = add_colleague(app, bank.id)
    with app.app_context():
        first, other = db.session.get(User, bank.admin.id), db.session.get(User, other_id)
        services.set_active(first, other, False)
        with pytest.raises(services.LastAdmin):
            services.set_active(other, first, False)
    assert user(app, bank.admin.id).is_active


def test_resetting_a_second_factor_sends_the_officer_to_enrolment(app, bank, admin_client, client):
    """A reset, once confirmed, clears the authenticator: the next sign-in enrols again."""
    asked = admin_client.post(f"/team/{bank.officer.id}/two-factor-reset")
    assert "我确认已核实本人身份" in asked.get_data(as_text=True)
    assert user(app, bank.officer.id).has_two_factor
    admin_client.post(f"/team/{bank.officer.id}/two-factor-reset", data={"confirmed": "y"})
    assert not user(app, bank.officer.id).has_two_factor
    signed = client.post("/login", data={"email": bank.officer.email, "password": PASSWORD})
    assert signed.headers["Location"].endswith("/login/enrol")
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "user.two_factor_reset")
        )
        assert (entry.actor_id, entry.object_id) == (bank.admin.id, bank.officer.id)


@pytest.mark.parametrize("action", TEAM_ACTIONS)
def test_another_banks_user_is_a_404(app, bank, admin_client, action):
    """Every action on another bank's user answers 404 and changes nothing."""
    before = audit_count(app)
    for data in ({}, {"confirmed": "y"}, {"active": "0", "confirmed": "y"}):
        url = f"/team/{bank.other_officer.id}/{action}"
        assert admin_client.post(url, data=data).status_code == 404
    other = user(app, bank.other_officer.id)
    assert other.is_active and other.has_two_factor
    assert audit_count(app) == before


@pytest.mark.parametrize("role", [Role.BANK_OFFICER, Role.GOV_STAFF, Role.SME, Role.REGULATOR])
def test_only_institution_admins_run_a_team(app, bank, client, auth, create, role):
    """An officer (and any other role but an institution admin) is refused with 403."""
    if role == Role.BANK_OFFICER:
        auth.login(bank.officer.email)
    else:
        auth.login(create(UserFactory, role=role).email)
    for url in ("/team", "/team/invite", "/team/settings"):
        assert client.get(url).status_code == 403, url
    for action in TEAM_ACTIONS:
        url = f"/team/{bank.admin.id}/{action}"
        assert client.post(url, data={"confirmed": "y"}).status_code == 403, url
    assert client.post("/team/invite", data={"email": "x@bank.example.com"}).status_code == 403
    assert user(app, bank.admin.id).is_active


def test_government_staff_see_their_agencys_colleagues(app, client, auth):
    with app.app_context():
        ours, theirs = AgencyFactory(), AgencyFactory()
        me = UserFactory(role=Role.GOV_STAFF, agency=ours)
        colleague = UserFactory(role=Role.GOV_STAFF, agency=ours, full_name="同部门的人")
        stranger = UserFactory(role=Role.GOV_STAFF, agency=theirs, full_name="别部门的人")
        db.session.commit()
        emails = (me.email, colleague.email, stranger.email)
    auth.login(emails[0])
    page = client.get("/colleagues").get_data(as_text=True)
    assert emails[1] in page and "同部门的人" in page
    assert emails[2] not in page
    assert "/active" not in page and "/two-factor-reset" not in page  # read only

"""Each role's home page answers to that role only, and shows that role's real data."""

from __future__ import annotations

import pytest

from portal.accounts.models import User
from portal.enums import Role
from portal.extensions import db
from portal.i18n import return_path
from tests.conftest import PASSWORD
from tests.factories import UserFactory

HOMES = {
    Role.SME: "/firm",
    Role.BANK_OFFICER: "/bank",
    Role.BANK_ADMIN: "/bank/admin",
    Role.GUARANTOR_OFFICER: "/guarantor/",
    Role.GUARANTOR_ADMIN: "/guarantor/admin",
    Role.GOV_STAFF: "/gov",
    Role.REGULATOR: "/supervision",
    Role.ADMIN: "/admin/",
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_its_home_and_no_other(client, auth, create, role):
    """A user of one role gets 200 on its own home and 403 on every other role's home."""
    user = create(UserFactory, role=role)
    auth.login(user.email)
    assert client.get("/home").headers["Location"].endswith(HOMES[role])
    for other_role, url in HOMES.items():
        expected = 200 if other_role == role else 403
        assert client.get(url).status_code == expected, (role, url)


@pytest.mark.parametrize("url", sorted(HOMES.values()))
def test_anonymous_visitors_are_sent_to_login(client, url):
    """Home pages ask an anonymous visitor to sign in."""
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_bank_home_shows_its_own_institution(client, auth, create):
    """A bank officer's home names the officer's bank."""
    user = create(UserFactory, role=Role.BANK_OFFICER)
    auth.login(user.email)
    page = client.get("/bank").get_data(as_text=True)
    assert user.institution.name in page
    assert "客户经理工作台" in page


def test_gov_home_shows_agency(client, auth, create):
    """Government staff see their agency on their home page."""
    user = create(UserFactory, role=Role.GOV_STAFF)
    auth.login(user.email)
    assert user.agency.name in client.get("/gov").get_data(as_text=True)


def test_home_pages_are_chinese_by_default_and_english_on_request(client, auth, create):
    """Pages are in Chinese by default; the language switch turns them into English."""
    user = create(UserFactory, role=Role.REGULATOR)
    auth.login(user.email)
    assert "全省平台运行概况" in client.get("/supervision").get_data(as_text=True)
    client.post("/language", data={"locale": "en", "next": "/supervision"})
    page = client.get("/supervision").get_data(as_text=True)
    assert "Province overview" in page
    assert 'lang="en"' in page


def test_language_chosen_before_signing_in_carries_through_every_step(client, auth, create):
    """English chosen on the sign-in page stays English at the code step, after signing in,
    and on the sign-in page after signing out; it becomes the person's language."""
    user = create(UserFactory, role=Role.REGULATOR)
    client.post("/language", data={"locale": "en", "next": "/login"})
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/login/verify")
    assert 'lang="en"' in client.get("/login/verify").get_data(as_text=True)
    auth.login(user.email)
    assert "Province overview" in client.get("/supervision").get_data(as_text=True)
    auth.logout()
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)
    with client.application.app_context():
        assert db.session.get(User, user.id).locale == "en"


def test_switching_language_after_sending_a_form_stays_on_its_page(client):
    """A form answered with errors offers to switch language back to that form's page, not home;
    an action with no page of its own goes back to the page it was sent from."""
    page = client.post("/institutions/apply", data={}).get_data(as_text=True)
    assert 'name="next" value="/institutions/apply"' in page
    response = client.post("/language", data={"locale": "en", "next": "/institutions/apply"})
    assert response.headers["Location"] == "/institutions/apply"
    with client.application.test_request_context(
        "/bank/leads/1/accept", method="POST", headers={"Referer": "http://localhost/bank/leads/1"}
    ):
        assert return_path() == "/bank/leads/1"

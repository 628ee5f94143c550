"""Two-factor sign-in for staff: enrolment on first login, codes used once, recovery codes."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from portal.accounts.models import RecoveryCode, User
from portal.audit.models import AuditEntry
from portal.enums import Role
from portal.extensions import db
from tests.conftest import PASSWORD
from tests.factories import TOTP_SECRET, UserFactory

STAFF_HOMES = {
    Role.BANK_OFFICER: "/bank",
    Role.BANK_ADMIN: "/bank/admin",
    Role.GOV_STAFF: "/gov",
    Role.REGULATOR: "/supervision",
    Role.ADMIN: "/admin/",
}


def password_step(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def recovery_codes_in(html: str) -> list[str]:
    return re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", html)


@pytest.mark.parametrize("role", list(STAFF_HOMES))
def test_staff_password_alone_does_not_sign_in(client, create, role):
    """After the right password a staff user is asked for a code and is not yet signed in."""
    user = create(UserFactory, role=role)
    response = password_step(client, user.email)
    assert response.headers["Location"].endswith("/login/verify")
    assert client.get(STAFF_HOMES[role]).status_code == 302
    page = client.get("/login/verify").get_data(as_text=True)
    assert 'name="code"' in page and 'autocomplete="one-time-code"' in page


def test_firm_users_sign_in_with_a_password_only(client, create):
    """Firm users are not asked for a second factor."""
    user = create(UserFactory, role=Role.SME)
    response = password_step(client, user.email)
    assert response.headers["Location"].endswith("/home")


def test_current_code_signs_in_and_the_same_code_is_refused_next_time(app, create):
    """A code works once: replaying it, even within its 30 seconds, is refused."""
    user = create(UserFactory, role=Role.REGULATOR)
    code = pyotp.TOTP(TOTP_SECRET).now()
    first = app.test_client()
    password_step(first, user.email)
    assert first.post("/login/verify", data={"code": code}).headers["Location"].endswith("/home")
    assert first.get("/supervision").status_code == 200

    second = app.test_client()
    password_step(second, user.email)
    replay = second.post("/login/verify", data={"code": code})
    assert replay.status_code == 200
    assert "验证码不正确或已使用" in replay.get_data(as_text=True)
    assert second.get("/supervision").status_code == 302


def test_wrong_code_is_refused_and_audited(app, client, create):
    user = create(UserFactory, role=Role.GOV_STAFF)
    password_step(client, user.email)
    response = client.post("/login/verify", data={"code": "000000"})
    assert "验证码不正确" in response.get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "auth.login_failed")
        ).one()
    assert entry.actor_id == user.id and entry.detail["step"] == "two_factor"


def test_code_page_without_a_password_first_goes_back_to_login(client, create):
    create(UserFactory, role=Role.ADMIN)
    response = client.post("/login/verify", data={"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert response.headers["Location"].endswith("/login")


def test_first_login_enrols_an_authenticator_and_shows_recovery_codes_once(app, client, create):
    """A new staff user scans a QR code, confirms a code, and gets ten one-time recovery codes."""
    user = create(UserFactory, role=Role.BANK_OFFICER, totp_secret=None, totp_confirmed_at=None)
    assert password_step(client, user.email).headers["Location"].endswith("/login/enrol")
    page = client.get("/login/enrol").get_data(as_text=True)
    assert "<svg" in page and 'class="qr-code"' in page
    with app.app_context():
        secret = db.session.get(User, user.id).totp_secret
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page

    wrong = client.post("/login/enrol", data={"code": "123456"})
    assert "验证码不正确" in wrong.get_data(as_text=True)
    done = client.post("/login/enrol", data={"code": pyotp.TOTP(secret).now()})
    codes = recovery_codes_in(done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/bank").status_code == 200
    with app.app_context():
        stored = db.session.scalars(
            select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
        ).all()
        enrolled = db.session.get(User, user.id)
        assert enrolled.has_two_factor
    assert len(stored) == 10 and not set(codes) & set(stored)  # only hashes are kept


def test_recovery_code_signs_in_once(app, create):
    """A recovery code stands in for the phone, and only once."""
    user = create(UserFactory, role=Role.BANK_ADMIN, totp_secret=None, totp_confirmed_at=None)
    enrolling = app.test_client()
    password_step(enrolling, user.email)
    enrolling.get("/login/enrol")
    with app.app_context():
        secret = db.session.get(User, user.id).totp_secret
    page = enrolling.post("/login/enrol", data={"code": pyotp.TOTP(secret).now()})
    code = recovery_codes_in(page.get_data(as_text=True))[0]

    phone_lost = app.test_client()
    password_step(phone_lost, user.email)
    signed_in = phone_lost.post("/login/verify", data={"code": code.upper()})
    assert signed_in.headers["Location"].endswith("/home")

    again = app.test_client()
    password_step(again, user.email)
    refused = again.post("/login/verify", data={"code": code})
    assert refused.status_code == 200 and "验证码不正确" in refused.get_data(as_text=True)


def test_regenerating_recovery_codes_voids_the_old_ones(app, client, auth, create):
    user = create(UserFactory, role=Role.REGULATOR)
    auth.login(user.email)
    first = recovery_codes_in(client.post("/account/recovery-codes").get_data(as_text=True))
    second = recovery_codes_in(client.post("/account/recovery-codes").get_data(as_text=True))
    assert len(first) == len(second) == 10 and not set(first) & set(second)
    auth.logout()
    other = app.test_client()
    password_step(other, user.email)
    assert other.post("/login/verify", data={"code": first[0]}).status_code == 200
    assert other.post("/login/verify", data={"code": second[0]}).status_code == 302


def test_admin_reset_makes_the_user_enrol_again(app, client, auth, create):
    """When phone and codes are lost, an admin resets two-factor; the user enrols afresh."""
    user = create(UserFactory, role=Role.GOV_STAFF)
    admin = create(UserFactory, role=Role.ADMIN)
    auth.login(admin.email)
    asked = client.post(f"/admin/users/{user.id}/two-factor-reset").get_data(as_text=True)
    assert "我确认已核实本人身份" in asked
    response = client.post(f"/admin/users/{user.id}/two-factor-reset", data={"confirmed": "y"})
    assert response.status_code == 302
    auth.logout()
    assert password_step(client, user.email).headers["Location"].endswith("/login/enrol")
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "user.two_factor_reset" in actions


def test_demo_secret_is_printed_with_the_demo_accounts(app):
    from demo.commands import demo_cli
    from demo.seed import DEMO_TOTP_SECRET

    result = app.test_cli_runner().invoke(demo_cli, ["seed"])
    assert DEMO_TOTP_SECRET in result.output


def test_operator_creates_the_first_admin_who_enrols_at_first_sign_in(app, auth):
    """A new installation's first account comes from the command line; it enrols 2FA at once."""
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "ops@portal.example.gov.cn", "--name", "运维管理员"],
        input="a long admin pass phrase\na long admin pass phrase\n",
    )
    assert result.exit_code == 0, result.output
    response = auth.login("ops@portal.example.gov.cn", "a long admin pass phrase")
    assert "<code>" in response.get_data(as_text=True)  # the recovery codes after enrolment
    assert auth.client.get("/admin/").status_code == 200


def test_create_admin_refuses_a_common_password(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "ops@portal.example.gov.cn", "--name", "运维"],
        input="password123\npassword123\n",
    )
    assert result.exit_code != 0 and "common password" in result.output

"""Passwords: 8 to 128 characters of anything, not a common one; users can change their own."""

from __future__ import annotations

import pytest

from portal.accounts.passwords import is_common_password
from portal.enums import Role
from tests.conftest import PASSWORD
from tests.factories import UserFactory


@pytest.mark.parametrize(
    "password", ["password", "12345678", "Qwerty123", "woaini1314", "1qaz2wsx"]
)
def test_common_passwords_are_on_the_list(password):
    assert is_common_password(password)


@pytest.mark.parametrize(
    "password", ["闽江 精密 2026 春", "correct horse battery staple", "x" * 64]
)
def test_long_or_unusual_passwords_are_not(password):
    assert not is_common_password(password)


def change(client, current: str, new: str):
    return client.post(
        "/account/password",
        data={"current_password": current, "password": new, "password_confirm": new},
    )


def test_common_password_is_refused_with_a_reason(client, auth, create):
    user = create(UserFactory, role=Role.SME)
    auth.login(user.email)
    response = change(client, PASSWORD, "iloveyou")
    assert response.status_code == 400
    assert "这个密码过于常见" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("password", "accepted"),
    [("短密码1234"[:7], False), ("a" * 7 + "é", True), ("口令" * 32, True), ("x" * 129, False)],
)
def test_length_rule_counts_characters_of_any_kind(client, auth, create, password, accepted):
    """8 characters at least and 128 at most; spaces, Chinese and symbols all count."""
    user = create(UserFactory, role=Role.SME)
    auth.login(user.email)
    response = change(client, PASSWORD, password)
    assert (response.status_code == 302) is accepted


def test_changing_the_password_ends_other_sessions(app, client, auth, create):
    user = create(UserFactory, role=Role.SME)
    other_device = app.test_client()
    other_device.post("/login", data={"email": user.email, "password": PASSWORD})
    auth.login(user.email)
    response = change(client, PASSWORD, "a much longer pass phrase")
    assert response.headers["Location"].endswith("/account/security")
    assert client.get("/firm").status_code == 200  # this browser stays signed in
    assert other_device.get("/firm").status_code == 302  # the other one is signed out
    auth.logout()
    assert auth.login(user.email, "a much longer pass phrase").status_code == 302


def test_wrong_current_password_changes_nothing(client, auth, create):
    user = create(UserFactory, role=Role.SME)
    auth.login(user.email)
    response = change(client, "not my password", "a much longer pass phrase")
    assert "当前密码不正确" in response.get_data(as_text=True)
    auth.logout()
    assert auth.login(user.email, PASSWORD).headers["Location"].endswith("/home")

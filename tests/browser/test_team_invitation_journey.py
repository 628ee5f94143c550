"""A bank admin invites a new officer by e-mail; the officer sets a password from the link,
binds a second factor at first sign-in and reaches the bank's workspace; the admin then disables
the account and the officer is signed out. Runs in Chinese and in English."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.browser import guarantee_data, server_data
from tests.browser.language import Words, choose_language, sign_in_as
from tests.browser.support import Journey

ADMIN = "bankadmin@demo.local"
PASSWORD = "a new officer's own long password"


@pytest.fixture(params=["zh_Hans_CN", "en"], ids=["zh", "en"])
def locale(request: pytest.FixtureRequest, server_app: Flask) -> Iterator[str]:
    yield request.param
    guarantee_data.forget_language(server_app, [ADMIN])


def test_admin_invites_an_officer_who_joins_and_is_later_disabled(
    open_journey: Callable[[str], Journey], server_app: Flask, locale: str
) -> None:
    short = locale[:2]
    email = f"officer-{short}-{secrets.token_hex(3)}@demo.local"
    admin = open_journey(f"team-admin-{short}")
    words = Words(server_app, admin, locale)
    sign_in_as(admin, ADMIN, locale)
    admin.goto("/team", "team")
    words.check(admin.page.locator("main h1"), "the team page's heading")
    admin.page.get_by_role("link", name=words("邀请用户")).first.click()
    admin.step("invite-form")
    admin.page.fill("#full_name", "Lin Yue" if short == "en" else "林悦")
    admin.page.select_option("#role", "bank_officer")
    admin.page.fill("#email", email)
    admin.page.fill("#phone", "0591-87810002")
    admin.submit(words("发送邀请"))
    admin.step("invited")
    expect(admin.page.locator(".flash--success")).to_be_visible()
    words.check(admin.page.locator(".flash--success"), "the confirmation", email)

    officer = open_journey(f"team-new-officer-{short}")
    new_words = Words(server_app, officer, locale)
    choose_language(officer, locale)
    officer.goto(server_data.mail_link(server_app, email, "/invitation/"), "invitation")
    officer.page.fill("#password", PASSWORD)
    officer.page.fill("#password_confirm", PASSWORD)
    officer.submit(new_words("设置密码"))
    officer.step("password-set")
    expect(officer.page.locator(".flash--success")).to_be_visible()
    officer.page.fill("#email", email)
    officer.page.fill("#password", PASSWORD)
    officer.page.locator("main form button[type=submit]").first.click()
    officer.step("enrol-second-factor")
    secret = officer.page.locator("#totp-secret").inner_text().replace(" ", "").strip()
    officer.page.fill("#code", pyotp.TOTP(secret).now())
    officer.submit(new_words("完成绑定并登录"))
    officer.step("recovery-codes")
    officer.goto("/bank/leads/", "lead-inbox")
    expect(officer.page.get_by_role("heading", level=1)).to_be_visible()
    assert "/login" not in officer.page.url

    admin.page.reload()
    admin.step("team-with-officer")
    row = admin.page.locator("table tbody tr").filter(has_text=email)
    admin.submit(words("停用"), within=row)
    admin.step("officer-disabled")
    expect(admin.page.locator(".flash--success")).to_be_visible()

    officer.page.goto(officer.url("/bank/leads/"))
    officer.step("signed-out")
    assert "/login" in officer.page.url

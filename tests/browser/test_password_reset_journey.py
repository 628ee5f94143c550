"""A firm user who forgot the password resets it by the e-mailed link and signs in again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser import server_data
from tests.browser.support import Journey, sign_in

NEW_PASSWORD = "spring rain over the min river"


def test_forgotten_password_reset_by_email(
    open_journey: Callable[[str], Journey], server_app: Any
) -> None:
    journey = open_journey("password-reset")
    email = server_data.colleague_of(
        server_app, "sme@demo.local", f"reset-{journey.viewport}@demo.local"
    )
    page = journey.page
    journey.goto("/login", "login")
    page.get_by_role("link", name="忘记密码？").click()
    journey.step("forgot-password")
    page.fill("#email", email)
    page.get_by_role("button", name="发送重置链接").click()
    journey.step("link-sent")
    expect(page.locator(".flash--info")).to_contain_text("重置密码的链接已发送到该邮箱")

    journey.goto(server_data.mail_link(server_app, email, "/password/reset/"), "set-new-password")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#password_confirm", NEW_PASSWORD)
    page.get_by_role("button", name="设置新密码").click()
    journey.step("password-reset")
    expect(page.locator(".flash--success")).to_contain_text("密码已重置")

    sign_in(journey, email, NEW_PASSWORD, None)
    journey.step("consent")  # a colleague added by hand has not yet agreed to the terms
    page.get_by_label("我已阅读并同意现行的用户服务协议和隐私政策").check()
    page.get_by_role("button", name="同意并继续").click()
    journey.step("signed-in")
    assert "/firm" in page.url, page.url

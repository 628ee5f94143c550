"""Language switch, another firm's URL (404), sign-out, and a keyboard-only sign-in and form."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from demo.seed import DEMO_PASSWORD
from tests.browser import server_data
from tests.browser.support import Journey, demo_sign_in, tab_to

SME = "sme@demo.local"


def test_language_switch_other_tenant_and_logout(
    open_journey: Callable[[str], Journey], server_app: Any
) -> None:
    """English after the switch; another firm's need is a 404 page; signed out means signed out."""
    other_need = server_data.submit_need(
        server_app, "contact@ludaoptics.demo.local", 50, "购置检测设备"
    )
    journey = open_journey("session")
    page = journey.page
    journey.goto("/", "public-home")
    page.select_option("#lang-select", "en")
    page.get_by_role("button", name="切换").click()
    journey.step("english")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    demo_sign_in(journey, SME)
    journey.step("firm-home-english")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    journey.allowed_console.append("404")
    response = page.goto(journey.url(f"/firm/needs/{other_need}"))
    assert response is not None and response.status == 404
    journey.step("other-firm-need-404")
    journey.allowed_console.clear()

    page.goto(journey.url("/firm"))
    page.select_option("#lang-select", "zh_Hans_CN")
    page.locator(".lang-switch button").click()
    journey.step("chinese-again")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    page.get_by_role("button", name="退出").click()
    journey.step("signed-out")
    expect(page.locator(".flash--info")).to_be_visible()
    page.goto(journey.url("/firm"))
    journey.step("firm-home-needs-sign-in")
    assert "/login" in page.url


def test_keyboard_only_sign_in_and_need(open_journey: Callable[[str], Journey]) -> None:
    """Tab reaches every field in order with a visible focus ring; Enter signs in and submits."""
    journey = open_journey("keyboard")
    page = journey.page
    journey.goto("/login", "login")
    tab_to(page, "#email")
    page.keyboard.type(SME)
    tab_to(page, "#password", limit=1)
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/firm")
    journey.step("signed-in")

    tab_to(page, 'a[href="/firm/needs/"]')
    page.keyboard.press("Enter")
    page.wait_for_url("**/firm/needs/")
    tab_to(page, 'main a[href="/firm/needs/new"]')
    page.keyboard.press("Enter")
    page.wait_for_url("**/firm/needs/new")
    journey.step("need-form")
    tab_to(page, "#amount_wan")
    page.keyboard.type("60")
    tab_to(page, "#term_months", limit=1)
    page.keyboard.type("12")
    tab_to(page, "#purpose")
    page.keyboard.type("支付货款")
    tab_to(page, "#consent")
    page.keyboard.press("Space")
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/firm/needs/\d+$"))
    journey.step("need-submitted")
    expect(page.get_by_role("heading", level=1)).to_contain_text("融资需求")

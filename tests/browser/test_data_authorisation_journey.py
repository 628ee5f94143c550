"""A firm authorises banks to query its government data, a bank queries it, the firm sees it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from demo.seed import DEMO_BANK
from tests.browser import server_data
from tests.browser.support import Journey, demo_sign_in

FIRM = "sme@demo.local"
OFFICER = "bank@demo.local"


def test_authorisation_query_and_the_firms_record(
    open_journey: Callable[[str], Journey], server_app: Any
) -> None:
    """Grant tax and registry only (derived), the bank queries tax (allowed) and courts
    (refused), and the firm's "who viewed my data" page lists both."""
    firm = open_journey("data-authorisation-firm")
    page = firm.page
    demo_sign_in(firm, FIRM)
    firm.goto("/firm/data-authorisation", "authorisation")
    grant = page.locator("form", has=page.locator("#days"))
    for source in ("social_insurance", "qualifications", "courts"):
        grant.locator(f'input[name=sources][value="{source}"]').uncheck()
    grant.locator("button[type=submit]").click()
    firm.step("granted")
    expect(page.locator(".flash--success")).to_be_visible()
    expect(page.locator("main")).to_contain_text("授权有效")

    need_id = server_data.submit_need(server_app, FIRM, 80, "购置检测设备")
    lead_id = server_data.apply_to_bank(server_app, FIRM, need_id, DEMO_BANK)

    bank = open_journey("data-authorisation-bank")
    bank_page = bank.page
    demo_sign_in(bank, OFFICER)
    bank.goto(f"/bank/leads/{lead_id}", "lead")
    bank.submit("受理")
    bank.step("accepted")
    section = bank_page.locator("section", has=bank_page.locator("#data-query-title"))
    section.locator("#source").select_option("tax")
    section.locator("#purpose").select_option("pre_loan")
    section.get_by_role("button", name="查询").click()
    bank.step("tax-queried")
    result = bank_page.locator("main")
    expect(result).to_contain_text("近12个月纳税额")
    expect(result).to_contain_text("仅提供衍生指标")

    bank_page.locator("#source").select_option("courts")
    bank_page.locator("#purpose").select_option("post_loan")
    bank_page.get_by_role("button", name="查询").click()
    bank.step("courts-refused")
    expect(bank_page.locator(".notice--warning")).to_contain_text("不包括")

    firm.goto("/firm/needs/viewers", "who-viewed")
    rows = page.locator("main table tbody tr")
    expect(rows.filter(has_text="税务").filter(has_text="贷前调查").first).to_contain_text("已查询")
    expect(rows.filter(has_text="法院").filter(has_text="贷后管理").first).to_contain_text("已拒绝")

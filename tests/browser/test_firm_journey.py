"""A new firm registers, asks for a loan, and takes the better of two banks' offers."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from demo.seed import DEMO_BANK
from exchange.generate import extra_firm, legal_rep_id_number, legal_representative
from tests.browser import server_data
from tests.browser.support import Journey, demo_sign_in

# Firms only the registry knows (the demo exchange's --extra firms, exchange/generate.py), one
# per viewport: Fuzhou firms graded A (the demo's 秒批 rules need A) with no disagreement drawn.
REGISTRY_ONLY = {"phone": 23, "desktop": 24}


def _register(journey: Journey) -> str:
    """Register a Fuzhou firm as its legal representative: the registry gives its name and place,
    the tax and social-insurance bureaus its figures. Returns the email."""
    page = journey.page
    firm = extra_firm(REGISTRY_ONLY[journey.viewport])
    code = firm["credit_code"]
    suffix = secrets.token_hex(3)
    email = f"finance-{suffix}@minjiang-tools.example"
    journey.goto("/register", "register")
    page.fill("#credit_code", code)
    page.fill("#legal_rep_name", legal_representative(code))
    page.fill("#legal_rep_id_number", legal_rep_id_number(code, firm["region_code"]))
    page.fill("#total_assets_wan", "1200")
    page.fill("#full_name", "陈立新")
    page.fill("#phone", "13800000000")
    page.fill("#email", email)
    page.fill("#password", "Rongcheng-Tools-2026")
    page.fill("#password_confirm", "Rongcheng-Tools-2026")
    page.check("#consent")
    page.get_by_role("button", name="注册").last.click()
    journey.step("registered")
    expect(page.locator(".flash--success")).to_be_visible()
    expect(page.get_by_role("heading", name=firm["name"])).to_be_visible()
    return email


def _fill_profile(journey: Journey) -> None:
    """The verified facts are marked and locked; the firm adds a declared label of its own."""
    page = journey.page
    journey.goto("/firm/profile", "profile")
    expect(page.get_by_role("heading", name="已核验的信息")).to_be_visible()
    expect(page.locator("#name")).to_have_count(0)
    page.get_by_label("绿色").check()
    journey.submit("保存")
    journey.step("profile-saved")
    expect(page.locator(".flash--success")).to_be_visible()


def _submit_need(journey: Journey) -> int:
    """Ask for 100 万元 over a year on credit; returns the need's id."""
    page = journey.page
    journey.goto("/firm/needs/new", "need-form")
    page.fill("#amount_wan", "100")
    page.fill("#term_months", "12")
    page.select_option("#guarantee_type", "credit")
    page.fill("#purpose", "采购数控机床零部件，补充流动资金")
    page.check("#consent")
    journey.submit("提交并匹配")
    journey.step("matches")
    return int(page.url.rstrip("/").rsplit("/", 1)[1])


def _apply_to_two_banks(journey: Journey) -> None:
    """Tick the demo bank's best product and the best product of one other bank."""
    page = journey.page
    rows = page.locator("main .match").filter(has=page.locator("input[type=checkbox]"))
    rows.filter(has_text=DEMO_BANK.removesuffix("福州分行")).first.locator("input").check()
    rows.filter(has_not_text=DEMO_BANK.removesuffix("福州分行")).first.locator("input").check()
    journey.submit("申请所选产品")


def _demo_bank_offers(open_journey: Callable[[str], Journey], lead_id: int) -> None:
    """The demo bank's officer, in a browser of their own, accepts and offers 100 万元 at 3.45%."""
    officer = open_journey("firm-journey-bank-side")
    page = officer.page
    demo_sign_in(officer, "bank@demo.local")
    officer.goto(f"/bank/leads/{lead_id}", "lead")
    officer.submit("受理")
    officer.step("accepted")
    page.fill("#amount_wan", "100")
    page.fill("#rate", "3.45")
    page.fill("#term_months", "12")
    officer.submit("发送授信方案")
    officer.step("offer-sent")


def test_new_firm_registers_applies_and_takes_an_offer(
    open_journey: Callable[[str], Journey], server_app: Any
) -> None:
    """Register, profile, need, reasons for no match, 秒批, two applications, offers, take one."""
    journey = open_journey("firm")
    page = journey.page
    _register(journey)
    _fill_profile(journey)
    need_id = _submit_need(journey)

    expect(page.get_by_role("heading", name="秒批预授信")).to_be_visible()
    page.locator("details summary").first.click()
    journey.step("why-not-matched")
    expect(page.locator("details li li").first).to_be_visible()

    _apply_to_two_banks(journey)
    journey.step("applied")
    leads = server_data.leads_of_need(server_app, need_id)
    assert len(leads) == 2 and DEMO_BANK in leads, leads

    _demo_bank_offers(open_journey, leads[DEMO_BANK])
    other = next(lead_id for bank, lead_id in leads.items() if bank != DEMO_BANK)
    server_data.make_offer(server_app, other, 80, "3.95")

    journey.goto(f"/firm/needs/{need_id}", "offers")
    offers = page.locator("main article")
    expect(offers).to_have_count(2)
    demo_offer = offers.filter(has_text="兴业银行")
    journey.submit("接受此方案", within=demo_offer)
    journey.step("offer-taken")
    expect(page.locator(".flash--success")).to_be_visible()
    assert server_data.lead_status(server_app, leads[DEMO_BANK]) == "approved"
    assert server_data.lead_status(server_app, other) == "closed"

"""A registrant who is not the legal representative registers with a letter of authorisation;
platform staff approve it; the firm then disputes a verified fact and staff close the dispute."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from playwright.sync_api import expect

from exchange.generate import extra_firm
from tests.browser.support import Journey, demo_sign_in

# Registry-only firms of the demo exchange (its --extra firms), one per viewport, apart from the
# firm journey's; both have records that agree with themselves.
REGISTRY_ONLY = {"phone": 13, "desktop": 26}
PDF = b"%PDF-1.4\n% letter of authorisation\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _register_with_letter(journey: Journey, code: str) -> None:
    page = journey.page
    suffix = secrets.token_hex(3)
    journey.goto("/register", "register")
    page.fill("#credit_code", code)
    page.check("#not_legal_rep")
    page.set_input_files(
        "#letter",
        files=[{"name": "授权委托书.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.fill("#total_assets_wan", "900")
    page.fill("#full_name", "吴静")
    page.fill("#email", f"agent-{suffix}@letter.example")
    page.fill("#password", "Letter-Of-Authority-2026")
    page.fill("#password_confirm", "Letter-Of-Authority-2026")
    page.check("#consent")
    page.get_by_role("button", name="提交注册").click()
    journey.step("registered-with-letter")
    expect(page.get_by_text("正在由平台工作人员审核")).to_be_visible()


def _staff_decide(open_journey: Callable[[str], Journey], name: str) -> None:
    """Platform staff approve the letter, then (later) reject the firm's dispute."""
    staff = open_journey("identity-review-staff")
    page = staff.page
    demo_sign_in(staff, "admin@demo.local")
    staff.goto("/admin/reviews", "reviews")
    page.get_by_role("link", name=f"审核 {name}").click()
    staff.step("letter")
    page.select_option("#decision", "approve")
    staff.submit("提交审核结论")
    staff.step("letter-approved")
    expect(page.locator(".flash--success")).to_be_visible()


def _staff_close_dispute(open_journey: Callable[[str], Journey], name: str) -> None:
    staff = open_journey("identity-review-staff-dispute")
    page = staff.page
    demo_sign_in(staff, "admin@demo.local")
    staff.goto("/admin/reviews?show=disputes", "disputes")
    page.get_by_role("link", name=f"处理 {name}").click()
    staff.step("dispute")
    page.select_option("#outcome", "rejected")
    page.fill("#note", "税务部门确认该评级无误。")
    staff.submit("提交处理结论")
    staff.step("dispute-closed")
    expect(page.locator(".flash--success")).to_be_visible()


def test_letter_is_approved_and_a_dispute_is_closed(
    open_journey: Callable[[str], Journey], viewport: str
) -> None:
    """Letter route → needs held → staff approve → needs open → dispute → staff close it."""
    firm = extra_firm(REGISTRY_ONLY[viewport])
    journey = open_journey("identity-review")
    page = journey.page
    _register_with_letter(journey, firm["credit_code"])

    journey.goto("/firm/needs/new", "needs-held")
    expect(page.get_by_role("heading", name="企业身份核验")).to_be_visible()

    _staff_decide(open_journey, firm["name"])
    journey.goto("/firm/identity", "identity-verified")
    expect(page.get_by_text("授权委托书经平台审核通过")).to_be_visible()
    journey.goto("/firm/needs/new", "needs-open")
    expect(page.locator("#amount_wan")).to_be_visible()

    journey.goto("/firm/profile", "profile")
    page.locator("a[href$='field=tax_credit_grade']").click()
    journey.step("dispute-form")
    page.fill("#note", "本企业去年已补缴税款，评级应已调整，请核实。")
    journey.submit("提交异议")
    journey.step("dispute-sent")
    expect(page.get_by_text("异议处理中")).to_be_visible()

    _staff_close_dispute(open_journey, firm["name"])
    journey.goto("/notifications", "told")
    expect(page.get_by_text("异议未获支持")).to_be_visible()

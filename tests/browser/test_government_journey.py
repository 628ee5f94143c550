"""Government staff approve a bank's onboarding and publish a policy to the public catalogue."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.support import Journey, demo_sign_in


def _bank_applies(open_journey: Callable[[str], Journey], tmp_path: Path) -> str:
    """A rural bank applies to join through the public form; returns its name."""
    journey = open_journey("government-bank-applies")
    page = journey.page
    suffix = secrets.token_hex(2).upper()
    name = f"福建永泰{suffix}村镇银行股份有限公司"
    journey.goto("/institutions/apply", "application-form")
    page.fill("#name", name)
    page.fill("#short_name", f"永泰{suffix}村镇银行")
    page.select_option("#kind", "rural")
    page.fill("#licence_no", f"S0001H2350{secrets.randbelow(10**5):05d}")
    page.select_option("#region_code", "350100")
    page.fill("#contact_name", "陈敏")
    page.fill("#contact_phone", "0591-87654321")
    page.fill("#application_note", "拟在平台发布农户信用贷产品。")
    page.fill("#full_name", "王磊")
    page.fill("#email", f"wang.lei.{suffix.lower()}@yongtai-bank.example")
    page.fill("#phone", "13900000000")
    page.fill("#password", "Yongtai-Village-Bank-2026")
    page.fill("#password_confirm", "Yongtai-Village-Bank-2026")
    page.check("#consent")
    page.locator("main form button[type=submit]").last.click()
    journey.step("application-sent")
    _upload_licences(journey, tmp_path)
    return name


def _upload_licences(journey: Journey, tmp_path: Path) -> None:
    """The applicant adds its financial licence and business licence on its application page."""
    page = journey.page
    for kind, name in (("licence", "金融许可证.pdf"), ("business_licence", "营业执照.pdf")):
        scan = tmp_path / name
        scan.write_bytes(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
        page.select_option("#kind", kind)
        page.set_input_files("#document", str(scan))
        journey.submit("上传材料")
        journey.step(f"uploaded-{kind}")
        expect(page.locator(".flash--success")).to_be_visible()


def test_government_approves_a_bank_and_publishes_a_policy(
    open_journey: Callable[[str], Journey], tmp_path: Path
) -> None:
    """The pending bank uploads its licences and is approved with a reason; a new policy
    appears on /policies."""
    bank = _bank_applies(open_journey, tmp_path)
    journey = open_journey("government")
    page = journey.page
    demo_sign_in(journey, "gov@demo.local")
    journey.step("gov-home")

    journey.goto("/gov/onboarding", "onboarding-list")
    page.get_by_role("link", name=f"审核 {bank}").click()
    journey.step("onboarding-application")
    expect(page.get_by_role("link", name="金融许可证.pdf")).to_be_visible()
    page.get_by_role("link", name="批准").first.click()
    journey.step("approve-form")
    page.fill("#reason", "材料齐全，同意接入平台。")
    journey.submit("确认批准")
    journey.step("approved")
    expect(page.locator(".flash--success")).to_be_visible()

    slug = f"fz-startup-subsidy-{secrets.token_hex(2)}"
    title = f"福州市初创科技企业贷款贴息{slug[-4:]}"
    journey.goto("/gov/policies/new", "policy-form")
    page.fill("#slug", slug)
    page.fill("#title", title)
    page.fill("#source_document", "榕金融〔2026〕8号")
    page.fill("#source_date", "2026-01-15")
    page.fill("#valid_from", "2026-02-01")
    page.fill("#valid_to", (dt.date.today() + dt.timedelta(days=365)).isoformat())
    page.fill("#budget_wan", "2000")
    page.fill("#summary", "对福州市成立不满五年的科技型中小企业，按贷款利率给予 1 个百分点贴息。")
    page.fill("#eligibility", 'region_code == "350100" and years_in_business < 5')
    page.fill("#benefit_formula", "1")
    journey.submit("保存")
    journey.step("policy-draft")
    journey.submit("发布")
    journey.step("policy-published")
    expect(page.locator(".flash--success")).to_be_visible()

    journey.goto("/policies", "public-policies")
    page.get_by_role("link", name=title).click()
    journey.step("public-policy")
    expect(page.get_by_role("heading", name=title)).to_be_visible()

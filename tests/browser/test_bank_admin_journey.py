"""A bank admin writes a product rule, corrects it, tries it on a sample firm and submits it;
the platform admin reads its rules in the review queue and puts it live."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.support import Journey, demo_sign_in


def test_bank_admin_writes_checks_and_publishes_a_rule(
    open_journey: Callable[[str], Journey],
) -> None:
    """A misspelt field is named with its position; the fixed rule is tried, then published."""
    journey = open_journey("bank-admin")
    page = journey.page
    name = f"榕易贷{secrets.token_hex(2)}"
    demo_sign_in(journey, "bankadmin@demo.local")
    journey.step("bank-admin-home")

    journey.goto("/bank/products/new", "product-form")
    page.fill("#name", name)
    page.fill("#summary", "面向纳税信用良好的科技型小微企业的线上信用贷款。")
    page.fill("#min_amount_wan", "10")
    page.fill("#max_amount_wan", "300")
    page.fill("#min_term_months", "3")
    page.fill("#max_term_months", "36")
    page.fill("#min_rate", "3.45")
    page.fill("#max_rate", "4.35")
    page.get_by_label("信用（无担保）").check()
    page.fill("#formula", "min(amount, revenue * 0.2, 3000000)")
    page.fill("#eligibility", 'tax_credit_grade in ["A", "B"] and reveune >= 3000000')
    journey.submit("保存")
    journey.step("rule-error")
    error = page.locator("#eligibility-error")
    expect(error).to_contain_text("reveune")
    expect(error).to_contain_text("revenue")

    page.fill("#eligibility", 'tax_credit_grade in ["A", "B"] and revenue >= 3000000')
    journey.submit("保存")
    journey.step("saved-draft")
    expect(page.get_by_role("heading", name=name)).to_be_visible()

    page.select_option("#tax_credit_grade", "A")
    page.fill("#revenue_wan", "800")
    page.fill("#amount_wan", "100")
    page.fill("#term_months", "12")
    journey.submit("试算")
    journey.step("sample-firm-tried")
    expect(page.locator("main")).to_contain_text("符合")

    journey.submit("发布")
    journey.step("submitted-for-review")
    expect(page.locator(".flash--success")).to_be_visible()
    journey.goto("/products", "public-catalogue-before-review")
    expect(page.get_by_role("link", name=name)).to_have_count(0)

    page.get_by_role("button", name="退出", exact=True).click()
    demo_sign_in(journey, "admin@demo.local")
    journey.goto("/admin/product-reviews/", "review-queue")
    queued = page.locator("section", has_text=name).first
    expect(queued).to_contain_text("revenue >= 3000000")
    journey.submit(f"通过并上线 {name}", within=queued)
    journey.step("approved")

    journey.goto("/products", "public-catalogue")
    expect(page.get_by_role("link", name=name)).to_be_visible()

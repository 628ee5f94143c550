"""Government staff draft a policy: an impossible benefit is refused at its field, the what-if
shows what the policy would cost, and the policy list shows each budget's states."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from playwright.sync_api import expect

from tests.browser.support import Journey, demo_sign_in


def test_government_fixes_a_benefit_and_sees_its_cost(
    open_journey: Callable[[str], Journey],
) -> None:
    """100 points is refused beside the formula; 1.5 points saves; the what-if shows 万元."""
    journey = open_journey("government-policy-budget")
    page = journey.page
    demo_sign_in(journey, "gov@demo.local")

    slug = f"fz-budget-check-{secrets.token_hex(2)}"
    journey.goto("/gov/policies/new", "policy-form")
    page.fill("#slug", slug)
    page.fill("#title", f"福州市小微企业贷款贴息{slug[-4:]}")
    page.fill("#source_document", "榕金融〔2026〕9号")
    page.fill("#source_date", "2026-01-15")
    page.fill("#valid_from", "2026-02-01")
    page.fill("#budget_wan", "2000")
    page.fill("#benefit_cap_wan", "5")
    page.fill("#eligibility", 'size_class in ["small", "micro"]')
    page.fill("#benefit_formula", "100")
    journey.submit("保存")
    journey.step("points-refused")
    expect(page.locator("#benefit_formula-error")).to_contain_text("应在 0 至贷款利率之间")

    page.fill("#benefit_formula", "1.5")
    journey.submit("保存")
    journey.step("policy-draft")
    expect(page.locator("#budget")).to_contain_text("剩余可用")

    page.get_by_role("link", name="测算符合条件的企业数和所需资金").click()
    journey.step("what-if")
    expect(page.locator("#what-if")).to_contain_text("所需资金估算")
    expect(page.locator("#what-if")).to_contain_text("估算依据")

    journey.goto("/gov/policies/", "policy-index")
    expect(page.locator("table")).to_contain_text("已预留")

"""Government staff review a month's interest-subsidy batch: adjust a line with a reason,
approve the batch through its confirmation step and download the payment list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from portal.dates import today_in_china
from portal.subsidies.settlement import latest_settleable
from tests.browser.support import Journey, demo_sign_in


def test_government_approves_a_settlement_batch(
    open_journey: Callable[[str], Journey], live_server: Any, server_app: Any
) -> None:
    """The demo's subsidised loans are settled for the last month whose reports are due; the
    first draft batch is adjusted, approved once and exported."""
    with server_app.app_context():  # the reporting deadline is a setting in its database
        period = latest_settleable(today_in_china())
    live_server.flask("subsidies", "settle", "--period", f"{period:%Y-%m}")  # idempotent
    journey = open_journey("government-settlement")
    page = journey.page
    demo_sign_in(journey, "gov@demo.local")

    page.get_by_role("link", name="贴息结算").first.click()
    journey.step("batches")
    page.fill("#month", f"{period:%Y-%m}")
    page.select_option("#status", "draft")
    page.get_by_role("button", name="筛选").click()
    journey.step("draft-batches")
    page.locator("table tbody tr a").first.click()
    journey.step("batch")
    expect(page.locator("h1")).to_contain_text(f"{period:%Y-%m}")

    page.locator("table tbody a", has_text="调整").first.click()
    journey.step("adjust-form")
    page.fill("#amount", "100")
    page.fill("#reason", "")
    journey.submit("保存调整")
    journey.step("reason-required")
    expect(page.locator("#reason-error")).to_contain_text("请填写调整原因")
    page.fill("#reason", "企业当月提前归还部分本金，按实际余额复核")
    journey.submit("保存调整")
    journey.step("adjusted")
    expect(page.locator(".flash--success")).to_be_visible()
    expect(page.locator("table")).to_contain_text("100.00")

    journey.submit("审核通过")
    journey.step("approved")
    expect(page.locator(".page-header__meta")).to_contain_text("已审核")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出拨付清单（XLSX）").click()
    assert download.value.suggested_filename.endswith(".xlsx")

"""A regulator filters the supervision dashboard, exports a table and downloads the monthly PDF."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser import server_data
from tests.browser.support import Journey, demo_sign_in


def test_regulator_filters_exports_and_downloads_the_report(
    open_journey: Callable[[str], Journey], server_app: Any
) -> None:
    """Filtering keeps the choice; the bank table exports as CSV; the monthly report is a PDF."""
    server_data.monthly_report(server_app)
    journey = open_journey("regulator")
    page = journey.page
    demo_sign_in(journey, "regulator@demo.local")
    journey.step("regulator-home")

    journey.goto("/dashboard/", "dashboard")
    page.select_option("#region", "350100")
    page.get_by_role("button", name="筛选").click()
    journey.step("dashboard-fuzhou")
    assert "region=350100" in page.url
    expect(page.locator("#region")).to_have_value("350100")

    with page.expect_download() as download:
        page.locator('a[href*="/dashboard/export/banks.csv"]').click()
    exported = download.value.path().read_text(encoding="utf-8-sig")
    assert exported.splitlines()[0].count(",") >= 3, exported[:200]
    assert len(exported.splitlines()) > 1

    journey.goto("/reports/", "monthly-reports")
    with page.expect_download() as download:
        page.locator('a[href$=".pdf"]').first.click()
    assert download.value.path().read_bytes().startswith(b"%PDF")

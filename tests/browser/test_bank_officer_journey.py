"""A bank officer works the lead inbox and reports the month's loan status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from demo.seed import DEMO_BANK
from portal.dates import today_in_china
from tests.browser import server_data
from tests.browser.support import Journey, demo_sign_in

OFFICER = "bank@demo.local"


def _leads_for_the_bank(app: Any) -> tuple[int, int, int]:
    """Three demo firms' needs: two sent to the demo bank, one put into the open pool."""
    firms = ("sme@demo.local", "contact@ludaoptics.demo.local", "contact@jjshoes.demo.local")
    need_ids = [server_data.submit_need(app, email, 100, "采购原材料") for email in firms]
    to_accept = server_data.apply_to_bank(app, firms[0], need_ids[0], DEMO_BANK)
    to_decline = server_data.apply_to_bank(app, firms[1], need_ids[1], DEMO_BANK)
    pooled = server_data.send_to_pool(app, firms[2], need_ids[2])
    return to_accept, to_decline, pooled


def test_officer_works_inbox_and_reports_loans(
    open_journey: Callable[[str], Journey], server_app: Any, tmp_path: Any
) -> None:
    """Claim a pooled lead, accept one, decline one, decide, disburse, upload a month's file."""
    to_accept, to_decline, pooled = _leads_for_the_bank(server_app)
    journey = open_journey("bank-officer")
    page = journey.page
    demo_sign_in(journey, OFFICER)
    journey.step("bank-home")

    journey.goto("/bank/leads/", "inbox")
    expect(page.locator(f'a[href="/bank/leads/{to_accept}"]')).to_be_visible()

    page.get_by_role("link", name="抢单池").first.click()
    journey.step("pool")
    journey.submit("领取", within=page.locator(f'form[action="/bank/leads/{pooled}/claim"]'))
    journey.step("claimed")
    expect(page.locator(".flash--success")).to_be_visible()

    journey.goto(f"/bank/leads/{to_accept}", "lead-to-accept")
    journey.submit("受理")
    journey.step("accepted")
    page.fill("#amount_wan", "90")
    page.fill("#rate", "3.65")
    page.fill("#term_months", "12")
    journey.submit("发送授信方案")
    journey.step("credit-decision")
    server_data.take_offer(server_app, "sme@demo.local", to_accept)
    page.reload()
    journey.step("offer-taken")
    page.fill("#contract_no", f"XY-{to_accept}-2026")
    page.fill("#disbursed_on", today_in_china().isoformat())  # the portal's day, not UTC's
    journey.submit("登记放款")
    journey.step("disbursed")
    expect(page.locator(".flash--success")).to_be_visible()
    assert server_data.lead_status(server_app, to_accept) == "disbursed"

    journey.goto(f"/bank/leads/{to_decline}", "lead-to-decline")
    journey.submit("拒绝该线索")
    journey.step("decline-needs-reason")
    expect(page.locator(".field__error").first).to_be_visible()
    page.select_option("#reason", index=1)
    page.fill("#note", "企业近期有多笔对外担保，需补充材料后再申请")
    journey.submit("拒绝该线索")
    journey.step("declined")
    assert server_data.lead_status(server_app, to_decline) == "declined"

    _upload_month(journey, tmp_path)


def _upload_month(journey: Journey, tmp_path: Any) -> None:
    """Download the month's CSV template, upload it with one bad row, then corrected."""
    page = journey.page
    journey.goto("/bank/loan-reports/", "loan-reports")
    with page.expect_download() as download:
        page.get_by_role("link", name="模板（CSV）").first.click()
    template = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    header, rows = template[0], [row for row in template[1:] if row.strip()]
    assert rows, "the template lists the month's due loans"

    def filled(tier_of_first: str) -> str:
        lines = [header]
        for n, row in enumerate(rows):
            contract, month = row.split(",")[:2]
            tier = tier_of_first if n == 0 else "正常"
            lines.append(f"{contract},{month},500000,0,{tier}")
        return "\n".join(lines) + "\n"

    bad = tmp_path / "bad.csv"
    bad.write_text(filled("很好"), encoding="utf-8")
    page.set_input_files("#file", bad)
    journey.submit("上传并导入")
    journey.step("upload-refused")
    error = page.locator("main table tbody tr", has_text="很好")
    expect(error.locator("td").nth(0)).to_have_text("2")
    expect(error.locator("td").nth(1)).to_have_text("五级分类")

    journey.goto("/bank/loan-reports/", "loan-reports-again")

    good = tmp_path / "good.csv"
    good.write_text(filled("正常"), encoding="utf-8")
    page.set_input_files("#file", good)
    journey.submit("上传并导入")
    journey.step("upload-applied")
    expect(page.locator(".flash--success")).to_be_visible()

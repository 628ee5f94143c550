"""Risk compensation: the demo bank claims on its loan over 90 days overdue, government staff
reject a claim without grounds and approve the corrected one, the bank reports a recovery, and
the regulator sees the pool's payouts.

The journeys share one demo server and run in file order: this one comes before the bank
officer's (test_bank_officer_journey.py), whose monthly upload reports every loan 正常 and so
ends the demo loan's 95 days overdue.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect

from portal.dates import today_in_china
from tests.browser.support import Journey, demo_sign_in


def _bank_files_a_claim(open_journey: Callable[[str], Journey], note: str) -> bool:
    """The bank files a claim on its first claimable loan; False when it has none left."""
    journey = open_journey("bank-files-claim")
    page = journey.page
    demo_sign_in(journey, "bank@demo.local")
    page.get_by_role("link", name="风险补偿").first.click()
    journey.step("claims")
    page.locator(".page-header__actions a").first.click()
    journey.step("claimable")
    link = page.get_by_role("link", name="申请补偿")
    if link.count() == 0:
        journey.finish()
        return False
    link.first.click()
    journey.step("claim-form")
    page.fill("#evidence_note", "")
    journey.submit("提交补偿申请")
    journey.step("evidence-required")
    expect(page.locator("#evidence_note-error")).to_be_visible()
    page.fill("#evidence_note", note)
    journey.submit("提交补偿申请")
    journey.step("filed")
    expect(page.locator(".flash--success")).to_be_visible()
    journey.finish()
    return True


def _government_decides(open_journey: Callable[[str], Journey], approve: bool) -> None:
    journey = open_journey("government-decides-claim")
    page = journey.page
    demo_sign_in(journey, "gov@demo.local")
    page.get_by_role("link", name="风险补偿审核").first.click()
    journey.step("queue")
    page.locator("table tbody tr a").first.click()
    journey.step("claim")
    if approve:
        journey.submit("批准并拨付")
        journey.step("approved")
        expect(page.locator("main")).to_contain_text("已批准")
    else:
        journey.submit("驳回申请")
        journey.step("reason-required")
        expect(page.locator("#reason-error")).to_be_visible()
        page.fill("#reason", "未附追偿材料，请补充诉讼或催收记录后重新申请")
        journey.submit("驳回申请")
        journey.step("rejected")
        expect(page.locator("main")).to_contain_text("已驳回")
    journey.finish()


def _bank_reports_a_recovery(open_journey: Callable[[str], Journey]) -> None:
    journey = open_journey("bank-reports-recovery")
    page = journey.page
    demo_sign_in(journey, "bank@demo.local")
    page.get_by_role("link", name="风险补偿").first.click()
    journey.step("claims")
    page.get_by_role("row", name="已批准").first.locator("a").first.click()
    journey.step("approved-claim")
    page.fill("#amount_wan", "1")
    page.fill("#recovered_on", today_in_china().isoformat())
    page.fill("#note", "处置抵债资产回收")
    journey.submit("登记追回款")
    journey.step("recovered")
    expect(page.locator(".flash--success")).to_be_visible()
    journey.finish()


def _regulator_sees_the_pool(open_journey: Callable[[str], Journey]) -> None:
    journey = open_journey("regulator-claims-overview")
    page = journey.page
    demo_sign_in(journey, "regulator@demo.local")
    page.get_by_role("link", name="政策资金汇总").first.click()
    journey.step("overview")
    expect(page.locator("main")).to_contain_text("普惠小微贷款风险补偿资金池")
    expect(page.locator("main")).to_contain_text("专精特新中小企业贷款贴息")
    journey.finish()


def test_a_claim_is_rejected_then_approved_and_recovered(
    open_journey: Callable[[str], Journey],
) -> None:
    """The journey runs once per viewport against one demo: the first run files, is rejected,
    files again and is approved; a later run reports a recovery on the approved claim."""
    if _bank_files_a_claim(open_journey, "借款人逾期 95 天，已发催收函"):
        _government_decides(open_journey, approve=False)
        assert _bank_files_a_claim(
            open_journey, "借款人逾期超过 90 天；附催收函、起诉状及法院受理通知书"
        )
        _government_decides(open_journey, approve=True)
    _bank_reports_a_recovery(open_journey)
    _regulator_sees_the_pool(open_journey)

"""A firm compares two banks' offers with their repayment schedules, on a phone and a desktop,
and takes one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Flask
from playwright.sync_api import expect

from portal.catalog.models import BankProduct
from portal.dates import today_in_china
from portal.enums import RepaymentMethod
from portal.extensions import db
from portal.leads import services as leads
from portal.leads.models import Lead
from portal.needs.models import FinancingNeed
from tests.browser import server_data
from tests.browser.support import Journey, demo_sign_in

FIRM = "sme@demo.local"


def _two_banks(app: Flask, need_id: int) -> list[str]:
    """The names of the first two banks with an eligible product for the need."""
    with app.app_context():
        need = db.session.get(FinancingNeed, need_id)
        names: list[str] = []
        for result in leads.eligible_results(need):
            name = db.session.get(BankProduct, result.product_id).institution.name
            if name not in names:
                names.append(name)
        assert len(names) >= 2, names
        return names[:2]


def _offer(app: Flask, lead_id: int, rate: str, method: RepaymentMethod) -> None:
    """The lead's bank accepts and offers the product's most for 12 months at `rate` (kept
    within the product's range), repaid by `method`, with 0.2 万元 of fees."""
    with app.test_request_context():
        lead = db.session.get(Lead, lead_id)
        officer = server_data.officer_of(lead.institution)
        leads.accept(officer, lead)
        terms = leads.offer_terms(lead)
        yearly = min(max(Decimal(rate), terms.rate.low), terms.rate.high)
        amount = min(Decimal(100), terms.amount_wan.high) * server_data.WAN
        decision = leads.CreditDecision(
            amount,
            yearly,
            12,
            repayment_method=method,
            upfront_fee=Decimal(2000),
            valid_until=today_in_china() + dt.timedelta(days=20),
        )
        leads.record_decision(officer, lead, decision)


def test_firm_compares_offers_with_schedules_and_takes_one(
    open_journey: Callable[[str], Journey], server_app: Any
) -> None:
    """Two offers side by side with method, fees, validity, subsidies and annual cost; each
    schedule opens in place and scrolls inside its box on a phone; the firm takes one."""
    need_id = server_data.submit_need(server_app, FIRM, 100, "购置检测设备，补充流动资金")
    first_bank, second_bank = _two_banks(server_app, need_id)
    first = server_data.apply_to_bank(server_app, FIRM, need_id, first_bank)
    second = server_data.apply_to_bank(server_app, FIRM, need_id, second_bank)
    _offer(server_app, first, "3.45", RepaymentMethod.EQUAL_INSTALMENT)
    _offer(server_app, second, "3.95", RepaymentMethod.INTEREST_ONLY)

    journey = open_journey("offer-comparison")
    page = journey.page
    demo_sign_in(journey, FIRM)
    journey.goto(f"/firm/needs/{need_id}", "offers")
    offers = page.locator("main article")
    expect(offers).to_have_count(2)
    for text in ("还款方式", "一次性费用", "方案有效期至", "年化综合成本", "利息合计"):
        expect(offers.first).to_contain_text(text)
    expect(offers.nth(1)).to_contain_text("先息后本")

    schedule = offers.first.locator("details")
    schedule.locator("summary").click()
    journey.step("schedule-open")
    table = schedule.locator("table").first
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(12)
    box = schedule.locator(".table-wrap").first.bounding_box()
    width = page.viewport_size["width"]
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width

    journey.submit("接受此方案", within=offers.nth(1))
    journey.step("offer-taken")
    expect(page.locator(".flash--success")).to_be_visible()
    assert server_data.lead_status(server_app, second) == "approved"
    assert server_data.lead_status(server_app, first) == "closed"

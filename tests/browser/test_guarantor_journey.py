"""A guarantor's admin writes and publishes a guarantee product; its officer takes on a bank's
request anonymously, sees the firm once accepted and issues the letter; the firm then takes the
guaranteed offer. Each journey runs in Chinese and in English."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from demo.seed import DEMO_GUARANTOR
from tests.browser import guarantee_data, server_data
from tests.browser.language import Words, sign_in_as
from tests.browser.support import Journey

ADMIN = "guarantoradmin@demo.local"
OFFICER = "guarantor@demo.local"
FIRM = "sme@demo.local"
DEMO_GUARANTEE = "小微企业批量担保"
DEMO_PARTNERS = ("政银担保贷", "助企纾困贷")


@pytest.fixture(params=["zh_Hans_CN", "en"], ids=["zh", "en"])
def locale(request: pytest.FixtureRequest, server_app: Flask) -> Iterator[str]:
    """The language the journey chooses before signing in; forgotten afterwards, since the
    choice is saved on the account and later journeys expect Chinese."""
    yield request.param
    guarantee_data.forget_language(server_app, [ADMIN, OFFICER, FIRM])


def _form(page: Page, action_ends: str) -> Locator:
    """The page's form that posts to an address ending so (the button names repeat)."""
    return page.locator(f'form[action$="{action_ends}"]')


# --- the admin ----------------------------------------------------------------------------------


def test_guarantor_admin_creates_and_publishes_a_product(
    open_journey: Callable[[str], Journey], server_app: Flask, locale: str
) -> None:
    """The demo product shows its two partners; a fee above 1% is refused beside the field, in
    the user's language; the fixed draft gets a partner bank product and is published."""
    journey = open_journey(f"guarantor-admin-{locale[:2]}")
    page = journey.page
    words = Words(server_app, journey, locale)
    sign_in_as(journey, ADMIN, locale)
    journey.step("signed-in")

    page.get_by_role("link", name=words("担保机构管理")).first.click()
    journey.step("admin-home")
    expect(page.get_by_role("heading", level=1)).to_have_text(words("担保机构管理"))
    words.check(page.locator("main .grid--4"), "the request counts")

    page.get_by_role("link", name=DEMO_GUARANTEE).click()
    journey.step("demo-product")
    partners = page.locator("#partners-title + .card__body table tbody tr")
    for bank_product in DEMO_PARTNERS:
        expect(partners.filter(has_text=bank_product)).to_have_count(1)
    words.check(partners.first.locator("td").nth(1), "a partner's guarantee mode")

    journey.goto("/guarantor/admin", "admin-home-again")
    page.get_by_role("link", name=words("新建担保产品")).first.click()
    journey.step("product-form")
    name = _fill_new_product(journey, fee_rate="1.5")
    journey.submit(words("保存为草稿"))
    journey.step("fee-error")
    fee_field = page.locator(".field", has=page.locator("#fee_rate"))
    error = fee_field.locator(".field__error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("1%")
    expect(page.locator("#fee_rate")).to_have_attribute("aria-invalid", "true")
    words.check(error, "the fee rate's error")

    page.fill("#fee_rate", "0.9")
    journey.submit(words("保存为草稿"))
    journey.step("saved-draft")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    words.check(page.locator(".flash--success"), "the saved-draft message")

    _add_partner(journey, words, "政银担保贷")
    journey.submit(words("发布"), within=_form(page, "/publish"))
    journey.step("published")
    expect(page.locator(".flash--success")).to_be_visible()
    words.check(page.locator(".flash--success"), "the published message")

    journey.goto("/guarantees/", "public-catalogue")
    expect(page.get_by_role("link", name=name)).to_be_visible()


def _fill_new_product(journey: Journey, fee_rate: str) -> str:
    """Fill the new product's form; returns its name."""
    page = journey.page
    name = f"科技小微担保{secrets.token_hex(2)}"
    page.fill("#name", name)
    page.fill("#fee_rate", fee_rate)
    page.fill("#min_amount_wan", "10")
    page.fill("#max_amount_wan", "500")
    page.fill("#max_term_months", "36")
    page.fill("#coverage_share", "80")
    page.fill("#response_days", "3")
    page.fill("#summary", "为科技型小微企业提供融资担保，免收保证金，反担保以股权质押为主。")
    page.fill("#eligibility", 'size_class in ["small", "micro"] and tax_credit_grade != "D"')
    return name


def _add_partner(journey: Journey, words: Words, bank_product: str) -> None:
    """Pair the product with a bank product, each of its loans confirmed by hand (批量担保)."""
    page = journey.page
    option = page.locator("#bank_product_id option", has_text=bank_product).first
    page.select_option("#bank_product_id", option.get_attribute("value"))
    page.select_option("#mode", "batch")
    journey.submit(words("添加合作"), within=_form(page, "/agreements"))
    journey.step("partner-added")
    expect(page.locator(".flash--success")).to_be_visible()
    partners = page.locator("#partners-title + .card__body table tbody tr")
    expect(partners.filter(has_text=bank_product)).to_have_count(1)


# --- the officer and the firm -------------------------------------------------------------------


def test_guarantor_officer_issues_a_letter_and_the_firm_takes_the_offer(
    open_journey: Callable[[str], Journey], server_app: Flask, locale: str
) -> None:
    """The request is anonymous until accepted, then shows the firm; the letter issued, the
    firm's offer turns from 待担保 to the guarantor's letter and the firm takes it."""
    need_id = guarantee_data.submit_guaranteed_need(
        server_app, FIRM, 100, "购置生产设备，补充流动资金"
    )
    lead_id = guarantee_data.apply_to_batch_product(server_app, FIRM, need_id)
    request_id = guarantee_data.offer_with_guarantee(server_app, lead_id, 100, "3.85")
    firm_name = guarantee_data.firm_name(server_app, FIRM)

    firm = open_journey(f"guarantee-firm-{locale[:2]}")
    firm_words = Words(server_app, firm, locale)
    sign_in_as(firm, FIRM, locale)
    firm.goto(f"/firm/needs/{need_id}", "offer-awaiting-guarantee")
    offer = firm.page.locator("main article")
    expect(offer).to_have_count(1)
    expect(offer).to_contain_text(firm_words("待担保"))
    expect(offer.get_by_role("button", name=firm_words("接受此方案"))).to_have_count(0)
    firm_words.check(offer.locator(".notice"), "the awaiting-guarantee note")

    letter = _officer_issues(open_journey, server_app, locale, request_id, firm_name)
    assert letter == guarantee_data.letter_no(server_app, lead_id)

    firm.page.reload()
    firm.step("offer-guaranteed")
    expect(offer).to_contain_text(letter)
    firm_words.check(
        offer.locator("dd", has_text=letter), "the guarantee on the offer", DEMO_GUARANTOR
    )
    firm.submit(firm_words("接受此方案"), within=offer)
    firm.step("offer-taken")
    expect(firm.page.locator(".flash--success")).to_be_visible()
    assert server_data.lead_status(server_app, lead_id) == "approved"


def _officer_issues(
    open_journey: Callable[[str], Journey],
    app: Flask,
    locale: str,
    request_id: int,
    firm_name: str,
) -> str:
    """The guarantor's officer, in a browser of their own, finds the request in the workbench
    without the firm's name, accepts it, sees the firm and issues the letter; returns its number."""
    journey = open_journey(f"guarantor-officer-{locale[:2]}")
    page = journey.page
    words = Words(app, journey, locale)
    sign_in_as(journey, OFFICER, locale)
    journey.goto("/guarantor/", "workbench")
    expect(page.get_by_role("heading", level=1)).to_have_text(words("担保业务工作台"))
    link = page.locator(f'a[href="/guarantor/requests/{request_id}"]')
    expect(link).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(firm_name)
    row = page.locator("main tr", has=link)
    words.check(page.locator("main thead"), "the workbench's column headings")
    words.check(row.locator("td").nth(1), "the request's status")
    words.check(row.locator("td").last, "the request's guarantee mode")

    link.click()
    journey.step("request-anonymous")
    expect(page.locator("main")).not_to_contain_text(firm_name)
    words.check(page.locator("#hidden-title + .card__body"), "the note on the hidden firm")

    journey.submit(words("受理"), within=_form(page, "/accept"))
    journey.step("request-accepted")
    expect(page.locator(".flash--success")).to_be_visible()
    expect(page.locator("#firm-title + .card__body")).to_contain_text(firm_name)
    words.check(page.locator(".flash--success"), "the accepted message")

    journey.submit(words("出具担保函"), within=_form(page, "/issue"))
    journey.step("letter-issued")
    expect(page.locator(".flash--success")).to_be_visible()
    words.check(page.locator(".flash--success"), "the issued message")
    letter = page.locator("#letter-title + dl code").inner_text().strip()
    assert letter.startswith("DB"), letter
    return letter

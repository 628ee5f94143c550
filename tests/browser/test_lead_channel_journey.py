"""A bank officer and a firm talk on an accepted lead: the officer asks for the business licence
and writes; the firm answers and uploads a PDF; the officer downloads it, and the firm sees the
download under "who viewed my data". Each journey runs in Chinese and in English."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from demo.seed import DEMO_BANK
from tests.browser import guarantee_data, server_data
from tests.browser.language import Words, sign_in_as
from tests.browser.support import Journey

OFFICER = "bank@demo.local"
FIRM = "sme@demo.local"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(params=["zh_Hans_CN", "en"], ids=["zh", "en"])
def locale(request: pytest.FixtureRequest, server_app: Flask) -> Iterator[str]:
    yield request.param
    guarantee_data.forget_language(server_app, [OFFICER, FIRM])


def test_bank_and_firm_exchange_messages_and_a_document(
    open_journey: Callable[[str], Journey], server_app: Flask, locale: str, tmp_path: Path
) -> None:
    need_id = server_data.submit_need(server_app, FIRM, 60, "购置检测设备")
    lead_id = server_data.apply_to_bank(server_app, FIRM, need_id, DEMO_BANK)
    short = locale[:2]

    bank = open_journey(f"channel-bank-{short}")
    bank_words = Words(server_app, bank, locale)
    sign_in_as(bank, OFFICER, locale)
    bank.goto(f"/bank/leads/{lead_id}", "lead")
    bank.submit(bank_words("受理"))
    bank.step("accepted")
    bank.page.get_by_role("link", name=bank_words("沟通与材料")).click()
    bank.step("channel")
    bank_words.check(bank.page.locator("main h1"), "the channel's heading")
    bank.page.select_option("#kind", "business_licence")
    bank.page.fill(
        "#note", "Scan of the original, please" if short == "en" else "请上传营业执照正本扫描件"
    )
    bank.submit(bank_words("发送请求"))
    bank.step("document-requested")
    expect(bank.page.locator(".flash--success")).to_be_visible()
    bank.page.fill("#body", "Could we meet on Wednesday?" if short == "en" else "周三方便面谈吗？")
    bank.submit(bank_words("发送留言"))
    bank.step("message-sent")
    bank_words.check(bank.page.locator(".flash--success"), "the confirmation")

    firm = open_journey(f"channel-firm-{short}")
    firm_words = Words(server_app, firm, locale)
    sign_in_as(firm, FIRM, locale)
    firm.goto(f"/firm/needs/{need_id}", "need")
    firm.page.get_by_role("link", name=firm_words("联系银行与材料")).first.click()
    firm.step("channel")
    expect(firm.page.locator(".message-list")).to_contain_text(
        "Wednesday" if short == "en" else "周三方便面谈吗"
    )
    firm_words.check(firm.page.locator("#documents-title"), "the documents heading")
    letter = tmp_path / "licence.pdf"
    letter.write_bytes(PDF)
    firm.page.set_input_files("input[type=file]", str(letter))
    firm.submit(firm_words("上传"))
    firm.step("uploaded")
    expect(firm.page.locator(".flash--success")).to_be_visible()
    firm.page.fill("#body", "Wednesday 3 pm works." if short == "en" else "周三下午三点可以。")
    firm.submit(firm_words("发送留言"))
    firm.step("replied")

    bank.page.reload()
    bank.step("reply-seen")
    expect(bank.page.locator(".message-list")).to_contain_text("3 pm" if short == "en" else "三点")
    with bank.page.expect_download() as download:
        bank.page.get_by_role("link", name="licence.pdf").click()
    assert Path(download.value.path()).read_bytes() == PDF

    firm.goto("/firm/needs/viewers", "who-viewed")
    rows = firm.page.locator("table tbody tr").filter(has_text=f"#{lead_id}")
    row = rows.filter(has_text="licence.pdf")
    expect(row).to_have_count(1)
    firm_words.check(row.locator("td").nth(3), "what was viewed", "licence.pdf")

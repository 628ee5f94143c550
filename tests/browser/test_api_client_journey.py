"""A bank admin gives the bank's credit system an API client in the portal; the system gets a
token with the secret shown once and reads its leads; the admin sees those calls on the
client's page and stops the client, after which the token no longer works. Chinese and English."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest
import requests
from flask import Flask
from playwright.sync_api import expect

from tests.browser import guarantee_data
from tests.browser.language import Words, sign_in_as
from tests.browser.support import Journey

ADMIN = "bankadmin@demo.local"


@pytest.fixture(params=["zh_Hans_CN", "en"], ids=["zh", "en"])
def locale(request: pytest.FixtureRequest, server_app: Flask) -> Iterator[str]:
    yield request.param
    guarantee_data.forget_language(server_app, [ADMIN])


def test_admin_gives_the_banks_system_a_client_and_stops_it(
    open_journey: Callable[[str], Journey], server_app: Flask, locale: str
) -> None:
    short = locale[:2]
    name = f"{'Credit system' if short == 'en' else '信贷系统'} {secrets.token_hex(2)}"
    admin = open_journey(f"api-client-{short}")
    words = Words(server_app, admin, locale)
    sign_in_as(admin, ADMIN, locale)
    admin.page.get_by_role("link", name=words("接口客户端")).first.click()
    admin.step("clients")
    words.check(admin.page.locator("main h1"), "the clients page's heading")
    admin.page.fill("#name", name)
    admin.page.check("input[value='leads:read']")
    admin.submit(words("创建客户端"))
    admin.step("secret-shown-once")
    key = admin.page.locator("main dd code").first.inner_text().strip()
    secret = admin.page.locator("code.secret").inner_text().strip()

    token = requests.post(
        admin.url("/api/v1/oauth/token"),
        data={"grant_type": "client_credentials"},
        auth=(key, secret),
        timeout=10,
    ).json()["access_token"]
    listed = requests.get(
        admin.url("/api/v1/leads?limit=5"),
        headers={"Authorization": f"Bearer {token}", "Accept-Language": locale[:2]},
        timeout=10,
    )
    assert listed.status_code == 200 and "items" in listed.json()
    refused = requests.post(
        admin.url("/api/v1/leads/1/accept"),
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": secrets.token_hex(8)},
        timeout=10,
    )
    assert refused.status_code == 403  # the client holds leads:read only
    assert refused.headers["Content-Type"].startswith("application/problem+json")

    admin.page.get_by_role("link", name=words("我已保存，查看客户端")).click()
    admin.step("client-with-calls")
    calls = admin.page.locator("table tbody tr")
    expect(calls.first).to_contain_text("/api/v1/leads")
    assert secret not in admin.page.content()  # only its first characters
    admin.submit(words("停用客户端"))
    admin.step("client-stopped")
    expect(admin.page.locator(".flash--success")).to_be_visible()
    gone = requests.get(
        admin.url("/api/v1/leads"), headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert gone.status_code == 401

"""Every page without URL arguments renders for every kind of visitor: never a server error."""

from __future__ import annotations

import pytest
from flask import Flask

from portal.enums import Role
from tests.factories import UserFactory


def plain_get_urls(app: Flask) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"
    )


@pytest.mark.parametrize("role", [None, *Role])
def test_no_page_fails_for_any_visitor(app, client, auth, create, role):
    """Anonymous visitors and each role get a page, a redirect or a refusal, never a 500."""
    if role is not None:
        auth.login(create(UserFactory, role=role).email)
    for locale in ("zh_Hans_CN", "en"):
        client.post("/language", data={"locale": locale})
        for url in plain_get_urls(app):
            assert client.get(url).status_code < 500, (role, locale, url)


def test_an_action_address_opened_as_a_page_leads_to_the_page_above_it(client, auth, create):
    """Reloading or typing the address of a POST-only action (taking an offer, accepting a lead)
    goes to the nearest page above it with a word of why, never to a 405 page."""
    response = client.get("/firm/needs/5/offers/7/take")
    assert (response.status_code, response.headers["Location"]) == (303, "/firm/needs/5")
    response = client.get("/bank/leads/3/accept")
    assert (response.status_code, response.headers["Location"]) == (303, "/bank/leads/3")
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "该操作需要在页面上点击按钮完成" in page
    assert client.put("/bank/leads/3/accept").status_code == 405  # other methods: the error page

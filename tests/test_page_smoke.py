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

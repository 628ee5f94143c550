"""Empty lists say what the user can do next, with a link to do it."""

from __future__ import annotations

import pytest

from portal.enums import Role
from tests.factories import UserFactory

CASES = [
    (Role.SME, "/firm", "提交第一笔融资需求", "/firm/needs/new"),
    (Role.SME, "/firm/needs/", "提交第一笔融资需求", "/firm/needs/new"),
    (Role.BANK_ADMIN, "/bank/admin", "新建产品", "/bank/products/new"),
    (Role.BANK_ADMIN, "/bank/products/", "新建产品", "/bank/products/new"),
    (Role.BANK_OFFICER, "/bank/leads/", "去抢单池看看", "/bank/leads/pool"),
    (Role.BANK_OFFICER, "/bank/leads/pool", "先领取者得", "/bank/leads/"),
    (Role.GOV_STAFF, "/gov", "起草政策", "/gov/policies/new"),
    (Role.GOV_STAFF, "/gov/policies/", "起草政策", "/gov/policies/new"),
]


@pytest.mark.parametrize(("role", "url", "text", "link"), CASES)
def test_empty_page_points_to_the_next_step(client, auth, create, role, url, text, link):
    """With nothing to list, the page explains where rows come from and links onward."""
    auth.login(create(UserFactory, role=role).email)
    html = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert 'class="empty-state' in html
    assert text in html and f'href="{link}"' in html

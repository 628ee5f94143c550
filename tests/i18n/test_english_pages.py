"""Every page a role can open reads in English when English is chosen: no Han character is left
but in what people typed (names, purposes, notes) and in the names of Chinese law; and amounts
read in yuan (CN¥1,200,000), never as a number of "10k yuan" outside a column's or field's name."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask
from sqlalchemy import String, Text, select

from portal.db import Base
from portal.enums import Role
from portal.extensions import db
from tests.authz.matrix import ANONYMOUS, MATRIX, OK, VISITORS, routes, url_for_rule
from tests.authz.world import build_world

HAN = re.compile(r"[\u3400-\u9fff]+")
# Names, not words: the language switcher names Chinese in Chinese, and the legal texts give the
# portal's registered Chinese name beside its English one.
NAMES = ("简体中文", "产融通")
TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)
# Table headers and field labels name the unit of bare numbers ("Amount (10k yuan)"): allowed.
HEADERS_AND_LABELS = re.compile(r"<(th|label)\b.*?</\1>", re.S)
AMOUNT_IN_WAN = re.compile(r"\d[\d,.]*\s*(?:×\s*)?10k yuan")


# Tables whose text the portal writes itself (notifications, e-mail, the log, match
# explanations, rule source): their Chinese must not be taken for something a person typed.
WRITTEN_BY_THE_PORTAL = frozenset(
    {"notifications", "outbox_emails", "audit_log", "match_results", "rule_versions"}
)


def typed_texts(app: Flask) -> list[str]:
    """Every text a person wrote into the database, longest first (so names go before parts)."""
    found: set[str] = set()
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            if table.name in WRITTEN_BY_THE_PORTAL:
                continue
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            if not columns:
                continue
            for row in db.session.execute(select(*columns)):
                found.update(v for v in row if isinstance(v, str) and HAN.search(v))
    return sorted(found, key=len, reverse=True)


def visible_text(page: str) -> str:
    return html.unescape(TAGS.sub(" ", page))


@pytest.mark.parametrize("visitor", VISITORS)
def test_english_pages_show_no_chinese_but_what_people_typed(app, client, auth, visitor):
    world = build_world(app)
    role = None if visitor == ANONYMOUS else Role(visitor)
    if role is not None:
        auth.login(world.email(role))
        client.get("/")  # the page after signing in shows (and spends) its welcome message
    client.post("/language", data={"locale": "en"})
    typed = typed_texts(app)
    leaks: dict[str, set[str]] = {}
    in_wan: dict[str, set[str]] = {}
    for rule, method in routes(app):
        if method != "GET" or MATRIX.get((rule.endpoint, method), {}).get(visitor) != OK:
            continue
        url = url_for_rule(app, rule, world.args_for(role, endpoint=rule.endpoint))
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.mimetype:
            continue
        page = response.get_data(as_text=True)
        wan = set(AMOUNT_IN_WAN.findall(visible_text(HEADERS_AND_LABELS.sub(" ", page))))
        if wan:
            in_wan[rule.endpoint] = wan
        text = visible_text(page)
        for name in (*typed, *NAMES):
            text = text.replace(name, " ")
        left = set(HAN.findall(text))
        if left:
            leaks[rule.endpoint] = left
    assert not leaks, "\n".join(f"{e}: {sorted(v)[:8]}" for e, v in sorted(leaks.items()))
    assert not in_wan, "\n".join(f"{e}: {sorted(v)[:8]}" for e, v in sorted(in_wan.items()))

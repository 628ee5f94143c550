"""Every page each demo account can reach by following links fits the window and passes axe, in
English and in Chinese, at both widths: no page-level horizontal scroll, nothing outside a table's
own scroller, no serious or critical accessibility violation, no console error.

A breadth-first walk from the account's home page over the links of its pages (one page per
address shape, /bank/leads/<id> once), skipping downloads and sign-out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from demo.seed import DEMO_ACCOUNTS
from tests.browser import guarantee_data
from tests.browser.language import sign_in_as
from tests.browser.support import Journey, page_key

PAGES_PER_ACCOUNT = 18  # per account, language and width: the tour stays within CI's budget
NOT_PAGES = (
    "/logout",
    "/static/",
    "/language",
    "/export",
    "/download",
    "/documents/",
    ".csv",
    ".xlsx",
    ".pdf",
    "/template",
    "/file",
)
LINKS = """() => [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href'))"""


@pytest.fixture(params=["zh_Hans_CN", "en"], ids=["zh", "en"])
def locale(request: pytest.FixtureRequest, server_app: Flask) -> Iterator[str]:
    yield request.param
    guarantee_data.forget_language(server_app, [account.email for account in DEMO_ACCOUNTS])


@pytest.mark.parametrize("email", [account.email for account in DEMO_ACCOUNTS])
def test_every_reachable_page_fits_and_passes_axe(
    open_journey: Callable[[str], Journey], locale: str, email: str
) -> None:
    journey = open_journey(f"tour-{email.split('@')[0]}-{locale[:2]}")
    # Public pages (the privacy policy) link to other roles' pages; those answer 403, which is
    # their answer to check elsewhere (tests/authz), not a page to lay out here.
    journey.allowed_console += ["status of 403", "status of 404"]
    sign_in_as(journey, email, locale)
    start = journey.page.url.removeprefix(journey.base_url)
    queue, seen = deque([start]), {page_key(start, "")}
    visited = 0
    while queue and visited < PAGES_PER_ACCOUNT:
        path = queue.popleft()
        response = journey.page.goto(journey.url(path))
        if response is None or response.status >= 400:
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        journey.step(path, screenshot=False)
        visited += 1
        for link in journey.page.evaluate(LINKS):
            target = (link or "").split("#")[0]
            key = page_key(target.split("?")[0], "")
            if target.startswith("/") and key not in seen and not _not_a_page(target):
                seen.add(key)
                queue.append(target)
    assert visited > 3, f"{email} reached only {visited} pages"


def _not_a_page(path: str) -> bool:
    return any(part in path for part in NOT_PAGES)

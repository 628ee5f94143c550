"""The public catalogue's page cache: fast for visitors, never stale on what the matcher sees,
never shared with signed-in users, and each visitor keeps a CSRF token of their own."""

from __future__ import annotations

import re

from sqlalchemy import event

from portal.catalog.models import BankProduct
from portal.enums import ProductStatus, Role
from portal.extensions import db
from tests.factories import InstitutionFactory, UserFactory, published_product


def statements_for(app, client, url: str) -> int:
    count = 0

    def record(*_args) -> None:
        nonlocal count
        count += 1

    engine = app.extensions["portal.db"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return count


def token_in(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def a_product(app, create, name="榕城科创贷"):
    bank = create(InstitutionFactory)
    with app.app_context():
        product = published_product(db.session.merge(bank), name, "3.45")
        db.session.commit()
        return product.id


def test_second_visit_is_served_from_the_cache(app, client, create):
    """The second anonymous view of a page needs one fingerprint query instead of the page's."""
    a_product(app, create)
    first = statements_for(app, client, "/products")
    second = statements_for(app, app.test_client(), "/products")
    assert second < first and second <= 3


def test_each_visitor_gets_their_own_csrf_token(app, create):
    a_product(app, create)
    one, two = app.test_client(), app.test_client()
    first, second = one.get("/products").get_data(as_text=True), two.get("/products")
    second = second.get_data(as_text=True)
    assert token_in(first) != token_in(second)
    assert first.replace(token_in(first), "") == second.replace(token_in(second), "")
    # The cached page's token works: the language switch accepts it.
    response = two.post("/language", data={"locale": "en", "csrf_token": token_in(second)})
    assert response.status_code == 302


def test_a_product_archived_disappears_at_once(app, client, create):
    product_id = a_product(app, create)
    assert "榕城科创贷" in client.get("/products").get_data(as_text=True)
    with app.app_context():
        db.session.get(BankProduct, product_id).status = ProductStatus.ARCHIVED
        db.session.commit()
    assert "榕城科创贷" not in client.get("/products").get_data(as_text=True)
    assert client.get(f"/products/{product_id}").status_code == 404


def test_signed_in_users_always_get_a_fresh_page(app, client, auth, create):
    a_product(app, create)
    client.get("/products")
    user = create(UserFactory, role=Role.SME)
    auth.login(user.email)
    page = client.get("/products").get_data(as_text=True)
    assert user.full_name in page


def test_languages_are_kept_apart(app, client, create):
    a_product(app, create)
    chinese = client.get("/products").get_data(as_text=True)
    english = app.test_client()
    english.post("/language", data={"locale": "en"})
    assert '<html lang="en"' in english.get("/products").get_data(as_text=True)
    assert '<html lang="zh-CN"' in chinese


def test_with_a_fingerprint_interval_a_change_shows_once_it_has_passed(
    app, client, create, monkeypatch
):
    """In production the fingerprint is read at most once a second: a change waits that long."""
    from portal.catalog import page_cache

    product_id = a_product(app, create)
    monkeypatch.setitem(app.config, "PAGE_CACHE_FINGERPRINT_SECONDS", 3600)
    clock = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: clock[0])
    assert "榕城科创贷" in client.get("/products").get_data(as_text=True)
    with app.app_context():
        db.session.get(BankProduct, product_id).status = ProductStatus.ARCHIVED
        db.session.commit()
    assert "榕城科创贷" in client.get("/products").get_data(as_text=True)  # within the interval
    clock[0] += 3601
    assert "榕城科创贷" not in client.get("/products").get_data(as_text=True)

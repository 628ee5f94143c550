"""Whole-page cache of the public catalogue for visitors who are not signed in.

The product and policy pages are the portal's most visited and the same for every anonymous
visitor, except for the visitor's CSRF token in the header's language form. A page is kept per
process under its language, its full URL, the date and the catalogue's fingerprint (the one-row
query that also tells the matcher when to rebuild). The fingerprint is read at most once per
`PAGE_CACHE_FINGERPRINT_SECONDS` (a second) per process, since the query costs more than
serving a stored page: a product published, a policy closed or a bank suspended shows within
that second. Fields the fingerprint does not watch (a bank's name, say) may show up to
`MAX_AGE_SECONDS` late. The visitor's own CSRF token is put back into every copy.

Signed-in users, and visitors with a message waiting to be shown, always get a fresh page.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from portal.dates import today_in_china

F = TypeVar("F", bound=Callable[..., Any])

MAX_PAGES = 512
MAX_AGE_SECONDS = 60
# Stands in for the visitor's CSRF token in a stored page; no rendered text contains it.
_TOKEN_MARK = "\x1fcsrf-token\x1f"  # noqa: S105  (a placeholder, not a secret)

_lock = threading.Lock()
_pages: OrderedDict[tuple[Any, ...], tuple[float, str]] = OrderedDict()
# The last fingerprint read, per database: (when, date, fingerprint).
_fingerprints: dict[int, tuple[float, Any, tuple[Any, ...]]] = {}


def cached_for_anonymous(view: F) -> F:
    """Serve the view's page from the cache to anonymous visitors; render and keep it on a miss."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user.is_authenticated or session.get("_flashes"):
            return view(*args, **kwargs)
        key = _key()
        page = _get(key)
        if page is not None:
            return page.replace(_TOKEN_MARK, generate_csrf())
        page = view(*args, **kwargs)
        if isinstance(page, str):
            _put(key, page.replace(generate_csrf(), _TOKEN_MARK))
        return page

    return wrapper  # type: ignore[return-value]


def _key() -> tuple[Any, ...]:
    today = today_in_china()
    return (str(get_locale()), request.full_path, today, *_fingerprint(today))


def _fingerprint(today: Any) -> tuple[Any, ...]:
    from portal.extensions import db
    from portal.matching.catalogue import catalogue_fingerprint

    engine_id = id(db.engine)
    now = time.monotonic()
    with _lock:
        found = _fingerprints.get(engine_id)
    ttl = current_app.config["PAGE_CACHE_FINGERPRINT_SECONDS"]
    if found is not None and found[1] == today and now - found[0] < ttl:
        return found[2]
    fingerprint = catalogue_fingerprint(today)
    with _lock:
        _fingerprints[engine_id] = (now, today, fingerprint)
    return fingerprint


def _get(key: tuple[Any, ...]) -> str | None:
    with _lock:
        found = _pages.get(key)
        if found is None:
            return None
        stored_at, page = found
        if time.monotonic() - stored_at > MAX_AGE_SECONDS:
            del _pages[key]
            return None
        _pages.move_to_end(key)
        return page


def _put(key: tuple[Any, ...], page: str) -> None:
    with _lock:
        _pages[key] = (time.monotonic(), page)
        _pages.move_to_end(key)
        while len(_pages) > MAX_PAGES:
            _pages.popitem(last=False)


def clear() -> None:
    """Forget every stored page (tests, and after bulk changes made outside the portal)."""
    with _lock:
        _pages.clear()
        _fingerprints.clear()

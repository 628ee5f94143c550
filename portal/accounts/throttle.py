"""Sign-in throttling that holds across workers and machines.

Failures are counted per fixed time window in Redis when REDIS_URL is set, in the database
otherwise; both are shared by every gunicorn worker. Three counters guard a sign-in:

- the address: many failures from one address, whatever the accounts (password spraying);
- the account from this address: a few failures lock this pair only, so an attacker elsewhere
  cannot lock the real user out;
- the account from anywhere: a higher limit against distributed guessing. Its lock lasts only
  until the window ends (at most `window` seconds), never until an administrator acts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from dataclasses import dataclass
from typing import Protocol

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from portal.accounts.models import ThrottleCounter
from portal.db import utcnow
from portal.extensions import db


@dataclass(frozen=True)
class Limit:
    name: str
    attempts: int


ADDRESS = Limit("addr", 30)
ACCOUNT_FROM_ADDRESS = Limit("acct-addr", 5)
ACCOUNT = Limit("acct", 20)


class Throttled(Exception):
    """Too many failures: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


class CounterStore(Protocol):
    def count(self, key: str) -> int: ...
    def hit(self, key: str, expires_in: int) -> int: ...
    def clear(self, key: str) -> None: ...


class RedisStore:
    def __init__(self, url: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=2)

    def count(self, key: str) -> int:
        return int(self.redis.get(key) or 0)

    def hit(self, key: str, expires_in: int) -> int:
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, expires_in, nx=True)
        hits, _ = pipe.execute()
        return int(hits)

    def clear(self, key: str) -> None:
        self.redis.delete(key)


class DatabaseStore:
    """Counters in `throttle_counters`, incremented with one atomic upsert per failure."""

    def count(self, key: str) -> int:
        return (
            db.session.scalar(select(ThrottleCounter.hits).where(ThrottleCounter.key == key)) or 0
        )

    def hit(self, key: str, expires_in: int) -> int:
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        expires_at = utcnow() + dt.timedelta(seconds=expires_in)
        insert = dialect.insert(ThrottleCounter).values(key=key, hits=1, expires_at=expires_at)
        upsert = insert.on_conflict_do_update(
            index_elements=[ThrottleCounter.key], set_={"hits": ThrottleCounter.hits + 1}
        ).returning(ThrottleCounter.hits)
        return db.session.execute(upsert).scalar_one()

    def clear(self, key: str) -> None:
        db.session.execute(delete(ThrottleCounter).where(ThrottleCounter.key == key))


def _store() -> CounterStore:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return DatabaseStore()
    stores = current_app.extensions.setdefault("portal.throttle", {})
    if url not in stores:
        stores[url] = RedisStore(url)
    return stores[url]


def _window() -> int:
    return int(current_app.config["LOGIN_THROTTLE_WINDOW"])


def _keys(email: str, address: str | None) -> dict[Limit, str]:
    """One key per limit and current window; the email is hashed so keys hold no personal data."""
    window = _window()
    index = int(time.time()) // window
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    address = address or "unknown"
    return {
        ADDRESS: f"login:{ADDRESS.name}:{address}:{index}",
        ACCOUNT_FROM_ADDRESS: f"login:{ACCOUNT_FROM_ADDRESS.name}:{account}:{address}:{index}",
        ACCOUNT: f"login:{ACCOUNT.name}:{account}:{index}",
    }


def _retry_after() -> int:
    window = _window()
    return window - int(time.time()) % window


def check(email: str, address: str | None) -> None:
    """Raise Throttled if any counter for this attempt is already at its limit."""
    if not current_app.config["LOGIN_THROTTLE_ENABLED"]:
        return
    store = _store()
    for limit, key in _keys(email, address).items():
        if store.count(key) >= limit.attempts:
            raise Throttled(_retry_after())


def record_failure(email: str, address: str | None) -> None:
    """Count a failed password or code; the caller commits (database store)."""
    store = _store()
    expires_in = _window() + 60
    for key in _keys(email, address).values():
        store.hit(key, expires_in)


def record_success(email: str, address: str | None) -> None:
    """A successful sign-in forgets this pair's failures; the account-wide count stays."""
    _store().clear(_keys(email, address)[ACCOUNT_FROM_ADDRESS])


def purge_expired() -> int:
    """Delete database counters whose window has passed (a scheduled job)."""
    result = db.session.execute(
        delete(ThrottleCounter).where(ThrottleCounter.expires_at < utcnow())
    )
    db.session.commit()
    return result.rowcount or 0

"""Sign-in throttling that holds under concurrency, across workers and machines.

Each attempt is counted before its password or code is checked: an atomic increment (Redis INCR
when REDIS_URL is set, otherwise one upsert ... RETURNING in the database, committed at once)
whose result decides. However many attempts arrive at the same moment, only the first `limit`
are checked and the rest are refused unseen. An attempt that succeeds gives its counts back, so
a counter holds the failures of its window plus the attempts still being checked.

Which counters an attempt meets depends on the browser (OWASP's device cookies, devices.py):

- a browser presenting a valid device cookie for the account (it signed in to it before) is
  counted per device and nothing else. An attacker who knows only the email cannot stop the
  owner signing in from a browser they have used, however many failures they cause elsewhere;
- any other attempt meets, in this order, the address (password spraying across accounts), the
  account from this address (a few failures lock this pair only) and the account from anywhere
  (distributed guessing). The last is the one lock an attacker elsewhere can set off: it stops
  unknown browsers only, and only until its window ends (at most `window` seconds).

An attempt refused by one counter leaves the later ones untouched, so a flood from one address
does not also lock the account everywhere. Each lock is audited once: only the attempt whose
increment crossed the limit writes the entry, so refused attempts cannot flood the log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from dataclasses import dataclass, field
from typing import Protocol

from flask import current_app
from redis import Redis
from sqlalchemy import delete, select, update

from portal.accounts import devices
from portal.accounts.models import ThrottleCounter, User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.db import utcnow
from portal.extensions import db
from portal.redis_client import redis_client


@dataclass(frozen=True)
class Limit:
    name: str
    attempts: int


ADDRESS = Limit("addr", 30)
ACCOUNT_FROM_ADDRESS = Limit("acct-addr", 5)
ACCOUNT = Limit("acct", 20)
DEVICE = Limit("device", 5)


class Throttled(Exception):
    """Too many failures: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


class CounterStore(Protocol):
    def hit(self, key: str, expires_in: int) -> int: ...
    def give_back(self, key: str) -> None: ...
    def clear(self, key: str) -> None: ...


# A count given back after sign_in() cleared the key must not leave a -1 behind with no expiry.
_GIVE_BACK = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end"


class RedisStore:
    def __init__(self, client: Redis) -> None:
        self.redis = client
        self._give_back = self.redis.register_script(_GIVE_BACK)

    def hit(self, key: str, expires_in: int) -> int:
        pipe = self.redis.pipeline()  # MULTI/EXEC: the count and its expiry go together
        pipe.incr(key)
        pipe.expire(key, expires_in, nx=True)
        hits, _ = pipe.execute()
        return int(hits)

    def give_back(self, key: str) -> None:
        self._give_back(keys=[key])

    def clear(self, key: str) -> None:
        self.redis.delete(key)


class DatabaseStore:
    """Counters in `throttle_counters`: one atomic upsert per attempt, committed at once.

    The commit matters: an increment left open would hold the counter's row lock while the
    password is hashed, queueing every other attempt for the account behind it.
    """

    def hit(self, key: str, expires_in: int) -> int:
        expires_at = utcnow() + dt.timedelta(seconds=expires_in)
        insert = db.conflict_insert(ThrottleCounter).values(key=key, hits=1, expires_at=expires_at)
        upsert = insert.on_conflict_do_update(
            index_elements=[ThrottleCounter.key], set_={"hits": ThrottleCounter.hits + 1}
        ).returning(ThrottleCounter.hits)
        hits = db.session.execute(upsert).scalar_one()
        db.session.commit()
        return hits

    def give_back(self, key: str) -> None:
        db.session.execute(
            update(ThrottleCounter)
            .where(ThrottleCounter.key == key, ThrottleCounter.hits > 0)
            .values(hits=ThrottleCounter.hits - 1)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()

    def clear(self, key: str) -> None:
        db.session.execute(delete(ThrottleCounter).where(ThrottleCounter.key == key))


def counter_store() -> CounterStore:
    """The counters: Redis when REDIS_URL is set (shared by every worker), else the database."""
    client = redis_client()
    if client is None:
        return DatabaseStore()
    stores = current_app.extensions.setdefault("portal.throttle", {})
    if client not in stores:
        stores[client] = RedisStore(client)
    return stores[client]


def _window() -> int:
    return int(current_app.config["LOGIN_THROTTLE_WINDOW"])


def _index() -> int:
    return int(time.time()) // _window()


def account_key(email: str) -> str:
    """The account as counters and device cookies name it: hashed, so keys hold no email."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _keys(email: str, address: str | None) -> dict[Limit, str]:
    """The counters of an attempt without a device cookie, for the current window, in order."""
    index = _index()
    account = account_key(email)
    address = address or "unknown"
    return {
        ADDRESS: f"login:{ADDRESS.name}:{address}:{index}",
        ACCOUNT_FROM_ADDRESS: f"login:{ACCOUNT_FROM_ADDRESS.name}:{account}:{address}:{index}",
        ACCOUNT: f"login:{ACCOUNT.name}:{account}:{index}",
    }


def _counters(email: str, address: str | None) -> list[tuple[Limit, str]]:
    """A known device is counted on its own; any other attempt on the three shared counters."""
    nonce = devices.nonce_for(account_key(email))
    if nonce is not None:
        return [(DEVICE, f"login:{DEVICE.name}:{nonce}:{_index()}")]
    return list(_keys(email, address).items())


def _retry_after() -> int:
    window = _window()
    return window - int(time.time()) % window


@dataclass
class Attempt:
    """The counts one sign-in attempt took; a success gives them back."""

    keys: list[str] = field(default_factory=list)

    def succeeded(self) -> None:
        """The password or code was right: this attempt was no failure."""
        store = counter_store()
        for key in self.keys:
            store.give_back(key)
        self.keys.clear()


def begin(email: str, address: str | None, *, step: str) -> Attempt:
    """Count an attempt before it is checked; raise Throttled if any counter passed its limit."""
    attempt = Attempt()
    if not current_app.config["LOGIN_THROTTLE_ENABLED"]:
        return attempt
    store = counter_store()
    expires_in = _window() + 60
    for limit, key in _counters(email, address):
        hits = store.hit(key, expires_in)
        if hits > limit.attempts:
            if hits == limit.attempts + 1:  # exactly one attempt sees this number
                _record_lock(email, limit, step)
            raise Throttled(_retry_after())
        attempt.keys.append(key)
    return attempt


def count(limit: Limit, subject: str) -> None:
    """Count one request (a reset link asked for, …) against a limit for this window; raise
    Throttled past it. The same counters, windows and switch as sign-in."""
    if not current_app.config["LOGIN_THROTTLE_ENABLED"]:
        return
    key = f"{limit.name}:{hashlib.sha256(subject.encode()).hexdigest()[:32]}:{_index()}"
    if counter_store().hit(key, _window() + 60) > limit.attempts:
        raise Throttled(_retry_after())


def allowed(limit: Limit, subject: str) -> bool:
    """Count one request against a limit; whether it is still within it."""
    try:
        count(limit, subject)
    except Throttled:
        return False
    return True


def _record_lock(email: str, limit: Limit, step: str) -> None:
    """Audit a lock once, from the attempt that set it off (actor: the account, if it exists)."""
    email = email.strip().lower()[:254]
    user = db.session.scalar(select(User).where(User.email == email))
    audit.record(
        AuditAction.AUTH_LOGIN_LOCKED, actor=user, email=email, limit=limit.name, step=step
    )
    db.session.commit()


def record_success(email: str, address: str | None) -> None:
    """A sign-in forgets this pair's failures and gives the browser a fresh device cookie.

    The account-wide count stays: the owner signing in does not reopen the account to an
    attacker who is still guessing from elsewhere. The caller commits (database store).
    """
    counter_store().clear(_keys(email, address)[ACCOUNT_FROM_ADDRESS])
    devices.remember(account_key(email))


def purge_expired() -> int:
    """Delete database counters whose window has passed (a scheduled job)."""
    result = db.session.execute(
        delete(ThrottleCounter).where(ThrottleCounter.expires_at < utcnow())
    )
    db.session.commit()
    return result.rowcount or 0

"""Each API client's call log (what its admins see on the client's page), written behind the
answers in batches.

Every API call is logged. A commit of its own for each call cost the lead list a quarter of its
throughput under load (docs/benchmarks.md): each takes SQLite's write lock, or waits for
PostgreSQL's WAL flush, while the answer waits. With REDIS_URL set a call's row goes onto a
Redis list instead and moves to the database in batches: when BATCH rows are waiting (the call
that finds them writes them), every minute (the scheduler), and before anyone reads a client's
calls (`clients.recent_calls`), so the page is never behind. Without Redis, or while it does not
answer, each row is written at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

import orjson
from redis.exceptions import LockError, RedisError
from sqlalchemy import insert, select

from portal.api.models import ApiCall, ApiClient
from portal.db import utcnow
from portal.extensions import db
from portal.redis_client import redis_client

log = logging.getLogger(__name__)

QUEUE = "portal:api-calls"
FLUSH_LOCK = "portal:api-calls:flush"
BATCH = 200  # rows waiting when the call that finds them writes them
READ_AT_ONCE = 1_000  # rows a flush moves per round

# One INSERT built once: a row is written for every call and never read back here.
WRITE_CALLS = insert(ApiCall)


def record(call: dict[str, Any]) -> None:
    """Log one call: `client_id`, `method`, `path`, `status`, `source_ip`, `duration_ms`.

    The caller has rolled the session back (nothing of the view's is committed with the row)."""
    call = {**call, "at": utcnow()}
    queue = redis_client()
    if queue is not None:
        try:
            waiting = queue.rpush(QUEUE, orjson.dumps({**call, "call_key": secrets.token_hex(16)}))
        except RedisError:
            log.warning("API call log: Redis does not answer; writing the call at once")
        else:
            if waiting >= BATCH:
                flush(wait=False)
            return
    db.session.execute(WRITE_CALLS, call)
    db.session.commit()


def flush(wait: bool = True) -> int:
    """Move the queued rows into the database; how many moved.

    One flusher at a time (a lock in Redis). A reader of the log `wait`s up to a few seconds
    for a flush under way; a call never does: every call that finds a full batch tries, and
    while one flushes the others answer at once. Rows are read, written and committed, and only
    then trimmed from the head of the list (calls keep arriving at its tail): a flusher stopped
    in between leaves them for the next, and their unique call_key makes the second write add
    nothing."""
    queue = redis_client()
    if queue is None:
        return 0
    moved = 0
    try:
        lock = queue.lock(FLUSH_LOCK, timeout=60, blocking_timeout=5)
        if not lock.acquire(blocking=wait):
            return 0  # another flusher has them
        try:
            while queued := queue.lrange(QUEUE, 0, READ_AT_ONCE - 1):
                _write_once([_decoded(item) for item in queued])
                queue.ltrim(QUEUE, len(queued), -1)
                moved += len(queued)
        finally:
            lock.release()
    except (RedisError, LockError):
        log.warning("API call log: Redis does not answer; %s rows moved", moved, exc_info=True)
    return moved


def _write_once(rows: list[dict[str, Any]]) -> None:
    """Write queued rows, each key once; rows of a client deleted meanwhile are dropped (they
    would fail the batch, and every batch after it)."""
    clients = {row["client_id"] for row in rows}
    known = set(db.session.scalars(select(ApiClient.id).where(ApiClient.id.in_(clients))))
    rows = [row for row in rows if row["client_id"] in known]
    if rows:
        statement = db.conflict_insert(ApiCall).on_conflict_do_nothing(index_elements=["call_key"])
        db.session.execute(statement, rows)
    db.session.commit()


def _decoded(item: bytes) -> dict[str, Any]:
    row = orjson.loads(item)
    row["at"] = dt.datetime.fromisoformat(row["at"])
    return row

"""Each client's call log when the calls queue in Redis: the admins' page is never behind, a
batch written twice adds nothing, and a Redis that does not answer loses no call."""

from __future__ import annotations

import socket

import orjson
import pytest
import redis
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.api import call_log
from portal.api.models import ApiCall, ApiClient
from portal.extensions import db
from portal.scheduler import JOBS, run_job, write_api_call_log
from tests.redis_server import REDIS_URL, redis_available

pytestmark = pytest.mark.skipif(not redis_available(), reason="Redis is not reachable")


@pytest.fixture
def queued(app, monkeypatch):
    """The app queues its API calls in the test Redis, empty before and after."""
    server = redis.Redis.from_url(REDIS_URL)
    server.delete(call_log.QUEUE, call_log.FLUSH_LOCK)
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    yield server
    server.delete(call_log.QUEUE, call_log.FLUSH_LOCK)


def _logged(app) -> list[tuple[str, str, int]]:
    with app.app_context():
        calls = db.session.scalars(select(ApiCall).order_by(ApiCall.at, ApiCall.id))
        return [(call.method, call.path, call.status) for call in calls]


def test_queued_calls_are_on_the_clients_page(app, client, auth, api, queued):
    """The calls wait in Redis, not in a commit each; the admin's page writes them first."""
    api("GET", "/api/v1/leads")
    api("GET", "/api/v1/leads/424242")
    assert queued.llen(call_log.QUEUE) == 2 and _logged(app) == []
    with app.app_context():
        listed = db.session.scalar(select(ApiClient).where(ApiClient.client_key == api.client_key))
        client_id, admin_email = listed.id, db.session.get(User, listed.created_by_id).email
    auth.login(admin_email)
    page = client.get(f"/institution/api-clients/{client_id}").get_data(as_text=True)
    assert "/api/v1/leads/424242" in page
    assert _logged(app) == [("GET", "/api/v1/leads", 200), ("GET", "/api/v1/leads/424242", 404)]
    assert queued.llen(call_log.QUEUE) == 0


def test_the_call_that_fills_a_batch_writes_it(app, api, queued, monkeypatch):
    monkeypatch.setattr(call_log, "BATCH", 3)
    for _ in range(2):
        api("GET", "/api/v1/leads")
    assert _logged(app) == []
    api("GET", "/api/v1/reference/regions")
    assert [path for _method, path, _status in _logged(app)] == [
        "/api/v1/leads",
        "/api/v1/leads",
        "/api/v1/reference/regions",
    ]


def test_a_call_never_waits_for_a_flush_under_way(app, api, queued, monkeypatch):
    """Calls that find a full batch while another process flushes leave it to that flusher."""
    monkeypatch.setattr(call_log, "BATCH", 1)
    other = queued.lock(call_log.FLUSH_LOCK, timeout=60)
    assert other.acquire(blocking=False)
    assert api("GET", "/api/v1/leads").status_code == 200
    with app.app_context():
        assert call_log.flush(wait=False) == 0
    assert queued.llen(call_log.QUEUE) == 1 and _logged(app) == []
    other.release()
    with app.app_context():
        assert call_log.flush() == 1


def test_a_batch_written_twice_adds_nothing(app, api, queued):
    """A flusher stopped after its commit, before trimming the queue: the next one writes the
    same rows again, and their keys keep each call once."""
    for _ in range(3):
        api("GET", "/api/v1/leads")
    with app.app_context():
        rows = [call_log._decoded(item) for item in queued.lrange(call_log.QUEUE, 0, -1)]
        call_log._write_once(rows)  # the stopped flusher's commit; the queue still holds them
        assert call_log.flush() == 3
        assert call_log.flush() == 0
        assert db.session.scalar(select(func.count()).select_from(ApiCall)) == 3


def test_calls_of_a_deleted_client_do_not_block_the_queue(app, api, queued):
    api("GET", "/api/v1/leads")
    gone = {**orjson.loads(queued.lindex(call_log.QUEUE, 0)), "client_id": 2**31 - 1}
    queued.rpush(call_log.QUEUE, orjson.dumps({**gone, "call_key": "gone"}))
    with app.app_context():
        assert call_log.flush() == 2
    assert _logged(app) == [("GET", "/api/v1/leads", 200)]
    assert queued.llen(call_log.QUEUE) == 0


def test_the_scheduler_writes_the_queue_every_minute(app, api, queued):
    assert any(job is write_api_call_log and every.total_seconds() == 60 for job, every in JOBS)
    api("GET", "/api/v1/leads")
    assert run_job(app, write_api_call_log) == 1
    assert run_job(app, write_api_call_log) == 0  # idempotent: nothing left to move
    assert _logged(app) == [("GET", "/api/v1/leads", 200)]


def test_without_an_answer_from_redis_the_call_is_written_at_once(app, api, monkeypatch):
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{port}/0")
    assert api("GET", "/api/v1/leads").status_code == 200
    assert _logged(app) == [("GET", "/api/v1/leads", 200)]

"""The Redis server the throttling tests share counters in: database 15, or under pytest-xdist
one database per worker counting down from 15, so that two workers signing in users of the same
factory-made e-mail address never share a counter."""

from __future__ import annotations

import os

_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{15 - _WORKER % 8}")


def redis_available() -> bool:
    """Whether the test Redis answers a ping within a second."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except Exception:  # any failure to reach it means the Redis tests are skipped
        return False
    return True

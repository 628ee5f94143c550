"""The Redis server the throttling tests share counters in (database 15, emptied by each test)."""

from __future__ import annotations

import os

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_available() -> bool:
    """Whether the test Redis answers a ping within a second."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except Exception:  # any failure to reach it means the Redis tests are skipped
        return False
    return True

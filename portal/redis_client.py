"""The app's Redis, when REDIS_URL is set: one client per process (a client keeps a pool of
connections and may be shared between threads). Sign-in throttling and the API call log keep
their counters and queue there; Flask-Limiter opens its own from RATELIMIT_STORAGE_URI."""

from __future__ import annotations

import redis
from flask import current_app


def redis_client() -> redis.Redis | None:
    """The client for REDIS_URL, or None when the portal runs without Redis."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    clients = current_app.extensions.setdefault("portal.redis", {})
    if url not in clients:
        clients[url] = redis.Redis.from_url(url, socket_timeout=2)
    return clients[url]

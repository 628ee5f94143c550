"""Gunicorn settings for the portal: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Workers: WEB_CONCURRENCY, else 2 × cores + 1. Worker class: gthread with GUNICORN_THREADS threads
(default 4). A request mostly waits on PostgreSQL, so threads overlap those waits at the cost of
one process's memory (reportlab, openpyxl and the product catalogue cache are held per process),
while the processes keep the CPU-bound work (PDF and spreadsheet rendering) on every core.
Slow clients are no reason for async workers: nginx buffers requests and responses in front.
Each process's SQLAlchemy pool (5 + 10 overflow) covers its threads; PostgreSQL must accept
workers × 15 connections per machine, plus the scheduler's.

The app is not preloaded: each worker imports it after the fork, so no database connection is
ever shared between processes, and a HUP reload picks up new code.
"""

from __future__ import annotations

import multiprocessing
import os

import gunicorn.http.wsgi

bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# A request taking longer than this is killed and logged (the monthly PDF takes a few seconds).
timeout = 60
graceful_timeout = 30
# Longer than nginx's upstream keepalive_timeout, so nginx always closes an idle connection first.
keepalive = 75
# Recycle workers now and then, staggered, so a slow leak never grows without bound. Not too
# often: a new worker starts with cold caches (catalogue, pages) and its first requests are slow;
# at a thousand requests a second, 2,000 would restart a worker every few seconds.
max_requests = 50_000
max_requests_jitter = 5_000

# X-Forwarded-Proto is trusted from these addresses only (nginx on this machine by default).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# To stdout/stderr, which systemd's journal collects. %(M)s is the request time in milliseconds;
# the client address is the one nginx forwarded.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    '%({x-forwarded-for}i)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s" %({x-request-id}i)s'
)

proc_name = "portal-web"


class _Response(gunicorn.http.wsgi.Response):
    """Gunicorn's response without its `Server: gunicorn` banner (it has no setting for it)."""

    def default_headers(self) -> list[str]:
        return [line for line in super().default_headers() if not line.startswith("Server:")]


# Read when each request is answered, in the master and every worker forked from it.
gunicorn.http.wsgi.Response = _Response  # type: ignore[misc]

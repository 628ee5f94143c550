"""The production stack on this machine: migrations, then gunicorn with deploy/gunicorn.conf.py."""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.config import PROJECT_ROOT

LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_url() -> str | None:
    """REDIS_URL, else the local Redis when it answers."""
    import redis

    url = os.environ.get("REDIS_URL", LOCAL_REDIS)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return None
    return url


def _production_env(database_url: str, instance: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "REDIS_URL")}
    env.update(
        PORTAL_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=database_url,
        PORTAL_INSTANCE_PATH=str(instance),
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
    )
    redis_url = _redis_url()
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  (a local URL)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _wait_until_serving(process: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited while starting"
        try:
            _get(url)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("gunicorn did not answer within 60 seconds")


class Server:
    """A running gunicorn: its base URL and environment; stop() ends it and returns its log."""

    def __init__(self, process: subprocess.Popen[str], url: str, env: dict[str, str]) -> None:
        self.process, self.url, self.env = process, url, env
        self.log: list[str] | None = None

    def stop(self) -> list[str]:
        if self.log is None:
            self.process.terminate()
            try:
                output, _ = self.process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                output, _ = self.process.communicate()
            self.log = output.splitlines()
        return self.log


@pytest.fixture
def server(new_postgres, tmp_path: Path) -> Iterator[Server]:
    """A migrated, empty PostgreSQL database served by gunicorn as in production."""
    env = _production_env(new_postgres("web"), tmp_path)
    subprocess.run(  # noqa: S603  (this interpreter running our own commands)
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py"]
    process = subprocess.Popen(  # noqa: S603  (this interpreter running gunicorn)
        [*command, "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = Server(process, f"http://127.0.0.1:{port}", env)
    try:
        _wait_until_serving(process, f"{running.url}/health")
        yield running
    finally:
        running.stop()


def test_gunicorn_serves_pages_and_health_without_a_banner(server):
    """Home page and /health answer 200 through gunicorn, with no Server header, and are logged.

    The access log line carries the status and the request time in milliseconds.
    """
    status, headers, body = _get(f"{server.url}/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "产融通" in body.decode()
    assert "Server" not in headers

    status, headers, body = _get(f"{server.url}/health")
    assert status == 200
    assert "Server" not in headers
    assert headers["Cache-Control"] == "no-store"
    report = json.loads(body)
    assert report["status"] == "ok"
    assert report["checks"]["database"] == "ok"
    if "REDIS_URL" in server.env:
        assert report["checks"]["redis"] == "ok"
    assert server.env["SECRET_KEY"] not in body.decode()

    log = "\n".join(server.stop())
    assert re.search(r'"GET /health HTTP/1\.1" 200 \d+ \d+ms', log), log

"""The demo's government data exchange: the shipped `exchange` service, seeded from the portal's
own firms and run as its own process beside the portal (development and browser tests only).

In production the portal talks to the province's exchange configured by EXCHANGE_URL; nothing
here runs. The demo starts the stand-in on a free loopback port with a fresh client secret, so
no secret is written down anywhere.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from portal.config import PROJECT_ROOT

CLIENT_ID = "portal"
START_TIMEOUT = 30  # seconds


@dataclass
class LocalExchange:
    """A running stand-in exchange: where it is and the credentials the portal uses."""

    url: str
    client_id: str
    client_secret: str
    database_url: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def config(self) -> dict[str, str]:
        """The portal's settings (and environment variables) that point at it."""
        return {
            "EXCHANGE_URL": self.url,
            "EXCHANGE_CLIENT_ID": self.client_id,
            "EXCHANGE_CLIENT_SECRET": self.client_secret,
        }

    def stop(self) -> None:
        """Stop the process this object started."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start(portal_database_url: str, directory: Path, *, extra: int = 40) -> LocalExchange:
    """Seed the stand-in from the portal's firms into `directory` and serve it; waits until it
    answers, or raises RuntimeError with where its log is."""
    directory.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{directory / 'exchange.sqlite3'}"
    secret = secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "EXCHANGE_DATABASE_URL": database_url,
        "EXCHANGE_CLIENTS": f"{CLIENT_ID}:{secret}",
        "EXCHANGE_ADMIN_KEY": secrets.token_urlsafe(24),
    }
    _exchange(["seed", "--from-portal-db", portal_database_url, "--extra", str(extra)], env)
    port = _free_port()
    log = (directory / "exchange.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "exchange", "serve", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    running = LocalExchange(f"http://127.0.0.1:{port}", CLIENT_ID, secret, database_url, process)
    if not _answers(running):
        running.stop()
        raise RuntimeError(f"the data exchange did not start; see {directory / 'exchange.log'}")
    return running


def identities(exchange: LocalExchange, count: int = 3) -> str:
    """A few registry-only firms a demo user may register, with the legal representatives'
    names and ID numbers the registry holds (printed by the exchange itself)."""
    env = {**os.environ, "EXCHANGE_DATABASE_URL": exchange.database_url}
    return _exchange(["demo-identities", "--count", str(count)], env)


def _exchange(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "exchange", *args],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _answers(exchange: LocalExchange) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(exchange.url + "/health", timeout=2):  # noqa: S310
                return True
        except OSError:
            if exchange.process is not None and exchange.process.poll() is not None:
                return False
            time.sleep(0.2)
    return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

"""Browser journeys against a live server: one server and one Chromium per session.

The server is gunicorn serving a fresh SQLite database under a temporary directory, migrated and
seeded with the demo province, CSRF on, PORTAL_ENV=development. Each test gets a fresh browser
context at the viewport it is parametrised with (phone 390×844, desktop 1366×768).
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from demo import exchange as demo_exchange
from tests.browser.support import AXE_SCRIPT, WATCH_CSP, Journey, Session

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The widths people use: a 390×844 phone and a 1366×768 laptop, the most common of each.
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 768}}
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "browser-journeys-only-not-a-real-key"

SESSION = Session()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the journeys where there is no Chromium to drive, and in the PostgreSQL run: their
    live server always has a SQLite database of its own, so a second run would repeat the first."""
    journeys = [item for item in items if "tests/browser/" in item.nodeid]
    for item in journeys:
        # Under pytest-xdist every journey runs in one worker: one live server, one Chromium,
        # and one set of artifacts.
        item.add_marker(pytest.mark.xdist_group("browser"))
    if os.environ.get("TEST_DATABASE_URL"):
        reason = (
            "the journeys run their own SQLite server; they run once, without TEST_DATABASE_URL"
        )
    elif not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    else:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in journeys:
        item.add_marker(skip)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "viewport" in metafunc.fixturenames:
        metafunc.parametrize("viewport", list(VIEWPORTS))


@pytest.fixture(autouse=True)
def _transaction() -> None:
    """The journeys use the live server's database, not the per-test transaction of the suite."""


class LiveServer:
    """A gunicorn process serving the portal on a free port."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.database_url = f"sqlite:///{root / 'portal.sqlite3'}"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PORTAL_ENV": "development",
            "PORTAL_INSTANCE_PATH": str(root),
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": SECRET_KEY,
        }
        self.env.pop("TEST_DATABASE_URL", None)
        self.process: subprocess.Popen[bytes] | None = None

    def flask(self, *args: str) -> None:
        """Run a `flask --app wsgi` command against the server's database."""
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )

    def forget_last_code(self, email: str) -> None:
        """Let the account's current two-factor code be taken again (see answer_two_factor)."""
        with sqlite3.connect(self.root / "portal.sqlite3") as connection:
            connection.execute(
                "UPDATE users SET totp_last_step = NULL WHERE email = ?", (email.lower(),)
            )

    def start(self) -> None:
        """Start gunicorn and wait until it answers."""
        log = (self.root / "server.log").open("wb")
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "2",
                "--threads",
                "4",
                "--bind",
                f"127.0.0.1:{self.port}",
                "wsgi:app",
            ],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=2):  # noqa: S310
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the live server did not start; see {self.root / 'server.log'}")

    def stop(self) -> None:
        """Stop gunicorn (this process started it)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from portal.i18n import compile_catalogues

    compile_catalogues()
    server = LiveServer(tmp_path_factory.mktemp("live-server"))
    server.flask("db", "upgrade")
    server.flask("demo", "seed")
    # The demo's data exchange, as `flask demo run` starts it, and the firms verified on it.
    exchange = demo_exchange.start(server.database_url, server.root / "exchange")
    server.env.update(exchange.config)
    try:
        server.flask("datasources", "reverify", "--limit", "10000")
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        exchange.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_script() -> str:
    if not AXE_SCRIPT.exists():
        pytest.skip("axe-core is not installed (npm ci)")
    return AXE_SCRIPT.read_text()


@pytest.fixture
def open_journey(
    browser: Any, live_server: LiveServer, axe_script: str, viewport: str
) -> Iterator[Callable[[str], Journey]]:
    """open_journey(name) → a Journey in a new browser context; call it again for a second actor."""
    contexts: list[Any] = []
    journeys: list[Journey] = []

    def open_(name: str) -> Journey:
        context = browser.new_context(
            viewport=VIEWPORTS[viewport], locale="zh-CN", accept_downloads=True
        )
        context.set_default_timeout(10_000)
        context.add_init_script(WATCH_CSP)
        context.add_init_script(axe_script)
        contexts.append(context)
        journey = Journey(
            context.new_page(),
            name,
            viewport,
            live_server.url,
            SESSION,
            live_server.forget_last_code,
        )
        journeys.append(journey)
        return journey

    yield open_
    for context in contexts:
        context.close()
    for journey in journeys:
        journey.finish()


@pytest.fixture(scope="session")
def server_app(live_server: LiveServer) -> Iterator[Any]:
    """The portal bound to the live server's database, for setting up what no journey covers."""
    from portal import create_app

    app = create_app("development", DATABASE_URL=live_server.database_url)
    yield app
    app.extensions["portal.db"].dispose()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if SESSION.metrics:
        SESSION.write()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not SESSION.metrics:
        return
    write = terminalreporter.write_line
    terminalreporter.section("browser journeys: slowest pages")
    write(f"{'page':<48} {'visits':>6} {'server ms':>10} {'transfer KB':>12}")
    for row in SESSION.slowest()[:15]:
        write(
            f"{row['page']:<48} {row['visits']:>6} {row['server_ms']:>10.1f}"
            f" {row['transfer_bytes'] / 1024:>12.1f}"
        )
    write("All pages: artifacts/page-metrics.json; axe results: artifacts/accessibility.json;")
    write("screenshots: artifacts/screenshots/<journey>/<viewport>/")

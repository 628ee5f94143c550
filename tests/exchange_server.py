"""A real government data exchange for tests: the `exchange` service on a free loopback port.

The exchange is seeded, through the same generate functions as `python -m exchange seed`, from
the firm dicts a test gives (the portal's `firms` columns; `firm_dict` turns a portal Firm into
one), into a SQLite file of its own, and served by werkzeug in a background thread. Tests talk
to it over real HTTP, signed as the portal would sign, and flip its switches to make a source
slow or down. A fixture is a few lines:

    @pytest.fixture
    def exchange(tmp_path):
        with running_exchange([firm_dict(firm)], tmp_path) as server:
            yield server

and the portal is pointed at it with EXCHANGE_URL=server.url, EXCHANGE_CLIENT_ID=server.client_id,
EXCHANGE_CLIENT_SECRET=server.client_secret.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from exchange.app import create_app
from exchange.seed import reset_schema, seed_firms
from exchange.signing import signed_headers
from exchange.state import make_engine

CLIENT_ID = "portal"
CLIENT_SECRET = "test-exchange-secret"
ADMIN_KEY = "test-exchange-admin-key"
TIMEOUT = 10

# The portal's `firms` columns the exchange's records follow.
FIRM_COLUMNS = (
    "credit_code",
    "name",
    "region_code",
    "industry_code",
    "established_on",
    "employees",
    "revenue",
    "total_assets",
    "tax_credit_grade",
    "qualifications",
    "legal_representative",
)


@dataclass
class ExchangeServer:
    """A running exchange: where it is, the credentials it accepts, and signed requests to it."""

    url: str
    client_id: str
    client_secret: str
    admin_key: str
    database_url: str
    app: Flask

    def headers(self, method: str, path: str, query: str = "", body: bytes = b"") -> dict:
        """The signature headers for a request, as the portal's client sends them."""
        return signed_headers(self.client_id, self.client_secret, method, path, query, body)

    def get(self, path: str, query: str = "") -> requests.Response:
        """A signed GET of a path such as /v1/firms/<code>/tax."""
        target = self.url + path + (f"?{query}" if query else "")
        return requests.get(target, headers=self.headers("GET", path, query), timeout=TIMEOUT)

    def post(self, path: str, payload: Any) -> requests.Response:
        """A signed POST of a JSON body."""
        body = json.dumps(payload).encode()
        headers = self.headers("POST", path, body=body) | {"Content-Type": "application/json"}
        return requests.post(self.url + path, data=body, headers=headers, timeout=TIMEOUT)

    def set_switches(
        self, latency_ms: Mapping[str, int] | None = None, fail: Iterable[str] | None = None
    ) -> dict:
        """Make sources slow or down through the admin endpoint; answers the new switches."""
        body: dict[str, Any] = {}
        if latency_ms is not None:
            body["latency_ms"] = dict(latency_ms)
        if fail is not None:
            body["fail"] = list(fail)
        response = requests.put(
            f"{self.url}/admin/switches",
            json=body,
            headers={"X-Admin-Key": self.admin_key},
            timeout=TIMEOUT,
        )
        response.raise_for_status()
        return response.json()

    def reset_switches(self) -> None:
        """Every source up and fast again."""
        self.set_switches(latency_ms={}, fail=[])


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request in the test output."""

    def log_request(self, *_args: Any) -> None:
        """Stay silent."""


def firm_dict(firm: Any) -> dict[str, Any]:
    """A portal Firm (or anything with its attributes) as the dict the exchange seeds from."""
    return {name: getattr(firm, name) for name in FIRM_COLUMNS}


def demo_firms() -> list[dict[str, Any]]:
    """The portal's small demo firms, as `flask demo seed` creates them."""
    from demo.seed import _FIRMS

    return [
        {
            "credit_code": spec.credit_code,
            "name": spec.name,
            "region_code": spec.region_code,
            "industry_code": spec.industry_code,
            "established_on": spec.established_on,
            "employees": spec.employees,
            "revenue": spec.revenue,
            "total_assets": spec.total_assets,
            "tax_credit_grade": spec.grade.value,
            "qualifications": list(spec.qualifications),
            "legal_representative": spec.legal_representative,
        }
        for spec in _FIRMS
    ]


def seed_exchange(
    database_url: str,
    firms: Iterable[Mapping[str, Any]],
    *,
    extra: int = 0,
    as_of: dt.date | None = None,
) -> None:
    """Create the exchange's tables afresh and fill them from the firms."""
    engine = make_engine(database_url)
    try:
        reset_schema(engine)
        seed_firms(engine, firms, extra=extra, as_of=as_of)
    finally:
        engine.dispose()


@contextmanager
def running_exchange(
    firms: Iterable[Mapping[str, Any]],
    directory: Path,
    *,
    extra: int = 0,
    as_of: dt.date | None = None,
    latency_ms: Mapping[str, int] | None = None,
    fail: Iterable[str] = (),
) -> Iterator[ExchangeServer]:
    """Seed an exchange in `directory` and serve it on 127.0.0.1 until the block ends."""
    database_url = f"sqlite:///{directory / 'exchange.sqlite3'}"
    seed_exchange(database_url, firms, extra=extra, as_of=as_of)
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "CLIENTS": {CLIENT_ID: CLIENT_SECRET},
            "ADMIN_KEY": ADMIN_KEY,
            "LATENCY_MS": dict(latency_ms or {}),
            "FAIL": list(fail),
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="exchange", daemon=True)
    thread.start()
    try:
        yield ExchangeServer(
            url=f"http://127.0.0.1:{server.server_port}",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            admin_key=ADMIN_KEY,
            database_url=database_url,
            app=app,
        )
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["exchange"].engine.dispose()

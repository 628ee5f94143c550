"""A real exchange (the `exchange` service over loopback HTTP) seeded with the demo's firms, and
the app pointed at it for the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from portal.datasources.client import reset_breakers
from tests.exchange_server import ExchangeServer, demo_firms, running_exchange


@pytest.fixture(scope="module")
def exchange_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExchangeServer]:
    with running_exchange(demo_firms(), tmp_path_factory.mktemp("exchange"), extra=5) as server:
        yield server


@pytest.fixture
def exchange(app, exchange_service: ExchangeServer) -> Iterator[ExchangeServer]:
    """The exchange, configured for the app; switches and breakers reset afterwards."""
    saved = {key: app.config.get(key) for key in ("EXCHANGE_URL", "EXCHANGE_CLIENT_ID")}
    app.config.update(
        EXCHANGE_URL=exchange_service.url,
        EXCHANGE_CLIENT_ID=exchange_service.client_id,
        EXCHANGE_CLIENT_SECRET=exchange_service.client_secret,
    )
    reset_breakers()
    try:
        yield exchange_service
    finally:
        exchange_service.reset_switches()
        reset_breakers()
        app.config.update(saved)

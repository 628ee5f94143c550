"""One exchange per module, seeded from the portal's demo firms and five registry-only firms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from tests.exchange_server import ExchangeServer, demo_firms, running_exchange

AS_OF = dt.date(2026, 12, 5)


@pytest.fixture(scope="module")
def exchange(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExchangeServer]:
    with running_exchange(
        demo_firms(), tmp_path_factory.mktemp("exchange"), extra=5, as_of=AS_OF
    ) as server:
        yield server


@pytest.fixture
def fresh_exchange(exchange: ExchangeServer) -> Iterator[ExchangeServer]:
    """The module's exchange, its switches reset after the test."""
    yield exchange
    exchange.reset_switches()

"""The exchange's settings, read from EXCHANGE_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

DEFAULT_DATABASE_URL = "sqlite:///instance/exchange.sqlite3"


class ConfigError(ValueError):
    """A setting that cannot be understood; the message names the variable."""


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Settings from the environment (os.environ unless given)."""
    env = os.environ if environ is None else environ
    return {
        "DATABASE_URL": env.get("EXCHANGE_DATABASE_URL") or DEFAULT_DATABASE_URL,
        "CLIENTS": parse_clients(env.get("EXCHANGE_CLIENTS", "")),
        "ADMIN_KEY": env.get("EXCHANGE_ADMIN_KEY", ""),
        "LATENCY_MS": parse_latency(env.get("EXCHANGE_LATENCY_MS", "")),
        "FAIL": parse_list(env.get("EXCHANGE_FAIL", "")),
    }


def parse_clients(raw: str) -> dict[str, str]:
    """'portal:secret,other:secret2' → {'portal': 'secret', 'other': 'secret2'}."""
    clients = {}
    for item in parse_list(raw):
        client_id, sep, secret = item.partition(":")
        if not sep or not client_id or not secret:
            raise ConfigError(f"EXCHANGE_CLIENTS: “{item}” should be client_id:secret")
        clients[client_id] = secret
    return clients


def parse_latency(raw: str) -> dict[str, int]:
    """'tax:400,courts:50' → {'tax': 400, 'courts': 50} (milliseconds per source)."""
    latency = {}
    for item in parse_list(raw):
        source, _, millis = item.partition(":")
        if not millis.isdigit():
            raise ConfigError(f"EXCHANGE_LATENCY_MS: “{item}” should be source:milliseconds")
        latency[source] = int(millis)
    return latency


def parse_list(raw: str) -> list[str]:
    """A comma-separated list with blanks dropped."""
    return [item.strip() for item in raw.split(",") if item.strip()]


def engine_url(url: str) -> str:
    """The URL with a driver SQLAlchemy can load: plain postgresql:// means psycopg 3 here."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url

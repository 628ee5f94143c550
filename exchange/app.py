"""The exchange's Flask app: a list of steps, as the portal's create_app is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from exchange import api, ops
from exchange.auth import register_authentication
from exchange.config import from_environment
from exchange.errors import register_error_handlers
from exchange.state import ExchangeState, make_engine
from exchange.switches import Switches

# A bulk request of 1,000 codes is about 25 KB; nothing the API takes comes near this.
MAX_BODY_BYTES = 1024 * 1024


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The app, configured by the environment, or by `config` over the defaults alone.

    A given config ignores EXCHANGE_* variables, so a test's exchange never picks up a
    developer's switches or clients.
    """
    settings = from_environment() if config is None else {**from_environment({}), **config}
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False  # envelopes read in the contract's order
    app.json.ensure_ascii = False  # names and case numbers stay readable Chinese
    register_state(app, settings)
    register_authentication(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(ops.bp)
    register_error_handlers(app)
    return app


def register_state(app: Flask, settings: Mapping[str, Any]) -> None:
    """The database engine, the clients and the switches, shared by all requests."""
    app.extensions["exchange"] = ExchangeState(
        engine=make_engine(settings["DATABASE_URL"]),
        clients=dict(settings["CLIENTS"]),
        admin_key=settings["ADMIN_KEY"],
        switches=Switches(settings["LATENCY_MS"], settings["FAIL"]),
    )

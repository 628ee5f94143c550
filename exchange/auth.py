"""Every call but /health and the admin switches must be signed by a known client."""

from __future__ import annotations

import time

from flask import Flask, Response, jsonify, request

from exchange.signing import canonical_request, is_fresh, sign, signature_matches
from exchange.state import state

# /health answers anyone; the admin endpoint checks its own key.
UNSIGNED_ENDPOINTS = frozenset({"ops.health", "ops.put_switches"})


def register_authentication(app: Flask) -> None:
    """Check the signature before any view runs, including for paths that do not exist."""
    app.before_request(_authenticate)


def _authenticate() -> Response | tuple[Response, int] | None:
    """Refuse with 401 unless the request is signed by a known client within the time window."""
    if request.endpoint in UNSIGNED_ENDPOINTS:
        return None
    if not _is_signed_by_known_client():
        return jsonify(error="unauthorised"), 401
    return None


def _is_signed_by_known_client() -> bool:
    """Whether the client exists, the timestamp is fresh and the signature is the right one."""
    client_id = request.headers.get("X-Client-Id", "")
    timestamp = request.headers.get("X-Timestamp", "")
    given = request.headers.get("X-Signature", "")
    secret = state().clients.get(client_id)
    if secret is None or not given or not is_fresh(timestamp, time.time()):
        return False
    canonical = canonical_request(
        request.method,
        request.script_root + request.path,
        request.query_string.decode("latin-1"),
        timestamp,
        request.get_data(cache=True),
    )
    return signature_matches(sign(secret, canonical), given)

"""Operations: the unsigned health check and the switches a real exchange does not have."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, jsonify, request

from exchange.errors import BadRequest
from exchange.state import state
from exchange.switches import SOURCES, SwitchError

bp = Blueprint("ops", __name__)


@bp.get("/health")
def health() -> Response:
    """Each source up or down, for the portal's /health and for operators."""
    switches = state().switches
    sources = {source: "up" if switches.is_up(source) else "down" for source in SOURCES}
    return jsonify(status="ok", sources=sources)


@bp.put("/admin/switches")
def put_switches() -> Response | tuple[Response, int]:
    """Set latency and failed sources at run time; needs X-Admin-Key."""
    if not _is_admin():
        return jsonify(error="unauthorised"), 401
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    latency, fail = body.get("latency_ms"), body.get("fail")
    _check_shapes(latency, fail)
    try:
        state().switches.update(latency_ms=latency, fail=fail)
    except SwitchError as error:
        raise BadRequest(str(error)) from None
    return jsonify(state().switches.snapshot())


def _is_admin() -> bool:
    """Whether the admin key is configured and the request carries it."""
    expected = state().admin_key
    given = request.headers.get("X-Admin-Key", "")
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


def _check_shapes(latency: Any, fail: Any) -> None:
    """latency_ms must be an object and fail a list of strings, where given."""
    if latency is not None and not isinstance(latency, dict):
        raise BadRequest('latency_ms must be an object such as {"tax": 400}')
    if fail is not None and not (isinstance(fail, list) and all(isinstance(s, str) for s in fail)):
        raise BadRequest('fail must be a list of sources such as ["tax"]')

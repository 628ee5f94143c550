"""The signed API: one source for one firm, identity checks, and bulk reads for re-verification."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, jsonify, request

from exchange.errors import BadRequest
from exchange.sources import READERS, legal_representative
from exchange.state import state
from exchange.switches import SOURCES

bp = Blueprint("api", __name__, url_prefix="/v1")

BULK_LIMIT = 1000


def unavailable(source: str) -> tuple[Response, int]:
    """503 for a source that is switched off; clients retry with backoff."""
    return jsonify(error="unavailable", source=source), 503


@bp.get("/firms/<code>/<source>")
def firm_source(code: str, source: str) -> Response | tuple[Response, int]:
    """One source's envelope for one firm."""
    if source not in READERS:
        return jsonify(error="not_found"), 404
    switches = state().switches
    switches.delay([source])
    if not switches.is_up(source):
        return unavailable(source)
    with state().engine.connect() as conn:
        envelope = READERS[source](conn, [code]).get(code)
    if envelope is None:
        return jsonify(error="not_found"), 404
    return jsonify(envelope)


@bp.post("/identity/verify")
def verify_identity() -> Response | tuple[Response, int]:
    """Whether the registry's legal representative has this name and resident ID number."""
    body = _json_object()
    code, name, id_number = (_text(body, field) for field in ("credit_code", "name", "id_number"))
    switches = state().switches
    switches.delay(["registry"])
    if not switches.is_up("registry"):
        return unavailable("registry")
    with state().engine.connect() as conn:
        registered = legal_representative(conn, code)
    return jsonify(_identity_answer(registered, name, id_number))


def _identity_answer(registered: tuple[str, str] | None, name: str, id_number: str) -> dict:
    """{"match": true}, or false with the first thing that differs."""
    if registered is None:
        return {"match": False, "reason": "not_found"}
    registered_name, registered_id = registered
    if name.strip() != registered_name:
        return {"match": False, "reason": "name"}
    # Constant time, so the answer's timing tells nothing about how much of the number was right.
    if not hmac.compare_digest(id_number.strip().upper().encode(), registered_id.encode()):
        return {"match": False, "reason": "id_number"}
    return {"match": True}


@bp.post("/bulk")
def bulk() -> Response:
    """Several sources for up to 1,000 firms, read with one or two IN queries per source."""
    body = _json_object()
    codes = _codes(body.get("codes"))
    sources = _sources(body.get("sources", list(SOURCES)))
    switches = state().switches
    switches.delay(sources)
    up = [source for source in sources if switches.is_up(source)]
    with state().engine.connect() as conn:
        found = {source: READERS[source](conn, codes) for source in up}
    results = {code: _bulk_entry(code, sources, found) for code in codes}
    return jsonify(results=results)


def _bulk_entry(code: str, sources: list[str], found: dict[str, dict]) -> dict[str, Any]:
    """Each requested source's envelope for one code, or why there is none."""
    entry: dict[str, Any] = {}
    for source in sources:
        if source not in found:
            entry[source] = {"error": "unavailable", "source": source}
        else:
            entry[source] = found[source].get(code) or {"error": "not_found"}
    return entry


def _json_object() -> dict[str, Any]:
    """The request body as a JSON object."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _text(body: dict[str, Any], field: str) -> str:
    """A required string field."""
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{field} must be a non-empty string")
    return value


def _codes(value: Any) -> list[str]:
    """The requested codes, each once, in the order given; at most BULK_LIMIT."""
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise BadRequest("codes must be a list of strings")
    if len(value) > BULK_LIMIT:
        raise BadRequest(f"at most {BULK_LIMIT} codes per request")
    return list(dict.fromkeys(value))


def _sources(value: Any) -> list[str]:
    """The requested sources, each a known one."""
    if not isinstance(value, list) or not value or not all(isinstance(s, str) for s in value):
        raise BadRequest("sources must be a non-empty list of source names")
    unknown = sorted(set(value) - set(SOURCES))
    if unknown:
        raise BadRequest(f"unknown sources: {', '.join(unknown)}; known: {', '.join(SOURCES)}")
    return list(dict.fromkeys(value))

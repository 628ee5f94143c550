"""Every error is JSON, `{"error": ...}`, as the contract promises; never an HTML page."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify
from werkzeug.exceptions import HTTPException


class BadRequest(ValueError):
    """A request body the API cannot use; answered 400 with the reason."""


# The contract's names for the statuses a client may meet.
_NAMES = {
    400: "bad_request",
    401: "unauthorised",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    503: "unavailable",
}


def register_error_handlers(app: Flask) -> None:
    """Answer domain and HTTP errors, and anything unexpected, as JSON."""
    app.register_error_handler(BadRequest, _bad_request)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _bad_request(error: BadRequest) -> tuple[Response, int]:
    """400 with a short English reason, for a client developer to read."""
    return jsonify(error="bad_request", detail=str(error)), 400


def _http_error(error: HTTPException) -> tuple[Response, int]:
    """The status werkzeug chose, with the contract's name for it."""
    code = error.code or 500
    return jsonify(error=_NAMES.get(code, "error")), code


def _unexpected(error: Exception) -> tuple[Response, int]:
    """500, logged with its traceback by Flask; the client learns nothing of the internals."""
    current_app.logger.exception("unexpected error", exc_info=error)
    return jsonify(error="internal"), 500

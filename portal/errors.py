"""Error pages in the portal's own style."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.extensions import db


def register(app: Flask) -> None:
    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, _render_error)
    app.register_error_handler(CSRFError, _render_csrf_error)


def _render_error(error: HTTPException | Exception) -> tuple[str, int]:
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    if code >= 500:
        # Whatever the failed request had started must not leak into the next one.
        db.session.rollback()
    return render_template("errors/error.html", code=code), code


def _render_csrf_error(error: CSRFError) -> tuple[str, int]:
    return render_template("errors/error.html", code=400, csrf=True), 400

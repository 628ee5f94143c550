"""Error pages in the portal's own style."""

from __future__ import annotations

from flask import Flask, current_app, g, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from portal.authz.refusals import record_refusal
from portal.extensions import db

# Seconds a client is asked to wait when the database cannot be reached.
RETRY_AFTER_SECONDS = 10


def register(app: Flask) -> None:
    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, _render_error)
    app.register_error_handler(CSRFError, _render_csrf_error)
    app.register_error_handler(DBAPIError, _render_database_unavailable)
    app.register_error_handler(PoolTimeout, _render_database_unavailable)


def _render_error(error: HTTPException | Exception) -> tuple[str, int]:
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    if code == 403:
        record_refusal()  # whichever check refused: logged, and audited at a bounded rate
    if code >= 500:
        # Whatever the failed request had started must not leak into the next one.
        db.session.rollback()
    return render_template("errors/error.html", code=code), code


def _render_csrf_error(error: CSRFError) -> tuple[str, int]:
    return render_template("errors/error.html", code=400, csrf=True), 400


def is_database_unavailable(error: Exception) -> bool:
    """A lost or refused connection, a server shutting down, an exhausted pool: worth a retry.

    DBAPI's OperationalError is exactly "not under the programmer's control" (disconnects, the
    server going away); any other DBAPI error whose connection SQLAlchemy invalidated is one too.
    Integrity and programming errors stay 500s.
    """
    if isinstance(error, PoolTimeout | OperationalError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _render_database_unavailable(error: Exception) -> tuple[str, int, dict[str, str]]:
    """503 with Retry-After, rendered without touching the database.

    The transaction of the request is rolled back (PostgreSQL already did, with the connection),
    so nothing it started is half-applied; the pool's pre-ping replaces dead connections, so the
    portal recovers by itself once the database is back.
    """
    if not is_database_unavailable(error):
        raise error  # a bug, not an outage: Flask logs it and shows the 500 page
    current_app.logger.warning("database unavailable: %s", str(error).splitlines()[0])
    _forget_failed_transaction()
    # The page header would load the user and count notifications: both need the database.
    g._login_user = current_app.login_manager.anonymous_user()
    page = render_template("errors/error.html", code=503)
    return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def _forget_failed_transaction() -> None:
    try:
        db.session.rollback()
    except DBAPIError:
        # The connection is gone; closing the session hands it back to be discarded.
        db.session.close()

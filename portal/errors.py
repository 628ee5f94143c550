"""Error pages in the portal's own style."""

from __future__ import annotations

from flask import Flask, current_app, flash, g, redirect, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.wrappers import Response

from portal.api import problems
from portal.api.problems import ApiProblem, is_api_request
from portal.authz.refusals import record_refusal
from portal.extensions import db

# Seconds a client is asked to wait when the database cannot be reached.
RETRY_AFTER_SECONDS = 10


def register(app: Flask) -> None:
    for code in (400, 403, 404, 413, 429, 500):
        app.register_error_handler(code, _render_error)
    app.register_error_handler(405, _method_not_allowed)
    # Any other HTTP error (401, 409, 422, 428 …) is raised by the API alone.
    app.register_error_handler(ApiProblem, problems.from_exception)
    app.register_error_handler(HTTPException, _api_or_default)
    app.register_error_handler(CSRFError, _render_csrf_error)
    app.register_error_handler(DBAPIError, _render_database_unavailable)
    app.register_error_handler(PoolTimeout, _render_database_unavailable)


def _render_error(error: HTTPException | Exception) -> tuple[str, int] | Response:
    code = error.code if isinstance(error, HTTPException) and error.code else 500
    if is_api_request():
        if code >= 500:
            db.session.rollback()
        return problems.from_exception(error if isinstance(error, HTTPException) else _Internal())
    if code == 403:
        record_refusal()  # whichever check refused: logged, and audited at a bounded rate
    if code >= 500:
        # Whatever the failed request had started must not leak into the next one.
        db.session.rollback()
    return render_template("errors/error.html", code=code), code


def _method_not_allowed(error: HTTPException) -> tuple[str, int] | Response:
    """An action's address opened as a page (a bookmark, the address bar, a confirmation page
    reloaded after its session ended): go to the nearest page above it instead of an error."""
    if _no_route_at_all(error):
        return _render_error(NotFound())
    if request.method in ("GET", "HEAD") and not is_api_request():
        page = _nearest_page(request.path)
        if page is not None:
            flash(gettext("该操作需要在页面上点击按钮完成，已为您打开相关页面。"), "info")
            return redirect(page, code=303)
    return _render_error(error)


def _no_route_at_all(error: HTTPException) -> bool:
    """Whether no route answers this address with any method: Werkzeug says 405 for an id out
    of range (the id converter refuses it) when another method has a rule on the same path,
    though that rule refuses the id too. Such an address is a 404, whatever the method."""
    adapter = current_app.url_map.bind("")
    for method in getattr(error, "valid_methods", None) or ():
        if method in ("HEAD", "OPTIONS"):
            continue
        try:
            adapter.match(request.path, method=method)
        except NotFound:
            continue
        except HTTPException:  # a redirect, or another 405: some rule takes the path
            return False
        return False
    return True


class _Internal(HTTPException):
    code = 500


def _api_or_default(error: HTTPException) -> HTTPException | Response:
    """Errors the portal has no page for: a problem document in the API, else Werkzeug's."""
    return problems.from_exception(error) if is_api_request() else error


def _nearest_page(path: str) -> str | None:
    """The closest ancestor of `path` that answers GET, trying at most four levels up."""
    adapter = current_app.url_map.bind("")
    parts = path.rstrip("/").split("/")
    for cut in range(1, min(5, len(parts))):
        for candidate in ("/".join(parts[:-cut]) + "/", "/".join(parts[:-cut])):
            try:
                adapter.match(candidate or "/", method="GET")
            except HTTPException:  # no page there (404, 405), or only with a slash (redirect)
                continue
            return candidate or "/"
    return None


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


def _render_database_unavailable(
    error: Exception,
) -> tuple[str, int, dict[str, str]] | Response:
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
    if is_api_request():
        return problems.problem(503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    page = render_template("errors/error.html", code=503)
    return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def _forget_failed_transaction() -> None:
    try:
        db.session.rollback()
    except DBAPIError:
        # The connection is gone; closing the session hands it back to be discarded.
        db.session.close()

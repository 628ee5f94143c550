"""How a view declares who may use it.

Every endpoint carries an access declaration: `@public`, `@login_required_any` or
`@requires(Permission.X)`. A request to an endpoint without one is refused (see
`enforce_declared_access`), so a forgotten decorator fails closed rather than open.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_login import current_user

from portal.authz.permissions import Permission, role_has

F = TypeVar("F", bound=Callable[..., Any])

ACCESS_ATTR = "_portal_access"
PUBLIC = "public"
ANY_USER = "any_user"


def public(view: F) -> F:
    """Anyone, signed in or not, may use this view."""
    setattr(view, ACCESS_ATTR, PUBLIC)
    return view


def login_required_any(view: F) -> F:
    """Any signed-in user may use this view."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        return view(*args, **kwargs)

    setattr(wrapper, ACCESS_ATTR, ANY_USER)
    return wrapper  # type: ignore[return-value]


def requires(*permissions: Permission) -> Callable[[F], F]:
    """Only a signed-in user whose role holds one of the permissions may use this view."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not any(role_has(current_user.role, p) for p in permissions):
                _log_refusal()
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, frozenset(permissions))
        return wrapper  # type: ignore[return-value]

    return decorate


def _log_refusal() -> None:
    """Log a refused request, in the application log and in the audit log admins search."""
    from portal.audit import service as audit
    from portal.extensions import db

    current_app.logger.warning(
        "permission refused: user=%s role=%s endpoint=%s",
        current_user.id,
        current_user.role,
        request.endpoint,
    )
    # The request's own work (if any) is abandoned by the 403; the refusal is kept on its own.
    db.session.rollback()
    audit.record("auth.permission_refused", endpoint=request.endpoint, method=request.method)
    db.session.commit()


def declared_access(view: Callable[..., Any]) -> object | None:
    """The access declaration of a view function, or None when it has none."""
    return getattr(view, ACCESS_ATTR, None)


def enforce_declared_access() -> None:
    """before_request hook: refuse endpoints that do not declare who may use them."""
    if request.endpoint is None or request.endpoint == "static":
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and declared_access(view) is None:
        current_app.logger.error("endpoint %s declares no access; refused", request.endpoint)
        abort(403)

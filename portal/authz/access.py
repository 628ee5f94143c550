"""How a view declares who may use it.

Every endpoint carries an access declaration: `@public`, `@login_required_any` or
`@requires(Permission.X)`. A request to an endpoint without one is refused (see
`enforce_declared_access`), so a forgotten decorator fails closed rather than open.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request, session
from flask_login import current_user

from portal.authz.permissions import Permission, holds_institution_powers, user_has

F = TypeVar("F", bound=Callable[..., Any])

ACCESS_ATTR = "_portal_access"
PUBLIC = "public"
ANY_USER = "any_user"
# Set by sign-in: whether this session began with the second factor (see portal/accounts).
SECOND_FACTOR_SESSION_KEY = "second_factor"


def session_second_factor() -> bool:
    """Whether the current session began with a second factor (or none is required)."""
    if not current_app.config["TWO_FACTOR_REQUIRED"]:
        return True
    return session.get(SECOND_FACTOR_SESSION_KEY) is True


def current_user_has(permission: Permission) -> bool:
    """Whether the signed-in user holds the permission in this session."""
    return current_user.is_authenticated and user_has(
        current_user, permission, second_factor=session_second_factor()
    )


def current_user_holds_institution_powers() -> bool:
    """Whether the signed-in user may act for its bank in this session."""
    return current_user.is_authenticated and holds_institution_powers(
        current_user, second_factor=session_second_factor()
    )


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
    """Only a signed-in user who holds one of the permissions now may use this view."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not any(current_user_has(p) for p in permissions):
                abort(403)  # audited by the 403 handler (portal/authz/refusals.py)
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, frozenset(permissions))
        return wrapper  # type: ignore[return-value]

    return decorate


def declared_access(view: Callable[..., Any]) -> object | None:
    """The access declaration of a view function, or None when it has none."""
    return getattr(view, ACCESS_ATTR, None)


def is_public_endpoint(endpoint: str | None) -> bool:
    """Whether anyone, signed in or not, may open the endpoint."""
    view = current_app.view_functions.get(endpoint or "")
    return view is not None and declared_access(view) == PUBLIC


def enforce_declared_access() -> None:
    """before_request hook: refuse endpoints that do not declare who may use them."""
    if request.endpoint is None or request.endpoint == "static":
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and declared_access(view) is None:
        current_app.logger.error("endpoint %s declares no access; refused", request.endpoint)
        abort(403)

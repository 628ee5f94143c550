"""Who may call an API endpoint: a bearer token with the endpoint's scope, from an allowed
address, of a client whose institution may do the same through the pages.

`api_scope` is the API's access declaration (beside `public` and `requires`): the request
then runs as the client's own user, so the scoping layer, the services and the audit log
treat the client as they treat an officer of its institution.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any, TypeVar

from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc6750.errors import InsufficientScopeError
from flask import Response, current_app, g, request
from flask_babel import gettext as _
from flask_smorest.utils import deepupdate

from portal.accounts.models import User
from portal.api import call_log, clients
from portal.api.models import ApiClient
from portal.api.oauth import OAuthToken, require_oauth, token_row
from portal.api.problems import ApiProblem
from portal.api.scopes import SCOPE_GRANTS, Scope
from portal.authz.access import ACCESS_ATTR
from portal.authz.permissions import Permission, holds_institution_powers, user_has
from portal.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

API_ACCESS = "api"
SECURITY_SCHEME = "oauth2"
# What any endpoint behind a token may answer besides its own: no valid token, no right, too many.
REFUSALS = {401: "UNAUTHORIZED", 403: "FORBIDDEN", 429: "TOO_MANY_REQUESTS"}


def api_scope(scope: Scope, permission: Permission) -> Callable[[F], F]:
    """Only a client holding `scope`, acting for an institution whose officers hold
    `permission`, may call this endpoint."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            authenticate(scope, permission)
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, (API_ACCESS, scope))
        wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))  # type: ignore[attr-defined]
        wrapper._apidoc["manual_doc"] = deepupdate(  # type: ignore[attr-defined]
            deepcopy(wrapper._apidoc.get("manual_doc", {})),  # type: ignore[attr-defined]
            {"security": [{SECURITY_SCHEME: [str(scope)]}], "responses": dict(REFUSALS)},
        )
        return wrapper  # type: ignore[return-value]

    return decorate


def authenticate(scope: Scope, permission: Permission) -> ApiClient:
    """Check the bearer token and run the rest of the request as its client's user."""
    started = time.perf_counter()
    try:
        token: OAuthToken = require_oauth.acquire_token([str(scope)])
    except InsufficientScopeError:
        client = current_token_client()
        if client is not None:
            _remember(client, started)
        raise ApiProblem(
            403, _("该客户端没有 %(scope)s 权限范围。", scope=scope), slug="insufficient-scope"
        ) from None
    except OAuth2Error:
        raise ApiProblem(
            401,
            _("访问令牌缺失、无效、已过期或已撤销。请用客户端凭证重新获取。"),
            slug="invalid-token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None
    client = token.row.client
    _remember(client, started)
    if not clients.address_allowed(client, request.remote_addr):
        raise ApiProblem(403, _("该客户端不允许从此地址调用。"), slug="address-not-allowed")
    if not client.user.is_active or not _permitted(client.user, scope, permission):
        raise ApiProblem(403, _("机构当前无权进行此操作（未通过审核或已暂停）。"), slug="forbidden")
    g._login_user = client.user  # Flask-Login's current_user for this request only
    return client


def _permitted(user: User, scope: Scope, permission: Permission) -> bool:
    """The officer's permission, or one the scope grants (SCOPE_GRANTS), while the
    institution may act at all."""
    if user_has(user, permission, second_factor=True):
        return True
    granted = permission in SCOPE_GRANTS.get(scope, frozenset())
    return granted and holds_institution_powers(user, second_factor=True)


def current_token_client() -> ApiClient | None:
    """The client of the request's bearer token, valid or not (for rate limits and the log)."""
    if "api_token_client" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _space, value = header.partition(" ")
        row = None
        if scheme.lower() == "bearer" and value.strip():
            row = token_row(value.strip())
        g.api_token_client = row.client if row is not None else None
    return g.api_token_client


def rate_limit_key() -> str:
    """Calls are counted per client; calls without a known token per source address.

    The client's random key, not its row id: a row id can come again (a restored database, a
    rolled-back test) and would inherit another client's count."""
    client = current_token_client()
    return f"client:{client.client_key}" if client is not None else f"addr:{request.remote_addr}"


def source_address_key() -> str:
    """Token requests are counted per source address, whatever credentials they carry."""
    return f"addr:{request.remote_addr}"


def _remember(client: ApiClient, started: float) -> None:
    g.api_client = client
    g.api_client_id = client.id
    g.api_call_started = started


def log_call(response: Response) -> Response:
    """after_request of the API: every call of a known client goes in its call log."""
    client_id: int | None = g.get("api_client_id")
    if client_id is None:
        return response
    elapsed = time.perf_counter() - g.get("api_call_started", time.perf_counter())
    try:
        db.session.rollback()  # whatever the view left uncommitted is not the log's to commit
        call_log.record(
            {
                "client_id": client_id,  # not client.id: the rollback expired it (a SELECT again)
                "method": request.method,
                "path": request.path[:300],
                "status": response.status_code,
                "source_ip": request.remote_addr,
                "duration_ms": int(elapsed * 1000),
            }
        )
    except Exception:  # the answer stands even if the log cannot be written
        current_app.logger.exception("API call log not written")
        db.session.rollback()
    return response

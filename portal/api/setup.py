"""The API's place in the app: the OpenAPI document (flask-smorest), OAuth 2, rate limits."""

from __future__ import annotations

import http
from typing import Any

from apispec import BasePlugin
from flask import Blueprint, Flask, Response, current_app, jsonify, render_template
from flask_limiter import Limiter
from flask_smorest import Api as SmorestApi
from flask_smorest.utils import prepare_response

from portal.api import access, oauth
from portal.api.problems import MEDIA_TYPE, problem
from portal.api.schemas import Problem
from portal.authz.access import public
from portal.extensions import csrf

API_TITLE = "产融通 Open API"
limiter = Limiter(key_func=access.rate_limit_key, default_limits=[])
# One allowance per client across every API endpoint (a plain blueprint limit counts each
# endpoint apart). Read at request time, so the setting can change without a restart.
calls_of_a_client = limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api")


# Headers the error responses carry, documented beside their problem documents.
ERROR_HEADERS = {
    401: {
        "WWW-Authenticate": {
            "description": 'Bearer error="invalid_token": fetch a new token.',
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds until the client may call again.",
            "required": True,
            "schema": {"type": "integer"},
        }
    },
}


class CommonRefusals(BasePlugin):
    """Refusals the views do not declare themselves: an operation on one row (a path with an
    id) may answer 404 (no such row, or another tenant's); one with a body, or a `cursor`
    (portal/api/paging.py), 400 (not JSON, or a cursor not from the previous page)."""

    def operation_helper(self, path: str | None = None, operations: Any = None, **_: Any) -> None:
        for operation in (operations or {}).values():
            if path and "{" in path:
                _document(operation, 404, "NOT_FOUND")
            if "requestBody" in operation or _has_cursor(operation):
                _document(operation, 400, "BAD_REQUEST")


def _has_cursor(operation: dict[str, Any]) -> bool:
    parameters = operation.get("parameters", [])
    return any(p.get("in") == "query" and p.get("name") == "cursor" for p in parameters)


def _document(operation: dict[str, Any], status: int, response: str) -> None:
    responses = operation.setdefault("responses", {})
    if status not in responses and str(status) not in responses:
        responses[status] = response


class Api(SmorestApi):
    """flask-smorest without its app-wide JSON error handler: the portal's pages keep theirs,
    and the API answers problem documents (portal/api/problems.py), documented as such."""

    ERROR_SCHEMA = Problem

    def _register_error_handlers(self) -> None:
        return None

    def _init_spec(self, *, extra_plugins: Any = None, **kwargs: Any) -> None:
        super()._init_spec(extra_plugins=[*(extra_plugins or ()), CommonRefusals()], **kwargs)

    def _register_responses(self) -> None:
        """A response component per status (NOT_FOUND, …) and DEFAULT_ERROR, as flask-smorest
        makes them, but the errors are problem documents in application/problem+json."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                if status in ERROR_HEADERS:
                    response["headers"] = ERROR_HEADERS[status]
            prepare_response(response, self.spec, MEDIA_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "A problem document.", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, MEDIA_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)


pages = Blueprint("api", __name__, url_prefix="/api/v1")


@pages.get("/openapi.json")
@public
def openapi_document() -> Response:
    """The OpenAPI 3.1 document of the API."""
    return jsonify(current_app.extensions["portal_api"].spec.to_dict())


@pages.get("/docs")
@public
def reference() -> str:
    """The API reference as a page, made from the OpenAPI document."""
    spec = current_app.extensions["portal_api"].spec.to_dict()
    return render_template("api/reference.html", spec=spec, operations=_operations(spec))


@pages.post("/oauth/token")
@public
@limiter.limit(
    lambda: current_app.config["API_TOKEN_RATE_LIMIT"], key_func=access.source_address_key
)
def issue_token() -> Response:
    """OAuth 2 client credentials: a short-lived bearer token for the client's scopes."""
    return oauth.server().create_token_response()


@pages.post("/oauth/revoke")
@public
def revoke_token() -> Response:
    """RFC 7009: the client ends one of its tokens before it expires."""
    return oauth.server().create_endpoint_response("revocation")


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                found.append({"path": path, "method": method.upper(), **operation})
    return found


def _spec_settings(app: Flask) -> None:
    app.config.setdefault("API_TITLE", API_TITLE)
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", None)  # served by `openapi_document` above
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "servers": [{"url": "/"}],
            "components": {
                "securitySchemes": {
                    access.SECURITY_SCHEME: {
                        "type": "oauth2",
                        "flows": {
                            "clientCredentials": {
                                "tokenUrl": "/api/v1/oauth/token",
                                "scopes": _scope_descriptions(),
                            }
                        },
                    }
                }
            },
        },
    )


def _scope_descriptions() -> dict[str, str]:
    from portal.api.scopes import SCOPE_LABELS

    return {str(scope): label for scope, label in SCOPE_LABELS.items()}


def _too_many_calls(limit: Any) -> Response:
    return problem(429)


def _prepare(blueprint: Any) -> None:
    """Rate limit, CSRF exemption and call log of an API blueprint: once per process, as the
    blueprints are module-level objects and every app (tests make many) registers them."""
    if getattr(blueprint, "_portal_prepared", False):
        return
    calls_of_a_client(blueprint)
    csrf.exempt(blueprint)
    blueprint.after_request(access.log_call)
    blueprint._portal_prepared = True


def init_app(app: Flask) -> None:
    from portal.api.channel import bp as channel_bp
    from portal.api.claims import bp as claims_bp
    from portal.api.compensations import bp as compensations_bp
    from portal.api.compensations import loans_bp as guaranteed_loans_bp
    from portal.api.guarantee_products import bp as guarantee_products_bp
    from portal.api.guarantees import bp as guarantees_bp
    from portal.api.leads import bp as leads_bp
    from portal.api.loan_reports import bp as loan_reports_bp
    from portal.api.products import bp as products_bp
    from portal.api.reference import bp as reference_bp
    from portal.api.webhook_routes import bp as webhook_pages

    oauth.init_app(app)
    _spec_settings(app)
    api = Api(app)
    app.extensions["portal_api"] = api
    for blueprint in (
        leads_bp,
        channel_bp,
        reference_bp,
        loan_reports_bp,
        products_bp,
        guarantee_products_bp,
        guarantees_bp,
        claims_bp,
        guaranteed_loans_bp,
        compensations_bp,
    ):
        _prepare(blueprint)
        api.register_blueprint(blueprint)
    csrf.exempt(pages)
    app.register_blueprint(pages)
    app.register_blueprint(webhook_pages)  # bank admins' pages, not API endpoints
    limiter.init_app(app)

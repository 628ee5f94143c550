"""The API's place in the app: the OpenAPI document (flask-smorest), OAuth 2, rate limits."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template
from flask_limiter import Limiter
from flask_smorest import Api as SmorestApi

from portal.api import access, oauth
from portal.api.problems import problem
from portal.authz.access import public
from portal.extensions import csrf

API_TITLE = "产融通 Open API"
limiter = Limiter(key_func=access.rate_limit_key, default_limits=[])


class Api(SmorestApi):
    """flask-smorest without its app-wide JSON error handler: the portal's pages keep theirs,
    and the API answers problem documents (portal/api/problems.py)."""

    def _register_error_handlers(self) -> None:
        return None


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


def init_app(app: Flask) -> None:
    from portal.api.leads import bp as leads_bp
    from portal.api.reference import bp as reference_bp

    oauth.init_app(app)
    _spec_settings(app)
    api = Api(app)
    app.extensions["portal_api"] = api
    for blueprint in (leads_bp, reference_bp):
        limiter.limit(lambda: current_app.config["API_RATE_LIMIT"])(blueprint)
        csrf.exempt(blueprint)
        blueprint.after_request(access.log_call)
        api.register_blueprint(blueprint)
    limiter.limit(lambda: current_app.config["API_TOKEN_RATE_LIMIT"])(issue_token)
    csrf.exempt(pages)
    app.register_blueprint(pages)
    limiter.init_app(app)

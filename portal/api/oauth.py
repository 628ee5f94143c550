"""OAuth 2 client credentials (RFC 6749 §4.4) and bearer tokens (RFC 6750), with Authlib.

Tokens are opaque 42-character random strings that live `API_TOKEN_SECONDS`; only their
SHA-256 is stored, as for secrets. Revocation follows RFC 7009.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from flask import Flask, current_app, g, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.accounts.models import User
from portal.api import clients
from portal.api.models import ApiClient, ApiToken
from portal.api.scopes import Scope
from portal.db import utcnow
from portal.extensions import db


class OAuthClient(ClientMixin):
    """An API client as Authlib asks about it."""

    def __init__(self, row: ApiClient) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_key

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        """The asked scopes it holds; all of them when it asks for none."""
        held = set(self.row.scopes)
        asked = scope.split() if scope else sorted(held)
        return " ".join(name for name in asked if name in held)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return clients.check_secret(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class OAuthToken(TokenMixin):
    """A stored token as Authlib asks about it."""

    def __init__(self, row: ApiToken) -> None:
        self.row = row

    def check_client(self, client: OAuthClient) -> bool:
        return client.row.id == self.row.client_id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int((self.row.expires_at - self.row.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return self.row.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None or not self.row.client.active


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        # A client held to certain networks gets no token from anywhere else either.
        if not clients.address_allowed(self.request.client.row, request.remote_addr):
            from authlib.oauth2.rfc6749.errors import UnauthorizedClientError

            raise UnauthorizedClientError(description="source address not allowed")


class TokenRevocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> OAuthToken | None:
        row = token_row(token_string)
        return OAuthToken(row) if row is not None else None

    def revoke_token(self, token: OAuthToken, request: Any) -> None:
        token.row.revoked_at = utcnow()
        db.session.commit()


class TokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string: str) -> OAuthToken | None:
        row = token_row(token_string)
        return OAuthToken(row) if row is not None else None


def token_row(token_string: str) -> ApiToken | None:
    """The stored token, with its client, the client's user and institution in one query;
    read once per request (the rate limit's key and the token check both ask)."""
    remembered = g.setdefault("api_token_rows", {})
    if token_string not in remembered:
        remembered[token_string] = db.session.scalar(
            select(ApiToken)
            .options(
                joinedload(ApiToken.client).joinedload(ApiClient.user).joinedload(User.institution)
            )
            .where(ApiToken.token_hash == clients.digest(token_string))
        )
    return remembered[token_string]


def _query_client(client_key: str) -> OAuthClient | None:
    row = db.session.scalar(select(ApiClient).where(ApiClient.client_key == client_key))
    return OAuthClient(row) if row is not None and row.active else None


def _save_token(token: dict[str, Any], oauth_request: Any) -> None:
    now = utcnow()
    db.session.add(
        ApiToken(
            client_id=oauth_request.client.row.id,
            token_hash=clients.digest(token["access_token"]),
            scope=token.get("scope", ""),
            issued_at=now,
            expires_at=now + dt.timedelta(seconds=int(token["expires_in"])),
        )
    )
    db.session.commit()


require_oauth = ResourceProtector()
require_oauth.register_token_validator(TokenValidator())


def init_app(app: Flask) -> None:
    """An authorization server of the app's own (its settings are the app's)."""
    app.config.setdefault(
        "OAUTH2_TOKEN_EXPIRES_IN", {"client_credentials": app.config["API_TOKEN_SECONDS"]}
    )
    server = AuthorizationServer(app, query_client=_query_client, save_token=_save_token)
    server.scopes_supported = [str(scope) for scope in Scope]
    server.register_grant(ClientCredentialsGrant)
    server.register_endpoint(TokenRevocation)
    app.extensions["oauth2_server"] = server


def server() -> AuthorizationServer:
    return current_app.extensions["oauth2_server"]

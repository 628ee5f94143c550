"""An institution's admins create, rotate and revoke the API clients of its own systems."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update

from portal.accounts.models import User
from portal.accounts.passwords import unusable_password_hash
from portal.api import call_log
from portal.api.models import ApiCall, ApiClient, ApiClientSecret, ApiToken
from portal.api.scopes import CLIENT_ROLE, SCOPES_FOR_ADMIN, Scope
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.db import utcnow
from portal.extensions import db
from portal.words import N_, render

# After a rotation the old secret keeps working this long, so the client's system can move to
# the new one without a failed call; its admins may end it sooner.
OLD_SECRET_GRACE = dt.timedelta(days=7)
MAX_NETWORKS = 20
CALLS_SHOWN = 50


class ClientError(Exception):
    """A refused change to a client, with the message its admin reads."""


@dataclass(frozen=True)
class IssuedSecret:
    """A client secret as its admin sees it once: the only time it is ever shown."""

    client: ApiClient
    secret: str


def digest(secret: str) -> str:
    """The SHA-256 of a secret or token: both are 256 random bits, so no slow hash is needed."""
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_networks(text: str) -> list[str]:
    """Addresses or CIDR networks, one per line or comma; ValueError names a bad one."""
    entries = [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]
    if len(entries) > MAX_NETWORKS:
        raise ValueError(f"> {MAX_NETWORKS}")
    networks = []
    for entry in entries:
        try:
            networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ValueError(entry) from None
    return networks


def address_allowed(client: ApiClient, address: str | None) -> bool:
    """Whether a call from this address may use the client's tokens."""
    if not client.allowed_networks:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network) for network in client.allowed_networks)


def create(actor: User, name: str, scopes: list[Scope], networks: list[str]) -> IssuedSecret:
    """A new client of the actor's institution acting as an officer, with its first secret."""
    if any(scope not in SCOPES_FOR_ADMIN.get(actor.role, ()) for scope in scopes):
        raise ClientError(render(N_("所选权限范围不适用于本机构。")))
    client = add_client(actor, name, scopes, networks)
    secret = add_secret(client)
    audit.record(
        AuditAction.API_CLIENT_CREATE,
        actor=actor,
        obj=client,
        name=name,
        scopes=client.scopes,
        networks=networks,
    )
    db.session.commit()
    return IssuedSecret(client, secret)


def add_client(
    actor: User,
    name: str,
    scopes: list[Scope],
    networks: list[str],
    client_key: str | None = None,
) -> ApiClient:
    """The client's rows (its own user, acting as an officer), added to the session."""
    client_user = User(
        email=f"api-{secrets.token_hex(8)}@clients.invalid",
        password_hash=unusable_password_hash(),
        full_name=f"API · {name}"[:80],
        role=CLIENT_ROLE[actor.role],
        institution_id=actor.institution_id,
        api_client=True,
    )
    client = ApiClient(
        client_key=client_key or f"crt_{secrets.token_hex(12)}",
        institution_id=actor.institution_id,
        user=client_user,
        name=name,
        scopes=sorted(str(scope) for scope in scopes),
        allowed_networks=networks,
        created_by_id=actor.id,
    )
    db.session.add_all([client_user, client])
    return client


def rotate_secret(actor: User, client: ApiClient, now: dt.datetime | None = None) -> IssuedSecret:
    """A new secret; the ones before it keep working for OLD_SECRET_GRACE."""
    now = now or utcnow()
    _require_active(client)
    for old in live_secrets(client, now):
        old.expires_at = min(old.expires_at or now + OLD_SECRET_GRACE, now + OLD_SECRET_GRACE)
    secret = add_secret(client)
    audit.record(AuditAction.API_CLIENT_SECRET_ROTATE, actor=actor, obj=client)
    db.session.commit()
    return IssuedSecret(client, secret)


def revoke_old_secrets(actor: User, client: ApiClient, now: dt.datetime | None = None) -> int:
    """End every secret but the newest at once (when the old one may have leaked)."""
    now = now or utcnow()
    _require_active(client)
    old = live_secrets(client, now)[1:]
    for secret in old:
        secret.revoked_at = now
    audit.record(AuditAction.API_CLIENT_SECRET_REVOKE, actor=actor, obj=client, count=len(old))
    db.session.commit()
    return len(old)


def revoke(actor: User, client: ApiClient, now: dt.datetime | None = None) -> None:
    """Stop the client for good: its secrets and tokens end now and its user is disabled."""
    now = now or utcnow()
    _require_active(client)
    client.revoked_at = now
    client.user.is_active = False
    db.session.execute(
        update(ApiClientSecret)
        .where(ApiClientSecret.client_id == client.id, ApiClientSecret.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.client_id == client.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    audit.record(AuditAction.API_CLIENT_REVOKE, actor=actor, obj=client)
    db.session.commit()


def live_secrets(client: ApiClient, now: dt.datetime) -> list[ApiClientSecret]:
    """The client's secrets that still work, newest first."""
    rows = db.session.scalars(
        select(ApiClientSecret)
        .where(ApiClientSecret.client_id == client.id)
        .order_by(ApiClientSecret.id.desc())
    )
    return [row for row in rows if row.live(now)]


def check_secret(client: ApiClient, secret: str, now: dt.datetime | None = None) -> bool:
    """Whether the secret is one of the client's live secrets (compared in constant time)."""
    if not client.active or not client.user.is_active:
        return False
    wanted = digest(secret)
    return any(
        hmac.compare_digest(row.secret_hash, wanted)
        for row in live_secrets(client, now or utcnow())
    )


def recent_calls(client: ApiClient) -> list[ApiCall]:
    """The client's latest calls, newest first, including those still queued (call_log)."""
    call_log.flush()
    return list(
        db.session.scalars(
            select(ApiCall)
            .where(ApiCall.client_id == client.id)
            .order_by(ApiCall.id.desc())
            .limit(CALLS_SHOWN)
        )
    )


def add_secret(client: ApiClient, secret: str | None = None) -> str:
    secret = secret or f"crs_{secrets.token_urlsafe(32)}"
    db.session.add(ApiClientSecret(client=client, secret_hash=digest(secret), hint=secret[:10]))
    return secret


def _require_active(client: ApiClient) -> None:
    if not client.active:
        raise ClientError(render(N_("该客户端已停用，不能再更改。")))

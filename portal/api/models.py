"""API clients of banks' and guarantors' own systems, their secrets, tokens and calls.

A client acts through a user of its own (`User.api_client`): the scoping layer, the services
and the audit log then treat the client as they treat an officer of the same institution,
and every record it makes names it. That user cannot sign in to the pages: it has no usable
password, and sign-in refuses it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.db import Base, utcnow


class ApiClient(Base):
    """One system of an institution that calls the API, with the scopes its admins gave it."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The public client id sent with the secret (OAuth 2 `client_id`).
    client_key: Mapped[str] = mapped_column(String(40), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("financial_institutions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Source addresses or networks (CIDR) tokens may be used from; empty means any.
    allowed_networks: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ApiClientSecret(Base):
    """A client secret, kept as a SHA-256 digest (it is 256 random bits, shown once).

    A client may hold two live secrets while its system moves to the new one: rotating keeps
    the old one working until it expires, so no call fails during the change.
    """

    __tablename__ = "api_client_secrets"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("api_clients.id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, so people can tell which secret their system holds.
    hint: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    client: Mapped[ApiClient] = relationship()

    def live(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class ApiToken(Base):
    """A short-lived bearer token issued to a client (client credentials), kept as a digest."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("api_clients.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    revoked_at: Mapped[dt.datetime | None]

    client: Mapped[ApiClient] = relationship()


class ApiCall(Base):
    """One call a client made: what its admins see on the client's page."""

    __tablename__ = "api_calls"
    __table_args__ = (Index("ix_api_calls_client_at", "client_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(300))
    status: Mapped[int]
    source_ip: Mapped[str | None] = mapped_column(String(45))
    duration_ms: Mapped[int]
    # The key the call was queued under (portal/api/call_log.py), so a batch written twice
    # adds nothing the second time; none for a call written directly.
    call_key: Mapped[str | None] = mapped_column(String(32), unique=True)


class IdempotencyRecord(Base):
    """The answer to a POST made with an Idempotency-Key, replayed when the key comes again."""

    __tablename__ = "api_idempotency_records"
    __table_args__ = (UniqueConstraint("client_id", "key", name="uq_api_idempotency_client_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    # What the key was first used for: a retry must send the same request.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None]
    body: Mapped[dict[str, object] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class WebhookSubscription(Base):
    """An institution's system that wants to hear of some events, at an HTTPS address.

    The signing secret is never stored: it is derived from SECRET_KEY and this row's random
    salt (portal/api/webhooks.py), so a copy of the database alone cannot forge or read it.
    """

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("financial_institutions.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret_salt: Mapped[str] = mapped_column(String(64))
    # After a change of secret, the old one still signs until then (webhooks.rotate_secret).
    previous_secret_salt: Mapped[str | None] = mapped_column(String(64))
    previous_secret_until: Mapped[dt.datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[dt.datetime | None]

    @property
    def active(self) -> bool:
        return self.disabled_at is None


class WebhookEvent(Base):
    """Something that happened to an institution's lead, report or request, told once.

    Its id (a random UUID) goes out with every delivery and redelivery, so a receiver can
    drop what it has already handled.
    """

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    institution_id: Mapped[int] = mapped_column(ForeignKey("financial_institutions.id"), index=True)
    # Ids and statuses only: the receiver fetches the rest through the API (scoped, audited).
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    # Jobs that run again and again (deadline reminders) tell each thing once.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event on its way to one subscription: pending until a 2xx, retried with backoff."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id", name="uq_webhook_deliveries_event_sub"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_subscription", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    last_attempt_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    event: Mapped[WebhookEvent] = relationship()
    subscription: Mapped[WebhookSubscription] = relationship()

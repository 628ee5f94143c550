"""Webhooks: the portal tells an institution's own systems what happened, signed, with retries.

Outbox pattern: `emit` adds the event and its deliveries to the caller's session, so they are
committed with the business change or rolled back with it. The `send_due_webhooks` job then
posts each due delivery. A delivery is claimed by a conditional update (its attempt count and
due time as read), so two runners never send the same attempt; a runner that dies mid-send
leaves the delivery due again after LEASE. Delivery is at least once: receivers drop an event
id they have already handled.

Signature (Standard Webhooks style, docs/api.md): `Webhook-Signature: v1=<hex HMAC-SHA256>` of
"{Webhook-Id}.{Webhook-Timestamp}.{body}", keyed with the subscription's secret as shown once.
For a day after the secret changes, the header carries a second signature, with the old secret,
so the receiver may take the new secret on whenever it likes within that day.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
from flask import current_app
from sqlalchemy import delete, select, update

from portal.accounts.models import User
from portal.api.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.db import utcnow
from portal.enums import Role
from portal.extensions import db
from portal.words import N_, render

if TYPE_CHECKING:
    from portal.leads.models import Lead


class EventType(StrEnum):
    LEAD_ROUTED = "lead.routed"
    LEAD_DEADLINE_NEAR = "lead.deadline_near"
    LEAD_OFFER_TAKEN = "lead.offer_taken"
    LEAD_CLOSED = "lead.closed"
    LOAN_REPORTS_DUE = "loan_reports.due"
    GUARANTEE_REQUESTED = "guarantee.requested"


EVENT_LABELS = {
    EventType.LEAD_ROUTED: N_("新线索推送到本行"),
    EventType.LEAD_DEADLINE_NEAR: N_("线索即将超过响应时限"),
    EventType.LEAD_OFFER_TAKEN: N_("企业接受了本行的授信方案"),
    EventType.LEAD_CLOSED: N_("线索关闭（企业撤回需求、选择其他银行、方案过期等）"),
    EventType.LOAN_REPORTS_DUE: N_("贷款月报待报送"),
    EventType.GUARANTEE_REQUESTED: N_("新的担保申请"),
}

# What an institution's admins may subscribe its systems to, by the admin's role.
GUARANTOR_EVENTS = (EventType.GUARANTEE_REQUESTED,)
BANK_EVENTS = tuple(t for t in EventType if t not in GUARANTOR_EVENTS)
EVENTS_FOR_ADMIN = {Role.BANK_ADMIN: BANK_EVENTS, Role.GUARANTOR_ADMIN: GUARANTOR_EVENTS}

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
# Delivered and failed deliveries (and then their events) are kept this long for the log.
KEPT_FOR = dt.timedelta(days=90)
# The wait after each failed attempt; after the last one the delivery has failed.
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=6),
    dt.timedelta(hours=12),
)
TIMEOUT = 5.0
# A claimed delivery is due again this long after its claim if the runner never reports back.
LEASE = dt.timedelta(minutes=2)
BATCH = 100
POSTERS = 8  # receivers called at once by one runner
# A run stops taking new batches after this long; the next run (a minute later) goes on.
RUN_BUDGET_SECONDS = 45.0
DELIVERIES_SHOWN = 50
MAX_SUBSCRIPTIONS = 10
# How long the old secret still signs, beside the new one, after a change of secret.
SECRET_OVERLAP = dt.timedelta(hours=24)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class WebhookError(Exception):
    """A refused change to a subscription, with the message its admin reads."""


@dataclass(frozen=True)
class IssuedSubscription:
    """A new subscription and its secret, shown once."""

    subscription: WebhookSubscription
    secret: str


# --- the secret and the signature --------------------------------------------------------------


def secret_of(subscription: WebhookSubscription) -> str:
    """The signing secret: HMAC(SECRET_KEY, salt), so only the random salt is stored.

    Changing SECRET_KEY changes every secret: the admins then make their subscriptions again.
    """
    return _secret(subscription.secret_salt)


def signing_secrets(subscription: WebhookSubscription, now: dt.datetime) -> tuple[str, ...]:
    """The secrets a delivery is signed with now: the current one, and the one it replaced
    until that one's day is over."""
    until = subscription.previous_secret_until
    if subscription.previous_secret_salt and until is not None and now < until:
        return (secret_of(subscription), _secret(subscription.previous_secret_salt))
    return (secret_of(subscription),)


def _secret(salt: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    material = f"portal-webhook-secret:{salt}".encode()
    return "whsec_" + hmac.new(key, material, hashlib.sha256).hexdigest()


def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex>`: HMAC-SHA256 of "{id}.{timestamp}.{body}" keyed with the secret's UTF-8."""
    signed = f"{event_id}.{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secrets: tuple[str, ...], event_id: str, timestamp: int, body: bytes) -> str:
    """`Webhook-Signature`: one `v1=<hex>` per secret, separated by spaces; a receiver accepts
    the delivery when any of them verifies with the secret it holds."""
    return " ".join(signature(secret, event_id, timestamp, body) for secret in secrets)


def body_of(event: WebhookEvent) -> bytes:
    """The JSON posted for an event: the same bytes on every attempt."""
    document = {
        "id": event.id,
        "type": event.type,
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(),
        "data": event.payload,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


# --- subscriptions -----------------------------------------------------------------------------


def url_problem(url: str) -> str | None:
    """Why an address cannot receive webhooks, or None: HTTPS, or plain HTTP to this machine
    in tests and development."""
    parts = urlsplit(url.strip())
    if not parts.hostname or parts.scheme not in ("https", "http") or parts.username:
        return render(N_("请填写完整的 https:// 地址"))
    if parts.scheme == "http" and not (_local_http_allowed() and parts.hostname in LOCAL_HOSTS):
        return render(N_("只能使用 https:// 地址"))
    if parts.scheme == "https" and not _local_http_allowed() and _internal(parts.hostname):
        return render(N_("不能使用内部网络地址"))
    return None


def _local_http_allowed() -> bool:
    return bool(current_app.config.get("TESTING")) or os.environ.get("PORTAL_ENV") == "development"


def _internal(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: where it resolves is the receiver's network's affair
    return address.is_private or address.is_loopback or address.is_link_local


def events_for(actor: User) -> tuple[EventType, ...]:
    """The events the actor's institution may subscribe to."""
    return EVENTS_FOR_ADMIN.get(actor.role, ())


def create(actor: User, url: str, event_types: list[EventType]) -> IssuedSubscription:
    """A subscription of the actor's institution; its secret is shown once."""
    problem = url_problem(url)
    if problem is not None:
        raise WebhookError(problem)
    if not event_types or not set(event_types) <= set(events_for(actor)):
        raise WebhookError(render(N_("请至少选择一种事件")))
    if len(live_subscriptions(actor.institution_id)) >= MAX_SUBSCRIPTIONS:
        raise WebhookError(render(N_("每个机构最多 %(n)s 个订阅"), n=MAX_SUBSCRIPTIONS))
    subscription = WebhookSubscription(
        institution_id=actor.institution_id,
        url=url.strip(),
        event_types=sorted(str(t) for t in event_types),
        secret_salt=secrets.token_hex(32),
        created_by_id=actor.id,
    )
    db.session.add(subscription)
    db.session.flush()
    audit.record(
        AuditAction.WEBHOOK_CREATE,
        actor=actor,
        obj=subscription,
        url=subscription.url,
        events=subscription.event_types,
    )
    db.session.commit()
    return IssuedSubscription(subscription, secret_of(subscription))


def rotate_secret(actor: User, subscription: WebhookSubscription) -> IssuedSubscription:
    """A new secret, shown once; the old one still signs for SECRET_OVERLAP beside it, so the
    receiver's system can move over without refusing a notification."""
    if not subscription.active:
        raise WebhookError(render(N_("该订阅已停用")))
    now = utcnow()
    subscription.previous_secret_salt = subscription.secret_salt
    subscription.previous_secret_until = now + SECRET_OVERLAP
    subscription.secret_salt = secrets.token_hex(32)
    audit.record(
        AuditAction.WEBHOOK_SECRET_ROTATE,
        actor=actor,
        obj=subscription,
        old_secret_until=subscription.previous_secret_until.isoformat(timespec="minutes"),
    )
    db.session.commit()
    return IssuedSubscription(subscription, secret_of(subscription))


def disable(actor: User, subscription: WebhookSubscription) -> None:
    """Stop sending to the subscription; deliveries still waiting are not sent."""
    if not subscription.active:
        raise WebhookError(render(N_("该订阅已停用")))
    subscription.disabled_at = utcnow()
    audit.record(AuditAction.WEBHOOK_DISABLE, actor=actor, obj=subscription)
    db.session.commit()


def redeliver(actor: User, subscription: WebhookSubscription, delivery_id: int) -> None:
    """Send a delivered or failed event again: same event id, attempts counted afresh."""
    if not subscription.active:
        raise WebhookError(render(N_("该订阅已停用")))
    changed = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.subscription_id == subscription.id,
            WebhookDelivery.status.in_((DELIVERED, FAILED)),
        )
        .values(status=PENDING, attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise WebhookError(render(N_("该投递正在进行中或不存在，无需重新投递")))
    audit.record(AuditAction.WEBHOOK_REDELIVER, actor=actor, obj=subscription, delivery=delivery_id)
    db.session.commit()


def live_subscriptions(institution_id: int) -> list[WebhookSubscription]:
    """The institution's subscriptions still in use."""
    return list(
        db.session.scalars(
            select(WebhookSubscription).where(
                WebhookSubscription.institution_id == institution_id,
                WebhookSubscription.disabled_at.is_(None),
            )
        )
    )


def recent_deliveries(subscription: WebhookSubscription) -> list[WebhookDelivery]:
    """The subscription's latest deliveries, newest first."""
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == subscription.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(DELIVERIES_SHOWN)
        )
    )


# --- emitting ----------------------------------------------------------------------------------


def emit(
    institution_id: int | None,
    event_type: EventType,
    data: dict[str, object],
    dedupe_key: str | None = None,
) -> WebhookEvent | None:
    """Add the event and a delivery per live subscription wanting it (the caller commits).

    Nothing is stored when no subscription wants it, or when `dedupe_key` was told before.
    """
    if institution_id is None:
        return None
    wanted = [s for s in live_subscriptions(institution_id) if event_type in s.event_types]
    if not wanted or (dedupe_key is not None and _told(dedupe_key)):
        return None
    event = WebhookEvent(
        id=str(uuid.uuid4()),
        type=str(event_type),
        institution_id=institution_id,
        payload=data,
        dedupe_key=dedupe_key,
        created_at=utcnow(),
    )
    db.session.add(event)
    for subscription in wanted:
        db.session.add(WebhookDelivery(event=event, subscription_id=subscription.id))
    return event


def lead_closed(lead: Lead, reason: str) -> tuple[EventType, dict[str, object]]:
    """The event of a lead closed without a loan, for `emit(lead.institution_id, *…)`."""
    data = {"lead_id": lead.id, "status": str(lead.status), "closed_reason": str(reason)}
    return EventType.LEAD_CLOSED, data


def _told(dedupe_key: str) -> bool:
    found = select(WebhookEvent.id).where(WebhookEvent.dedupe_key == dedupe_key)
    return db.session.scalar(found) is not None


# --- sending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One attempt, read before it is claimed: no transaction stays open during the call."""

    delivery_id: int
    attempts: int  # as read; the claim makes it attempts + 1
    subscription_id: int
    url: str
    event_id: str
    body: bytes
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def send_due(
    now: dt.datetime | None = None, limit: int = BATCH, budget: float = RUN_BUDGET_SECONDS
) -> int:
    """Post due deliveries, a batch at a time, until none is due or the run's time is up;
    returns how many attempts were made.

    The batch is claimed first (one short transaction each), then posted by POSTERS threads,
    one subscription to a thread in the order the events happened, so one slow receiver does
    not hold back the others; the threads make HTTP calls only, and the outcomes are recorded
    here, in the job's session.
    """
    started = time.monotonic()
    sent = 0
    while time.monotonic() - started < budget:
        current = now or utcnow()
        batch = [o for o in _due(current, limit) if _claim(o, current)]
        if not batch:
            break
        by_subscription: dict[int, list[Outgoing]] = {}
        for outgoing in batch:
            by_subscription.setdefault(outgoing.subscription_id, []).append(outgoing)
        with ThreadPoolExecutor(max_workers=POSTERS) as pool:
            posted = list(pool.map(_post_in_order, by_subscription.values()))
        for outgoing, outcome in (pair for pairs in posted for pair in pairs):
            _record(outgoing, outcome, current)
        sent += len(batch)
    return sent


def _post_in_order(queue: list[Outgoing]) -> list[tuple[Outgoing, Outcome]]:
    """One subscription's deliveries, one after another: its receiver hears events in order."""
    return [(outgoing, post(outgoing)) for outgoing in queue]


def _due(now: dt.datetime, limit: int) -> list[Outgoing]:
    rows = db.session.execute(
        select(WebhookDelivery, WebhookSubscription, WebhookEvent)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt_at <= now,
            WebhookSubscription.disabled_at.is_(None),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    ).all()
    due = [
        Outgoing(d.id, d.attempts, s.id, s.url, e.id, body_of(e), signing_secrets(s, now))
        for d, s, e in rows
    ]
    db.session.rollback()  # end the read: nothing is held while we post
    return due


def _claim(outgoing: Outgoing, now: dt.datetime) -> bool:
    """Take the attempt: only the runner whose update finds the row as it read it gets it."""
    won = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == outgoing.delivery_id,
            WebhookDelivery.status == PENDING,
            WebhookDelivery.attempts == outgoing.attempts,
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(attempts=outgoing.attempts + 1, next_attempt_at=now + LEASE, last_attempt_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return won == 1


@functools.cache
def _http() -> httpx.Client:
    """One client per process, shared by the posting threads (httpx's client is thread-safe):
    making a client builds a TLS context, which costs more than a call to a nearby receiver."""
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False)


def post(outgoing: Outgoing) -> Outcome:
    """One signed POST; redirects are not followed (a 3xx is a failed attempt), the answer's
    body is not read."""
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "chanrongtong-webhooks/1",
        "Webhook-Id": outgoing.event_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signature_header(
            outgoing.secrets, outgoing.event_id, timestamp, outgoing.body
        ),
    }
    try:
        # Streamed and never read: only the status matters, whatever the receiver sends back.
        with _http().stream(
            "POST", outgoing.url, content=outgoing.body, headers=headers
        ) as response:
            status = response.status_code
    except httpx.HTTPError as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:300])
    return Outcome(status, None if 200 <= status < 300 else f"HTTP {status}")


def _record(outgoing: Outgoing, outcome: Outcome, now: dt.datetime) -> None:
    attempts = outgoing.attempts + 1
    values: dict[str, object] = {
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
    }
    if outcome.ok:
        values.update(status=DELIVERED, delivered_at=utcnow())
    elif attempts > len(BACKOFF):
        values.update(status=FAILED)
    else:
        values.update(next_attempt_at=now + BACKOFF[attempts - 1])
    db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == outgoing.delivery_id,
            WebhookDelivery.status == PENDING,
            WebhookDelivery.attempts == attempts,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def purge_old(now: dt.datetime | None = None) -> int:
    """Forget deliveries that ended more than KEPT_FOR ago, and the events left with none
    (a scheduled job); a pending delivery and its event are always kept. Returns how many
    deliveries went."""
    cutoff = (now or utcnow()) - KEPT_FOR
    ended = db.session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.status.in_((DELIVERED, FAILED)),
            WebhookDelivery.created_at < cutoff,
        )
    ).rowcount
    delivered_to = select(WebhookDelivery.id).where(WebhookDelivery.event_id == WebhookEvent.id)
    db.session.execute(
        delete(WebhookEvent).where(WebhookEvent.created_at < cutoff, ~delivered_to.exists())
    )
    db.session.commit()
    return ended or 0

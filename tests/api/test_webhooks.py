"""Webhooks: events written with the business change, signed POSTs to a real receiver on
loopback, retries with backoff, redelivery with the same event id, and no double sends."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.api import webhooks
from portal.api.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from portal.api.webhooks import EventType
from portal.audit.actions import AuditAction
from portal.audit.models import AuditEntry
from portal.db import utcnow
from portal.enums import GuaranteeType, LeadStatus
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads import services as leads
from portal.leads.models import Lead
from portal.needs import services as needs
from tests.api.conftest import admin_of


@dataclass
class Receiver:
    """An HTTP server on loopback that records each POST and answers the statuses it is given."""

    port: int
    received: list[dict] = field(default_factory=list)
    statuses: deque = field(default_factory=deque)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.popleft() if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver(0).start()
    yield running
    running.stop()


@pytest.fixture
def other_receiver() -> Iterator[Receiver]:
    running = Receiver(0).start()
    yield running
    running.stop()


def subscribe(market, bank: str, url: str, events=webhooks.BANK_EVENTS):
    return webhooks.create(admin_of(market, bank), url, list(events))


def route(market, banks: tuple[str, ...] = ("A",), key: str = "w1") -> list[Lead]:
    firm_user = db.session.get(User, market.firm_user_id)
    data = needs.NeedInput(Decimal("800000"), 12, "采购原材料", GuaranteeType.CREDIT, None)
    need = needs.submit_need(firm_user, db.session.get(Firm, market.firm_id), data, key)
    return leads.apply_to_products(firm_user, need, [market.products[b] for b in banks])


def deliveries_of(subscription_id: int) -> list[WebhookDelivery]:
    return list(
        db.session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
        )
    )


def verifies(secret: str, request: dict) -> bool:
    """What a receiver does (docs/api.md): recompute the signature and compare it with each
    one the header lists."""
    headers = request["headers"]
    signed = f"{headers['Webhook-Id']}.{headers['Webhook-Timestamp']}.".encode() + request["body"]
    expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    listed = headers["Webhook-Signature"].split(" ")
    return any(hmac.compare_digest(expected, signature) for signature in listed)


def test_a_routed_lead_is_told_to_its_bank_only(app, market, receiver, other_receiver):
    """One delivery to bank A's subscription, none to bank B's; the POST names the event."""
    with app.app_context():
        a = subscribe(market, "A", receiver.url)
        b = subscribe(market, "B", other_receiver.url)
        [lead] = route(market, ("A",))
        lead_id = lead.id
        assert len(deliveries_of(a.subscription.id)) == 1
        assert deliveries_of(b.subscription.id) == []
        assert webhooks.send_due() == 1
        [delivery] = deliveries_of(a.subscription.id)
        assert delivery.status == webhooks.DELIVERED and delivery.last_status_code == 200
    assert other_receiver.received == []
    [request] = receiver.received
    document = json.loads(request["body"])
    assert document["type"] == "lead.routed" and document["id"] == request["headers"]["Webhook-Id"]
    assert document["data"]["lead_id"] == lead_id
    assert document["data"]["status"] == LeadStatus.OPEN
    assert set(document) == {"id", "type", "created_at", "data"}


def test_the_signature_verifies_with_the_secret_only(app, market, receiver):
    """HMAC-SHA256 of id.timestamp.body with the secret shown once; another secret fails."""
    with app.app_context():
        issued = subscribe(market, "A", receiver.url)
        other = subscribe(market, "B", receiver.url)
        route(market, ("A",))
        webhooks.send_due()
        stored = db.session.get(WebhookSubscription, issued.subscription.id)
        assert issued.secret not in json.dumps(stored.event_types) + stored.secret_salt
    [request] = receiver.received
    assert verifies(issued.secret, request)
    assert not verifies(other.secret, request)
    assert request["headers"]["Webhook-Signature"].startswith("v1=")


def test_a_new_secret_signs_beside_the_old_one_for_a_day(app, market, receiver):
    """After a change of secret both verify for a day (the receiver moves over when it likes),
    then only the new one; the change is audited and a stopped subscription refuses it."""
    with app.app_context():
        issued = subscribe(market, "A", receiver.url)
        admin = admin_of(market, "A")
        subscription = db.session.get(WebhookSubscription, issued.subscription.id)
        rotated = webhooks.rotate_secret(admin, subscription)
        assert rotated.secret != issued.secret
        route(market, ("A",), key="w-rotate-1")
        webhooks.send_due()
        route(market, ("A",), key="w-rotate-2")
        webhooks.send_due(now=utcnow() + webhooks.SECRET_OVERLAP + dt.timedelta(minutes=1))
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == AuditAction.WEBHOOK_SECRET_ROTATE)
        )
        assert entry is not None and entry.actor_id == admin.id
        webhooks.disable(admin, subscription)
        with pytest.raises(webhooks.WebhookError):
            webhooks.rotate_secret(admin, subscription)
    during, after = receiver.received
    assert len(during["headers"]["Webhook-Signature"].split(" ")) == 2
    assert verifies(rotated.secret, during) and verifies(issued.secret, during)
    assert verifies(rotated.secret, after) and not verifies(issued.secret, after)


def test_a_500_is_retried_with_backoff_and_the_same_event_id(app, market, receiver):
    """500 then 200: the first attempt waits a minute, the second delivers the same event."""
    receiver.statuses.extend([500, 200])
    with app.app_context():
        issued = subscribe(market, "A", receiver.url)
        route(market, ("A",))
        now = utcnow()
        assert webhooks.send_due(now) == 1
        [delivery] = deliveries_of(issued.subscription.id)
        assert (delivery.status, delivery.attempts) == (webhooks.PENDING, 1)
        assert delivery.last_status_code == 500
        assert delivery.next_attempt_at == now + dt.timedelta(minutes=1)
        assert webhooks.send_due(now + dt.timedelta(seconds=30)) == 0  # not due yet
        assert webhooks.send_due(now + dt.timedelta(seconds=61)) == 1
        db.session.refresh(delivery)
        assert (delivery.status, delivery.attempts) == (webhooks.DELIVERED, 2)
    first, second = receiver.received
    assert first["headers"]["Webhook-Id"] == second["headers"]["Webhook-Id"]
    assert first["body"] == second["body"]


def test_a_receiver_that_is_down_gets_the_event_when_it_is_up(app, market):
    """A closed port: the attempt fails and waits; once the receiver listens, it is delivered."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = Receiver(port)
    with app.app_context():
        issued = subscribe(market, "A", down.url)
        route(market, ("A",))
        now = utcnow()
        assert webhooks.send_due(now) == 1
        [delivery] = deliveries_of(issued.subscription.id)
        assert delivery.status == webhooks.PENDING and delivery.last_status_code is None
        assert "ConnectError" in delivery.last_error
        up = down.start()
        try:
            assert webhooks.send_due(now + dt.timedelta(minutes=2)) == 1
            db.session.refresh(delivery)
            assert delivery.status == webhooks.DELIVERED and delivery.attempts == 2
        finally:
            up.stop()
    assert len(up.received) == 1


def test_the_last_backoff_step_fails_the_delivery(app, market, receiver):
    """After the sixth wait, a seventh failed attempt marks the delivery failed."""
    receiver.statuses.extend([503] * 7)
    with app.app_context():
        issued = subscribe(market, "A", receiver.url)
        route(market, ("A",))
        now = utcnow()
        for _ in range(7):
            assert webhooks.send_due(now) == 1
            now += dt.timedelta(hours=13)
        [delivery] = deliveries_of(issued.subscription.id)
        assert (delivery.status, delivery.attempts) == (webhooks.FAILED, 7)
        assert webhooks.send_due(now) == 0


def test_redelivery_from_the_page_sends_the_same_event_id(app, client, auth, market, receiver):
    """The admin's redeliver button re-sends a delivered event with its id, and is audited."""
    with app.app_context():
        admin = admin_of(market, "A")
        email = admin.email
        issued = webhooks.create(admin, receiver.url, [EventType.LEAD_ROUTED])
        route(market, ("A",))
        webhooks.send_due()
        [delivery] = deliveries_of(issued.subscription.id)
        subscription_id, delivery_id, event_id = (
            issued.subscription.id,
            delivery.id,
            delivery.event_id,
        )
    auth.login(email)
    page = client.get(f"/institution/webhooks/{subscription_id}").get_data(as_text=True)
    assert event_id in page
    answer = client.post(
        f"/institution/webhooks/{subscription_id}/redeliver", data={"delivery_id": delivery_id}
    )
    assert answer.status_code == 302
    with app.app_context():
        delivery = db.session.get(WebhookDelivery, delivery_id)
        assert (delivery.status, delivery.attempts) == (webhooks.PENDING, 0)
        assert webhooks.send_due() == 1
        action = db.session.scalar(
            select(AuditEntry.action).where(AuditEntry.action == AuditAction.WEBHOOK_REDELIVER)
        )
        assert action == AuditAction.WEBHOOK_REDELIVER
        assert db.session.scalar(select(func.count(WebhookEvent.id))) == 1
    assert [r["headers"]["Webhook-Id"] for r in receiver.received] == [event_id, event_id]


def test_the_page_shows_the_secret_once_and_refuses_plain_http(app, client, auth, market):
    """The secret page is not cached; an http:// address elsewhere than loopback is refused."""
    with app.app_context():
        email = admin_of(market, "A").email
        db.session.commit()
    auth.login(email)
    data = {"url": "https://bank-a.example/hooks", "events": ["lead.routed", "lead.closed"]}
    page = client.post("/institution/webhooks/", data=data)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "whsec_" in page.get_data(as_text=True)
    refused = client.post(
        "/institution/webhooks/", data={**data, "url": "http://bank-a.example/hooks"}
    )
    assert "whsec_" not in refused.get_data(as_text=True)
    with app.app_context():
        [row] = db.session.scalars(select(WebhookSubscription)).all()
        assert row.event_types == ["lead.closed", "lead.routed"]
        assert db.session.scalar(
            select(AuditEntry.id).where(AuditEntry.action == AuditAction.WEBHOOK_CREATE)
        )


def test_the_admin_changes_the_secret_from_the_page(app, client, auth, market):
    """The button shows the new secret once (not cached) and says the old one signs a while."""
    with app.app_context():
        admin = admin_of(market, "A")
        email = admin.email
        issued = webhooks.create(admin, "https://bank-a.example/hooks", [EventType.LEAD_ROUTED])
        subscription_id, old_secret = issued.subscription.id, issued.secret
    auth.login(email)
    detail = client.get(f"/institution/webhooks/{subscription_id}").get_data(as_text=True)
    assert "更换签名密钥" in detail and old_secret not in detail
    page = client.post(f"/institution/webhooks/{subscription_id}/secret")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "签名密钥已更换" in text and "24 小时" in text
    with app.app_context():
        subscription = db.session.get(WebhookSubscription, subscription_id)
        new_secret = webhooks.secret_of(subscription)
        assert new_secret != old_secret and new_secret in text
        assert webhooks.signing_secrets(subscription, utcnow()) == (new_secret, old_secret)


def test_addresses_outside_tests_must_be_public_https(app, monkeypatch):
    """In production: https only, and no loopback or private address."""
    monkeypatch.setitem(app.config, "TESTING", False)
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    with app.app_context():
        assert webhooks.url_problem("https://bank.example/hooks") is None
        assert webhooks.url_problem("http://127.0.0.1:8000/hooks") is not None
        assert webhooks.url_problem("https://10.1.2.3/hooks") is not None
        assert webhooks.url_problem("https://localhost/hooks") is not None
        assert webhooks.url_problem("ftp://bank.example/") is not None


def test_a_rolled_back_service_call_leaves_no_event(app, market, receiver, monkeypatch):
    """The event is written in the business transaction: no lead, no event."""
    with app.app_context():
        subscribe(market, "A", receiver.url)
        record = leads.audit.record

        def fail_on_apply(action, **kwargs):
            if action == AuditAction.NEED_APPLY:
                raise RuntimeError("the business change fails after the event was added")
            return record(action, **kwargs)

        monkeypatch.setattr(leads.audit, "record", fail_on_apply)
        with pytest.raises(RuntimeError):
            route(market, ("A",))
        db.session.rollback()
        assert db.session.scalar(select(func.count(WebhookEvent.id))) == 0
        assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 0
        assert db.session.scalar(select(func.count(Lead.id))) == 0


def test_the_job_run_twice_sends_once(app, market, receiver):
    """A second run finds nothing due; two runners reading the same row claim it once."""
    with app.app_context():
        subscribe(market, "A", receiver.url)
        route(market, ("A",))
        now = utcnow()
        first_runner = webhooks._due(now, 10)
        second_runner = webhooks._due(now, 10)
        assert webhooks._claim(first_runner[0], now) is True
        assert webhooks._claim(second_runner[0], now) is False
        webhooks._record(first_runner[0], webhooks.post(first_runner[0]), now)
        assert webhooks.send_due(now) == 0
        assert webhooks.send_due(now + dt.timedelta(hours=1)) == 0
    assert len(receiver.received) == 1


def test_offer_taken_and_the_other_banks_lead_closed(app, market, receiver, other_receiver):
    """Taking A's offer tells A (offer taken) and B (its lead closed); C (disabled) nothing."""
    with app.app_context():
        subscribe(market, "A", receiver.url)
        subscribe(market, "B", other_receiver.url)
        silent = subscribe(market, "C", receiver.url)
        webhooks.disable(admin_of(market, "C"), silent.subscription)
        lead_a, lead_b, _lead_c = route(market, ("A", "B", "C"))
        lead_b_id = lead_b.id
        officer = db.session.get(User, market.officers["A"])
        leads.accept(officer, lead_a)
        decision = leads.CreditDecision(
            amount=Decimal("800000"), rate=Decimal("3.20"), term_months=12
        )
        leads.record_decision(officer, lead_a, decision)
        leads.take_offer(db.session.get(User, market.firm_user_id), lead_a)
        webhooks.send_due()
        assert deliveries_of(silent.subscription.id) == []
    told_a = [json.loads(r["body"]) for r in receiver.received]
    told_b = [json.loads(r["body"]) for r in other_receiver.received]
    assert [d["type"] for d in told_a] == ["lead.routed", "lead.offer_taken"]
    assert [d["type"] for d in told_b] == ["lead.routed", "lead.closed"]
    assert told_b[1]["data"] == {
        "lead_id": lead_b_id,
        "status": "closed",
        "closed_reason": "other_offer_taken",
    }


def test_a_near_deadline_is_told_once(app, market, receiver):
    """The reminder job runs every ten minutes; the event goes out once per lead."""
    with app.app_context():
        subscribe(market, "A", receiver.url, [EventType.LEAD_DEADLINE_NEAR])
        [lead] = route(market, ("A",))
        near = lead.deadline_at - dt.timedelta(hours=1)
        leads.warn_near_deadlines(near)
        leads.warn_near_deadlines(near + dt.timedelta(minutes=10))
        events = db.session.scalars(select(WebhookEvent)).all()
        assert [e.type for e in events] == ["lead.deadline_near"]
        assert events[0].payload["lead_id"] == lead.id


def test_a_redirect_is_a_failed_attempt(app, market, receiver):
    """A 302 is not followed: the attempt failed and waits for its retry."""
    receiver.statuses.append(302)
    with app.app_context():
        issued = subscribe(market, "A", receiver.url)
        route(market, ("A",))
        webhooks.send_due()
        [delivery] = deliveries_of(issued.subscription.id)
        assert (delivery.status, delivery.last_status_code) == (webhooks.PENDING, 302)
    assert len(receiver.received) == 1


def test_a_bank_cannot_subscribe_to_guarantors_events(app, market):
    """Each kind of institution chooses among its own events."""
    with app.app_context():
        admin = admin_of(market, "A")
        with pytest.raises(webhooks.WebhookError):
            webhooks.create(admin, "https://a.example/h", [EventType.GUARANTEE_REQUESTED])


def test_the_scheduled_job_sends_what_is_due(app, market, receiver):
    """send_due_webhooks is one of the scheduler's jobs and posts the due deliveries."""
    from portal.scheduler import JOBS, run_job, send_due_webhooks

    assert (send_due_webhooks, dt.timedelta(minutes=1)) in JOBS
    with app.app_context():
        subscribe(market, "A", receiver.url)
        route(market, ("A",))
    assert run_job(app, send_due_webhooks) == 1
    assert run_job(app, send_due_webhooks) == 0
    assert len(receiver.received) == 1


def test_ended_deliveries_leave_the_log_after_ninety_days(app, market, receiver):
    """A delivery that ended 90 days ago goes, and then its event; a pending one stays."""
    with app.app_context():
        subscribe(market, "A", receiver.url)
        route(market, ("A",), key="w-old")
        webhooks.send_due()
        [delivered] = db.session.scalars(select(WebhookDelivery)).all()
        assert delivered.status == webhooks.DELIVERED
        route(market, ("A",), key="w-new")  # a second event, still pending
        for row in db.session.scalars(select(WebhookEvent)):
            row.created_at = utcnow() - webhooks.KEPT_FOR - dt.timedelta(days=1)
        delivered.created_at = utcnow() - webhooks.KEPT_FOR - dt.timedelta(days=1)
        db.session.commit()
        assert webhooks.purge_old() == 1
        [kept] = db.session.scalars(select(WebhookDelivery)).all()
        assert kept.status == webhooks.PENDING
        assert db.session.scalar(select(func.count(WebhookEvent.id))) == 1

"""Every view declares who may use it; undeclared views are refused."""

from __future__ import annotations

from flask import Flask

from portal.authz.access import declared_access, public


def test_every_endpoint_declares_access(app: Flask):
    """Walk app.url_map: every endpoint but static declares who may use it."""
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and declared_access(app.view_functions[rule.endpoint]) is None
    ]
    assert missing == []


def test_undeclared_endpoint_is_refused(app: Flask):
    """A view added without a declaration answers 403 instead of serving its content."""
    probe = Flask(__name__)
    probe.config.update(app.config)

    from portal.authz.access import enforce_declared_access

    probe.before_request(enforce_declared_access)

    @probe.get("/forgotten")
    def forgotten() -> str:
        return "secret"

    @probe.get("/declared")
    @public
    def declared() -> str:
        return "fine"

    client = probe.test_client()
    assert client.get("/forgotten").status_code == 403
    assert client.get("/declared").get_data(as_text=True) == "fine"


def test_permission_refusals_are_audited(app, client, auth, create):
    """A firm user opening the regulators' dashboard is refused, and the refusal is recorded."""
    from sqlalchemy import select

    from portal.audit.models import AuditEntry
    from portal.enums import Role
    from portal.extensions import db
    from tests.factories import UserFactory

    user = create(UserFactory, role=Role.SME)
    auth.login(user.email)
    assert client.get("/dashboard/").status_code == 403
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "auth.permission_refused")
        ).one()
    assert entry.actor_id == user.id and entry.detail["endpoint"] == "dashboard.index"

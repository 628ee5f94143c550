"""A bank's admins subscribe its own systems to events, see the deliveries and send again."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ColumnElement, false, select
from werkzeug.wrappers import Response

from portal.accounts.models import User
from portal.admin.forms import ConfirmForm
from portal.api import webhooks
from portal.api.models import WebhookSubscription
from portal.api.webhook_forms import SubscriptionForm
from portal.api.webhooks import EVENT_LABELS, IssuedSubscription, WebhookError
from portal.authz import Permission, get_or_404, requires, scoped
from portal.authz.permissions import institution_approved
from portal.authz.scoping import tenant_rule
from portal.enums import INSTITUTION_ADMIN_ROLES
from portal.extensions import db

bp = Blueprint("webhooks", __name__, url_prefix="/institution/webhooks")


@tenant_rule(WebhookSubscription)
def _subscription_rule(actor: User) -> ColumnElement[bool]:
    # As for API clients: the institution's own admins; another bank's subscription is a 404.
    if actor.role in INSTITUTION_ADMIN_ROLES and institution_approved(actor):
        return WebhookSubscription.institution_id == actor.institution_id
    return false()


@bp.get("/")
@requires(Permission.INSTITUTION_API_CLIENTS_MANAGE)
def index() -> str:
    return _index(SubscriptionForm(formdata=None, offered=webhooks.events_for(current_user)))


@bp.post("/")
@requires(Permission.INSTITUTION_API_CLIENTS_MANAGE)
def create() -> str | Response:
    form = SubscriptionForm(offered=webhooks.events_for(current_user))
    if not form.validate_on_submit():
        return _index(form)
    try:
        issued = webhooks.create(current_user, form.url.data, form.chosen_events())
    except WebhookError as error:
        flash(str(error), "error")
        return _index(form)
    return _show_secret(issued)


@bp.get("/<int:subscription_id>")
@requires(Permission.INSTITUTION_API_CLIENTS_MANAGE)
def detail(subscription_id: int) -> str:
    subscription = get_or_404(WebhookSubscription, subscription_id, current_user)
    return render_template(
        "api/webhook.html",
        subscription=subscription,
        deliveries=webhooks.recent_deliveries(subscription),
        event_labels={str(t): label for t, label in EVENT_LABELS.items()},
        confirm=ConfirmForm(),
        overlap_hours=_overlap_hours(),
    )


@bp.post("/<int:subscription_id>/disable")
@requires(Permission.INSTITUTION_API_CLIENTS_MANAGE)
def disable(subscription_id: int) -> Response:
    subscription = get_or_404(WebhookSubscription, subscription_id, current_user)
    if ConfirmForm().validate_on_submit():
        try:
            webhooks.disable(current_user, subscription)
            flash(_("订阅已停用，不再发送通知。"), "success")
        except WebhookError as error:
            flash(str(error), "error")
    return redirect(url_for(".detail", subscription_id=subscription.id))


@bp.post("/<int:subscription_id>/secret")
@requires(Permission.INSTITUTION_API_CLIENTS_MANAGE)
def rotate_secret(subscription_id: int) -> Response:
    """A new signing secret, shown once; the old one signs beside it for a day."""
    subscription = get_or_404(WebhookSubscription, subscription_id, current_user)
    if ConfirmForm().validate_on_submit():
        try:
            return _show_secret(webhooks.rotate_secret(current_user, subscription), rotated=True)
        except WebhookError as error:
            flash(str(error), "error")
    return redirect(url_for(".detail", subscription_id=subscription.id))


@bp.post("/<int:subscription_id>/redeliver")
@requires(Permission.INSTITUTION_API_CLIENTS_MANAGE)
def redeliver(subscription_id: int) -> Response:
    subscription = get_or_404(WebhookSubscription, subscription_id, current_user)
    delivery_id = request.form.get("delivery_id", type=int)
    if ConfirmForm().validate_on_submit() and delivery_id is not None:
        try:
            webhooks.redeliver(current_user, subscription, delivery_id)
            flash(_("已安排重新投递，事件编号不变。"), "success")
        except WebhookError as error:
            flash(str(error), "error")
    return redirect(url_for(".detail", subscription_id=subscription.id))


def _index(form: SubscriptionForm) -> str:
    statement = scoped(select(WebhookSubscription), WebhookSubscription, current_user)
    rows = db.session.scalars(
        statement.order_by(WebhookSubscription.disabled_at.isnot(None), WebhookSubscription.id)
    )
    return render_template(
        "api/webhooks.html",
        subscriptions=list(rows),
        form=form,
        event_labels={str(t): label for t, label in EVENT_LABELS.items()},
    )


def _show_secret(issued: IssuedSubscription, rotated: bool = False) -> Response:
    """The secret, once: the page is not cached."""
    page = render_template(
        "api/webhook_secret.html",
        issued=issued,
        rotated=rotated,
        overlap_hours=_overlap_hours(),
    )
    response = Response(page, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _overlap_hours() -> int:
    return int(webhooks.SECRET_OVERLAP.total_seconds() // 3600)

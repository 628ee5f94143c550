"""A bank's admins give its own systems API clients, rotate their secrets and see their calls."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.admin.forms import ConfirmForm
from portal.api import clients
from portal.api.client_forms import ClientForm
from portal.api.clients import ClientError, IssuedSecret
from portal.api.models import ApiClient
from portal.api.scopes import SCOPE_LABELS, Scope
from portal.authz import Permission, get_or_404, requires, scoped
from portal.db import utcnow, writes_on_get
from portal.extensions import db

bp = Blueprint("api_clients", __name__, url_prefix="/institution/api-clients")


@bp.get("/")
@requires(Permission.INSTITUTION_API_CLIENTS_MANAGE)
def index() -> str:
    statement = scoped(select(ApiClient), ApiClient, current_user)
    rows = db.session.scalars(statement.order_by(ApiClient.revoked_at.isnot(None), ApiClient.id))
    return render_template("api/clients.html", clients=list(rows), form=ClientForm(formdata=None))


@bp.post("/")
@requires(Permission.INSTITUTION_API_CLIENTS_MANAGE)
def create() -> str | Response:
    form = ClientForm()
    if not form.validate_on_submit():
        statement = scoped(select(ApiClient), ApiClient, current_user)
        return render_template(
            "api/clients.html", clients=list(db.session.scalars(statement)), form=form
        )
    issued = clients.create(
        current_user, form.name.data.strip(), form.chosen_scopes(), form.chosen_networks()
    )
    return _show_secret(issued, created=True)


@bp.get("/<int:client_id>")
@requires(Permission.INSTITUTION_API_CLIENTS_MANAGE)
@writes_on_get  # writes the calls still queued (call_log) before listing them
def detail(client_id: int) -> str:
    client = get_or_404(ApiClient, client_id, current_user)
    return render_template(
        "api/client.html",
        client=client,
        secrets=clients.live_secrets(client, utcnow()),
        calls=clients.recent_calls(client),
        scope_labels={str(s): SCOPE_LABELS[s] for s in Scope},
        confirm=ConfirmForm(),
    )


@bp.post("/<int:client_id>/rotate")
@requires(Permission.INSTITUTION_API_CLIENTS_MANAGE)
def rotate(client_id: int) -> str | Response:
    client = get_or_404(ApiClient, client_id, current_user)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".detail", client_id=client.id))
    try:
        return _show_secret(clients.rotate_secret(current_user, client), created=False)
    except ClientError as error:
        flash(str(error), "error")
        return redirect(url_for(".detail", client_id=client.id))


@bp.post("/<int:client_id>/revoke-old-secrets")
@requires(Permission.INSTITUTION_API_CLIENTS_MANAGE)
def revoke_old_secrets(client_id: int) -> Response:
    client = get_or_404(ApiClient, client_id, current_user)
    if ConfirmForm().validate_on_submit():
        try:
            count = clients.revoke_old_secrets(current_user, client)
            flash(_("已作废 %(n)s 个旧密钥。", n=count), "success")
        except ClientError as error:
            flash(str(error), "error")
    return redirect(url_for(".detail", client_id=client.id))


@bp.post("/<int:client_id>/revoke")
@requires(Permission.INSTITUTION_API_CLIENTS_MANAGE)
def revoke(client_id: int) -> Response:
    client = get_or_404(ApiClient, client_id, current_user)
    if ConfirmForm().validate_on_submit():
        try:
            clients.revoke(current_user, client)
            flash(_("客户端已停用，其密钥和令牌立即失效。"), "success")
        except ClientError as error:
            flash(str(error), "error")
    return redirect(url_for(".detail", client_id=client.id))


def _show_secret(issued: IssuedSecret, *, created: bool) -> Response:
    """The secret, once: the page is not cached, and the portal keeps only its digest."""
    page = render_template("api/secret.html", issued=issued, created=created)
    response = Response(page, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response

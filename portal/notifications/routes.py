"""A user's notifications."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.admin.forms import ConfirmForm
from portal.authz import login_required_any, scoped
from portal.notifications.models import Notification
from portal.notifications.service import mark_all_read, unread_count
from portal.pagination import paginate

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required_any
def index() -> str:
    """The signed-in user's notifications, newest first; unread ones stand out."""
    # Scoped, and also the user's own even for admins, whose scope is everything.
    statement = (
        scoped(select(Notification), Notification, current_user)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return render_template(
        "notifications/index.html",
        page=paginate(statement),
        unread=unread_count(current_user),
        confirm=ConfirmForm(),
    )


@bp.post("/read")
@login_required_any
def mark_read() -> Response:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    mark_all_read(current_user.id)
    flash(_("已全部标为已读。"), "success")
    return redirect(url_for("notifications.index"))

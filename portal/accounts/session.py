"""Flask-Login wiring: load the user named by the session, if its token is still current."""

from __future__ import annotations

from flask import Flask, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from portal.accounts import devices
from portal.accounts.models import User
from portal.extensions import db, login_manager


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("请先登录。")
    login_manager.login_message_category = "info"
    # "strong" drops the session when the client's address or agent changes mid-session.
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)
    app.before_request(end_expired_session)
    # A successful sign-in earns the browser a device cookie (see devices.py and throttle.py).
    app.after_request(devices.set_cookie)


def load_user(user_id: str) -> User | None:
    """Return the user only if the cookie's token matches the one stored now."""
    raw_id, _, token = user_id.partition(":")
    if not raw_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.is_active or user.session_token != token:
        return None
    return user


def end_expired_session() -> Response | None:
    """Sign out a session idle or alive past its limit, and say why on the sign-in page."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    from portal.accounts.services import fresh_session, session_expired

    config = current_app.config
    if not session_expired(config["SESSION_IDLE_TIMEOUT"], config["SESSION_ABSOLUTE_TIMEOUT"]):
        return None
    logout_user()
    fresh_session()  # the language chosen stays
    flash(_("为保护账户安全，长时间未操作或登录时间过长的会话已自动退出，请重新登录。"), "info")
    come_back_to = request.full_path if request.method == "GET" else None
    return redirect(url_for("accounts.login", next=come_back_to))

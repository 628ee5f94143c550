"""Flask-Login wiring: load the user named by the session, if its token is still current."""

from __future__ import annotations

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
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


# Why a signed-in browser's session was found ended, for the sign-in page to say (per request).
ENDED_ELSEWHERE = "portal.session_ended_elsewhere"


def load_user(user_id: str) -> User | None:
    """Return the user only if the cookie's token matches the one stored now."""
    raw_id, _, token = user_id.partition(":")
    if not raw_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not user.is_active:
        return None
    if user.session_token != token:
        # Another sign-in, a sign-out elsewhere or a new password replaced this session's token:
        # say so instead of silently asking for a sign-in.
        g.setdefault(ENDED_ELSEWHERE, _signed_in_since(user))
        return None
    return user


def _signed_in_since(user: User) -> bool:
    """Whether the account signed in somewhere after this browser's session began."""
    from portal.accounts.services import SESSION_SIGNED_IN_AT

    began = session.get(SESSION_SIGNED_IN_AT)
    last = user.last_login_at
    return isinstance(began, int) and last is not None and last.timestamp() > began


def end_expired_session() -> Response | None:
    """Sign out a session idle or alive past its limit, or ended from elsewhere, and say why on
    the sign-in page."""
    if request.endpoint == "static":
        return None
    if not current_user.is_authenticated:
        return _ended_elsewhere()
    from portal.accounts.services import fresh_session, session_expired

    config = current_app.config
    if not session_expired(config["SESSION_IDLE_TIMEOUT"], config["SESSION_ABSOLUTE_TIMEOUT"]):
        return None
    logout_user()
    fresh_session()  # the language chosen stays
    flash(_("为保护账户安全，长时间未操作或登录时间过长的会话已自动退出，请重新登录。"), "info")
    come_back_to = request.full_path if request.method == "GET" else None
    return redirect(url_for("accounts.login", next=come_back_to))


def _ended_elsewhere() -> Response | None:
    """Tell a browser whose session another sign-in (or a sign-out or new password) ended; a
    public page is then shown signed out, any other goes to the sign-in page."""
    if ENDED_ELSEWHERE not in g:
        return None
    from portal.accounts.services import fresh_session
    from portal.authz.access import is_public_endpoint

    logout_user()
    fresh_session()  # the language chosen stays
    if g.get(ENDED_ELSEWHERE):
        message = _("您的账号已在另一处登录，这里的会话已结束。如果不是您本人，请立即修改密码。")
        flash(message, "warning")
    else:
        flash(_("您的账号已在另一处退出或修改了密码，这里的会话已结束，请重新登录。"), "info")
    if request.method == "GET" and is_public_endpoint(request.endpoint):
        return None
    come_back_to = request.full_path if request.method == "GET" else None
    return redirect(url_for("accounts.login", next=come_back_to))

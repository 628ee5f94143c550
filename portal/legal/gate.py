"""Asking again: a signed-in user who has not accepted the user agreement or the privacy policy
in force is sent to the consent page from every page but the few they need meanwhile.

The check costs one query per session and per set of versions: once a user is found to have
accepted the versions in force, the session remembers it, so later requests ask nothing. A new
version (another set) or a new sign-in (sign-in empties the session) checks again.
"""

from __future__ import annotations

from flask import current_app, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.dates import today_in_china
from portal.legal import services
from portal.legal.documents import current_versions

# What a user who has not accepted yet may still open: the consent page itself, the texts it
# links to, signing out, the language switch, and static files.
EXEMPT_ENDPOINTS = frozenset(
    {
        "legal.consent",
        "legal.terms",
        "legal.terms_version",
        "legal.privacy",
        "legal.privacy_version",
        "accounts.logout",
        "i18n.switch_language",
        "static",
    }
)
ACCEPTED_SESSION_KEY = "legal_accepted"


def require_current_consent() -> Response | None:
    """before_request hook: the consent page for a user who owes a consent, else nothing."""
    if not current_app.config["LEGAL_CONSENT_REQUIRED"]:
        return None
    if request.endpoint is None or request.endpoint in EXEMPT_ENDPOINTS:
        return None  # an unknown URL stays a 404
    if not current_user.is_authenticated:
        return None
    today = today_in_china()
    marker = f"{current_user.id}:" + ",".join(
        f"{v.document}={v.version}" for v in current_versions(today)
    )
    if session.get(ACCEPTED_SESSION_KEY) == marker:
        return None
    if not services.outstanding(current_user, today):
        session[ACCEPTED_SESSION_KEY] = marker
        return None
    come_back_to = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("legal.consent", next=come_back_to))

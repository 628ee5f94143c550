"""Device cookies: a browser that has signed in to an account is recognised at its next sign-in.

OWASP's "Slow down online guessing attacks with device cookies". After a successful sign-in the
browser gets a cookie, signed with SECRET_KEY, that names the account (by the hash the throttle
keys use, never the email) and a random nonce. A later attempt for that account which presents
it is throttled per device (portal/accounts/throttle.py): the failures of an attacker elsewhere,
however many, never lock the owner out of a browser they have used before. The cookie proves
nothing about identity: the password and the second factor are still required.

Nothing is stored on the server: the signature is the proof, and the nonce names the device's
own failure counter. A fresh nonce is issued at every sign-in, which also starts that counter
afresh. A stolen cookie buys its holder one more device's worth of guesses (five a window),
no more than guessing from one more address would.
"""

from __future__ import annotations

import secrets

from flask import current_app, g, has_request_context, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

COOKIE_NAME = "crt_device"
MAX_AGE = 180 * 24 * 3600
# A shared office computer may be used by several colleagues: remember the latest few accounts.
MAX_ACCOUNTS = 5
_SALT = "portal.accounts.device-cookie"
_PENDING = "portal_device_account"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _presented() -> dict[str, str]:
    """Account key → nonce from this browser's device cookie, if its signature holds."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return {}
    try:
        devices = _serializer().loads(raw, max_age=MAX_AGE)
    except BadSignature:  # also an expired one
        return {}
    if not isinstance(devices, dict):
        return {}
    return {k: v for k, v in devices.items() if isinstance(k, str) and isinstance(v, str)}


def nonce_for(account: str) -> str | None:
    """The nonce of a valid device cookie this request presents for the account, if any."""
    if not has_request_context():
        return None
    return _presented().get(account)


def remember(account: str) -> None:
    """Give this browser a fresh device cookie for the account with the response."""
    if has_request_context():
        setattr(g, _PENDING, account)


def set_cookie(response: Response) -> Response:
    """After a successful sign-in, write the device cookie (an after-request hook)."""
    account = getattr(g, _PENDING, None)
    if account is None:
        return response
    devices = _presented()
    devices.pop(account, None)
    devices[account] = secrets.token_urlsafe(16)
    kept = dict(list(devices.items())[-MAX_ACCOUNTS:])
    response.set_cookie(
        COOKIE_NAME,
        _serializer().dumps(kept),
        max_age=MAX_AGE,
        httponly=True,
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        samesite="Lax",
    )
    return response

"""Refused requests (403) in the audit log, at a bounded rate per user.

Every refusal goes to the application log. The audit log admins search gets at most one entry
per user and endpoint per window, and at most PER_USER per user per window whatever the
endpoints, so a signed-in user who sends refused requests in a loop cannot flood it. Refusals
are counted atomically in the sign-in throttle's counter store (Redis when REDIS_URL is set,
otherwise the database), which every worker shares.
"""

from __future__ import annotations

import time

from flask import current_app, request
from flask_login import current_user

from portal.accounts.throttle import counter_store
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.extensions import db

WINDOW_SECONDS = 60
PER_ENDPOINT = 1  # entries per user, endpoint and window
PER_USER = 10  # entries per user and window, over all endpoints


def record_refusal() -> None:
    """Log a refused request of a signed-in user; audit it unless their bound is reached."""
    if not current_user.is_authenticated:
        return
    endpoint = request.endpoint or "-"
    current_app.logger.warning(
        "permission refused: user=%s role=%s endpoint=%s",
        current_user.id,
        current_user.role,
        endpoint,
    )
    # The request's own work (if any) is abandoned by the 403; the refusal is kept on its own.
    db.session.rollback()
    if within_bounds(current_user.id, endpoint):
        audit.record(AuditAction.AUTH_PERMISSION_REFUSED, endpoint=endpoint, method=request.method)
    db.session.commit()


def within_bounds(user_id: int, endpoint: str) -> bool:
    """Count this refusal; whether it is still among those the window may audit."""
    store = counter_store()
    window = int(time.time()) // WINDOW_SECONDS
    expires_in = WINDOW_SECONDS + 60
    if store.hit(f"refusal:{user_id}:{endpoint}:{window}", expires_in) > PER_ENDPOINT:
        return False
    # Counted only when the endpoint's own bound let it through: PER_USER distinct endpoints.
    return store.hit(f"refusal:{user_id}:{window}", expires_in) <= PER_USER

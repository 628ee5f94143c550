"""Recording audit entries. Entries join the caller's transaction: no change without its record."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from portal.accounts.models import User
from portal.audit.actions import AuditAction
from portal.audit.models import AuditEntry
from portal.extensions import db


def record(
    action: AuditAction,
    *,
    actor: User | None = None,
    obj: Any = None,
    firm_id: int | None = None,
    **detail: Any,
) -> AuditEntry:
    """Add an audit entry to the current session (the caller commits).

    Who: `actor`, or the signed-in user. From where: the request's remote address, which is the
    client's only when ProxyFix trusts the right number of proxies (PROXY_FIX_X_FOR).
    """
    action = AuditAction(action)  # an unknown code fails here, in tests, not in the search page
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    entry = AuditEntry(
        action=action,
        actor_id=actor.id if actor else None,
        actor_role=str(actor.role) if actor else None,
        remote_addr=request.remote_addr if has_request_context() else None,
        object_type=type(obj).__name__ if obj is not None else None,
        object_id=_object_id(obj),
        firm_id=firm_id,
        detail={k: _jsonable(v) for k, v in detail.items()},
    )
    db.session.add(entry)
    return entry


def _object_id(obj: Any) -> int | None:
    """The object's id; a row added in this transaction is flushed first so that it has one."""
    if obj is None:
        return None
    if getattr(obj, "id", None) is None and obj in db.session.new:
        db.session.flush()
    return getattr(obj, "id", None)


def _jsonable(value: Any) -> Any:
    """A detail value as JSON keeps it: mappings and sequences as themselves (so a before/after
    pair reads as values, not a Python repr), anything else as its text."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return str(value)

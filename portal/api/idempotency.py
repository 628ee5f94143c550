"""Idempotency keys on every POST: a retried call gets the first answer, never a second effect.

The key is recorded in a transaction of its own before the operation runs, so two copies of
the same call arriving at once cannot both run: the second finds the key and is told to retry.
The answer is stored once the operation ends (its own transaction has committed by then), and
answered again, byte for byte, to any retry with the same key and the same request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any, TypeVar

from flask import Response, current_app, g, request
from flask_babel import gettext as _
from flask_smorest.utils import deepupdate
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from portal.api import problems
from portal.api.models import ApiClient, IdempotencyRecord
from portal.api.problems import ApiProblem
from portal.db import utcnow
from portal.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 100
# Answers are kept this long; a call stuck this long (its worker died) may be run again.
KEPT_FOR = dt.timedelta(hours=24)
STUCK_AFTER = dt.timedelta(minutes=2)
KEY_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": True,
    "description": "A key of the caller's choosing (a UUID); a retry sends the same key.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}
# A bad key (400), the same key still running (409), reused for another request (422), none (428).
KEY_REFUSALS = {
    400: "BAD_REQUEST",
    409: "CONFLICT",
    422: "UNPROCESSABLE_ENTITY",
    428: "PRECONDITION_REQUIRED",
}


def idempotent(view: F) -> F:
    """Require an Idempotency-Key and answer a retry with the first answer."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        client: ApiClient = g.api_client
        key = _key()
        record = _claim(client, key, _fingerprint())
        if record.status is not None:
            return _replay(record)
        response = _run(view, *args, **kwargs)
        _store(record.id, response)
        return response

    wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))  # type: ignore[attr-defined]
    wrapper._apidoc["manual_doc"] = deepupdate(  # type: ignore[attr-defined]
        deepcopy(wrapper._apidoc.get("manual_doc", {})),  # type: ignore[attr-defined]
        {"parameters": [KEY_PARAMETER], "responses": dict(KEY_REFUSALS)},
    )
    return wrapper  # type: ignore[return-value]


def _key() -> str:
    key = request.headers.get(HEADER, "").strip()
    if not key:
        raise ApiProblem(
            428, _("每个 POST 请求都须带 Idempotency-Key 请求头（建议用 UUID）。"), slug="no-key"
        )
    if len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise ApiProblem(
            400,
            _("Idempotency-Key 须为不超过 %(n)s 个 ASCII 可见字符。", n=MAX_KEY_LENGTH),
            slug="bad-key",
        )
    return key


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _claim(client: ApiClient, key: str, fingerprint: str) -> IdempotencyRecord:
    """The key's record: an earlier answer, or a new one this call now holds."""
    db.session.rollback()  # a fresh transaction: the record commits apart from the operation
    existing = _record(client.id, key)
    if existing is None:
        record = IdempotencyRecord(client_id=client.id, key=key, fingerprint=fingerprint)
        db.session.add(record)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            raise _in_progress() from None
        return record
    if existing.fingerprint != fingerprint:
        raise ApiProblem(
            422, _("该 Idempotency-Key 已用于另一个请求，请换一个新的键。"), slug="key-reused"
        )
    if existing.status is None:
        if existing.created_at > utcnow() - STUCK_AFTER:
            raise _in_progress()
        existing.created_at = utcnow()  # the first call died: this one runs it
        db.session.commit()
    return existing


def _record(client_id: int, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.client_id == client_id, IdempotencyRecord.key == key
        )
    )


def _in_progress() -> ApiProblem:
    return ApiProblem(
        409,
        _("使用同一 Idempotency-Key 的请求正在处理，请稍后重试。"),
        slug="in-progress",
        headers={"Retry-After": "1"},
    )


def _run(view: Callable[..., Any], *args: Any, **kwargs: Any) -> Response:
    try:
        return current_app.make_response(view(*args, **kwargs))
    except HTTPException as error:
        db.session.rollback()
        return problems.from_exception(error)


def _store(record_id: int, response: Response) -> None:
    """Keep the answer; a server error is not kept, so a retry runs the call again."""
    db.session.rollback()
    record = db.session.get(IdempotencyRecord, record_id)
    if record is None:
        return
    if response.status_code >= 500:
        db.session.delete(record)
    else:
        record.status = response.status_code
        record.body = {
            "mimetype": response.mimetype,
            "data": response.get_data(as_text=True),
        }
    db.session.commit()


def _replay(record: IdempotencyRecord) -> Response:
    body = record.body or {}
    response = current_app.response_class(
        body.get("data", ""), status=record.status, mimetype=body.get("mimetype")
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response


def forget_old(now: dt.datetime | None = None) -> int:
    """Drop answers older than KEPT_FOR (a scheduled job); returns how many."""
    cutoff = (now or utcnow()) - KEPT_FOR
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
    )
    db.session.commit()
    return result.rowcount or 0

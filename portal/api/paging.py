"""Cursor paging for API lists: rows by id, `limit` at a time, the cursor opaque to callers."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select

from portal.api.problems import ApiProblem
from portal.extensions import db


def page_of(statement: Select[Any], id_column: Any, limit: int, cursor: str | None, kind: str):
    """The rows after the cursor, in id order, and the cursor of the next page (or None)."""
    after = _decode(cursor, kind)
    if after is not None:
        statement = statement.where(id_column > after)
    rows = list(db.session.scalars(statement.order_by(id_column).limit(limit + 1)))
    more, rows = len(rows) > limit, rows[:limit]
    return rows, (_encode(kind, rows[-1].id) if more else None)


def _encode(kind: str, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{row_id}".encode()).decode().rstrip("=")


def _decode(cursor: str | None, kind: str) -> int | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _sep, number = text.partition(":")
        if prefix != kind or not number.isdigit() or len(number) > 12:
            raise ValueError
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiProblem(
            400, _("cursor 无效：请原样传回上一页的 next_cursor。"), slug="bad-cursor"
        ) from None

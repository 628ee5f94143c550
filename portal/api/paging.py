"""Cursor paging for API lists: rows by id, `limit` at a time, the cursor opaque to callers.

A page of a list is written straight to JSON (`listing`): lists are what callers' systems poll
all day, and marshmallow's dump of a hundred nested items took most of a page's time. The
endpoint's response schema still documents the page, and the tests check that the two agree.
"""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal
from typing import Any

import orjson
from flask import Response
from flask_babel import gettext as _
from sqlalchemy import Select

from portal.api.problems import ApiProblem
from portal.extensions import db


def page_of(
    statement: Select[Any],
    id_column: Any,
    limit: int,
    cursor: str | None,
    kind: str,
    columns: bool = False,
):
    """The rows after the cursor, in id order, and the cursor of the next page (or None): ORM
    objects for a statement of one entity, rows for a statement of `columns` (each with an
    `id`)."""
    after = _decode(cursor, kind)
    if after is not None:
        statement = statement.where(id_column > after)
    statement = statement.order_by(id_column).limit(limit + 1)
    if columns:
        # Rows of columns need none of the ORM's loading: Core reads a page in half the time.
        rows = list(db.session.connection().execute(statement))
    else:
        rows = list(db.session.scalars(statement))
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


def listing(items: list[dict[str, Any]], next_cursor: str | None) -> Response:
    """A page of a list as JSON, its values written as the schemas write them: times and dates
    in ISO 8601 (orjson's own), money and rates as decimal strings (`plain`)."""
    body = orjson.dumps({"items": items, "next_cursor": next_cursor}, default=plain)
    return Response(body, mimetype="application/json")


def plain(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not written in an API list")

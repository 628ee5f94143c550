"""Paging for list pages."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import current_app, request
from sqlalchemy import Select, func, select

from portal.extensions import db

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def count_rows(statement: Select[Any]) -> int:
    """How many rows a select gives: the total a list of it shows, counted the same way."""
    return (
        db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
        or 0
    )


def paginate(statement: Select[Any]) -> Page[Any]:
    """One page of a select, numbered from the `page` query argument."""
    size = current_app.config["PAGE_SIZE"]
    total = count_rows(statement)
    # Past the last page shows the last one: a huge ?page= must not overflow the OFFSET.
    last = max(1, math.ceil((total or 0) / size))
    number = min(max(request.args.get("page", 1, type=int) or 1, 1), last)
    items = db.session.scalars(statement.limit(size).offset((number - 1) * size)).all()
    return Page(list(items), number, size, total or 0)

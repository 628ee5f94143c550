"""URL converters: a number in a URL is an id, and an id fits the database's id columns."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from portal.numbers import RECORD_ID

# Every id column is INTEGER: 32 bits on PostgreSQL (SQLite's integers are 64 bits, wider), the
# same range as an id typed into a search box.
ID_MIN = int(RECORD_ID.low)
ID_MAX = int(RECORD_ID.high)


class IdConverter(IntegerConverter):
    """`<int:...>` bounded to the ids a row can have; any other number matches no route (404).

    Werkzeug's own `int` takes any run of digits: a 60-digit id reached the database driver,
    which cannot bind it (SQLite raises OverflowError), and the request failed with a 500.
    A rule that means a number other than an id can still pass its own `min`/`max`.
    """

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = ID_MIN,
        max: int | None = ID_MAX,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register(app: Flask) -> None:
    """Make every `<int:...>` of the app (and `<id:...>`) an id converter; before any rule."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["id"] = IdConverter

"""Hypothesis strategies for hostile form input, and the checks every refused submission must pass.

A submission is a valid baseline with some fields replaced by arbitrary values, dropped, or
repeated, so that examples reach past the first validator as well as failing at it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from flask import Flask, template_rendered
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.db import Base
from portal.extensions import db
from portal.matching.catalogue import invalidate_catalogue_cache

# Function-scoped fixtures (the client, the signed-in user, the seeded rows) are shared by the
# examples on purpose; each example runs in its own savepoint (`isolated`), so none sees another.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Every numeric input is driven with each of these (see test_forms, test_uploads, the filters):
# none is a number the portal can keep, so each must get a message and write nothing.
NUMBER_EXTREMES = [
    "1e999999999",
    "-1e999999999",
    "1e-999999999",
    "-1e-999999999",
    "1e999999",
    "NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "9" * 60,
    "-" + "9" * 60,
    "1_000",
    "９" * 60,  # full-width digits read as ASCII: 60 nines
]
# "-0" is plain zero: accepted where zero is, refused with a message where it is not.
SIGNED_ZERO = "-0"

NASTY = [
    *NUMBER_EXTREMES,
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m",
    "\x7f",
    "NaN",
    "nan",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1e309",
    "1E+999999999",
    "1e-999999",
    "-1",
    "-0.01",
    "-0",
    "0",
    "0.001",
    "9" * 30,
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "99999999999999999999.99",
    "1,000.5",
    "１２３",
    "٣",
    "0x10",
    "1_000",
    "2026-02-30",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026/10/01",
    "20261001",
    "2026-10",
    "0001-01",
    "9999-12",
    "2026-13",
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1",
    "\r=1",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\u202eabc",
    "\ufeff",
    "\u3000",
    "𠜎𠜱𡃁",
    "a\nb\r\nc",
    "x" * 5000,
    "名" * 300,
    "x" * 100_000,
]


def _dates() -> st.SearchStrategy[str]:
    formats = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%Y-%m", "%Y%m%d", "%Y-%m-%dT%H:%M:%S")
    return st.builds(
        lambda day, fmt: day.strftime(fmt), st.dates(dt.date(1, 1, 1)), st.sampled_from(formats)
    )


VALUE: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(max_size=400),
    st.integers().map(str),
    st.floats().map(str),
    st.decimals().map(str),
    _dates(),
)
# A field may be left out, given one value, or given several (a repeated field).
FIELD: st.SearchStrategy[Any] = st.one_of(
    st.none(), VALUE, VALUE, VALUE, st.lists(VALUE, min_size=2, max_size=3)
)


def submissions(baseline: Mapping[str, Any], extra: tuple[str, ...] = ()) -> st.SearchStrategy:
    """The baseline with some fields replaced, removed (None) or repeated, plus stray fields."""
    names = sorted({*baseline, *extra, "unexpected"})
    return st.dictionaries(st.sampled_from(names), FIELD, max_size=len(names)).map(
        lambda changes: _merge(baseline, changes)
    )


def _merge(baseline: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    data = dict(baseline)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


# --- isolation and the database ---------------------------------------------------------------


@contextmanager
def isolated() -> Iterator[None]:
    """Run one example inside a savepoint of the test's connection and undo it afterwards."""
    connection = db.factory.kw["bind"]
    savepoint = connection.begin_nested()
    try:
        yield
    finally:
        if savepoint.is_active:
            savepoint.rollback()
        invalidate_catalogue_cache()


def fingerprint(app: Flask, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """A digest of every table's rows: equal fingerprints mean nothing was written."""
    digests = {}
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
            digests[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests


def changed_tables(before: Mapping[str, str], after: Mapping[str, str]) -> set[str]:
    return {name for name in before if before[name] != after.get(name)}


# --- pages --------------------------------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")
FIELD_ERROR = re.compile(r'<p class="field__error" id="([^"]+)-error" role="alert">(.*?)</p>', re.S)
# The form's error banner (a div) and flashed error messages (list items).
FLASH_ERROR = re.compile(r'<(?:div|li) class="flash flash--error"[^>]*>(.*?)</(?:div|li)>', re.S)


@contextmanager
def rendered_forms(app: Flask) -> Iterator[list[FlaskForm]]:
    """Collect every form passed to a template while the block runs."""
    forms: list[FlaskForm] = []

    def record(_sender: Any, template: Any, context: Mapping[str, Any], **_extra: Any) -> None:
        forms.extend(value for value in context.values() if isinstance(value, FlaskForm))

    template_rendered.connect(record, app)
    try:
        yield forms
    finally:
        template_rendered.disconnect(record, app)


def assert_errors_shown(html: str, forms: list[FlaskForm]) -> None:
    """Every field error is shown beside its field, in Chinese; a refused page shows some error."""
    shown = {field_id: text for field_id, text in FIELD_ERROR.findall(html)}
    flashes = FLASH_ERROR.findall(html)
    for form in forms:
        for field in form:
            if not field.errors or field.type == "CSRFTokenField":
                continue
            if field.type == "HiddenField":  # no place of its own: its message is in the banner
                for error in field.errors:
                    assert any(str(error) in text for text in flashes), f"{error} not shown"
            else:
                assert field.id in shown, f"error of {field.name} not shown: {field.errors}"
    for field_id, text in shown.items():
        assert CJK.search(text), f"error of {field_id} is not in Chinese: {text!r}"
    for text in flashes:
        assert CJK.search(text), f"flash is not in Chinese: {text!r}"
    assert shown or flashes, "refused without any message"


def post_checked(
    app: Flask,
    post: Callable[[], Any],
    *,
    skip: frozenset[str] = frozenset(),
    refused_when: Callable[[Any], bool] = lambda response: response.status_code == 200,
) -> Any:
    """Post inside a savepoint: never a 5xx; when refused, errors shown and nothing written."""
    with isolated():
        before = fingerprint(app, skip)
        with rendered_forms(app) as forms:
            response = post()
        assert response.status_code < 500, response.status_code
        html = response.get_data(as_text=True)
        if any(form.errors for form in forms):
            assert_errors_shown(html, forms)
        if refused_when(response):
            assert_errors_shown(html, forms)
            assert changed_tables(before, fingerprint(app, skip)) == set()
        return response

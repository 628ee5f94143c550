"""Filter forms read from the query string, and buttons that post no form of their own: arbitrary
parameters never give a 5xx. Every form derives from the portal's base form."""

from __future__ import annotations

import inspect
import pkgutil
from importlib import import_module

import pytest
from flask_wtf import FlaskForm
from hypothesis import example, given
from hypothesis import strategies as st

import portal
from portal.forms import Form
from tests.fuzz.conftest import World
from tests.fuzz.strategies import FUZZ, NUMBER_EXTREMES, VALUE, isolated

PARAMS = st.dictionaries(
    st.sampled_from(
        [
            "q",
            "role",
            "status",
            "kind",
            "bank",
            "region",
            "amount",
            "term",
            "guarantee",
            "max_rate",
            "sort",
            "agency",
            "include_inactive",
            "policy_backed",
            "month",
            "show",
            "start",
            "end",
            "industry",
            "size",
            "product",
            "npl_threshold",
            "page",
            "what_if",
            "action",
            "actor",
            "object",
            "year",
        ]
    ),
    st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=3)),
    max_size=6,
)
PAGES = {
    "admin": ["/admin/users", "/admin/lpr", "/admin/calendar"],
    "officer": ["/bank/leads/", "/bank/loan-reports/", "/bank/loan-reports/template.csv"],
    "gov": ["/gov/onboarding", "/gov/policies/"],
    "regulator": ["/dashboard/", "/dashboard/export/banks.xlsx", "/reports/"],
    None: ["/products", "/policies"],
}
BUTTONS = {
    "officer": lambda w: [
        f"/bank/leads/{w.open_lead}/claim",
        f"/bank/leads/{w.open_lead}/accept",
        "/notifications/read",
    ],
    "bank_admin": lambda w: [
        f"/bank/products/{w.product_id}/publish",
        f"/bank/products/{w.product_id}/archive",
    ],
    "gov": lambda w: [f"/gov/policies/{w.policy_id}/publish", f"/gov/policies/{w.policy_id}/close"],
    "sme": lambda w: [
        f"/firm/needs/{w.need_id}/apply",
        f"/firm/needs/{w.need_id}/route-best",
        f"/firm/needs/{w.need_id}/pool",
        f"/firm/needs/{w.need_id}/withdraw",
        f"/firm/needs/{w.need_id}/offers/{w.taken_lead}/take",
    ],
    "admin": lambda w: ["/admin/users/1/active"],
}


@pytest.mark.parametrize("role", list(PAGES), ids=str)
def test_filter_pages_survive_arbitrary_query_strings(app, client, auth, world: World, role):
    """Any query string on a listing, a filter or an export: a page, never a 5xx."""
    if role:
        auth.login(getattr(world, role))

    @FUZZ
    @given(params=PARAMS)
    @example(params={"q": "a\x00b", "page": "99999999999999999999999"})
    @example(params={"role": "no-such-role", "status": "\x00"})
    @example(params={"start": "0001-01", "end": "9999-12", "npl_threshold": "sNaN"})
    def check(params):
        with isolated():
            for path in PAGES[role]:
                response = client.get(path, query_string=params)
                assert response.status_code < 500, path

    check()


@pytest.mark.parametrize("role", list(BUTTONS))
def test_buttons_survive_arbitrary_fields(app, client, auth, world: World, role):
    """Buttons that post only a token, given arbitrary extra fields: never a 5xx."""
    auth.login(getattr(world, role))
    paths = BUTTONS[role](world)

    @FUZZ
    @given(fields=PARAMS, path=st.sampled_from(paths))
    @example(fields={"reason": "关闭原因\x00"}, path=paths[-1])
    def check(fields, path):
        with isolated():
            assert client.post(path, data=fields).status_code < 500

    check()


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(["locale", "next"]), VALUE))
@example(fields={"locale": "en\x00", "next": "//evil.example"})
def test_language_switch_survives_arbitrary_fields(app, fields):
    """The language switch, open to everyone, takes any value without a 5xx."""
    with isolated():
        assert app.test_client().post("/language", data=fields).status_code < 500


def test_every_form_derives_from_the_portal_form():
    """A new form that skips portal.forms.Form would take NUL and control characters unchecked."""
    for module_info in pkgutil.walk_packages(portal.__path__, "portal."):
        if ".demo" in module_info.name or module_info.name.endswith("__main__"):
            continue
        module = import_module(module_info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__:
                assert issubclass(cls, Form), f"{cls.__module__}.{cls.__name__}"


NUMBER_FILTERS = [
    (None, "/products", "amount"),
    (None, "/products", "term"),
    (None, "/products", "max_rate"),
    ("regulator", "/dashboard/", "npl_threshold"),
    ("admin", "/admin/audit/", "object_id"),
]


@pytest.mark.parametrize(("role", "path", "key"), NUMBER_FILTERS)
@pytest.mark.parametrize("value", NUMBER_EXTREMES)
def test_number_filters_refuse_extremes_with_a_message(
    app, client, auth, world, role, path, key, value
):
    """Each extreme in a numeric filter: the page answers, the filter says what to type."""
    if role:
        auth.login(getattr(world, role))
    with isolated():
        response = client.get(path, query_string={key: value})
        assert response.status_code == 200
        assert f'id="{key}-error"' in response.get_data(as_text=True)

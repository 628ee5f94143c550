"""Hand-made input gets a message (or a 404 for an id), never a server error.

CR/LF and other control characters in `next`; months and dates at the calendar's ends; ids too
large for the database's integer columns, on every route that takes one, as every role.
"""

from __future__ import annotations

import io

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter

from portal.audit.models import AuditEntry
from portal.enums import Role
from portal.extensions import db
from portal.monthly.models import MonthlyReport
from portal.urls import ID_MAX
from tests.authz.matrix import ANONYMOUS, VISITORS, routes, url_for_rule
from tests.authz.world import build_world
from tests.factories import PASSWORD, UserFactory

# --- `next` after signing in and after choosing a language ----------------------------------

# As the server reads them (the test client encodes them into the query or form).
HOSTILE_NEXT = [
    "/home\r\nSet-Cookie: stolen=1",
    "/home\r\n",
    "/home\n",
    "/home\r",
    "\r\n/home",
    "/\t/evil.example.com",  # browsers drop tabs and newlines: this would be //evil.example.com
    "/\n/evil.example.com",
    "/\r/evil.example.com",
    "/home\tx",
    "/home\x00",
    "/home\x0b",
    "/home\x7f",
    "/home\u2028",
    "/home\u0085",
    "/ /evil.example.com",
    "/%0d%0aSet-Cookie: stolen=1",  # already decoded once: a literal % in the path
    "//evil.example.com",
    "/\\evil.example.com",
    "https://evil.example.com/",
]
# Raw in the URL: the server decodes %0d%0a into CR LF itself.
HOSTILE_NEXT_IN_URL = [
    "/home%0d%0aSet-Cookie:%20stolen=1",
    "%0d%0a/home",
    "/%09/evil.example.com",
    "/home%00",
    "/%0a/evil.example.com",
]


def assert_clean_redirect(response, expected_path: str) -> None:
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    assert location == expected_path, location
    assert "Set-Cookie" not in response.headers or "stolen" not in str(response.headers)


@pytest.fixture
def firm_user(create) -> str:
    return create(UserFactory, role=Role.SME).email


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_sign_in_ignores_a_next_that_is_not_a_clean_path(client, firm_user, target):
    """Signing in with such a `next` lands on the home page; the login page itself renders."""
    assert client.get("/login", query_string={"next": target}).status_code == 200
    response = client.post(
        "/login", query_string={"next": target}, data={"email": firm_user, "password": PASSWORD}
    )
    assert_clean_redirect(response, "/home")


@pytest.mark.parametrize("raw", HOSTILE_NEXT_IN_URL)
def test_sign_in_ignores_an_encoded_crlf_next(client, firm_user, raw):
    """%0d%0a and friends written into the URL itself are refused the same way."""
    assert client.get(f"/login?next={raw}").status_code == 200
    response = client.post(f"/login?next={raw}", data={"email": firm_user, "password": PASSWORD})
    assert_clean_redirect(response, "/home")


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_staff_sign_in_ignores_a_hostile_next_after_the_second_step(
    app, client, auth, create, target
):
    """A staff user's `next` is kept across the code page, and refused at the end of it."""
    email = create(UserFactory, role=Role.REGULATOR).email
    response = auth.login(email, query_string={"next": target})
    assert_clean_redirect(response, "/home")


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_language_switch_ignores_a_next_that_is_not_a_clean_path(client, target):
    """Choosing a language with such a `next` goes back to the front page."""
    response = client.post("/language", data={"locale": "en", "next": target})
    assert_clean_redirect(response, "/")


@pytest.mark.parametrize("raw", HOSTILE_NEXT_IN_URL)
def test_language_switch_ignores_an_encoded_crlf_next(client, raw):
    """The same, with the form body written by hand."""
    response = client.post(
        "/language",
        data=f"locale=en&next={raw}",
        content_type="application/x-www-form-urlencoded",
    )
    assert_clean_redirect(response, "/")


@pytest.mark.parametrize("target", ["/products", "/products?kind=credit&page=2", "/firm/needs/3"])
def test_a_clean_same_site_next_is_still_followed(client, firm_user, target):
    """Real paths (with a query) are where the user goes back to."""
    response = client.post("/language", data={"locale": "en", "next": target})
    assert_clean_redirect(response, target)
    response = client.post(
        "/login", query_string={"next": target}, data={"email": firm_user, "password": PASSWORD}
    )
    assert_clean_redirect(response, target)


# --- months at the calendar's ends ----------------------------------------------------------

PERIODS = ["0001-01", "9999-12", "0000-00", "0001-12", "1999-12", "0000-01", "9999-99", "-001-01"]


@pytest.mark.parametrize("period", PERIODS)
def test_regenerating_a_report_for_an_impossible_month_says_why(app, client, auth, create, period):
    """The archive's regenerate form answers with a message beside the month; nothing is made."""
    auth.login(create(UserFactory, role=Role.ADMIN).email)
    response = client.post(
        "/reports/regenerate", data={"period": period, "scope": "province", "confirmed": "y"}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert any(message in html for message in ("格式应为 2026-10", "尚未结束", "最早可生成")), html
    with app.app_context():
        assert db.session.scalar(select(func.count(MonthlyReport.id))) == 0


@pytest.mark.parametrize("period", PERIODS)
def test_loan_reporting_pages_answer_any_month(app, client, auth, period):
    """The bank's reporting pages, templates, one-loan form and upload refuse or ignore it."""
    world = build_world(app)
    auth.login(world.email(Role.BANK_OFFICER))
    loan_id = world.a.loan
    for path in ("/bank/loan-reports/", "/bank/loan-reports/template.csv"):
        assert client.get(path, query_string={"month": period}).status_code == 200, path
    assert (
        client.get("/bank/loan-reports/template.xlsx", query_string={"month": period}).status_code
        == 200
    )
    assert (
        client.get(f"/bank/loan-reports/loans/{loan_id}", query_string={"month": period})
    ).status_code == 200
    answer = client.post(
        f"/bank/loan-reports/loans/{loan_id}",
        data={"month": period, "balance": "1000", "days_overdue": "0", "five_tier_class": "normal"},
    )
    assert answer.status_code == 200 and "月份" in answer.get_data(as_text=True)
    upload = client.post(
        "/bank/loan-reports/upload",
        data={
            "month": period,
            "file": (io.BytesIO(b"contract_no,balance\n"), "m.csv"),
            "confirmed": "y",
        },
        content_type="multipart/form-data",
    )
    assert upload.status_code in (200, 302)


@pytest.mark.parametrize("period", PERIODS)
def test_dashboard_answers_any_month(client, auth, create, period):
    """The dashboard and its export show a message and fall back to the default months."""
    auth.login(create(UserFactory, role=Role.REGULATOR).email)
    page = client.get("/dashboard/", query_string={"start": period, "end": period})
    assert page.status_code == 200
    export = client.get("/dashboard/export/months.csv", query_string={"start": period})
    assert export.status_code == 200


BLANK_CHOICES = ["\r", "\n", " ", "\t"]


@pytest.mark.parametrize("blank", BLANK_CHOICES)
def test_a_blank_choice_in_a_filter_means_all(client, auth, create, blank):
    """Whitespace passes `Optional()` before the choices are checked: it is read as no filter."""
    assert client.get("/products", query_string={"bank": blank}).status_code == 200
    auth.login(create(UserFactory, role=Role.REGULATOR).email)
    for name in ("bank", "product", "region", "size", "industry"):
        assert client.get("/dashboard/", query_string={name: blank}).status_code == 200, name


# --- audit search dates ---------------------------------------------------------------------

AUDIT_DATES = ["0001", "9999", "0001-01-01", "9999-12-31", "0000-00-00", "1999-12-31", "2101-01-01"]


@pytest.fixture
def admin_client(app, auth, create, client):
    auth.login(create(UserFactory, role=Role.ADMIN).email)
    return client


@pytest.mark.parametrize("field", ["date_from", "date_to"])
@pytest.mark.parametrize("value", AUDIT_DATES)
def test_audit_search_refuses_dates_at_the_calendar_ends(admin_client, field, value):
    """The audit page shows a message beside the date instead of failing."""
    page = admin_client.get("/admin/audit/", query_string={field: value})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "日期应在 2000-01-01 至 2100-12-31 之间" in html or "日期格式应为 2026-01-31" in html


@pytest.mark.parametrize("field", ["date_from", "date_to"])
@pytest.mark.parametrize("value", AUDIT_DATES)
def test_audit_export_refuses_dates_at_the_calendar_ends(app, admin_client, field, value):
    """The CSV export goes back to the search page (which says why); nothing is exported."""
    response = admin_client.get("/admin/audit/export.csv", query_string={field: value})
    assert response.status_code == 302 and "/admin/audit/" in response.headers["Location"]
    with app.app_context():
        exported = select(func.count()).where(AuditEntry.action == "audit.export")
        assert db.session.scalar(exported) == 0


def test_audit_search_still_takes_a_real_range(admin_client):
    """Ordinary dates still search, with no message about the dates."""
    page = admin_client.get(
        "/admin/audit/", query_string={"date_from": "2026-01-01", "date_to": "2026-12-31"}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "2000-01-01" not in html


# --- ids too large for the database ---------------------------------------------------------

HUGE_IDS = [10**59 + 7, 2**63, 2**63 - 1, 2**31, 2**32 + 1]


def id_rules(app: Flask) -> list[tuple[Rule, str]]:
    """Every (rule, method) whose URL holds a whole-number argument."""
    return [
        (rule, method)
        for rule, method in routes(app)
        if any(isinstance(c, NumberConverter) for c in rule._converters.values())
    ]


def test_the_walk_covers_the_id_routes(app):
    """The walk below sees the id routes (so it cannot pass by probing nothing)."""
    endpoints = {rule.endpoint for rule, _ in id_rules(app)}
    assert {"leads.detail", "monthly_reports.download", "admin.set_active"} <= endpoints
    assert len(endpoints) >= 30
    for rule, _method in id_rules(app):
        for converter in rule._converters.values():
            if isinstance(converter, NumberConverter):
                assert converter.max is not None and converter.max <= ID_MAX, rule.rule


def url_with(app: Flask, rule: Rule, values: dict[str, object], huge: int) -> str:
    """The rule's URL with every whole-number argument set to `huge`, others from `values`."""
    numbers = {
        name: huge
        for name, converter in rule._converters.items()
        if isinstance(converter, NumberConverter)
    }
    return url_for_rule(app, rule, {**values, **numbers})


@pytest.mark.parametrize("visitor", VISITORS)
def test_ids_too_large_for_the_database_are_404_for_everyone(app, client, auth, visitor):
    """Every id route, every method, asked for a 60-digit id and for 2**63 (and INTEGER's
    limits), answers 404, signed in as each role or not at all."""
    world = build_world(app)
    role = None if visitor == ANONYMOUS else Role(visitor)
    if role is not None:
        auth.login(world.email(role))
    values = world.args_for(role)
    wrong = []
    for rule, method in id_rules(app):
        for huge in HUGE_IDS:
            url = url_with(app, rule, values, huge)
            response = client.open(url, method=method, data={})
            if response.status_code != 404:
                wrong.append(f"{method} {url}: {response.status_code}")
    assert not wrong, "\n".join(wrong)

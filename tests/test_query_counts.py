"""N+1 guard: the SQL statements a list page runs do not grow with the rows it shows.

Each page is requested on the demo province with a few rows of its kind added, then with five
times as many (all still on the first page); the count of statements per request, taken with
SQLAlchemy's `before_cursor_execute` event, must be the same.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, inspect, select

from demo.seed import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo
from portal.accounts.models import User
from portal.catalog import page_cache
from portal.catalog.models import BankProduct, PolicyProduct, RuleVersion
from portal.extensions import db
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Lead, Loan
from portal.matching.models import MatchResult
from portal.needs.models import FinancingNeed
from portal.notifications.models import Notification
from tests.supervision.builders import need

SMALL, LARGE = 2, 10  # rows added: the larger dataset has five times as many
_serial = itertools.count(1)


@contextmanager
def counted(app: Any) -> Iterator[list[str]]:
    """Every SQL statement sent on the app's engine inside the block."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = app.extensions["portal.db"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def clone(row: Any, **overrides: Any) -> Any:
    """A copy of a row under a new primary key, with the given columns changed."""
    mapper = inspect(type(row))
    values = {
        attr.key: getattr(row, attr.key)
        for attr in mapper.column_attrs
        if not any(column.primary_key for column in attr.columns)
    }
    values.update(overrides)
    copy = type(row)(**values)
    db.session.add(copy)
    db.session.flush()
    return copy


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _first(model: Any, *conditions: Any) -> Any:
    return db.session.scalar(select(model).where(*conditions).order_by(model.id).limit(1))


def add_products(n: int) -> None:
    product = _first(BankProduct, BankProduct.status == "published")
    for _ in range(n):
        clone(product, name=f"{product.name}{next(_serial)}")


def add_policies(n: int) -> None:
    """Copies of a published policy of the demo government agency (public and agency lists)."""
    agency_id = _user("gov@demo.local").agency_id
    policy = _first(
        PolicyProduct, PolicyProduct.agency_id == agency_id, PolicyProduct.status == "published"
    )
    for _ in range(n):
        clone(policy, slug=f"{policy.slug}-{next(_serial)}", title=f"{policy.title}{next(_serial)}")


def _demo_need() -> FinancingNeed:
    """The demo firm's first need (made if the demo has none)."""
    firm_user = _user("sme@demo.local")
    found = _first(FinancingNeed, FinancingNeed.firm_id == firm_user.firm_id)
    return found or need(firm_user.firm, firm_user, dt.datetime.now(dt.UTC))


def add_needs_and_leads(n: int, *, pooled: bool = False) -> None:
    """Needs of the demo firm, each with a lead to the demo bank (or in the pool)."""
    officer = _user("bank@demo.local")
    template = _demo_need()
    for _ in range(n):
        row = clone(template, idempotency_key=f"nplus1-{next(_serial)}")
        lead = Lead(
            need_id=row.id,
            institution_id=None if pooled else officer.institution_id,
            status="pooled" if pooled else "open",
            deadline_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=2),
        )
        db.session.add(lead)
        if pooled:  # the pool shows only leads one of the bank's products is eligible for
            db.session.add(_eligible_result(row.id, officer.institution_id))
    db.session.flush()


def _eligible_result(need_id: int, institution_id: int) -> MatchResult:
    product = _first(BankProduct, BankProduct.institution_id == institution_id)
    version = _first(RuleVersion, RuleVersion.product_id == product.id)
    return MatchResult(
        need_id=need_id, product_id=product.id, rule_version_id=version.id, eligible=True, rank=1
    )


def add_results(n: int) -> None:
    """Match results of the demo firm's first need, each for a product of its own."""
    target = _demo_need()
    version = _first(RuleVersion)
    product = db.session.get(BankProduct, version.product_id) if version.product_id else None
    product = product or _first(BankProduct)
    for _ in range(n):
        copy = clone(product, name=f"{product.name}{next(_serial)}")
        db.session.add(
            MatchResult(
                need_id=target.id, product_id=copy.id, rule_version_id=version.id, eligible=False
            )
        )
    db.session.flush()


def add_users(n: int) -> None:
    template = _user("bank@demo.local")
    for _ in range(n):
        clone(template, email=f"nplus1-{next(_serial)}@demo.local")


def add_notifications(n: int) -> None:
    for email in ("sme@demo.local", "bank@demo.local"):
        user = _user(email)
        for _ in range(n):
            db.session.add(Notification(user_id=user.id, kind="info", title="提醒", link="/"))
    db.session.flush()


def add_pending_banks(n: int) -> None:
    template = _first(FinancialInstitution)
    for _ in range(n):
        serial = next(_serial)
        clone(
            template,
            name=f"待审银行{serial}",
            short_name=f"待审{serial}",
            onboarding_status="applied",
        )


def add_loans(n: int) -> None:
    officer = _user("bank@demo.local")
    template = _first(Loan, Loan.institution_id == officer.institution_id)
    today = dt.date.today()
    for _ in range(n):
        clone(
            template,
            lead_id=None,
            contract_no=f"NPLUS1-{next(_serial)}",
            disbursed_on=today.replace(day=1) - dt.timedelta(days=40),
            maturity_on=today + dt.timedelta(days=365),
        )


# (page, who signs in, what to add, the URL; a callable for URLs that need a row's id)
PAGES: list[tuple[str, str | None, Callable[[int], None], str | Callable[[], str]]] = [
    ("public products", None, add_products, "/products"),
    ("public policies", None, add_policies, "/policies"),
    ("bank lead inbox", "bank@demo.local", add_needs_and_leads, "/bank/leads/"),
    (
        "bank lead pool",
        "bank@demo.local",
        lambda n: add_needs_and_leads(n, pooled=True),
        "/bank/leads/pool",
    ),
    ("firm needs", "sme@demo.local", add_needs_and_leads, "/firm/needs/"),
    (
        "need detail with results",
        "sme@demo.local",
        add_results,
        lambda: f"/firm/needs/{_demo_need().id}",
    ),
    ("gov policy list", "gov@demo.local", add_policies, "/gov/policies/"),
    ("onboarding review", "gov@demo.local", add_pending_banks, "/gov/onboarding"),
    ("admin users", "admin@demo.local", add_users, "/admin/users"),
    ("loan reports", "bank@demo.local", add_loans, "/bank/loan-reports/"),
    ("notifications", "sme@demo.local", add_notifications, "/notifications/"),
    ("dashboard", "regulator@demo.local", add_loans, "/dashboard/"),
]


def statements_for(app: Any, client: Any, auth: Any, page: tuple, rows: int) -> tuple[int, str]:
    """Statements of one GET of the page after adding `rows` rows of its kind, and the page."""
    _name, who, add, url = page
    with app.app_context():
        add(rows)
        target = url() if callable(url) else url
        db.session.commit()
    client.get(target)  # warm caches (catalogue, translations) before counting
    page_cache.clear()  # but count what rendering the page takes, not a stored copy
    with counted(app) as statements:
        response = client.get(target)
    assert response.status_code == 200, (page[0], response.status_code)
    return len(statements), response.get_data(as_text=True)


@pytest.fixture
def demo(app):
    with app.app_context():
        seed_demo()
        db.session.commit()


@pytest.mark.parametrize("page", PAGES, ids=[page[0] for page in PAGES])
def test_statements_do_not_grow_with_rows(app, client, auth, demo, page):
    """The same number of statements with five times as many rows on the page."""
    who = page[1]
    if who is not None:
        auth.login(who, DEMO_PASSWORD, secret=DEMO_TOTP_SECRET)
    small, small_page = statements_for(app, client, auth, page, SMALL)
    large, large_page = statements_for(app, client, auth, page, LARGE - SMALL)
    # The added rows are on the page: the count compares pages that really show more rows.
    assert len(large_page) > len(small_page), f"{page[0]}: the added rows are not shown"
    assert large == small, f"{page[0]}: {small} statements with {SMALL} rows, {large} with {LARGE}"


def test_the_counter_sees_one_statement_per_lazy_load(app, demo):
    """Control: a loop that lazy-loads a relationship per row is counted as N+1 statements."""
    with app.app_context():
        add_needs_and_leads(4)
        db.session.commit()
        leads = db.session.scalars(select(Lead)).all()
        with counted(app) as statements:
            for lead in leads:
                db.session.expire(lead, ["need"])
                _ = lead.need.amount
    assert len(statements) >= len(leads) >= 4

"""Dashboard rollups: the figures read from them equal the live figures, cut by cut."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace
from decimal import Decimal

import pytest

from portal.catalog.models import BankProduct
from portal.enums import FiveTierClass, LeadStatus, ProductKind, Role
from portal.extensions import db
from portal.figures import live, rollups
from portal.figures.live import Filters
from portal.figures.models import DashboardLoanFact
from portal.leads.models import Lead, Loan
from portal.reporting.models import LoanStatusReport
from portal.scheduler import refresh_dashboard_rollups
from tests.factories import FirmFactory, InstitutionFactory, UserFactory
from tests.supervision.builders import loan, need, report
from tests.supervision.test_metrics import (  # noqa: F401  (fixtures)
    DEC,
    FEB,
    JAN,
    NOV,
    credit_history,
    dataset,
    late_claim,
    lpr,
    lpr_change,
)

D = Decimal
MONTHS = [dt.date(2026, m, 1) for m in range(1, 7)]
TODAY = dt.date(2026, 6, 15)  # June is "this month", May "last month"
TIERS = list(FiveTierClass)
REGIONS = ("350100", "350200", "350500")
INDUSTRIES = ("13", "52", "65", "01")


def agree(filters: Filters) -> None:
    """Rollup figures equal the live figures (groups of equal amount in either order)."""
    computed, rolled = live.figures(filters), rollups.figures(filters)
    for result in (computed, rolled):
        for groups in (result.by_region, result.by_industry, result.by_size, result.by_product):
            groups.sort(key=lambda g: (-g.amount, g.key))
    assert rolled.summary == computed.summary, filters
    assert rolled.months == computed.months, filters
    assert rolled.banks == computed.banks, filters
    assert (rolled.by_region, rolled.by_industry) == (
        computed.by_region,
        computed.by_industry,
    ), filters
    assert (rolled.by_size, rolled.by_product) == (computed.by_size, computed.by_product), filters


def cuts(ids: dict[str, int], first: dt.date, last: dt.date) -> list[Filters]:
    whole = Filters(first, last)
    return [
        whole,
        replace(whole, region_code="350100"),
        replace(whole, region_code="350200", size_class="micro"),
        replace(whole, industry_division="13"),
        replace(whole, size_class="small", institution_id=ids["x"]),
        replace(whole, institution_id=ids["y"]),
        *[replace(whole, product_id=p) for p in ids.get("products", [])],
        replace(whole, start=last),
    ]


def test_hand_built_dataset_agrees_cut_by_cut(app, dataset):  # noqa: F811
    """On the hand-computed dataset of test_metrics, every cut gives the live numbers."""
    with app.app_context():
        rollups.rebuild()
        for filters in cuts(dataset, JAN, FEB):
            agree(filters)
        assert rollups.dashboard_figures(Filters(JAN, FEB)).summary.loans == 5


def test_dashboard_reads_live_tables_until_the_first_refresh_builds_them(app, dataset):  # noqa: F811
    """Before any build the dashboard computes live; the refresh job's first run builds all."""
    with app.app_context():
        assert rollups.refreshed_at() is None
        assert rollups.reads_live(Filters(JAN, FEB))
        assert rollups.dashboard_figures(Filters(JAN, FEB)).summary.loans == 5
        assert db.session.query(DashboardLoanFact).count() == 0
        assert refresh_dashboard_rollups() > 0
        assert rollups.rebuilt_at() is not None and not rollups.reads_live(Filters(JAN, FEB))
        assert db.session.query(DashboardLoanFact).count() == 5


def _world(rng: random.Random) -> dict:
    """Three banks with products, a dozen firms, and random needs, leads, loans and reports."""
    banks = [InstitutionFactory(short_name=f"银行{i}") for i in range(3)]
    products = []
    for bank in banks:
        row = BankProduct(
            institution_id=bank.id,
            name=f"{bank.short_name}信用贷",
            kind=ProductKind.CREDIT,
            min_amount=D("100000"),
            max_amount=D("10000000"),
            min_term_months=6,
            max_term_months=36,
            min_rate=D("3.5"),
            max_rate=D("6"),
        )
        db.session.add(row)
        products.append(row)
    db.session.flush()
    firms = [
        FirmFactory(
            region_code=rng.choice(REGIONS),
            industry_code=rng.choice(INDUSTRIES),
            employees=rng.choice((5, 30, 150)),
            revenue=D(rng.choice(("500000", "20000000", "90000000"))),
        )
        for _ in range(12)
    ]
    user = UserFactory(role=Role.SME, firm=firms[0])
    # The LPR changes on the 20th, so a month's loans straddle two rates.
    for effective_on, one_year in (("2025-12-22", "3.10"), ("2026-02-20", "3.00")):
        lpr(dt.date.fromisoformat(effective_on), one_year)
    lpr(dt.date(2026, 4, 21), "2.95")
    world = {"banks": banks, "products": products, "firms": firms, "user": user, "loans": []}
    for _ in range(40):
        _random_activity(rng, world, rng.choice(MONTHS))
    return world


def _moment(rng: random.Random, month: dt.date) -> dt.datetime:
    day = dt.datetime(month.year, month.month, rng.randint(1, 28), tzinfo=dt.UTC)
    return day + dt.timedelta(hours=rng.randint(0, 23), minutes=rng.randint(0, 59))


def _random_activity(rng: random.Random, world: dict, month: dt.date) -> None:
    """One need with one or two leads, maybe a loan, and reports for the loans of the month."""
    firm = rng.choice(world["firms"])
    submitted = _moment(rng, month)
    row = need(firm, world["user"], submitted)
    row.idempotency_key = f"r{rng.random()}"
    for bank in rng.sample(range(3), rng.randint(1, 2)):
        created = submitted + dt.timedelta(hours=rng.randint(0, 30))
        approved = rng.random() < 0.6
        responded = created + dt.timedelta(minutes=rng.randint(10, 3000))
        lead = Lead(
            need_id=row.id,
            institution_id=world["banks"][bank].id,
            product_id=world["products"][bank].id if rng.random() < 0.7 else None,
            status=rng.choice(list(LeadStatus)) if not approved else LeadStatus.APPROVED,
            created_at=created,
            first_response_at=responded if rng.random() < 0.8 else None,
            approved_amount=D("1000000") if approved else None,
            decided_at=responded + dt.timedelta(hours=rng.randint(0, 20)) if approved else None,
            sla_breached=rng.random() < 0.2,
        )
        db.session.add(lead)
        db.session.flush()
        if approved and rng.random() < 0.7:
            made = loan(
                world["banks"][bank],
                firm,
                (created + dt.timedelta(days=rng.randint(0, 20))).date(),
                str(rng.choice((300000, 1000000, 4000000, 6000000))),
                str(rng.choice(("3.45", "4.10", "5.00"))),
                rng.choice(("0", "1.00")),
                lead=lead,
                product=world["products"][bank] if rng.random() < 0.8 else None,
            )
            # Some loans are guaranteed (fee, maybe subsidised); some mature within the window.
            if rng.random() < 0.4:
                made.guarantee_fee_rate = D(rng.choice(("0.80", "1.50")))
                made.fee_subsidy_rate = D(rng.choice(("0", "0.40")))
            made.maturity_on = made.disbursed_on + dt.timedelta(days=rng.choice((45, 90, 365)))
            world["loans"].append(made)
    for made in world["loans"]:
        if made.disbursed_on <= month.replace(day=28) and rng.random() < 0.7:
            if db.session.query(LoanStatusReport).filter_by(loan_id=made.id, period=month).count():
                continue
            report(
                made,
                month,
                str(rng.randint(1, 40) * 100000),
                rng.choice(TIERS),
                contradicts=rng.random() < 0.1,
            )
    db.session.flush()


def _random_cuts(rng: random.Random, world: dict) -> list[Filters]:
    ids = {
        "x": world["banks"][0].id,
        "y": world["banks"][1].id,
        "products": [world["products"][rng.randrange(3)].id],
    }
    first = rng.choice(MONTHS[:3])
    return cuts(ids, first, rng.choice([m for m in MONTHS if m >= first]))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_agree_with_live_figures_after_random_changes(app, monkeypatch, seed):
    """Random data; then random changes in recent months, and changes to older months, each
    taken in by one run of the refresh job."""
    monkeypatch.setattr("portal.dates.today_in_china", lambda: TODAY)
    rng = random.Random(seed)  # noqa: S311  (test data, not secrets)
    with app.app_context():
        world = _world(rng)
        db.session.commit()
        rollups.rebuild()
        for filters in _random_cuts(rng, world):
            agree(filters)
        # New needs, leads, loans and reports in May and June, and re-reported balances.
        for _ in range(10):
            _random_activity(rng, world, rng.choice(MONTHS[4:]))
        for row in db.session.query(LoanStatusReport).filter(LoanStatusReport.period >= MONTHS[4]):
            row.balance = D(rng.randint(0, 30) * 100000)
            row.five_tier_class = rng.choice(TIERS)
        db.session.commit()
        assert refresh_dashboard_rollups() > 0
        for filters in _random_cuts(rng, world):
            agree(filters)
        # Older months change (a firm moves city, January's reports are removed): one refresh.
        world["firms"][0].region_code = "350500"
        db.session.query(LoanStatusReport).filter(LoanStatusReport.period == MONTHS[0]).delete()
        db.session.commit()
        assert refresh_dashboard_rollups() > 0
        for filters in _random_cuts(rng, world):
            agree(filters)
        assert db.session.query(Loan).count() == db.session.query(DashboardLoanFact).count()


def test_dashboard_page_says_when_the_data_was_updated(app, client, auth, dataset):  # noqa: F811
    """Live until the first rebuild; afterwards the page names the refresh time."""
    with app.app_context():
        regulator = UserFactory(role=Role.REGULATOR)
        db.session.commit()
        email = regulator.email
    auth.login(email)
    html = client.get("/dashboard/?start=2026-01&end=2026-02").get_data(as_text=True)
    assert "数据为实时计算" in html
    with app.app_context():
        rollups.rebuild()
        stamp = rollups.refreshed_at()
    html = client.get("/dashboard/?start=2026-01&end=2026-02").get_data(as_text=True)
    assert "数据截至" in html
    assert stamp.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M") in html


@pytest.mark.parametrize("fixture", ["credit_history", "lpr_change", "late_claim"])
def test_corrected_definitions_agree_cut_by_cut(app, request, fixture):
    """Inclusive credit from outside the window, the LPR of each disbursement day, and claim
    days filed by disbursement month: the rollups give the live numbers."""
    ids = request.getfixturevalue(fixture) or {}
    with app.app_context():
        rollups.rebuild()
        first, last = (NOV, DEC) if fixture == "late_claim" else (JAN, FEB)
        cut_ids = {"x": ids.get("a", 0), "y": ids.get("b", 0)}
        cut_ids["products"] = [ids[p] for p in ("p1", "p2", "pb") if p in ids]
        for filters in cuts(cut_ids, first, last):
            agree(filters)


def test_guarantee_fee_in_the_adjusted_cost_agrees(app):
    """A guaranteed loan's fee and fee subsidy reach the rollup's adjusted cost."""
    with app.app_context():
        x, firm = InstitutionFactory(), FirmFactory()
        guaranteed = loan(x, firm, dt.date(2026, 1, 10), "4000000", "4.00", "1.00")
        guaranteed.guarantee_fee_rate, guaranteed.fee_subsidy_rate = D("1.50"), D("0.50")
        loan(x, firm, dt.date(2026, 1, 12), "1000000", "3.00")
        db.session.commit()
        rollups.rebuild()
        agree(Filters(JAN, JAN))
        assert rollups.figures(Filters(JAN, JAN)).summary.adjusted_rate == D("3.8000")


def test_refreshing_a_month_reflags_the_firms_later_loans(app):
    """A loan added to (then removed from) January changes whether the firm's February loan at
    the same bank is inclusive; refreshing January alone updates February's row."""
    with app.app_context():
        x, firm = InstitutionFactory(), FirmFactory()
        loan(x, firm, dt.date(2026, 2, 10), "5000000", "4.00")
        db.session.commit()
        rollups.rebuild()
        assert rollups.figures(Filters(FEB, FEB)).summary.inclusive_loans == 1
        january = loan(x, firm, dt.date(2026, 1, 20), "6000000", "4.00")
        db.session.commit()
        rollups._refresh_loans(JAN, JAN)
        db.session.commit()
        assert rollups.figures(Filters(FEB, FEB)).summary.inclusive_loans == 0
        agree(Filters(JAN, FEB))
        db.session.delete(january)
        db.session.commit()
        rollups._refresh_loans(JAN, JAN)
        db.session.commit()
        assert rollups.figures(Filters(FEB, FEB)).summary.inclusive_loans == 1
        agree(Filters(JAN, FEB))

"""Every supervision figure on a small hand-built dataset, with the answers worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portal.catalog.models import BankProduct
from portal.enums import FiveTierClass, LeadStatus, ProductKind, Role
from portal.extensions import db
from portal.figures.live import Filters, figures
from portal.lpr import LprRate
from tests.factories import FirmFactory, InstitutionFactory, UserFactory
from tests.supervision.builders import at, lead, loan, need, report

D = Decimal
JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
NOV, DEC = dt.date(2026, 11, 1), dt.date(2026, 12, 1)


def lpr(effective_on: dt.date, one_year: str) -> None:
    db.session.add(
        LprRate(effective_on=effective_on, one_year=D(one_year), over_five_years=D("3.50"))
    )


@pytest.fixture
def dataset(app):
    with app.app_context():
        x, y = InstitutionFactory(short_name="银行X"), InstitutionFactory(short_name="银行Y")
        f1 = FirmFactory(
            region_code="350100", industry_code="13", employees=50, revenue=D("30000000")
        )  # small
        f2 = FirmFactory(
            region_code="350200", industry_code="52", employees=5, revenue=D("500000")
        )  # micro
        f3 = FirmFactory(
            region_code="350100", industry_code="65", employees=150, revenue=D("20000000")
        )  # medium
        assert (f1.size_class, f2.size_class, f3.size_class) == ("small", "micro", "medium")
        user = UserFactory(role=Role.SME, firm=f1)
        lpr(dt.date(2025, 12, 22), "3.00")  # in force for the loan of 10 January
        lpr(dt.date(2026, 1, 20), "3.00")
        n1, n2, n3 = need(f1, user, at(8, 10)), need(f2, user, at(18, 9)), need(f3, user, at(25, 9))
        a = lead(
            n1,
            x,
            at(8, 10),
            at(8, 12),
            approved=True,
            decided=at(8, 16),
            status=LeadStatus.DISBURSED,
        )
        lead(n2, y, at(18, 9), at(18, 19), decided=at(18, 19), status=LeadStatus.DECLINED)
        lead(
            n2,
            x,
            at(19, 9),
            at(19, 13),
            approved=True,
            decided=at(20, 11),
            status=LeadStatus.APPROVED,
        )
        lead(n3, y, at(25, 9), status=LeadStatus.EXPIRED, sla_breached=True)
        l1 = loan(x, f1, dt.date(2026, 1, 10), "4000000", "4.00", "1.00", lead=a)
        l2 = loan(x, f1, dt.date(2026, 2, 5), "6000000", "3.50")
        l3 = loan(y, f2, dt.date(2026, 1, 20), "1000000", "5.00")
        l4 = loan(y, f3, dt.date(2026, 2, 10), "2000000", "3.00")
        loan(y, f2, dt.date(2026, 2, 15), "9500000", "4.00")
        report(l1, JAN, "4000000", FiveTierClass.NORMAL)
        report(l3, JAN, "1000000", FiveTierClass.DOUBTFUL)
        report(l1, FEB, "3000000", FiveTierClass.NORMAL)
        report(l3, FEB, "800000", FiveTierClass.SUBSTANDARD)
        report(l2, FEB, "6000000", FiveTierClass.SPECIAL_MENTION)
        report(l4, FEB, "2000000", FiveTierClass.LOSS)
        db.session.commit()
        return {"x": x.id, "y": y.id}


def test_volume_rates_and_average(app, dataset):
    """5 loans, 2,250 万元, 450 万元 each; weighted 86/22.5 = 3.8222%, adjusted 82/22.5."""
    with app.app_context():
        s = figures(Filters(JAN, FEB)).summary
        assert (s.loans, s.amount, s.average) == (5, D("22500000"), D("4500000.00"))
        assert (s.weighted_rate, s.adjusted_rate) == (D("3.8222"), D("3.6444"))


def test_inclusive_lending_counts_the_ten_million_boundary(app, dataset):
    """F1 owes X 400 万 then exactly 1,000 万元 (both count); F2 owes Y 100 万 (counts), then
    1,050 万元 with the 950 万 loan (does not); F3 is medium. 3 loans, 1,100 万元."""
    with app.app_context():
        s = figures(Filters(JAN, FEB)).summary
        assert (s.inclusive_loans, s.inclusive_amount) == (3, D("11000000"))
        assert (s.inclusive_share_count, s.inclusive_share_amount) == (D("0.6000"), D("0.4889"))


def test_months_npl_and_lpr_spread(app, dataset):
    """January: 2 loans at 4.20% over a 3.00% LPR, NPL 1/5; February NPL 2.8/11.8 (次级+损失)."""
    with app.app_context():
        jan, feb = figures(Filters(JAN, FEB)).months
        assert (jan.loans, jan.amount, jan.average) == (2, D("5000000"), D("2500000.00"))
        assert (jan.weighted_rate, jan.lpr, jan.spread) == (D("4.2000"), D("3.00"), D("1.2000"))
        assert jan.npl_ratio == D("0.2000")
        assert (feb.loans, feb.weighted_rate) == (3, D("3.7143"))
        assert feb.npl_ratio == D("0.2373")
        assert figures(Filters(JAN, FEB)).summary.npl_ratio == D("0.2373")


def test_lead_figures(app, dataset):
    """Approval 2/3, median first response 4 h, one SLA breach, same-day credit 1 of 2 needs."""
    with app.app_context():
        s = figures(Filters(JAN, FEB)).summary
        assert (s.approved_leads, s.decided_leads, s.approval_rate) == (2, 3, D("0.6667"))
        assert s.median_response_hours == D("4.0")
        assert s.sla_breaches == 1
        assert (s.credited_needs, s.same_day_needs, s.same_day_rate) == (2, 1, D("0.5000"))
        assert s.median_claim_to_disbursement_days == D("2")


@pytest.mark.parametrize(
    ("cut", "loans", "amount"),
    [
        ({"region_code": "350100"}, 3, "12000000"),
        ({"industry_division": "52"}, 2, "10500000"),
        ({"size_class": "micro"}, 2, "10500000"),
        ({"end": JAN}, 2, "5000000"),
    ],
)
def test_filters_cut_every_figure(app, dataset, cut, loans, amount):
    """Region, industry, size and month range each narrow the loans counted."""
    with app.app_context():
        end = cut.pop("end", FEB)
        s = figures(Filters(JAN, end, **cut)).summary
        assert (s.loans, s.amount) == (loans, D(amount))


def test_bank_filter_and_ranking(app, dataset):
    """Bank Y lent more (1,250 万元) and ranks first; its February NPL is 2.8/2.8."""
    with app.app_context():
        result = figures(Filters(JAN, FEB))
        first, second = result.banks
        assert (first.institution_id, first.amount, first.rank) == (dataset["y"], D("12500000"), 1)
        assert first.npl_ratio == D("1.0000")
        assert (second.institution_id, second.approval_rate) == (dataset["x"], D("1.0000"))
        only_x = figures(Filters(JAN, FEB, institution_id=dataset["x"])).summary
        assert (only_x.loans, only_x.amount) == (2, D("10000000"))


# --- the corrected definitions (portal.figures.definitions) ----------------------------------


def product(bank, name: str) -> BankProduct:
    row = BankProduct(
        institution_id=bank.id,
        name=name,
        kind=ProductKind.CREDIT,
        min_amount=D("100000"),
        max_amount=D("10000000"),
        min_term_months=6,
        max_term_months=36,
        min_rate=D("3.5"),
        max_rate=D("6"),
    )
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def credit_history(app):
    """One small firm's loans at banks A and B around a January–February window.

    A: 600 万 (product P1) on 2025-12-10 still outstanding, then 500 万 (P2) on 2026-01-15:
    1,100 万元 of credit, so the 500 万 loan is not inclusive. B: a 600 万 loan that matured on
    2025-12-31, then 500 万 (P2) on 2026-01-15 and 500 万 on 2026-02-10: 500 万 and exactly
    1,000 万元 of credit, both inclusive.
    """
    with app.app_context():
        a, b = InstitutionFactory(short_name="银行A"), InstitutionFactory(short_name="银行B")
        firm = FirmFactory()
        assert firm.size_class == "small"
        p1, p2, pb = product(a, "A经营贷"), product(a, "A信用贷"), product(b, "B信用贷")
        loan(a, firm, dt.date(2025, 12, 10), "6000000", "4.00", product=p1)
        loan(a, firm, dt.date(2026, 1, 15), "5000000", "4.00", product=p2)
        matured = loan(b, firm, dt.date(2025, 1, 10), "6000000", "4.00", product=pb)
        matured.maturity_on = dt.date(2025, 12, 31)
        loan(b, firm, dt.date(2026, 1, 15), "5000000", "4.00", product=pb)
        loan(b, firm, dt.date(2026, 2, 10), "5000000", "4.00", product=pb)
        db.session.commit()
        return {"a": a.id, "b": b.id, "p1": p1.id, "p2": p2.id, "pb": pb.id}


def test_inclusive_credit_counts_outstanding_loans_outside_the_window(app, credit_history):
    """The firm's credit at a bank adds up its loans outstanding on the disbursement day, from
    any product and from before the window; a matured loan and another bank's loans do not."""
    with app.app_context():
        s = figures(Filters(JAN, FEB)).summary
        assert (s.loans, s.inclusive_loans, s.inclusive_amount) == (3, 2, D("10000000"))
        only_a = figures(Filters(JAN, FEB, institution_id=credit_history["a"])).summary
        assert (only_a.loans, only_a.inclusive_loans) == (1, 0)
        only_p2 = figures(Filters(JAN, JAN, product_id=credit_history["p2"])).summary
        assert (only_p2.loans, only_p2.inclusive_loans) == (1, 0)
        only_b = figures(Filters(FEB, FEB, institution_id=credit_history["b"])).summary
        assert (only_b.inclusive_loans, only_b.inclusive_amount) == (1, D("5000000"))


@pytest.fixture
def lpr_change(app):
    """The 1-year LPR is 3.10% until it drops to 3.00% on 20 January; X lends 400 万 at 4.00%
    on 10 January and 100 万 at 4.00% on 25 January, nothing in February."""
    with app.app_context():
        x, firm = InstitutionFactory(short_name="银行X"), FirmFactory()
        lpr(dt.date(2025, 12, 22), "3.10")
        lpr(dt.date(2026, 1, 20), "3.00")
        loan(x, firm, dt.date(2026, 1, 10), "4000000", "4.00")
        loan(x, firm, dt.date(2026, 1, 25), "1000000", "4.00")
        db.session.commit()


def test_each_loan_takes_the_lpr_in_force_on_its_disbursement_day(app, lpr_change):
    """January's LPR is (400 × 3.10 + 100 × 3.00) / 500 = 3.08%, not the 3.00% of month end;
    February, without loans, shows the LPR in force at its end."""
    with app.app_context():
        result = figures(Filters(JAN, FEB))
        jan, feb = result.months
        assert (jan.lpr, jan.spread) == (D("3.0800"), D("0.9200"))
        assert (feb.loans, feb.lpr, feb.spread) == (0, D("3.00"), None)
        assert result.summary.lpr == D("3.0800")


def test_a_loan_before_the_first_lpr_leaves_the_period_without_one(app):
    """The table starts on 20 January: a loan of 10 January has no LPR, so neither has the
    period (no spread); a month whose loans all have one keeps its LPR."""
    with app.app_context():
        x, firm = InstitutionFactory(), FirmFactory()
        lpr(dt.date(2026, 1, 20), "3.00")
        loan(x, firm, dt.date(2026, 1, 10), "4000000", "4.00")
        loan(x, firm, dt.date(2026, 2, 3), "1000000", "4.00")
        result = figures(Filters(JAN, FEB))
        assert [m.lpr for m in result.months] == [None, D("3.0000")]
        assert result.summary.lpr is None


def test_guarantee_fee_and_its_subsidy_count_in_the_adjusted_cost(app):
    """400 万 at 4.00% − 1.00 subsidy + 1.50 guarantee fee − 0.50 fee subsidy = 4.00%, and
    100 万 at 3.00% without either: (400 × 4.00 + 100 × 3.00) / 500 = 3.80%."""
    with app.app_context():
        x, firm = InstitutionFactory(), FirmFactory()
        guaranteed = loan(x, firm, dt.date(2026, 1, 10), "4000000", "4.00", "1.00")
        guaranteed.guarantee_fee_rate, guaranteed.fee_subsidy_rate = D("1.50"), D("0.50")
        loan(x, firm, dt.date(2026, 1, 12), "1000000", "3.00")
        db.session.flush()
        result = figures(Filters(JAN, JAN))
        assert (result.summary.weighted_rate, result.summary.adjusted_rate) == (
            D("3.8000"),
            D("3.8000"),
        )
        assert result.months[0].adjusted_rate == D("3.8000")


@pytest.fixture
def late_claim(app):
    """A lead created at 23:00 on 28 November (Shanghai; 15:00 UTC) and disbursed on 3 December:
    5 days, filed in December. A second lead of 1 December is disbursed on 2 December."""
    with app.app_context():
        x, firm = InstitutionFactory(), FirmFactory()
        user = UserFactory(role=Role.SME, firm=firm)
        november, december = (
            lead(need(firm, user, moment), x, moment, approved=True, status=LeadStatus.DISBURSED)
            for moment in (at(28, 23, 11), at(1, 9, 12))
        )
        loan(x, firm, dt.date(2026, 12, 3), "1000000", "4.00", lead=november)
        loan(x, firm, dt.date(2026, 12, 2), "1000000", "4.00", lead=december)
        loan(x, firm, dt.date(2026, 12, 9), "1000000", "4.00")  # no lead: not counted
        db.session.commit()


def test_claim_days_are_filed_by_disbursement_month(app, late_claim):
    """November has no disbursement, so no median; December's loans took 5 and 1 days: 3."""
    with app.app_context():
        assert figures(Filters(NOV, NOV)).summary.median_claim_to_disbursement_days is None
        december = figures(Filters(DEC, DEC)).summary
        assert december.median_claim_to_disbursement_days == D("3")
        assert figures(Filters(NOV, DEC)).summary.median_claim_to_disbursement_days == D("3")

"""Every supervision figure on a small hand-built dataset, with the answers worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portal.enums import FiveTierClass, LeadStatus, Role
from portal.extensions import db
from portal.supervision.metrics import Filters, figures
from portal.supervision.models import LprRate
from tests.factories import FirmFactory, InstitutionFactory, UserFactory
from tests.supervision.builders import at, lead, loan, need, report

D = Decimal
JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)


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
        db.session.add(
            LprRate(
                effective_on=dt.date(2026, 1, 20), one_year=D("3.00"), over_five_years=D("3.50")
            )
        )
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
    """F1 borrowed exactly 1,000 万元 from X (counts); F2 borrowed 1,050 万元 from Y (does not)."""
    with app.app_context():
        s = figures(Filters(JAN, FEB)).summary
        assert (s.inclusive_loans, s.inclusive_amount) == (2, D("10000000"))
        assert (s.inclusive_share_count, s.inclusive_share_amount) == (D("0.4000"), D("0.4444"))


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

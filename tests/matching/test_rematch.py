"""Re-matching every registered firm against one rule (portal.matching.rematch)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from portal.enums import TaxCreditGrade
from portal.extensions import db
from portal.firms.models import Firm
from portal.matching.facts import firm_facts
from portal.matching.rematch import count_eligible_firms, firm_conditions, stream_firm_facts
from portal.rules import compile_rule
from tests.factories import FirmFactory

TODAY = dt.date(2026, 11, 27)


def _firms(create):
    create(FirmFactory, region_code="350400", qualifications=["green", "high_tech"])
    create(FirmFactory, region_code="350400", established_on=dt.date(2024, 11, 28))
    create(FirmFactory, tax_credit_grade=TaxCreditGrade.B, revenue=Decimal("900000.00"))
    create(FirmFactory, industry_code="6510", employees=8, qualifications=["green"])


def test_streamed_facts_are_the_firm_facts(app, create):
    """Each streamed row gives exactly the facts firm_facts builds from the ORM object."""
    _firms(create)
    with app.app_context():
        expected = sorted(
            (firm_facts(firm, TODAY) for firm in db.session.scalars(select(Firm))), key=repr
        )
        streamed = sorted(stream_firm_facts(db.session, TODAY, batch=2), key=repr)
    assert streamed == expected


def test_counts_match_one_firm_at_a_time(app, create):
    """The streamed count equals testing each ORM firm's facts, by city and size class too."""
    _firms(create)
    rule = compile_rule(
        'tax_credit_grade in ["A", "B"] and years_in_business >= 2 and revenue >= 1000000'
    )
    with app.app_context():
        found = count_eligible_firms(db.session, rule, TODAY, batch=3)
        firms = list(db.session.scalars(select(Firm)))
    admitted = [f for f in firms if rule.check(firm_facts(f, TODAY))]
    assert (found.total, found.eligible) == (4, len(admitted)) == (4, 2)
    assert sum(found.by_region.values()) == sum(found.by_size.values()) == 2
    assert found.by_region["350400"] == 1


def test_conditions_on_the_need_are_left_out(app, create):
    """Clauses about the amount or term cannot be decided before a firm applies."""
    _firms(create)
    rule = compile_rule('"green" in qualifications and amount <= 100 and term_months <= 1')
    with app.app_context():
        found = count_eligible_firms(db.session, rule, TODAY)
    assert (found.total, found.eligible) == (4, 2)


def test_empty_rule_admits_every_firm():
    """A rule without firm clauses lets every firm through."""
    assert firm_conditions(compile_rule(""))({}) is True
    assert firm_conditions(compile_rule("amount <= 5"))({}) is True

"""Facts only the exchange gives (registry status, tax paid, court records) reach the rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from portal.datasources import verification
from portal.dates import today_in_china
from portal.enums import GuaranteeType, Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.matching.facts import firm_facts
from portal.matching.models import MatchResult
from portal.matching.rematch import stream_firm_facts
from portal.needs import services as needs
from portal.rules import compile_rule
from tests.datasources.test_verification import _firm_from_demo
from tests.factories import FirmFactory, InstitutionFactory, UserFactory
from tests.leads.conftest import publish_product

DISHONEST = "莆田城厢建筑装饰工程有限公司"  # the courts list it as a 失信被执行人
REVOKED = "漳州芗城花卉园艺有限公司"  # the registry shows it 吊销
CLEAN = "福州"  # the demo SME's firm: consistent everywhere
CLEAN_COURTS = '"dishonest" not in court_records and enforcement_amount <= 500000'


def _need(firm: Firm):
    """A need of the firm, submitted by a user of its own (each with its own form token)."""
    user = UserFactory(role=Role.SME, firm=firm)
    db.session.commit()
    invalidate_catalogue_cache()
    need = needs.NeedInput(Decimal("500000"), 12, "周转", GuaranteeType.CREDIT, None)
    return needs.submit_need(user, firm, need, f"token-{firm.id}")


def _result(need, product) -> MatchResult:
    return db.session.scalar(
        select(MatchResult).where(
            MatchResult.need_id == need.id, MatchResult.product_id == product.id
        )
    )


def test_a_listed_debtor_is_verified_with_its_open_cases_and_fails_a_clean_courts_rule(
    app, exchange
):
    with app.app_context():
        firm = _firm_from_demo(DISHONEST)
        assert firm.court_records == [] and firm.enforcement_amount == 0  # nobody declares them
        verification.verify(None, firm, today_in_china())
        assert "dishonest" in firm.court_records and "enforcement" in firm.court_records
        assert firm.enforcement_amount > 0
        assert firm.verified_fields["court_records"]["source"] == "courts"
        product = publish_product(
            InstitutionFactory(), "清白信用贷", "3.60", eligibility=CLEAN_COURTS
        )
        need = _need(firm)
        assert _result(need, product) is None  # only eligible products keep a result row
        [unmatched] = [u for u in need.unmatched if u["product_id"] == product.id]
        assert "司法记录" in str(unmatched["reasons"])


def test_a_revoked_firm_reads_revoked_and_a_clean_one_reads_tax_paid(app, exchange):
    with app.app_context():
        revoked = _firm_from_demo(REVOKED)
        clean = _firm_from_demo(CLEAN)
        today = today_in_china()
        verification.verify(None, revoked, today)
        verification.verify(None, clean, today)
        assert revoked.registry_status == "revoked"
        assert clean.registry_status == "active" and clean.court_records == []
        assert 0 < clean.tax_paid_12m < clean.tax_paid_24m
        assert clean.verified_fields["tax_paid_12m"]["source"] == "tax"
        assert "grade_year" not in clean.verified_fields["tax_paid_12m"]  # monthly, by as-of
        facts = firm_facts(clean, today)
        assert facts["tax_paid_12m"] == clean.tax_paid_12m
        assert facts["court_records"] == frozenset()
        assert facts["registry_status"] == "active"


def test_a_clean_courts_instant_rule_pre_approves_on_verified_records_only(app, exchange):
    with app.app_context():
        product = publish_product(
            InstitutionFactory(),
            "法院记录秒批贷",
            "3.50",
            instant=CLEAN_COURTS + " and amount <= 1000000",
        )
        declared = FirmFactory(verified_fields={})
        deferred = _result(_need(declared), product)
        assert deferred.eligible and not deferred.instant_approved
        assert set(deferred.explanation["instant_unverified"]) >= {
            "court_records",
            "enforcement_amount",
        }
        firm = _firm_from_demo(CLEAN)
        verification.verify(None, firm, today_in_china())
        approved = _result(_need(firm), product)
        assert approved.instant_approved
        deciding = {f["fact"]: f for f in approved.explanation["instant_facts"]}
        assert deciding["court_records"]["source"] == "courts"


def test_court_records_a_week_old_no_longer_pre_approve(app):
    with app.app_context():
        old = (today_in_china() - dt.timedelta(days=8)).isoformat()
        stale = {"source": "courts", "as_of": old, "reference": "X"}
        firm = FirmFactory(verified_fields={"court_records": stale, "enforcement_amount": stale})
        product = publish_product(
            InstitutionFactory(),
            "周更秒批贷",
            "3.50",
            instant='"dishonest" not in court_records',
            formula="min(amount, 1000000)",
        )
        result = _result(_need(firm), product)
        assert result.eligible and not result.instant_approved
        assert result.explanation["instant_unverified"] == ["court_records"]


def test_the_what_if_count_reads_the_new_facts_as_the_matcher_does(app):
    with app.app_context():
        listed = FirmFactory(court_records=["dishonest"], enforcement_amount=Decimal("80000"))
        FirmFactory(tax_paid_12m=Decimal("250000"))
        db.session.commit()
        today = today_in_china()
        (row,) = [
            f for f in stream_firm_facts(db.session, today) if f["enforcement_amount"] == 80000
        ]
        expected = firm_facts(listed, today)
        for name in ("court_records", "enforcement_amount", "registry_status", "tax_paid_12m"):
            assert row[name] == expected[name]
        rule = compile_rule('"dishonest" in court_records or tax_paid_12m >= 200000')
        assert rule.check(row)


def test_a_register_given_again_is_current_on_the_day_it_was_checked(app):
    """The registry and the courts say how things stand now: a record confirmed today is fresh
    though its as-of date is weeks old. Tax paid ages from its own date however often read."""
    with app.app_context():
        today = today_in_china()
        weeks_ago = (today - dt.timedelta(days=70)).isoformat()
        firm = FirmFactory(
            verified_fields={
                "court_records": {"source": "courts", "as_of": weeks_ago, "reference": "C"},
                "tax_paid_12m": {"source": "tax", "as_of": weeks_ago, "reference": "T"},
            }
        )
        names = ("court_records", "tax_paid_12m")
        assert verification.unverified_facts(firm, names, today) == list(names)
        firm.facts_checked_at = dt.datetime.now(dt.UTC)
        assert verification.unverified_facts(firm, names, today) == ["tax_paid_12m"]


def test_fetching_one_source_again_confirms_only_that_source(app, exchange):
    with app.app_context():
        firm = _firm_from_demo(CLEAN)
        firm.facts_checked_at = None
        verification.verify(None, firm, today_in_china(), sources=[verification.Source.TAX])
        assert firm.facts_checked_at is None  # a dispute's single fetch confirms no register
        verification.verify(None, firm, today_in_china())
        assert firm.facts_checked_at is not None

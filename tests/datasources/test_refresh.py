"""Re-verification: batches through the bulk endpoint, new facts applied, and a change that
matters told once to each bank holding an open lead of the firm."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from portal.datasources import refresh, verification
from portal.datasources.models import FirmFact
from portal.dates import today_in_china
from portal.enums import GuaranteeType, Role, TaxCreditGrade
from portal.extensions import db
from portal.leads import services as leads
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.needs import services as needs
from portal.notifications.models import Notification
from tests.datasources.test_verification import LUDAO, _firm_from_demo
from tests.exchange_server import demo_firms
from tests.factories import FirmFactory, InstitutionFactory, UserFactory
from tests.leads.conftest import publish_product
from tests.test_query_counts import counted


def _open_lead_for(firm):
    bank = InstitutionFactory()
    officer = UserFactory(role=Role.BANK_OFFICER, institution=bank)
    product = publish_product(bank, "信用贷", "3.50")
    user = UserFactory(role=Role.SME, firm=firm)
    db.session.commit()
    invalidate_catalogue_cache()
    need = needs.submit_need(
        user, firm, needs.NeedInput(Decimal("500000"), 12, "周转", GuaranteeType.CREDIT, None), "r"
    )
    [lead] = leads.apply_to_products(user, need, [product.id])
    return lead, officer


def _notices(user_id: int) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.kind == "lead.firm_facts_changed"
        )
    )


def test_a_lower_grade_found_on_refresh_flags_the_open_lead_once(app, exchange):
    """The firm was verified as A; the bureau now says B: the bank holding its lead hears once,
    however often the job runs, and the profile follows the bureau."""
    with app.app_context():
        firm = _firm_from_demo(
            LUDAO,
            verified_fields=None,  # never fetched: first in line
        )
        db.session.add(
            FirmFact(
                firm_id=firm.id,
                source="tax",
                found=True,
                as_of=today_in_china(),
                reference="OLD",
                data={"credit_grade": "A", "grade_year": 2025},
            )
        )
        lead, officer = _open_lead_for(firm)
        first = refresh.refresh(today_in_china(), limit=1000)
        assert first.firms >= 1 and first.flagged_leads >= 1
        db.session.refresh(firm)
        assert firm.tax_credit_grade == TaxCreditGrade.B
        assert _notices(officer.id) == 1
        refresh.refresh(today_in_china(), limit=1000)
        assert _notices(officer.id) == 1


def test_the_oldest_checked_firms_go_first_and_the_batch_is_bounded(app, exchange):
    with app.app_context():
        checked = _firm_from_demo(LUDAO)
        verification.verify(None, checked, today_in_china())
        never = FirmFactory()
        db.session.commit()
        assert refresh.due_firm_ids(1) == [never.id]
        assert refresh.due_firm_ids(2) == [never.id, checked.id]


def test_a_record_given_again_unchanged_is_checked_again_not_copied(app, exchange):
    """A daily pass must not add a row per firm and source when nothing changed: the existing
    fact's fetched_at moves on, the firm's facts_checked_at too, and its provenance stays."""
    with app.app_context():
        firm = _firm_from_demo(LUDAO)
        verification.verify(None, firm, today_in_china())
        db.session.commit()
        rows = _fact_rows(firm.id)
        provenance = dict(firm.verified_fields)
        checked_at = firm.facts_checked_at
        report = refresh.refresh(today_in_china(), limit=1000)
        assert report.firms >= 1
        db.session.refresh(firm)
        assert _fact_rows(firm.id) == rows
        assert firm.verified_fields == provenance
        assert firm.facts_checked_at > checked_at
        fetched = db.session.scalars(
            select(FirmFact.fetched_at).where(FirmFact.firm_id == firm.id)
        ).all()
        assert all(moment > checked_at for moment in fetched)


def _fact_rows(firm_id: int) -> int:
    return db.session.scalar(select(func.count(FirmFact.id)).where(FirmFact.firm_id == firm_id))


def test_significant_changes_name_status_dishonesty_and_grade():
    def fact(source, **data):
        return FirmFact(source=source, found=True, data=data)

    before = {"registry": fact("registry", status="active"), "tax": fact("tax", credit_grade="A")}
    after = {
        "registry": fact("registry", status="revoked"),
        "courts": fact("courts", dishonest=True),
        "tax": fact("tax", credit_grade="C"),
    }
    changes = refresh.significant_changes(before, after)
    assert len(changes) == 3
    assert refresh.significant_changes(after, after) == []


def test_a_pass_costs_the_same_statements_for_three_times_the_firms(app, exchange):
    """Re-verification works a chunk with a fixed number of statements, not a few per firm:
    what lets a daily pass over a quarter of a million firms finish in minutes."""
    with app.app_context():
        for spec in demo_firms()[:6]:
            FirmFactory(
                **{key: spec[key] for key in ("credit_code", "name", "region_code")},
                industry_code=spec["industry_code"],
                verified_fields={},
            )
        db.session.commit()
        refresh.refresh(today_in_china(), limit=1000)  # the first pass stores every record
        with counted(app) as two:
            assert refresh.refresh(today_in_china(), limit=2).firms == 2
        with counted(app) as six:
            assert refresh.refresh(today_in_china(), limit=6).firms == 6
        assert len(six) == len(two), six

"""The guarantee fee and its subsidy: a fee-subsidy policy applies through the one subsidy
module to the guarantee the bank's offer was conditional on, the loan carries the fee and the
part the policy pays, and the monthly settlement pays that part on the reported balance, which
government staff approve like any subsidy batch."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from portal.catalog.models import PolicyProduct
from portal.catalog.versions import record_rules
from portal.db import utcnow
from portal.enums import (
    BenefitKind,
    FiveTierClass,
    GrantStatus,
    PolicyKind,
    ProductStatus,
    Role,
    SettlementStatus,
)
from portal.extensions import db
from portal.guarantees import requests as guarantee_requests
from portal.leads import services as leads
from portal.leads.models import Loan
from portal.reporting.models import LoanStatusReport
from portal.subsidies import settlement
from portal.subsidies.models import SettlementBatch, SettlementLine, SubsidyGrant
from tests.factories import AgencyFactory, UserFactory
from tests.guarantees.conftest import (
    AMOUNT,
    accepted_lead,
    current,
    decide,
    guaranteed_offer,
    ready,
    requests_of,
    submit,
    user,
)

JAN = dt.date(2026, 1, 1)
AFTER_JANUARY_REPORTS = dt.date(2026, 2, 11)
FEE_SHARE = Decimal("0.5")


def fee_subsidy_policy() -> tuple[int, int]:
    """A published policy paying half the guarantee fee, and one of its agency's staff."""
    agency = AgencyFactory()
    staff = UserFactory(role=Role.GOV_STAFF, agency=agency)
    policy = PolicyProduct(
        slug="fee-subsidy-test",
        title="担保费补贴测试政策",
        agency=agency,
        kind=PolicyKind.GUARANTEE_FEE_SUBSIDY,
        source_document="测试〔2026〕2号",
        source_date=dt.date(2025, 12, 1),
        valid_from=dt.date(2025, 12, 1),
        budget=Decimal("1000000"),
        benefit_kind=BenefitKind.FEE_SHARE,
        applies_to_kinds=[],
        status=ProductStatus.PUBLISHED,
        published_at=utcnow(),
    )
    db.session.add(policy)
    db.session.flush()
    record_rules(policy, eligibility='guarantee_type == "guarantee_agency"', formula="0.5")
    ready()
    return policy.id, staff.id


def test_the_fee_subsidy_is_granted_on_the_guarantee_and_paid_by_settlement(
    app, market, cooperating
):
    with app.app_context():
        policy_id, staff_id = fee_subsidy_policy()
        lead = guaranteed_offer(market)  # paired with 甲: 0.80% a year
        [request] = requests_of(lead.id)
        guarantor = user(market.guarantor_officers["甲"])
        guarantee_requests.accept(guarantor, request)
        guarantee_requests.issue(guarantor, current(type(request), request.id))
        lead = current(type(lead), lead.id)
        assert lead.guarantee_fee_rate == Decimal("0.80")
        [grant] = db.session.scalars(select(SubsidyGrant).where(SubsidyGrant.lead_id == lead.id))
        assert grant.policy_id == policy_id and grant.value == FEE_SHARE

        leads.take_offer(user(market.firm_user_id), lead)
        lead.decided_at = dt.datetime(2026, 1, 10, 1, tzinfo=dt.UTC)
        db.session.flush()
        loan = leads.disburse(
            user(market.bank_officers["A"]), lead, "HT-FEE-1", dt.date(2026, 1, 15)
        )
        loan = current(Loan, loan.id)
        assert loan.guarantee_fee_rate == Decimal("0.80")
        assert loan.fee_subsidy_rate == Decimal("0.40")  # half the fee
        assert current(SubsidyGrant, grant.id).status == GrantStatus.COMMITTED

        db.session.add(
            LoanStatusReport(
                loan_id=loan.id,
                institution_id=loan.institution_id,
                period=JAN,
                balance=AMOUNT,
                days_overdue=0,
                five_tier_class=FiveTierClass.NORMAL,
            )
        )
        db.session.commit()
        settlement.settle_month(JAN, AFTER_JANUARY_REPORTS)

        batch = db.session.scalar(
            select(SettlementBatch).where(SettlementBatch.policy_id == policy_id)
        )
        [line] = db.session.scalars(
            select(SettlementLine).where(SettlementLine.batch_id == batch.id)
        )
        # 800,000 × 0.40% × 17 days (15 to 31 January) ÷ 360, to the fen.
        expected = (AMOUNT * Decimal("0.40") / 100 * 17 / 360).quantize(Decimal("0.01"))
        assert line.loan_id == loan.id and line.points == Decimal("0.40")
        assert line.amount == expected == Decimal("151.11")

        settlement.approve(user(staff_id), batch)
        assert current(SettlementBatch, batch.id).status == SettlementStatus.APPROVED
        assert current(SubsidyGrant, grant.id).paid_amount == expected
        assert current(PolicyProduct, policy_id).budget_paid == expected


def test_an_offer_without_the_guarantee_gets_no_fee_subsidy(app, market, cooperating):
    """The same policy gives nothing to an offer made without the guarantee: no fee to pay."""
    with app.app_context():
        fee_subsidy_policy()
        lead = accepted_lead(market, submit(market), "B")
        decide(market, lead, "B", with_guarantee=False)
        lead = current(type(lead), lead.id)
        assert not lead.guarantee_required and not lead.guarantee_fee_rate
        assert (
            list(db.session.scalars(select(SubsidyGrant).where(SubsidyGrant.lead_id == lead.id)))
            == []
        )

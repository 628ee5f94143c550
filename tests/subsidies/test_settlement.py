"""Interest-subsidy settlement (贴息 免申即享): computed from the loan reports, reviewed,
adjusted with a reason, approved once, exported, and shown to the firm.

The loan is made through the real flow (need → lead → decision, which grants the policy →
offer taken → disbursement, which commits the grant): 100 万元 at 3.50% for 12 months,
disbursed on 2026-01-15, under a 1.5-point interest subsidy with a 360-day year. Its grant may
cost 1,000,000 × 1.5% × 1 year = 15,000 元 in all.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.catalog.models import PolicyProduct
from portal.catalog.versions import record_rules
from portal.db import utcnow
from portal.enums import (
    BenefitKind,
    FiveTierClass,
    GrantStatus,
    GuaranteeType,
    PolicyKind,
    ProductStatus,
    Role,
    SettlementStatus,
)
from portal.extensions import db
from portal.firms.models import Firm
from portal.leads import services as leads
from portal.leads.models import Lead, Loan
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.needs.services import NeedInput, submit_need
from portal.notifications.models import Notification
from portal.reporting.models import LoanStatusReport
from portal.subsidies import settlement
from portal.subsidies.models import SettlementBatch, SettlementLine, SubsidyGrant
from portal.subsidies.settlement import SettlementError
from tests.conftest import signed_in
from tests.factories import AgencyFactory, InstitutionFactory, UserFactory, published_product

D = Decimal
JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
AFTER_MARCH_REPORTS = dt.date(2026, 4, 11)  # March is due by 10 April
CONTRACT = "HT-TX-0001"
POLICY_TITLE = "小微企业贷款贴息测试政策"


@pytest.fixture
def lent(app: Flask) -> SimpleNamespace:
    """A firm's 100 万元 loan under a 1.5-point subsidy, made through the real services."""
    with app.app_context():
        agency, other_agency = AgencyFactory(), AgencyFactory()
        staff = UserFactory(role=Role.GOV_STAFF, agency=agency)
        stranger = UserFactory(role=Role.GOV_STAFF, agency=other_agency)
        bank = InstitutionFactory(short_name="贴息测试银行")
        officer = UserFactory(role=Role.BANK_OFFICER, institution=bank)
        firm_user = UserFactory(role=Role.SME)
        product = published_product(bank, "贴息测试信用贷", "3.50")
        policy = PolicyProduct(
            slug="settlement-test",
            title=POLICY_TITLE,
            agency=agency,
            kind=PolicyKind.INTEREST_SUBSIDY,
            source_document="测试〔2026〕1号",
            source_date=dt.date(2026, 1, 1),
            valid_from=dt.date(2026, 1, 1),
            budget=D("1000000"),
            benefit_kind=BenefitKind.RATE_POINTS,
            applies_to_kinds=["credit"],
            status=ProductStatus.PUBLISHED,
            published_at=utcnow(),
        )
        db.session.add(policy)
        db.session.flush()
        record_rules(policy, eligibility="", formula="1.5")
        db.session.commit()
        invalidate_catalogue_cache()

        need = submit_need(
            firm_user,
            firm_user.firm,
            NeedInput(D("1000000"), 12, "采购原材料", GuaranteeType.CREDIT, None),
            "settlement-need",
        )
        [lead] = leads.apply_to_products(firm_user, need, [product.id])
        leads.accept(officer, lead)
        leads.record_decision(officer, lead, leads.CreditDecision(D("1000000"), D("3.50"), 12))
        leads.take_offer(firm_user, lead)
        # The loan is in the past: so was the credit decision (a disbursement cannot precede it).
        lead.decided_at = dt.datetime(2026, 1, 10, 1, tzinfo=dt.UTC)
        db.session.flush()
        loan = leads.disburse(officer, lead, CONTRACT, dt.date(2026, 1, 15))
        grant = db.session.scalars(
            select(SubsidyGrant).where(SubsidyGrant.loan_id == loan.id)
        ).one()
        return SimpleNamespace(
            staff=staff.email,
            stranger=stranger.email,
            firm=firm_user.email,
            firm_id=firm_user.firm_id,
            officer_id=officer.id,
            bank=bank.id,
            policy=policy.id,
            need=need.id,
            loan=loan.id,
            grant=grant.id,
        )


def report(lent, period: dt.date, balance: str, tier=FiveTierClass.NORMAL) -> None:
    """The bank's report of the loan for the month (as the reporting pages store it)."""
    db.session.add(
        LoanStatusReport(
            loan_id=lent.loan,
            institution_id=lent.bank,
            period=period,
            balance=D(balance),
            five_tier_class=tier,
            reported_by_id=lent.officer_id,
        )
    )
    db.session.commit()


def settle(app, period: dt.date) -> SettlementBatch:
    """Run the month's settlement (as the scheduler does) and return the policy's batch."""
    with app.app_context():
        settlement.settle_month(period, today=AFTER_MARCH_REPORTS)
        return db.session.scalars(
            select(SettlementBatch).where(SettlementBatch.period == period)
        ).one()


def line_of(app, batch_id: int) -> SettlementLine:
    with app.app_context():
        return db.session.scalars(
            select(SettlementLine).where(SettlementLine.batch_id == batch_id)
        ).one()


def approve(client, batch_id: int):
    return client.post(
        f"/subsidies/settlements/{batch_id}/approve", data={"confirmed": "y", "step": "confirm"}
    )


def grant_paid(app, lent) -> Decimal:
    with app.app_context():
        return db.session.get(SubsidyGrant, lent.grant).paid_amount


# --- computing ---------------------------------------------------------------------------------


def test_the_loan_was_granted_through_the_decision(app, lent):
    """The real flow left a committed 1.5-point grant worth 15,000 元 on the loan."""
    with app.app_context():
        grant = db.session.get(SubsidyGrant, lent.grant)
        assert grant.status == GrantStatus.COMMITTED and grant.policy_id == lent.policy
        assert (grant.value, grant.expected_amount, grant.paid_amount) == (D("1.5"), 15000, 0)


def test_a_month_pays_balance_times_points_times_days(app, lent):
    """January: 1,000,000 × 1.5 ÷ 100 × 17 days (15–31 Jan) ÷ 360 = 708.33 元; February, on a
    900,000 balance, 900,000 × 1.5 ÷ 100 × 28 ÷ 360 = 1,050.00 元."""
    with app.app_context():
        report(lent, JAN, "1000000")
        report(lent, FEB, "900000")
    jan = line_of(app, settle(app, JAN).id)
    assert (jan.balance, jan.days, jan.points) == (D("1000000"), 17, D("1.5"))
    assert jan.computed_amount == D("708.33") and jan.note is None
    feb = line_of(app, settle(app, FEB).id)
    assert (feb.days, feb.computed_amount) == (28, D("1050.00"))


def test_a_non_performing_month_pays_nothing(app, lent):
    """A month the loan is 次级 pays 0, with the reason, under a policy that does not pay them."""
    with app.app_context():
        report(lent, FEB, "1000000", FiveTierClass.SUBSTANDARD)
    line = line_of(app, settle(app, FEB).id)
    assert line.computed_amount == 0 and line.note == settlement.NOTE_NON_PERFORMING


def test_a_policy_that_pays_non_performing_months_pays_them(app, lent):
    """The same month under a policy that says so pays the full 1,166.67 元 (28 days)."""
    with app.app_context():
        db.session.get(PolicyProduct, lent.policy).pays_non_performing = True
        report(lent, FEB, "1000000", FiveTierClass.SUBSTANDARD)
    assert line_of(app, settle(app, FEB).id).computed_amount == D("1166.67")


def test_a_month_is_settled_only_after_its_reports_are_due(app, lent):
    """March's reports are due by 10 April: on that day settling is refused, on the 11th not."""
    with app.app_context():
        report(lent, MAR, "1000000")
        with pytest.raises(SettlementError):
            settlement.settle_month(MAR, today=dt.date(2026, 4, 10))
        assert settlement.settle_month(MAR, today=dt.date(2026, 4, 11)).created == 1
        assert settlement.latest_settleable(dt.date(2026, 4, 10)) == FEB
        assert settlement.latest_settleable(dt.date(2026, 4, 11)) == MAR


def test_the_grant_cap_stops_the_payments(app, lent):
    """A grant that may cost 1,000 元 pays January's 708.33, then 291.67 of February's
    1,166.67 (noted 'cap'), then nothing in March."""
    with app.app_context():
        db.session.get(SubsidyGrant, lent.grant).expected_amount = D("1000")
        for period in (JAN, FEB, MAR):
            report(lent, period, "1000000")
    staff = signed_in(app, lent.staff)
    for period, expected, note in (
        (JAN, D("708.33"), None),
        (FEB, D("291.67"), settlement.NOTE_CAP),
        (MAR, D("0"), settlement.NOTE_CAP),
    ):
        batch = settle(app, period)
        line = line_of(app, batch.id)
        assert (line.computed_amount, line.note) == (expected, note), period
        assert approve(staff, batch.id).status_code == 302
    assert grant_paid(app, lent) == D("1000.00")


def test_an_unapproved_month_counts_against_the_cap_too(app, lent):
    """A draft January holds its 708.33 of a 1,000 元 grant: February may take only the rest."""
    with app.app_context():
        db.session.get(SubsidyGrant, lent.grant).expected_amount = D("1000")
        report(lent, JAN, "1000000")
        report(lent, FEB, "1000000")
    settle(app, JAN)
    assert line_of(app, settle(app, FEB).id).computed_amount == D("291.67")


def test_running_twice_makes_one_batch_and_pays_once(app, lent):
    """Settling a month again recomputes its draft, leaves it approved once approved, and the
    grant and the budget are paid once."""
    with app.app_context():
        report(lent, JAN, "1000000")
    first = settle(app, JAN)
    again = settle(app, JAN)
    assert again.id == first.id
    approve(signed_in(app, lent.staff), first.id)
    with app.app_context():
        result = settlement.settle_month(JAN, today=AFTER_MARCH_REPORTS)
        assert (result.created, result.updated, result.kept) == (0, 0, 1)
        assert settlement.settle_due(AFTER_MARCH_REPORTS) == 0  # March: no report, no batch
        assert db.session.scalar(select(func.count(SettlementBatch.id))) == 1
        assert db.session.scalar(select(func.count(SettlementLine.id))) == 1
        assert db.session.get(PolicyProduct, lent.policy).budget_paid == D("708.33")
    assert grant_paid(app, lent) == D("708.33")


def test_a_revised_report_recomputes_the_draft_but_keeps_an_adjustment(app, lent):
    """A bank's corrected balance reaches a draft line; a line staff adjusted keeps its amount."""
    with app.app_context():
        report(lent, JAN, "1000000")
    batch = settle(app, JAN)
    with app.app_context():
        db.session.scalars(select(LoanStatusReport)).one().balance = D("720000")
        db.session.commit()
    assert line_of(app, settle(app, JAN).id).computed_amount == D("510.00")  # 720000×1.5%×17/360
    staff = signed_in(app, lent.staff)
    line = line_of(app, batch.id)
    staff.post(
        f"/subsidies/settlements/{batch.id}/lines/{line.id}/adjust",
        data={"amount": "500", "reason": "银行更正余额后复核"},
    )
    settle(app, JAN)
    line = line_of(app, batch.id)
    assert (line.adjusted_amount, line.computed_amount, line.amount) == (D("500"), D("510"), 500)


# --- staff review through the pages ------------------------------------------------------------


def test_staff_see_their_batches_and_lines(app, lent):
    """The list and the batch show the month, the bank, the firm, the contract and the amount."""
    with app.app_context():
        report(lent, JAN, "1000000")
    batch = settle(app, JAN)
    staff = signed_in(app, lent.staff)
    listing = staff.get("/subsidies/settlements/?month=2026-01&status=draft").get_data(as_text=True)
    assert POLICY_TITLE in listing and "贴息测试银行" in listing and "708.33" in listing
    assert "2026-01" in listing
    assert "708.33" not in staff.get("/subsidies/settlements/?status=paid").get_data(as_text=True)
    page = staff.get(f"/subsidies/settlements/{batch.id}").get_data(as_text=True)
    assert CONTRACT in page and "708.33" in page and "100.00" in page  # balance in 万元
    with app.app_context():
        firm_name = db.session.get(Firm, lent.firm_id).name
    assert firm_name in page


def test_a_bad_filter_lists_everything_instead_of_failing(app, lent):
    """A month that does not parse or a foreign policy id filters nothing, with no error page."""
    staff = signed_in(app, lent.staff)
    assert staff.get("/subsidies/settlements/?month=13-2026&policy=999999").status_code == 200


def test_an_adjustment_needs_a_reason_and_is_audited(app, lent):
    """Without a reason nothing changes; with one the amount changes and the audit log holds
    the amount before and after and the reason."""
    with app.app_context():
        report(lent, JAN, "1000000")
    batch = settle(app, JAN)
    line = line_of(app, batch.id)
    staff = signed_in(app, lent.staff)
    url = f"/subsidies/settlements/{batch.id}/lines/{line.id}/adjust"
    assert staff.get(url).status_code == 200
    refused = staff.post(url, data={"amount": "600", "reason": "  "})
    assert refused.status_code == 200 and "请填写调整原因" in refused.get_data(as_text=True)
    assert line_of(app, batch.id).adjusted_amount is None
    done = staff.post(url, data={"amount": "600", "reason": "企业当月提前还款 10 万元"})
    assert done.status_code == 302
    line = line_of(app, batch.id)
    assert (line.adjusted_amount, line.adjustment_reason) == (600, "企业当月提前还款 10 万元")
    with app.app_context():
        assert db.session.get(SettlementBatch, batch.id).total == 600
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "subsidy.settlement.adjust")
        ).one()
        assert entry.detail["before"] == "708.33" and entry.detail["after"] == "600.00"
        assert entry.detail["reason"] == "企业当月提前还款 10 万元"


def test_an_adjustment_cannot_pass_the_grants_room(app, lent):
    """Raising a line above what the grant has left is refused beside the amount."""
    with app.app_context():
        db.session.get(SubsidyGrant, lent.grant).expected_amount = D("1000")
        report(lent, JAN, "1000000")
    batch = settle(app, JAN)
    line = line_of(app, batch.id)
    staff = signed_in(app, lent.staff)
    url = f"/subsidies/settlements/{batch.id}/lines/{line.id}/adjust"
    for amount in ("1000.01", "-5", "abc"):
        page = staff.post(url, data={"amount": amount, "reason": "复核"})
        assert page.status_code == 200 and 'class="field__error"' in page.get_data(as_text=True)
    assert line_of(app, batch.id).adjusted_amount is None
    assert staff.post(url, data={"amount": "1000", "reason": "复核"}).status_code == 302


def test_approval_pays_once_and_a_second_is_refused(app, lent):
    """Approval adds the batch to the grant's paid amount and the policy's paid budget; a second
    approval (a double click) changes nothing."""
    with app.app_context():
        report(lent, JAN, "1000000")
    batch = settle(app, JAN)
    staff = signed_in(app, lent.staff)
    confirm_page = staff.post(f"/subsidies/settlements/{batch.id}/approve")
    assert confirm_page.status_code == 200 and "我确认" in confirm_page.get_data(as_text=True)
    assert grant_paid(app, lent) == 0  # the confirmation page alone approves nothing
    assert approve(staff, batch.id).status_code == 302
    assert approve(staff, batch.id).status_code == 302
    with app.app_context():
        approved = db.session.get(SettlementBatch, batch.id)
        assert approved.status == SettlementStatus.APPROVED and approved.approved_at is not None
        assert db.session.get(PolicyProduct, lent.policy).budget_paid == D("708.33")
        with pytest.raises(SettlementError):
            settlement.approve(db.session.get(User, approved.approved_by_id), approved)
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "subsidy.settlement.approve")
        ).all()
        assert len(actions) == 1
    assert grant_paid(app, lent) == D("708.33")


def test_the_firm_hears_of_the_approved_subsidy_once(app, lent):
    """In the portal, in its own language, with the amount; a second approval tells nothing."""
    with app.app_context():
        report(lent, JAN, "1000000")
    batch = settle(app, JAN)
    staff = signed_in(app, lent.staff)
    approve(staff, batch.id)
    approve(staff, batch.id)
    with app.app_context():
        told = db.session.scalars(
            select(Notification).where(Notification.kind == "subsidy.settlement_approved")
        ).all()
    assert [n.title for n in told] == [
        f"{POLICY_TITLE}：2026-01 的贴息 708.33 元已审核通过，将按政策拨付"
    ]
    firm = signed_in(app, lent.firm)
    firm.post("/language", data={"locale": "en"})
    page = firm.get("/notifications/").get_data(as_text=True)
    assert "708.33" in page and "approved" in page


def test_no_adjustment_after_approval(app, lent):
    """Once approved, the adjust page explains why and a posted adjustment changes nothing."""
    with app.app_context():
        report(lent, JAN, "1000000")
    batch = settle(app, JAN)
    line = line_of(app, batch.id)
    staff = signed_in(app, lent.staff)
    approve(staff, batch.id)
    url = f"/subsidies/settlements/{batch.id}/lines/{line.id}/adjust"
    assert "不能再调整" in staff.get(url).get_data(as_text=True)
    assert staff.post(url, data={"amount": "1", "reason": "改"}).status_code == 302
    assert line_of(app, batch.id).adjusted_amount is None
    with app.app_context(), pytest.raises(SettlementError):
        settlement.adjust(
            db.session.get(User, db.session.get(SettlementBatch, batch.id).approved_by_id),
            db.session.get(SettlementBatch, batch.id),
            db.session.get(SettlementLine, line.id),
            D("1"),
            "改",
        )


def test_marking_paid_follows_approval(app, lent):
    """A draft cannot be marked paid; an approved batch can, and its grant is still paid once."""
    with app.app_context():
        report(lent, JAN, "1000000")
    batch = settle(app, JAN)
    staff = signed_in(app, lent.staff)
    paid_url = f"/subsidies/settlements/{batch.id}/paid"
    staff.post(paid_url, data={"confirmed": "y", "step": "confirm"})
    with app.app_context():
        assert db.session.get(SettlementBatch, batch.id).status == SettlementStatus.DRAFT
    approve(staff, batch.id)
    staff.post(paid_url, data={"confirmed": "y", "step": "confirm"})
    with app.app_context():
        paid = db.session.get(SettlementBatch, batch.id)
        assert paid.status == SettlementStatus.PAID and paid.paid_at is not None
    assert grant_paid(app, lent) == D("708.33")


def test_other_agencies_staff_get_404(app, lent):
    """Staff of another agency cannot open, adjust, approve, mark or export the batch."""
    with app.app_context():
        report(lent, JAN, "1000000")
    batch = settle(app, JAN)
    line = line_of(app, batch.id)
    stranger = signed_in(app, lent.stranger)
    base = f"/subsidies/settlements/{batch.id}"
    assert stranger.get(base).status_code == 404
    assert stranger.get(f"{base}/export.xlsx").status_code == 404
    assert stranger.get(f"{base}/lines/{line.id}/adjust").status_code == 404
    adjusted = stranger.post(f"{base}/lines/{line.id}/adjust", data={"amount": "1", "reason": "x"})
    assert adjusted.status_code == 404
    assert approve(stranger, batch.id).status_code == 404
    assert stranger.post(f"{base}/paid").status_code == 404
    assert "贴息测试银行" not in stranger.get("/subsidies/settlements/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SettlementBatch, batch.id).status == SettlementStatus.DRAFT
    assert line_of(app, batch.id).adjusted_amount is None


def test_the_payment_list_holds_the_lines(app, lent):
    """The approved batch's XLSX lists the firm, the contract and the amount, with the total;
    a draft has no payment list yet."""
    with app.app_context():
        report(lent, JAN, "1000000")
        firm_name = db.session.get(Firm, lent.firm_id).name
    batch = settle(app, JAN)
    staff = signed_in(app, lent.staff)
    url = f"/subsidies/settlements/{batch.id}/export.xlsx"
    assert staff.get(url).status_code == 302
    approve(staff, batch.id)
    response = staff.get(url)
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[1][1] == firm_name and rows[1][3] == CONTRACT
    assert D(str(rows[1][12])) == D("708.33")
    assert rows[-1][1] == "合计" and D(str(rows[-1][12])) == D("708.33")


def test_a_formula_in_a_contract_number_stays_text(app, lent):
    """A contract number typed as a formula is written as text, not run."""
    with app.app_context():
        db.session.get(Loan, lent.loan).contract_no = '=HYPERLINK("http://x")'
        report(lent, JAN, "1000000")
    batch = settle(app, JAN)
    staff = signed_in(app, lent.staff)
    approve(staff, batch.id)
    sheet = openpyxl.load_workbook(
        io.BytesIO(staff.get(f"/subsidies/settlements/{batch.id}/export.xlsx").data)
    ).active
    assert sheet.cell(row=2, column=4).value.startswith("'=")
    assert sheet.cell(row=2, column=4).data_type == "s"


# --- the firm ----------------------------------------------------------------------------------


def test_the_firm_sees_what_its_loan_received(app, lent):
    """On its need and its home page, the firm sees the policy, the points and each approved
    month, with the total; a month still in review is not shown."""
    with app.app_context():
        report(lent, JAN, "1000000")
        report(lent, FEB, "900000")
    jan, feb = settle(app, JAN), settle(app, FEB)
    approve(signed_in(app, lent.staff), jan.id)
    firm = signed_in(app, lent.firm)
    page = firm.get(f"/firm/needs/{lent.need}").get_data(as_text=True)
    assert "贴息到账情况" in page and POLICY_TITLE in page and "1.5" in page
    assert "708.33" in page and "1,050.00" not in page
    approve(signed_in(app, lent.staff), feb.id)
    page = firm.get(f"/firm/needs/{lent.need}").get_data(as_text=True)
    assert "1,050.00" in page and "1,758.33" in page  # 708.33 + 1,050.00
    home = firm.get("/firm").get_data(as_text=True)  # every loan of the firm, on its home
    assert CONTRACT in home and "1,758.33" in home


def test_another_firm_sees_nothing_of_it(app, lent):
    """The received amounts are read through the firm's scope: another firm's need page (of
    its own need) never lists this loan."""
    with app.app_context():
        report(lent, JAN, "1000000")
        other = UserFactory(role=Role.SME)
        db.session.commit()
        assert settlement.received_on_loans(other, [lent.loan]) == []
        assert db.session.get(Lead, db.session.get(Loan, lent.loan).lead_id) is not None
    approve(signed_in(app, lent.staff), settle(app, JAN).id)
    with app.app_context():
        owner = db.session.scalars(select(User).where(User.email == lent.firm)).one()
        [mine] = settlement.received_on_loans(owner, [lent.loan])
        assert mine.received == D("708.33")
        assert settlement.received_on_loans(other, [lent.loan]) == []


@pytest.mark.real_commits
def test_concurrent_approvals_pay_once(app, lent):
    """Four approvals of one batch at the same moment (threads, real commits): one pays, the
    others are refused, and the grant and the budget grow by the batch once."""
    with app.app_context():
        report(lent, JAN, "1000000")
        staff_id = db.session.scalars(select(User.id).where(User.email == lent.staff)).one()
    batch_id = settle(app, JAN).id
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def approve_now() -> None:
        with app.app_context():
            staff = db.session.get(User, staff_id)
            batch = db.session.get(SettlementBatch, batch_id)
            db.session.commit()
            barrier.wait()
            try:
                settlement.approve(staff, batch)
            except SettlementError:
                outcomes.append("refused")
            else:
                outcomes.append("approved")

    threads = [threading.Thread(target=approve_now) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["approved", "refused", "refused", "refused"]
    assert grant_paid(app, lent) == D("708.33")
    with app.app_context():
        assert db.session.get(PolicyProduct, lent.policy).budget_paid == D("708.33")


# --- supervision figures -----------------------------------------------------------------------


def test_supervision_counts_the_committed_loan_and_the_settled_months(app, lent):
    """January approved and paid (708.33), February still a draft (1,050.00); the loan and its
    expected 15,000 元 count in January; another region sees none of it."""
    from portal.figures import subsidies as subsidy_figures
    from portal.figures.live import Filters

    with app.app_context():
        report(lent, JAN, "1000000")
        report(lent, FEB, "900000")
    jan, _feb = settle(app, JAN), settle(app, FEB)
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.email == lent.staff))
        batch = db.session.get(SettlementBatch, jan.id)
        settlement.approve(staff, batch)
        settlement.mark_paid(staff, batch)
        firm_region = db.session.get(Firm, lent.firm_id).region_code
        [row] = subsidy_figures.figures(Filters(JAN, FEB)).policies
        assert (row.name, row.loans, row.principal, row.expected) == (
            POLICY_TITLE,
            1,
            D("1000000"),
            D("15000"),
        )
        assert (row.settled, row.paid, row.pending) == (D("708.33"), D("708.33"), D("1050.00"))
        february = subsidy_figures.figures(Filters(FEB, FEB)).policies[0]
        assert (february.loans, february.settled, february.pending) == (0, 0, D("1050.00"))
        elsewhere = "350200" if firm_region != "350200" else "350100"
        assert subsidy_figures.figures(Filters(JAN, FEB, region_code=elsewhere)).policies == []


def test_supervision_totals_count_a_loan_under_two_policies_once(app, lent):
    """A second subsidy policy on the same loan adds its own row and expected amount, but the
    total still holds one loan of 100 万元; a risk-compensation pool is not a subsidy."""
    from portal.figures import subsidies as subsidy_figures
    from portal.figures.live import Filters

    with app.app_context():
        first = db.session.get(SubsidyGrant, lent.grant)
        for kind, slug in (
            (PolicyKind.GUARANTEE_FEE_SUBSIDY, "fee"),
            (PolicyKind.RISK_COMPENSATION, "pool"),
        ):
            policy = PolicyProduct(
                slug=f"settlement-{slug}",
                title=f"第二政策-{slug}",
                agency=db.session.get(PolicyProduct, lent.policy).agency,
                kind=kind,
                source_document="测试〔2026〕2号",
                source_date=JAN,
                valid_from=JAN,
                budget=D("1000000"),
                benefit_kind=BenefitKind.RATE_POINTS,
                status=ProductStatus.PUBLISHED,
                published_at=utcnow(),
            )
            db.session.add(policy)
            db.session.flush()
            db.session.add(
                SubsidyGrant(
                    policy_id=policy.id,
                    rule_version_id=first.rule_version_id,
                    lead_id=first.lead_id,
                    loan_id=first.loan_id,
                    firm_id=first.firm_id,
                    institution_id=first.institution_id,
                    benefit_kind=BenefitKind.RATE_POINTS,
                    value=D("0.5"),
                    expected_amount=D("5000"),
                    status=GrantStatus.COMMITTED,
                )
            )
        db.session.commit()
        result = subsidy_figures.figures(Filters(JAN, FEB))
        assert sorted(p.name for p in result.policies) == [POLICY_TITLE, "第二政策-fee"]
        total = result.total
        assert (total.loans, total.principal, total.expected) == (1, D("1000000"), D("20000"))

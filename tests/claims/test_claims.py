"""Risk compensation claims through the pages: filing, deciding, recoveries, scoping, totals."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.catalog.models import PolicyProduct
from portal.catalog.versions import current_version, record_rules
from portal.claims import services
from portal.claims.models import ClaimRecovery, CompensationClaim
from portal.claims.services import ClaimError
from portal.dates import today_in_china
from portal.db import utcnow
from portal.enums import (
    BenefitKind,
    ClaimStatus,
    FiveTierClass,
    GrantStatus,
    GuaranteeType,
    LeadStatus,
    PolicyKind,
    ProductStatus,
    Role,
)
from portal.extensions import db
from portal.leads.models import Lead, Loan
from portal.needs.models import FinancingNeed
from portal.notifications.models import Notification
from portal.reporting.models import LoanStatusReport
from portal.subsidies.models import SubsidyGrant
from tests.conftest import signed_in
from tests.factories import AgencyFactory, FirmFactory, InstitutionFactory, UserFactory

D = Decimal
WAN = D(10000)
PERIOD = dt.date(2026, 3, 1)


@dataclass
class Book:
    """Two banks, two agencies, their users, and a risk-compensation policy per agency."""

    officer: str
    other_officer: str
    gov: str
    other_gov: str
    regulator: str
    bank_id: int
    other_bank_id: int
    policy_id: int  # 40%, capped at 400 万元 per claim, budget 1000 万元, only 损失
    threshold_policy_id: int  # 50%, claimable from 90 days overdue, other agency
    firm_id: int
    officer_id: int


def make_policy(agency, slug: str, share: str, **fields) -> PolicyProduct:
    policy = PolicyProduct(
        slug=slug,
        title=fields.pop("title", f"风险补偿资金池{slug}"),
        agency=agency,
        kind=PolicyKind.RISK_COMPENSATION,
        benefit_kind=BenefitKind.LOSS_SHARE,
        source_document="闽工信中小〔2023〕47号",
        source_date=dt.date(2023, 11, 8),
        valid_from=dt.date(2024, 1, 1),
        status=ProductStatus.PUBLISHED,
        published_at=utcnow(),
        applies_to_kinds=["credit"],
        **fields,
    )
    db.session.add(policy)
    db.session.flush()
    record_rules(policy, eligibility="", formula=share)
    return policy


@pytest.fixture
def book(app: Flask) -> Book:
    with app.app_context():
        agency, other_agency = AgencyFactory(), AgencyFactory()
        bank, other_bank = InstitutionFactory(), InstitutionFactory()
        officer = UserFactory(role=Role.BANK_OFFICER, institution=bank)
        other_officer = UserFactory(role=Role.BANK_OFFICER, institution=other_bank)
        gov = UserFactory(role=Role.GOV_STAFF, agency=agency)
        other_gov = UserFactory(role=Role.GOV_STAFF, agency=other_agency)
        regulator = UserFactory(role=Role.REGULATOR)
        policy = make_policy(agency, "rc-a", "0.4", budget=D("10000000"), benefit_cap=D("4000000"))
        threshold = make_policy(other_agency, "rc-b", "0.5", claim_overdue_days=90)
        firm = FirmFactory(name="福州闽江机械有限公司")
        db.session.commit()
        return Book(
            officer.email,
            other_officer.email,
            gov.email,
            other_gov.email,
            regulator.email,
            bank.id,
            other_bank.id,
            policy.id,
            threshold.id,
            firm.id,
            officer.id,
        )


def make_loan(
    app: Flask,
    book: Book,
    *,
    contract: str,
    balance: str,
    tier: FiveTierClass,
    overdue: int = 0,
    policy_id: int | None = None,
    grant_status: GrantStatus = GrantStatus.COMMITTED,
    kind: BenefitKind = BenefitKind.LOSS_SHARE,
    bank_id: int | None = None,
) -> int:
    """A disbursed loan with its lead, a grant of the policy (None: no grant) and a report."""
    with app.app_context():
        bank_id = bank_id or book.bank_id
        officer = db.session.get(User, book.officer_id)
        need = FinancingNeed(
            firm_id=book.firm_id,
            submitted_by_id=officer.id,
            amount=D("20000000"),
            term_months=12,
            purpose="周转",
            guarantee_type=GuaranteeType.CREDIT,
            consent_at=utcnow(),
            consent_scope="s",
            idempotency_key=f"claims-{contract}",
        )
        db.session.add(need)
        db.session.flush()
        lead = Lead(
            need_id=need.id,
            institution_id=bank_id,
            status=LeadStatus.DISBURSED,
            approved_amount=D("20000000"),
            approved_rate=D("4.00"),
            approved_term_months=12,
        )
        db.session.add(lead)
        db.session.flush()
        loan = Loan(
            lead_id=lead.id,
            institution_id=bank_id,
            firm_id=book.firm_id,
            contract_no=contract,
            amount=D("20000000"),
            rate=D("4.00"),
            term_months=12,
            disbursed_on=dt.date(2025, 6, 1),
            maturity_on=dt.date(2026, 6, 1),
        )
        db.session.add(loan)
        db.session.flush()
        if policy_id is not None:
            policy = db.session.get(PolicyProduct, policy_id)
            version = current_version(policy)
            db.session.add(
                SubsidyGrant(
                    policy_id=policy_id,
                    rule_version_id=version.id,
                    lead_id=lead.id,
                    loan_id=loan.id,
                    firm_id=book.firm_id,
                    institution_id=bank_id,
                    benefit_kind=kind,
                    value=D(_share(policy_id, book)),
                    expected_amount=D(0),
                    cap_used=D(0),
                    status=grant_status,
                )
            )
        db.session.add(
            LoanStatusReport(
                loan_id=loan.id,
                institution_id=bank_id,
                period=PERIOD,
                balance=D(balance),
                days_overdue=overdue,
                five_tier_class=tier,
            )
        )
        db.session.commit()
        return loan.id


def _share(policy_id: int, book: Book) -> str:
    return "0.4" if policy_id == book.policy_id else "0.5"


def file(client, loan_id: int, policy_id: int, principal_wan: str, note: str = "核销审批 2026-12"):
    return client.post(
        f"/bank/claims/loans/{loan_id}/new",
        data={
            "policy_id": policy_id,
            "principal_wan": principal_wan,
            "evidence_note": note,
            "confirmed": "y",
        },
    )


def claims_of(app: Flask, loan_id: int) -> list[CompensationClaim]:
    with app.app_context():
        rows = db.session.scalars(
            select(CompensationClaim)
            .where(CompensationClaim.loan_id == loan_id)
            .order_by(CompensationClaim.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def policy_budget(app: Flask, policy_id: int) -> tuple[Decimal, Decimal, Decimal]:
    with app.app_context():
        policy = db.session.get(PolicyProduct, policy_id)
        return policy.budget_reserved, policy.budget_committed, policy.budget_paid


def approve(client, claim_id: int):
    return client.post(
        f"/gov/claims/{claim_id}/approve", data={"confirmed": "y", "step": "confirm"}
    )


def actions(app: Flask, claim_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(
                    AuditEntry.object_type == "CompensationClaim", AuditEntry.object_id == claim_id
                )
                .order_by(AuditEntry.id)
            )
        )


def page(response) -> str:
    return response.get_data(as_text=True)


def filed_claim(app, book, officer_client, *, balance="10000000", principal="1000") -> int:
    loan = make_loan(
        app,
        book,
        contract="HT-F",
        balance=balance,
        tier=FiveTierClass.LOSS,
        policy_id=book.policy_id,
    )
    assert file(officer_client, loan, book.policy_id, principal).status_code == 302
    return claims_of(app, loan)[0].id


# --- filing ------------------------------------------------------------------------------------


def test_bank_files_a_claim_on_a_loss_loan(app, book):
    """A 损失 loan with a loss grant is listed, prefilled, and filed at principal × share."""
    loan = make_loan(
        app,
        book,
        contract="HT-LOSS",
        balance="8000000",
        tier=FiveTierClass.LOSS,
        policy_id=book.policy_id,
    )
    bank = signed_in(app, book.officer)
    listing = page(bank.get("/bank/claims/claimable"))
    assert "HT-LOSS" in listing and "320.00" in listing  # 800 万 × 40%
    assert "可申请补偿的贷款（1 笔）" in page(bank.get("/bank/claims/"))
    form = page(bank.get(f"/bank/claims/loans/{loan}/new"))
    assert 'value="800"' in form  # the reported balance, in 万元

    response = file(bank, loan, book.policy_id, "750")
    assert response.status_code == 302
    [claim] = claims_of(app, loan)
    assert claim.status == ClaimStatus.SUBMITTED
    assert claim.principal_outstanding == D("7500000")
    assert claim.share == D("0.4")
    assert claim.claimed_amount == D("3000000")
    assert claim.institution_id == book.bank_id and claim.firm_id == book.firm_id
    with app.app_context():
        report = db.session.scalar(select(LoanStatusReport).where(LoanStatusReport.loan_id == loan))
        assert claim.report_id == report.id
        staff = db.session.scalar(select(User).where(User.email == book.gov))
        assert (
            db.session.scalar(
                select(func.count(Notification.id)).where(Notification.user_id == staff.id)
            )
            == 1
        )
    assert actions(app, claim.id) == ["claim.file"]
    detail = page(bank.get(response.headers["Location"]))
    assert "待审核" in detail and "300.00" in detail
    # Filed once: the loan is no longer claimable under that policy.
    assert "HT-LOSS" not in page(bank.get("/bank/claims/claimable"))
    again = file(bank, loan, book.policy_id, "750")
    assert len(claims_of(app, loan)) == 1
    assert again.status_code == 200 and "已有该贷款待审核或已批准的补偿申请" in page(again)


def test_claim_is_capped_and_principal_cannot_exceed_the_report(app, book):
    """principal × share is capped at the policy's most per claim; a principal above the
    reported balance is refused beside its field, and an empty evidence note too."""
    loan = make_loan(
        app,
        book,
        contract="HT-BIG",
        balance="20000000",
        tier=FiveTierClass.LOSS,
        policy_id=book.policy_id,
    )
    bank = signed_in(app, book.officer)
    too_high = file(bank, loan, book.policy_id, "2000.01")
    assert too_high.status_code == 200
    assert "不能超过最近一期月报（2026-03）的贷款余额 2000 万元" in page(too_high)
    no_note = file(bank, loan, book.policy_id, "2000", note="  ")
    assert no_note.status_code == 200 and "请填写证明材料说明" in page(no_note)
    bad_number = file(bank, loan, book.policy_id, "abc")
    assert "本金余额应为数字" in page(bad_number)
    assert claims_of(app, loan) == []

    assert file(bank, loan, book.policy_id, "2000").status_code == 302
    [claim] = claims_of(app, loan)
    assert claim.claimed_amount == D("4000000")  # 2000 万 × 40% = 800 万, capped at 400 万


def test_overdue_threshold_makes_a_loan_claimable(app, book):
    """Under a policy with a 90-day threshold, 95 days overdue is claimable and 60 is not; a
    policy without a threshold takes only 损失, however long overdue."""
    ripe = make_loan(
        app,
        book,
        contract="HT-95",
        balance="1000000",
        tier=FiveTierClass.DOUBTFUL,
        overdue=95,
        policy_id=book.threshold_policy_id,
    )
    young = make_loan(
        app,
        book,
        contract="HT-60",
        balance="1000000",
        tier=FiveTierClass.SUBSTANDARD,
        overdue=60,
        policy_id=book.threshold_policy_id,
    )
    loss_only = make_loan(
        app,
        book,
        contract="HT-400",
        balance="1000000",
        tier=FiveTierClass.DOUBTFUL,
        overdue=400,
        policy_id=book.policy_id,
    )
    bank = signed_in(app, book.officer)
    listing = page(bank.get("/bank/claims/claimable"))
    assert "HT-95" in listing and "逾期 95 天（政策门槛 90 天）" in listing
    assert "HT-60" not in listing and "HT-400" not in listing
    assert "逾期 60 天，尚未分类为损失" in page(bank.get(f"/bank/claims/loans/{young}/new"))
    assert "只补偿五级分类为“损失”的贷款" in page(bank.get(f"/bank/claims/loans/{loss_only}/new"))
    assert file(bank, young, book.threshold_policy_id, "100").status_code == 200
    assert claims_of(app, young) == []

    assert file(bank, ripe, book.threshold_policy_id, "100").status_code == 302
    [claim] = claims_of(app, ripe)
    assert claim.claimed_amount == D("500000")  # 100 万 × 50%, no cap


def test_a_loan_without_a_committed_loss_grant_is_not_claimable(app, book):
    """No grant, a released grant, or an interest-subsidy grant: not listed, not filed."""
    loans = {
        "HT-NONE": make_loan(
            app, book, contract="HT-NONE", balance="500000", tier=FiveTierClass.LOSS
        ),
        "HT-REL": make_loan(
            app,
            book,
            contract="HT-REL",
            balance="500000",
            tier=FiveTierClass.LOSS,
            policy_id=book.policy_id,
            grant_status=GrantStatus.RELEASED,
        ),
        "HT-RATE": make_loan(
            app,
            book,
            contract="HT-RATE",
            balance="500000",
            tier=FiveTierClass.LOSS,
            policy_id=book.policy_id,
            kind=BenefitKind.RATE_POINTS,
        ),
    }
    bank = signed_in(app, book.officer)
    listing = page(bank.get("/bank/claims/claimable"))
    assert "目前没有可申请补偿的贷款" in listing
    for contract, loan in loans.items():
        assert contract not in listing
        shown = page(bank.get(f"/bank/claims/loans/{loan}/new"))
        assert "不在任何风险补偿政策范围内" in shown
        assert file(bank, loan, book.policy_id, "50").status_code == 200
        assert claims_of(app, loan) == []


# --- the agency's decision -----------------------------------------------------------------------


def test_gov_approves_and_the_budget_pays(app, book):
    """Approval pays the claimed amount: committed and paid rise by it; the bank is told."""
    bank = signed_in(app, book.officer)
    claim_id = filed_claim(app, book, bank, principal="1000")  # 400 万
    gov = signed_in(app, book.gov)
    queue = page(gov.get("/gov/claims/"))
    assert f"#{claim_id}" in queue and "福州闽江机械有限公司" in queue
    review = page(gov.get(f"/gov/claims/{claim_id}"))
    assert "HT-F" in review and "2026-03" in review and "1,000.00" in review
    step = gov.post(f"/gov/claims/{claim_id}/approve", data={})
    assert step.status_code == 200 and "我确认批准该申请并从资金池拨付" in page(step)
    assert policy_budget(app, book.policy_id) == (D(0), D(0), D(0))

    assert approve(gov, claim_id).status_code == 302
    with app.app_context():
        claim = db.session.get(CompensationClaim, claim_id)
        assert claim.status == ClaimStatus.APPROVED
        assert claim.approved_amount == D("4000000") and claim.decided_at is not None
        assert (
            db.session.scalar(
                select(func.count(Notification.id)).where(Notification.kind == "claim.approved")
            )
            == 1
        )
    assert policy_budget(app, book.policy_id) == (D(0), D("4000000"), D("4000000"))
    assert actions(app, claim_id) == ["claim.file", "claim.approve"]
    assert "已批准" in page(bank.get(f"/bank/claims/{claim_id}"))


def test_a_budget_too_small_refuses_the_approval_and_changes_nothing(app, book):
    """资金池余额不足: the claim stays submitted, the budget and the audit log unchanged."""
    with app.app_context():
        policy = db.session.get(PolicyProduct, book.policy_id)
        policy.budget_committed = D("7000000")  # 300 万 left of 1000 万
        db.session.commit()
    bank = signed_in(app, book.officer)
    claim_id = filed_claim(app, book, bank, principal="1000")  # needs 400 万
    gov = signed_in(app, book.gov)
    response = approve(gov, claim_id)
    shown = page(gov.get(response.headers["Location"]))
    assert "资金池余额不足" in shown and "政策剩余可用 300 万元" in shown
    with app.app_context():
        claim = db.session.get(CompensationClaim, claim_id)
        assert claim.status == ClaimStatus.SUBMITTED
        assert claim.approved_amount is None and claim.decided_at is None
    assert policy_budget(app, book.policy_id) == (D(0), D("7000000"), D(0))
    assert actions(app, claim_id) == ["claim.file"]


def test_reject_needs_a_reason_and_a_decision_is_final(app, book):
    """No reason: refused beside the field. Then rejected; approving or rejecting again is
    refused, and the bank may file anew."""
    bank = signed_in(app, book.officer)
    claim_id = filed_claim(app, book, bank)
    gov = signed_in(app, book.gov)
    empty = gov.post(f"/gov/claims/{claim_id}/reject", data={"reason": " ", "confirmed": "y"})
    assert empty.status_code == 200 and "请填写驳回原因" in page(empty)
    assert claims_of(app, claims_loan(app, claim_id))[0].status == ClaimStatus.SUBMITTED

    done = gov.post(
        f"/gov/claims/{claim_id}/reject", data={"reason": "缺少核销审批文件", "confirmed": "y"}
    )
    assert done.status_code == 302
    [claim] = claims_of(app, claims_loan(app, claim_id))
    assert claim.status == ClaimStatus.REJECTED and claim.decision_reason == "缺少核销审批文件"
    assert "缺少核销审批文件" in page(bank.get(f"/bank/claims/{claim_id}"))

    again = approve(gov, claim_id)
    assert "该申请已驳回，不能再审核" in page(gov.get(again.headers["Location"]))
    gov.post(f"/gov/claims/{claim_id}/reject", data={"reason": "再次", "confirmed": "y"})
    assert policy_budget(app, book.policy_id) == (D(0), D(0), D(0))
    assert actions(app, claim_id) == ["claim.file", "claim.reject"]
    # A rejected claim leaves the loan claimable again.
    loan = claims_loan(app, claim_id)
    assert file(bank, loan, book.policy_id, "500").status_code == 302
    assert len(claims_of(app, loan)) == 2


def claims_loan(app: Flask, claim_id: int) -> int:
    with app.app_context():
        return db.session.get(CompensationClaim, claim_id).loan_id


def test_approving_twice_is_refused(app, book):
    """A second approval (or a rejection after it) changes nothing and draws nothing more."""
    bank = signed_in(app, book.officer)
    claim_id = filed_claim(app, book, bank, principal="500")  # 200 万
    gov = signed_in(app, book.gov)
    approve(gov, claim_id)
    second = approve(gov, claim_id)
    assert "该申请已批准，不能再审核" in page(gov.get(second.headers["Location"]))
    gov.post(f"/gov/claims/{claim_id}/reject", data={"reason": "误批", "confirmed": "y"})
    assert policy_budget(app, book.policy_id) == (D(0), D("2000000"), D("2000000"))
    assert actions(app, claim_id) == ["claim.file", "claim.approve"]


# --- recoveries ----------------------------------------------------------------------------------


def recover(client, claim_id: int, amount_wan: str, on: dt.date | None = None):
    return client.post(
        f"/bank/claims/{claim_id}/recoveries",
        data={
            "amount_wan": amount_wan,
            "recovered_on": (on or today_in_china()).isoformat(),
            "note": "处置抵押物",
            "confirmed": "y",
        },
    )


def test_a_recovery_returns_the_share_to_the_pool(app, book):
    """1000 万 principal at 40%: 400 万 paid; 100 万 recovered returns 40 万; a recovery beyond
    the principal left, in the future or before the approval is refused."""
    bank = signed_in(app, book.officer)
    claim_id = filed_claim(app, book, bank, principal="1000")
    gov = signed_in(app, book.gov)
    approve(gov, claim_id)

    assert recover(bank, claim_id, "100").status_code == 302
    with app.app_context():
        claim = db.session.get(CompensationClaim, claim_id)
        assert claim.recovered_total == D("1000000")
        [recovery] = claim.recoveries
        assert recovery.returned_amount == D("400000") and recovery.note == "处置抵押物"
    assert policy_budget(app, book.policy_id) == (D(0), D("3600000"), D("3600000"))
    detail = page(bank.get(f"/bank/claims/{claim_id}"))
    assert "360.00" in detail  # net compensation

    too_much = recover(bank, claim_id, "900.01")
    assert too_much.status_code == 200
    assert "追回金额不能超过尚未追回的本金 900 万元" in page(too_much)
    future = recover(bank, claim_id, "1", today_in_china() + dt.timedelta(days=1))
    assert "追回日期不能晚于今天" in page(future)
    early = recover(bank, claim_id, "1", today_in_china() - dt.timedelta(days=1))
    assert "追回日期不能早于批准日" in page(early)
    with app.app_context():
        assert db.session.scalar(select(func.count(ClaimRecovery.id))) == 1
    assert actions(app, claim_id) == ["claim.file", "claim.approve", "claim.recovery"]


def test_recoveries_never_return_more_than_was_paid(app, book):
    """A capped claim: 2000 万 principal pays 400 万; recoveries return at most that."""
    bank = signed_in(app, book.officer)
    claim_id = filed_claim(app, book, bank, balance="20000000", principal="2000")
    approve(signed_in(app, book.gov), claim_id)
    recover(bank, claim_id, "1500")  # 40% would be 600 万: 400 万 is all that was paid
    recover(bank, claim_id, "500")
    with app.app_context():
        claim = db.session.get(CompensationClaim, claim_id)
        assert [r.returned_amount for r in claim.recoveries] == [D("4000000"), D(0)]
        assert claim.recovered_total == D("20000000")
    assert policy_budget(app, book.policy_id) == (D(0), D(0), D(0))


def test_no_recovery_on_a_submitted_or_rejected_claim(app, book):
    """Recoveries belong to approved claims only."""
    bank = signed_in(app, book.officer)
    claim_id = filed_claim(app, book, bank)
    waiting = recover(bank, claim_id, "10")
    assert "该申请尚未批准，批准后才能登记追回款" in page(bank.get(waiting.headers["Location"]))
    signed_in(app, book.gov).post(
        f"/gov/claims/{claim_id}/reject", data={"reason": "材料不全", "confirmed": "y"}
    )
    rejected = recover(bank, claim_id, "10")
    assert "该申请已驳回，不能登记追回款" in page(bank.get(rejected.headers["Location"]))
    with app.app_context():
        assert db.session.scalar(select(func.count(ClaimRecovery.id))) == 0
    assert policy_budget(app, book.policy_id) == (D(0), D(0), D(0))


# --- scoping and totals ----------------------------------------------------------------------


def test_other_banks_and_agencies_get_404(app, book):
    """Another bank cannot open, file on or recover; another agency cannot open or decide."""
    bank = signed_in(app, book.officer)
    claim_id = filed_claim(app, book, bank)
    loan = claims_loan(app, claim_id)
    other_bank = signed_in(app, book.other_officer)
    assert other_bank.get(f"/bank/claims/{claim_id}").status_code == 404
    assert recover(other_bank, claim_id, "1").status_code == 404
    assert other_bank.get(f"/bank/claims/loans/{loan}/new").status_code == 404
    assert file(other_bank, loan, book.policy_id, "10").status_code == 404
    assert f"#{claim_id}" not in page(other_bank.get("/bank/claims/"))

    other_gov = signed_in(app, book.other_gov)
    assert other_gov.get(f"/gov/claims/{claim_id}").status_code == 404
    assert approve(other_gov, claim_id).status_code == 404
    rejected = other_gov.post(
        f"/gov/claims/{claim_id}/reject", data={"reason": "x", "confirmed": "y"}
    )
    assert rejected.status_code == 404
    assert f"#{claim_id}" not in page(other_gov.get("/gov/claims/?status=all"))
    assert claims_of(app, loan)[0].status == ClaimStatus.SUBMITTED
    # Roles without the permission are refused outright.
    assert signed_in(app, book.regulator).get(f"/gov/claims/{claim_id}").status_code == 403
    assert signed_in(app, book.gov).get(f"/bank/claims/{claim_id}").status_code == 403


def test_regulator_overview_shows_claims_and_payouts(app, book):
    """Counts and amounts by status and by policy: claimed, paid, recovered, returned, net."""
    bank = signed_in(app, book.officer)
    paid = filed_claim(app, book, bank, principal="1000")  # 400 万, approved, 100 万 recovered
    loan2 = make_loan(
        app,
        book,
        contract="HT-R",
        balance="1000000",
        tier=FiveTierClass.LOSS,
        policy_id=book.policy_id,
    )
    file(bank, loan2, book.policy_id, "100")  # 40 万, rejected
    loan3 = make_loan(
        app,
        book,
        contract="HT-W",
        balance="2000000",
        tier=FiveTierClass.DOUBTFUL,
        overdue=120,
        policy_id=book.threshold_policy_id,
    )
    file(bank, loan3, book.threshold_policy_id, "200")  # 100 万, waiting
    gov = signed_in(app, book.gov)
    approve(gov, paid)
    gov.post(
        f"/gov/claims/{claims_of(app, loan2)[0].id}/reject",
        data={"reason": "不符合条件", "confirmed": "y"},
    )
    recover(bank, paid, "100")

    shown = page(signed_in(app, book.regulator).get("/claims/overview"))
    assert '3<span class="stat__unit"> 笔，540.00 万元' in shown
    assert '400.00 万元<span class="stat__unit"> / 1 笔' in shown
    assert "100.00 万元 / 40.00 万元" in shown  # recovered / returned
    assert "360.00" in shown  # net paid
    assert "风险补偿资金池rc-a" in shown and "风险补偿资金池rc-b" in shown
    assert "640.00" in shown  # rc-a's pool: 1000 万 − (400 万 paid − 40 万 returned)
    # The agency sees its own policy only.
    own = page(gov.get("/claims/overview"))
    assert "风险补偿资金池rc-a" in own and "风险补偿资金池rc-b" not in own


# --- concurrency ---------------------------------------------------------------------------------


def _race(app: Flask, count: int, action) -> list[str]:
    """Run `action()` in `count` threads released at once; 'ok' or 'refused' each."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def run() -> None:
        with app.app_context():
            barrier.wait()
            try:
                action()
                outcomes.append("ok")
            except ClaimError:
                db.session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


@pytest.mark.real_commits
def test_simultaneous_filings_and_approvals_happen_once(app, book):
    """Six filings of one loan at once make one claim; six approvals of it draw the budget once."""
    loan_id = make_loan(
        app,
        book,
        contract="HT-RACE",
        balance="5000000",
        tier=FiveTierClass.LOSS,
        policy_id=book.policy_id,
    )

    def file_it() -> None:
        officer = db.session.get(User, book.officer_id)
        loan = db.session.get(Loan, loan_id)
        services.file_claim(officer, loan, book.policy_id, D("5000000"), "核销审批")

    assert _race(app, 6, file_it) == ["ok"] + ["refused"] * 5
    [claim] = claims_of(app, loan_id)
    with app.app_context():
        gov_id = db.session.scalar(select(User.id).where(User.email == book.gov))

    def approve_it() -> None:
        services.approve(db.session.get(User, gov_id), db.session.get(CompensationClaim, claim.id))

    assert _race(app, 6, approve_it) == ["ok"] + ["refused"] * 5
    assert policy_budget(app, book.policy_id) == (D(0), D("2000000"), D("2000000"))
    assert actions(app, claim.id) == ["claim.file", "claim.approve"]


def test_re_reporting_the_month_keeps_the_claims_report_and_cannot_drop_its_loan(app, book):
    """A bank corrects the month a claim rests on: the report is updated in place (the claim
    still points at it); a new upload that leaves the claimed loan out is refused whole."""
    from portal.reporting.services import ReportingError, ReportRow, apply_rows

    signed = signed_in(app, book.officer)
    claim_id = filed_claim(app, book, signed)
    loan_id = claims_loan(app, claim_id)
    with app.app_context():
        officer = db.session.get(User, book.officer_id)
        claim = db.session.get(CompensationClaim, claim_id)
        report_id = claim.report_id
        corrected = ReportRow(loan_id, D("9000000"), 400, FiveTierClass.LOSS)
        apply_rows(officer, book.bank_id, PERIOD, [corrected])
        report = db.session.get(LoanStatusReport, report_id)
        assert report is not None and report.balance == D("9000000")
        with pytest.raises(ReportingError, match="风险补偿"):
            apply_rows(officer, book.bank_id, PERIOD, [])
        db.session.rollback()
        assert db.session.get(LoanStatusReport, report_id) is not None

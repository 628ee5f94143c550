"""Risk sharing when a guaranteed loan fails: the bank claims compensation, the guarantor pays or
rejects, government staff review the onward shares, recoveries are shared back; the states that
refuse, the risk terms kept on the letter at issue, who may see what, and the pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from werkzeug.exceptions import NotFound

from portal.accounts.models import User
from portal.authz.scoping import get_or_404
from portal.dates import today_in_china
from portal.enums import ClaimStatus, FiveTierClass, Role
from portal.extensions import db
from portal.guarantees import compensation as services
from portal.guarantees import products
from portal.guarantees import requests as guarantees
from portal.guarantees.compensation import CompensationError, CompensationInputError
from portal.guarantees.models import (
    Compensation,
    CompensationRecovery,
    CompensationShare,
    Guarantee,
    GuaranteeProduct,
)
from portal.guarantees.sharing import GOVERNMENT, GUARANTOR, PARTIES, REGUARANTEE, as_money
from portal.leads import services as leads
from portal.leads.models import Lead
from portal.notifications.models import Notification
from portal.reporting.models import LoanStatusReport
from tests.conftest import signed_in
from tests.factories import AgencyFactory, UserFactory
from tests.guarantees.conftest import (
    Market,
    accepted_lead,
    current,
    decide,
    offer_guarantee,
    requests_of,
    submit,
    user,
)

D = Decimal
WAN = D(10000)
LOAN = 100 * WAN  # a 100 万元 loan, covered at 80%: 80 万元
PERIOD = today_in_china().replace(day=1)
NEXT_PERIOD = (PERIOD + dt.timedelta(days=32)).replace(day=1)
LOSS, SUBSTANDARD, DOUBTFUL = (
    FiveTierClass.LOSS,
    FiveTierClass.SUBSTANDARD,
    FiveTierClass.DOUBTFUL,
)
SUBMITTED, APPROVED, REJECTED = ClaimStatus.SUBMITTED, ClaimStatus.APPROVED, ClaimStatus.REJECTED
FIRM_CITY, OTHER_CITY, PROVINCE = "350100", "350200", "350000"

# The national "4321": guarantor 40%, re-guarantee 30%, bank 20%, local government 10%.
FOUR_3_2_1: dict[str, Any] = {
    "guarantor_share": D(40),
    "reguarantee_share": D(30),
    "bank_share": D(20),
    "government_share": D(10),
    "reguarantee_cap": None,
    "government_cap": None,
    "trigger_overdue_days": 90,
}


def in_wan(*parts: int) -> dict[str, Decimal]:
    """A split given in 万元 as guarantor / re-guarantee / bank / government."""
    return dict(zip(PARTIES, (p * WAN for p in parts), strict=True))


# --- the market: a 4321 product of 甲, government staff ---------------------------------------


@dataclass
class Gov:
    city: int  # GOV_STAFF of the firm's city (福州)
    province: int  # GOV_STAFF of the province
    other_city: int  # GOV_STAFF of 厦门


@pytest.fixture
def gov(app: Flask) -> Gov:
    with app.app_context():
        staff = {
            code: UserFactory(role=Role.GOV_STAFF, agency=AgencyFactory(region_code=code)).id
            for code in (FIRM_CITY, PROVINCE, OTHER_CITY)
        }
        db.session.commit()
        return Gov(staff[FIRM_CITY], staff[PROVINCE], staff[OTHER_CITY])


@pytest.fixture
def product(app: Flask, market: Market) -> int:
    """甲's product at 0.80% covering 80%, under a 4321 agreement claimable from 90 days."""
    with app.app_context():
        product = offer_guarantee(market, "甲", "甲保4321", "0.80", coverage_share="80")
        product_id = product.id
    agree(app, market, product_id, FOUR_3_2_1)
    return product_id


def agree(app: Flask, market: Market, product_id: int, terms: dict[str, Any]) -> None:
    """The guarantor's officer sets the product's agreement, as a page of its own would."""
    with app.app_context():
        product = db.session.get_one(GuaranteeProduct, product_id)
        products.set_risk_share(guarantor_officer(market), product, dict(terms))


def guarantor_officer(market: Market, guarantor: str = "甲") -> User:
    return user(market.guarantor_officers[guarantor])


def bank_officer(market: Market, bank: str = "A") -> User:
    return user(market.bank_officers[bank])


def guaranteed_loan(market: Market, contract: str = "HT-DB-001") -> Guarantee:
    """A 100 万元 need offering an agency guarantee, bank A's decision on the condition, 甲's
    letter, the firm takes the offer and A disburses."""
    lead = accepted_lead(market, submit(market, amount=LOAN))
    decide(market, lead, amount=LOAN)
    [request] = requests_of(lead.id)
    guarantees.accept(guarantor_officer(market), request)
    letter = guarantees.issue(guarantor_officer(market), request)
    leads.take_offer(user(market.firm_user_id), current(Lead, lead.id))
    leads.disburse(bank_officer(market), current(Lead, lead.id), contract, today_in_china())
    return current(Guarantee, letter.id)


def report(
    letter: Guarantee,
    tier: FiveTierClass,
    overdue: int = 0,
    balance: Decimal = LOAN,
    period: dt.date = PERIOD,
) -> LoanStatusReport:
    """The bank's monthly report of the guaranteed loan."""
    row = LoanStatusReport(
        loan_id=letter.loan_id,
        institution_id=letter.bank_institution_id,
        period=period,
        balance=balance,
        days_overdue=overdue,
        five_tier_class=tier,
    )
    db.session.add(row)
    db.session.commit()
    return row


def found(market: Market, letter: Guarantee) -> services.GuaranteedLoan:
    """The letter's loan as bank A's list of guaranteed loans shows it."""
    [row] = [f for f in services.guaranteed_loans(bank_officer(market)) if f.letter.id == letter.id]
    return row


def file(market: Market, letter: Guarantee, loss: Decimal = LOAN) -> Compensation:
    return services.file(bank_officer(market), found(market, letter), loss, "逾期催收无果，已起诉")


def defaulted(market: Market, contract: str = "HT-DB-001", **reported: Any) -> Guarantee:
    """A guaranteed loan whose latest report is 损失 (or as given)."""
    letter = guaranteed_loan(market, contract)
    report(letter, **({"tier": LOSS} | reported))
    return letter


def shares_of(compensation: Compensation) -> dict[str, CompensationShare]:
    rows = db.session.scalars(
        select(CompensationShare)
        .where(CompensationShare.compensation_id == compensation.id)
        .execution_options(populate_existing=True)
    )
    return {share.party: share for share in rows}


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def notified(user_id: int, kind: str) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user_id, Notification.kind == kind
        )
    )


# --- the journey -------------------------------------------------------------------------------


def test_a_loss_is_claimed_paid_shared_and_recovered_4321(app, market, product, gov):
    """损失 → the bank files 100 万元: 80 万元 claimed; paid → re-guarantee 30 and government 10
    万元 submitted; city staff approve one, provincial staff reject the other; 10 万元
    recovered comes back 4/3/2/1 万元."""
    with app.app_context():
        letter = defaulted(market)
        assert D(letter.risk_terms["shares"]["guarantor"]) == 40
        listed = found(market, letter)
        assert listed.claimable and listed.ground == "loss"

        claim = file(market, letter)
        assert claim.status == SUBMITTED and claim.ground == "loss"
        assert claim.loss_amount == LOAN
        assert claim.claimed_amount == LOAN * D("0.8")
        assert as_money(claim.split) == in_wan(40, 30, 20, 10)
        assert (claim.bank_institution_id, claim.institution_id, claim.firm_id) == (
            market.banks["A"],
            market.guarantors["甲"],
            market.firm_id,
        )
        assert notified(market.guarantor_officers["甲"], "compensation.filed") == 1
        assert found(market, letter).compensation.id == claim.id
        assert not found(market, letter).claimable

        services.pay(guarantor_officer(market), claim)
        claim = current(Compensation, claim.id)
        assert claim.status == APPROVED and claim.decided_by_id == market.guarantor_officers["甲"]
        shares = shares_of(claim)
        assert {party: (s.amount, s.status, s.region_code) for party, s in shares.items()} == {
            REGUARANTEE: (30 * WAN, SUBMITTED, FIRM_CITY),
            GOVERNMENT: (10 * WAN, SUBMITTED, FIRM_CITY),
        }
        for staff in (gov.city, gov.province):
            assert notified(staff, "compensation.share_submitted") == 1
        assert notified(gov.other_city, "compensation.share_submitted") == 0
        assert notified(market.bank_officers["A"], "compensation.decided") == 1

        with pytest.raises(CompensationInputError) as no_reason:
            services.decide_share(user(gov.province), shares[GOVERNMENT], False, "  ")
        assert set(no_reason.value.problems) == {"reason"}
        services.decide_share(user(gov.city), shares[REGUARANTEE], True, "")
        services.decide_share(user(gov.province), shares[GOVERNMENT], False, "超出年度预算")
        shares = shares_of(claim)
        assert (shares[REGUARANTEE].status, shares[REGUARANTEE].decided_by_id) == (
            APPROVED,
            gov.city,
        )
        assert (shares[GOVERNMENT].status, shares[GOVERNMENT].decision_reason) == (
            REJECTED,
            "超出年度预算",
        )

        recovery = services.record_recovery(
            guarantor_officer(market), claim, 10 * WAN, today_in_china(), "拍卖抵押物"
        )
        assert as_money(recovery.split) == in_wan(4, 3, 2, 1)
        assert current(Compensation, claim.id).recovered_total == 10 * WAN

        with pytest.raises(CompensationInputError) as too_much:
            services.record_recovery(
                guarantor_officer(market), claim, D("90.01") * WAN, today_in_china(), ""
            )
        assert set(too_much.value.problems) == {"amount_wan"}
        assert "90" in too_much.value.problems["amount_wan"]
        assert current(Compensation, claim.id).recovered_total == 10 * WAN
        services.record_recovery(guarantor_officer(market), claim, 90 * WAN, today_in_china(), "")
        assert current(Compensation, claim.id).recovered_total == LOAN
        assert count(CompensationRecovery) == 2


def test_ninety_five_days_overdue_is_claimable_under_a_90_day_trigger(app, market, product):
    """Not yet 损失 but 95 days overdue: filed on the overdue ground."""
    with app.app_context():
        letter = defaulted(market, tier=DOUBTFUL, overdue=95)
        assert found(market, letter).ground == "overdue"
        claim = file(market, letter, loss=50 * WAN)
        assert (claim.ground, claim.claimed_amount) == ("overdue", 40 * WAN)
        assert as_money(claim.split) == in_wan(20, 15, 10, 5)


def test_a_letter_without_an_agreement_is_the_guarantors_alone_and_loss_only(app, market):
    """No agreement: 80% the guarantor's, 20% the bank's, no onward share; overdue is not
    enough, only 损失."""
    with app.app_context():
        offer_guarantee(market, "甲", "甲保", "0.80", coverage_share="80")
        letter = guaranteed_loan(market)
        assert letter.risk_terms is None
        report(letter, DOUBTFUL, overdue=400)
        assert not found(market, letter).claimable
        report(letter, LOSS, period=NEXT_PERIOD)
        claim = file(market, letter)
        assert as_money(claim.split) == in_wan(80, 0, 20, 0)
        services.pay(guarantor_officer(market), claim)
        assert shares_of(claim) == {}


# --- the states that refuse --------------------------------------------------------------------


def test_a_letter_is_claimed_once(app, market, product):
    """Filing again on the same letter, even from a page loaded before, is refused."""
    with app.app_context():
        letter = defaulted(market)
        loaded_before = found(market, letter)
        file(market, letter)
        with pytest.raises(CompensationError, match="重复"):
            services.file(bank_officer(market), loaded_before, LOAN, "再次申请")
        assert count(Compensation) == 1


def test_filing_before_the_trigger_is_refused(app, market, product):
    """60 days overdue and 次级 under a 90-day trigger: not claimable, and filing is refused."""
    with app.app_context():
        letter = defaulted(market, tier=SUBSTANDARD, overdue=60)
        listed = found(market, letter)
        assert listed.ground is None and not listed.claimable
        with pytest.raises(CompensationError, match="代偿条件"):
            services.file(bank_officer(market), listed, LOAN, "提前申请")
        assert count(Compensation) == 0


def test_a_loss_above_the_reported_balance_is_refused(app, market, product):
    """The loss is at most the latest report's balance: the problem is shown beside loss_wan."""
    with app.app_context():
        letter = defaulted(market, balance=60 * WAN)
        with pytest.raises(CompensationInputError) as refused:
            file(market, letter, loss=60 * WAN + 100)
        assert set(refused.value.problems) == {"loss_wan"}
        assert "60" in refused.value.problems["loss_wan"]
        assert count(Compensation) == 0
        assert file(market, letter, loss=60 * WAN).claimed_amount == 48 * WAN


def test_pay_after_reject_and_reject_after_pay_are_refused(app, market, product):
    """A decision is final: the other one is refused and the first stands."""
    with app.app_context():
        rejected = file(market, defaulted(market))
        with pytest.raises(CompensationInputError):
            services.reject(guarantor_officer(market), rejected, " ")
        services.reject(guarantor_officer(market), rejected, "借款人未按约定用途使用贷款")
        with pytest.raises(CompensationError, match="已处理"):
            services.pay(guarantor_officer(market), rejected)
        rejected = current(Compensation, rejected.id)
        assert (rejected.status, rejected.decision_reason) == (
            REJECTED,
            "借款人未按约定用途使用贷款",
        )
        assert shares_of(rejected) == {}

        paid = file(market, defaulted(market, "HT-DB-002"))
        services.pay(guarantor_officer(market), paid)
        with pytest.raises(CompensationError, match="已处理"):
            services.reject(guarantor_officer(market), paid, "后悔了")
        assert current(Compensation, paid.id).status == APPROVED
        assert len(shares_of(paid)) == 2


def test_recovery_before_pay_or_after_reject_is_refused(app, market, product):
    """Nothing is recovered on a claim the guarantor has not paid."""
    with app.app_context():
        claim = file(market, defaulted(market))
        with pytest.raises(CompensationError, match="代偿后"):
            services.record_recovery(guarantor_officer(market), claim, WAN, today_in_china(), "")
        services.reject(guarantor_officer(market), claim, "材料不全")
        with pytest.raises(CompensationError, match="代偿后"):
            services.record_recovery(guarantor_officer(market), claim, WAN, today_in_china(), "")
        assert count(CompensationRecovery) == 0
        assert current(Compensation, claim.id).recovered_total == 0


def test_a_recovery_dated_before_the_payment_day_in_china_is_refused(app, market, product):
    """Paid at 01:00 in China (17:00 UTC the day before): a recovery dated that UTC day is
    before the payment and refused; the payment's own day is accepted."""
    with app.app_context():
        claim = file(market, defaulted(market))
        services.pay(guarantor_officer(market), claim)
        paid_at = dt.datetime.combine(
            today_in_china() - dt.timedelta(days=3), dt.time(17), tzinfo=dt.UTC
        )
        db.session.execute(
            update(Compensation).where(Compensation.id == claim.id).values(decided_at=paid_at)
        )
        db.session.commit()
        claim = current(Compensation, claim.id)
        with pytest.raises(CompensationInputError) as refused:
            services.record_recovery(guarantor_officer(market), claim, WAN, paid_at.date(), "")
        assert set(refused.value.problems) == {"recovered_on"}
        paid_day = paid_at.date() + dt.timedelta(days=1)
        services.record_recovery(guarantor_officer(market), claim, WAN, paid_day, "")


def test_a_share_is_decided_once(app, market, product, gov):
    """Approving or rejecting a share already decided is refused; the first decision stands."""
    with app.app_context():
        claim = file(market, defaulted(market))
        services.pay(guarantor_officer(market), claim)
        share = shares_of(claim)[REGUARANTEE]
        services.decide_share(user(gov.city), share, True, "")
        with pytest.raises(CompensationError, match="已处理"):
            services.decide_share(user(gov.province), share, False, "不同意")
        with pytest.raises(CompensationError, match="已处理"):
            services.decide_share(user(gov.city), share, True, "")
        share = shares_of(claim)[REGUARANTEE]
        assert (share.status, share.decided_by_id, share.decision_reason) == (
            APPROVED,
            gov.city,
            None,
        )


# --- the terms kept on the letter ----------------------------------------------------------------


def test_a_letter_keeps_the_agreement_it_was_issued_under(app, market, product):
    """The product's agreement changes after issue (50/20/20/10, 30 days): the letter issued
    before still splits 40/30/20/10 and still waits for 90 days; a letter issued after takes
    the new terms."""
    with app.app_context():
        letter = guaranteed_loan(market)
        before = letter.risk_terms
        assert before is not None and before["trigger_overdue_days"] == 90
    changed = FOUR_3_2_1 | {
        "guarantor_share": D(50),
        "reguarantee_share": D(20),
        "trigger_overdue_days": 30,
    }
    agree(app, market, product, changed)
    with app.app_context():
        assert current(Guarantee, letter.id).risk_terms == before
        report(letter, SUBSTANDARD, overdue=60)
        assert found(market, letter).ground is None  # 60 days: enough under the new terms only
        report(letter, LOSS, period=NEXT_PERIOD)
        claim = file(market, letter)
        assert as_money(claim.split) == in_wan(40, 30, 20, 10)

        later = guaranteed_loan(market, contract="HT-DB-002")
        assert D(later.risk_terms["shares"][GUARANTOR]) == 50
        assert later.risk_terms["trigger_overdue_days"] == 30


# --- who sees what -------------------------------------------------------------------------------


def test_only_the_parties_load_a_compensation_and_its_shares(app, market, product, gov):
    """Bank B, guarantor 乙 and 厦门's staff get a 404; bank A, 甲 and the city's and the
    province's staff load it."""
    with app.app_context():
        claim = file(market, defaulted(market))
        services.pay(guarantor_officer(market), claim)
        share = shares_of(claim)[REGUARANTEE]
        for outsider in (bank_officer(market, "B"), guarantor_officer(market, "乙")):
            with pytest.raises(NotFound):
                get_or_404(Compensation, claim.id, outsider)
        with pytest.raises(NotFound):
            get_or_404(Compensation, claim.id, user(gov.other_city))
        with pytest.raises(NotFound):
            get_or_404(CompensationShare, share.id, user(gov.other_city))
        listed = db.session.scalars(services.shares_statement(user(gov.other_city))).all()
        assert listed == []
        for insider in (bank_officer(market), guarantor_officer(market)):
            assert get_or_404(Compensation, claim.id, insider).id == claim.id
        for staff in (gov.city, gov.province):
            assert get_or_404(Compensation, claim.id, user(staff)).id == claim.id
            assert get_or_404(CompensationShare, share.id, user(staff)).id == share.id


# --- the pages ---------------------------------------------------------------------------------


def page(response) -> str:
    return response.get_data(as_text=True)


@dataclass
class Emails:
    bank: str
    other_bank: str
    guarantor: str
    other_guarantor: str
    gov_city: str
    gov_province: str
    gov_other_city: str


@pytest.fixture
def emails(app: Flask, market: Market, gov: Gov) -> Emails:
    with app.app_context():
        return Emails(
            bank_officer(market).email,
            bank_officer(market, "B").email,
            guarantor_officer(market).email,
            guarantor_officer(market, "乙").email,
            user(gov.city).email,
            user(gov.province).email,
            user(gov.other_city).email,
        )


def test_the_bank_files_through_its_pages(app, market, product, emails):
    """The list offers 申请代偿; the form previews the split; a loss above the balance is
    refused beside its field; filing 100 万元 lands on the detail page showing the split."""
    with app.app_context():
        letter_id = defaulted(market).id
    bank = signed_in(app, emails.bank)
    listing = page(bank.get("/bank/guarantees"))
    assert "HT-DB-001" in listing and "申请代偿" in listing
    form_url = f"/bank/guarantees/{letter_id}/compensation"
    form = bank.get(form_url)
    assert form.status_code == 200 and "40.00" in page(form) and "30.00" in page(form)

    too_high = bank.post(form_url, data={"loss_wan": "100.01", "evidence_note": "已起诉"})
    assert too_high.status_code == 200 and "不能超过最近一期月报" in page(too_high)
    with app.app_context():
        assert count(Compensation) == 0

    filed = bank.post(form_url, data={"loss_wan": "100", "evidence_note": "逾期催收无果"})
    assert filed.status_code == 302
    with app.app_context():
        claim = db.session.scalar(select(Compensation))
        assert claim.claimed_amount == 80 * WAN
    assert filed.headers["Location"].endswith(f"/compensations/{claim.id}")
    detail = page(bank.get(filed.headers["Location"]))
    for amount in ("80.00", "40.00", "30.00", "20.00", "10.00"):
        assert amount in detail
    assert "待担保机构处理" in detail
    again = page(bank.get(form_url))
    assert "该笔贷款已申请代偿" in again  # filed once: the form is no longer offered
    assert 'name="loss_wan"' not in again


def test_the_guarantor_pays_and_records_a_recovery_through_its_pages(app, market, product, emails):
    """甲 sees the claim listed, pays by POST, and records a recovery; too much is refused
    beside amount_wan."""
    with app.app_context():
        claim_id = file(market, defaulted(market)).id
    guarantor = signed_in(app, emails.guarantor)
    assert f"#{claim_id}" in page(guarantor.get("/guarantor/compensations"))
    detail = page(guarantor.get(f"/compensations/{claim_id}"))
    assert "确认代偿" in detail and "拒绝代偿" in detail

    asked = guarantor.post(f"/guarantor/compensations/{claim_id}/pay")
    assert asked.status_code == 200 and "我确认已向银行支付代偿款" in page(asked)
    with app.app_context():
        assert current(Compensation, claim_id).status == SUBMITTED  # nothing paid yet
    paid = guarantor.post(f"/guarantor/compensations/{claim_id}/pay", data={"confirmed": "y"})
    assert paid.status_code == 302
    with app.app_context():
        claim = current(Compensation, claim_id)
        assert claim.status == APPROVED and len(shares_of(claim)) == 2
    detail = page(guarantor.get(f"/compensations/{claim_id}"))
    assert "已代偿" in detail and "登记追偿回收" in detail

    recover_url = f"/guarantor/compensations/{claim_id}/recoveries"
    today = today_in_china().isoformat()
    too_much = guarantor.post(recover_url, data={"amount_wan": "100.01", "recovered_on": today})
    assert too_much.status_code == 200 and "累计回收不能超过损失金额" in page(too_much)
    recovered = guarantor.post(recover_url, data={"amount_wan": "10", "recovered_on": today})
    assert recovered.status_code == 302
    with app.app_context():
        assert current(Compensation, claim_id).recovered_total == 10 * WAN
    assert "追偿回收" in page(guarantor.get(f"/compensations/{claim_id}"))


def test_government_reviews_shares_through_its_page(app, market, product, emails):
    """The city's staff see both shares and approve one by POST; a rejection without a reason
    is refused; 厦门's staff neither see the shares nor may decide them."""
    with app.app_context():
        claim = file(market, defaulted(market))
        services.pay(guarantor_officer(market), claim)
        shares = {party: s.id for party, s in shares_of(claim).items()}
        claim_id = claim.id
    staff = signed_in(app, emails.gov_city)
    listing = page(staff.get("/gov/guarantee-shares"))
    assert f"代偿 #{claim_id}" in listing and "同意拨付" in listing

    approved = staff.post(f"/gov/guarantee-shares/{shares[REGUARANTEE]}/approve", data={})
    assert approved.status_code == 302
    no_reason = staff.post(
        f"/gov/guarantee-shares/{shares[GOVERNMENT]}/reject",
        data={"reason": ""},
        follow_redirects=True,
    )
    assert "请填写不予拨付的理由" in page(no_reason)
    with app.app_context():
        decided = {
            party: s.status for party, s in shares_of(current(Compensation, claim_id)).items()
        }
        assert decided == {REGUARANTEE: APPROVED, GOVERNMENT: SUBMITTED}
    assert staff.get(f"/compensations/{claim_id}").status_code == 200

    other = signed_in(app, emails.gov_other_city)
    assert f"代偿 #{claim_id}" not in page(other.get("/gov/guarantee-shares"))
    assert other.get(f"/compensations/{claim_id}").status_code == 404
    refused = other.post(f"/gov/guarantee-shares/{shares[GOVERNMENT]}/approve", data={})
    assert refused.status_code == 404
    with app.app_context():
        assert shares_of(current(Compensation, claim_id))[GOVERNMENT].status == SUBMITTED


def test_other_banks_and_guarantors_get_a_404(app, market, product, emails):
    """Bank B and guarantor 乙 cannot open the claim, nor pay it."""
    with app.app_context():
        claim_id = file(market, defaulted(market)).id
    for email in (emails.other_bank, emails.other_guarantor):
        assert signed_in(app, email).get(f"/compensations/{claim_id}").status_code == 404
    other_guarantor = signed_in(app, emails.other_guarantor)
    assert other_guarantor.post(f"/guarantor/compensations/{claim_id}/pay").status_code == 404
    with app.app_context():
        assert current(Compensation, claim_id).status == SUBMITTED
    assert signed_in(app, emails.bank).get(f"/compensations/{claim_id}").status_code == 200

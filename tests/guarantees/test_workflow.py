"""The guarantee workflow through its services: a bank's decision conditional on a guarantee asks
the paired guarantor, who issues a letter or declines; rerouting, deadlines, the states that
refuse, and who may see what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from portal.authz.scoping import get_or_404, scoped
from portal.catalog.models import PolicyProduct
from portal.dates import today_in_china
from portal.enums import (
    DeclineReason,
    GrantStatus,
    GuaranteeMode,
    GuaranteeRequestStatus,
    LeadStatus,
)
from portal.extensions import db
from portal.firms.models import Firm
from portal.guarantees import requests as guarantees
from portal.guarantees.models import Guarantee, GuaranteeRequest
from portal.leads import services as leads
from portal.leads.models import Lead
from portal.needs import services as needs
from portal.subsidies.grants import grants_of
from portal.subsidies.models import SubsidyGrant
from tests.factories import AgencyFactory
from tests.guarantees.conftest import (
    AMOUNT,
    TERM,
    accepted_lead,
    current,
    decide,
    guaranteed_offer,
    offer_guarantee,
    ready,
    requests_of,
    submit,
    user,
)
from tests.subsidies.conftest import interest_policy

OPEN, ACCEPTED, ISSUED = (
    GuaranteeRequestStatus.OPEN,
    GuaranteeRequestStatus.ACCEPTED,
    GuaranteeRequestStatus.ISSUED,
)
DECLINED, EXPIRED, CLOSED = (
    GuaranteeRequestStatus.DECLINED,
    GuaranteeRequestStatus.EXPIRED,
    GuaranteeRequestStatus.CLOSED,
)


def officer_of(market, guarantor: str):
    return user(market.guarantor_officers[guarantor])


def status_of(request: GuaranteeRequest) -> GuaranteeRequestStatus:
    return current(GuaranteeRequest, request.id).status


# --- asking and issuing ----------------------------------------------------------------------


def test_a_decision_with_guarantee_asks_the_paired_guarantor(app, market, cooperating):
    """The cheapest guarantee is asked, with a deadline; the firm cannot take the offer yet."""
    with app.app_context():
        lead = guaranteed_offer(market)
        [request] = requests_of(lead.id)
        assert (request.status, request.institution_id) == (OPEN, market.guarantors["甲"])
        assert request.guarantee_product_id == cooperating["甲"]
        assert (request.amount, request.term_months) == (AMOUNT, TERM)
        assert request.mode == GuaranteeMode.BATCH
        assert request.deadline_at is not None and request.deadline_at > request.created_at
        lead = current(Lead, lead.id)
        assert lead.status == LeadStatus.APPROVED
        assert lead.guarantee_required
        assert lead.guarantee_fee_rate == Decimal("0.80")
        with pytest.raises(leads.LeadError, match="担保函"):
            leads.take_offer(user(market.firm_user_id), lead)
        assert current(Lead, lead.id).offer_taken_at is None


def test_the_issued_letter_lets_the_firm_take_the_offer_and_covers_the_loan(
    app, market, cooperating
):
    """Accept → issue: the letter's amounts; then the offer is taken and the loan disbursed."""
    with app.app_context():
        lead = guaranteed_offer(market)
        [request] = requests_of(lead.id)
        guarantor = officer_of(market, "甲")
        guarantees.accept(guarantor, request)
        request = current(GuaranteeRequest, request.id)
        assert (request.status, request.handled_by_id) == (ACCEPTED, guarantor.id)
        letter = guarantees.issue(guarantor, request)
        assert status_of(request) == ISSUED
        assert letter.letter_no.startswith("DB") and letter.issued_by_id == guarantor.id
        assert not letter.automatic
        assert (letter.amount, letter.term_months) == (AMOUNT, TERM)
        assert letter.coverage_share == Decimal("80")
        assert letter.covered_amount == Decimal("640000.00")  # 80 万元 × 80%
        assert letter.fee_rate == Decimal("0.80")
        assert letter.fee_amount == Decimal("12800.00")  # 80 万元 × 0.8% a year × 2 years
        assert letter.bank_institution_id == market.banks["A"]
        assert letter.firm_id == market.firm_id

        leads.take_offer(user(market.firm_user_id), current(Lead, lead.id))
        lead = current(Lead, lead.id)
        loan = leads.disburse(user(market.bank_officers["A"]), lead, "HT-G-001", today_in_china())
        assert current(Guarantee, letter.id).loan_id == loan.id
        assert loan.guarantee_fee_rate == Decimal("0.80")


def test_automatic_agreement_issues_the_letter_with_the_decision(app, market):
    """见贷即保 within the agreed limit: the letter is issued with the bank's decision."""
    with app.app_context():
        product = offer_guarantee(
            market,
            "甲",
            "甲见贷即保",
            "0.80",
            mode=GuaranteeMode.AUTOMATIC,
            automatic_limit=AMOUNT,
        )
        lead = guaranteed_offer(market)
        [request] = requests_of(lead.id)
        assert (request.status, request.mode) == (ISSUED, GuaranteeMode.AUTOMATIC)
        assert request.deadline_at is None
        letter = guarantees.letter_of(lead.id)
        assert letter.request_id == request.id and letter.guarantee_product_id == product.id
        assert letter.automatic and letter.issued_by_id is None
        leads.take_offer(user(market.firm_user_id), current(Lead, lead.id))
        assert current(Lead, lead.id).offer_taken_at is not None


def test_automatic_agreement_above_its_limit_waits_for_the_guarantor(app, market):
    """A loan above the 见贷即保 limit is confirmed by the guarantor like a batch one."""
    with app.app_context():
        offer_guarantee(
            market,
            "甲",
            "甲见贷即保",
            "0.80",
            mode=GuaranteeMode.AUTOMATIC,
            automatic_limit=AMOUNT - 1,
        )
        lead = guaranteed_offer(market)
        [request] = requests_of(lead.id)
        assert (request.status, request.mode) == (OPEN, GuaranteeMode.AUTOMATIC)
        assert request.deadline_at is not None
        assert guarantees.letter_of(lead.id) is None


def test_a_guarantee_rule_reading_the_lpr_is_asked_as_it_was_paired(app, market):
    """A rule may read the LPR (only a product's own price is refused): the decision asks it."""
    with app.app_context():
        product = offer_guarantee(market, "甲", "甲保", "0.80", eligibility="lpr_one_year < 10")
        lead = guaranteed_offer(market)
        assert [r.guarantee_product_id for r in requests_of(lead.id)] == [product.id]


# --- declines, deadlines, rerouting ----------------------------------------------------------


def test_a_decline_goes_to_the_next_cooperating_guarantor(app, market, cooperating):
    """甲 declines with a reason: 乙 is asked, with a deadline of its own."""
    with app.app_context():
        lead = guaranteed_offer(market)
        [first] = requests_of(lead.id)
        guarantees.decline(
            officer_of(market, "甲"), first, DeclineReason.COLLATERAL, " 反担保不足 "
        )
        first, second = requests_of(lead.id)
        assert (first.status, first.decline_code, first.decline_note) == (
            DECLINED,
            "collateral",
            "反担保不足",
        )
        assert (second.status, second.institution_id) == (OPEN, market.guarantors["乙"])
        assert second.guarantee_product_id == cooperating["乙"]
        assert second.deadline_at is not None
        assert current(Lead, lead.id).status == LeadStatus.APPROVED


def test_a_decline_by_the_last_guarantor_closes_the_offer(app, market, cooperating):
    """No guarantor left: the offer closes as guarantee_unavailable and its grants are released."""
    with app.app_context():
        policy = interest_policy(AgencyFactory(), "flat", "1.00", budget=Decimal(10**7))
        ready()
        lead = guaranteed_offer(market)
        [grant] = grants_of(lead.id)
        assert grant.status == GrantStatus.RESERVED
        # 80 万元 × 1% a year × 2 years held from the policy's budget
        assert current(PolicyProduct, policy.id).budget_reserved == Decimal("16000.00")
        for guarantor in ("甲", "乙"):
            [live] = [r for r in requests_of(lead.id) if r.status == OPEN]
            guarantees.decline(officer_of(market, guarantor), live, DeclineReason.OTHER, "")
        assert [r.status for r in requests_of(lead.id)] == [DECLINED, DECLINED]
        lead = current(Lead, lead.id)
        assert (lead.status, lead.closed_reason) == (LeadStatus.CLOSED, "guarantee_unavailable")
        grant = current(SubsidyGrant, grant.id)
        assert (grant.status, grant.release_reason) == (
            GrantStatus.RELEASED,
            "guarantee_unavailable",
        )
        assert current(PolicyProduct, policy.id).budget_reserved == 0


def test_an_overdue_request_expires_and_is_rerouted_once(app, market, cooperating):
    """Past its deadline a request expires and 乙 is asked; running the job again does nothing."""
    with app.app_context():
        lead = guaranteed_offer(market)
        [first] = requests_of(lead.id)
        later = first.deadline_at + dt.timedelta(minutes=1)
        assert guarantees.expire_overdue(first.deadline_at - dt.timedelta(minutes=1)) == 0
        assert guarantees.expire_overdue(later) == 1
        rows = [(r.id, r.institution_id, r.status) for r in requests_of(lead.id)]
        assert [(guarantor, status) for _id, guarantor, status in rows] == [
            (market.guarantors["甲"], EXPIRED),
            (market.guarantors["乙"], OPEN),
        ]
        assert guarantees.expire_overdue(later) == 0
        assert [(r.id, r.institution_id, r.status) for r in requests_of(lead.id)] == rows
        with pytest.raises(guarantees.GuaranteeError):
            guarantees.accept(officer_of(market, "甲"), first)


# --- the states that refuse ------------------------------------------------------------------


def test_an_issued_request_takes_no_more_answers(app, market, cooperating):
    """After the letter, accept, decline and issue again are refused; one letter stays."""
    with app.app_context():
        lead = guaranteed_offer(market)
        [request] = requests_of(lead.id)
        guarantor = officer_of(market, "甲")
        guarantees.accept(guarantor, request)
        guarantees.issue(guarantor, request)
        for again in (
            lambda: guarantees.accept(guarantor, request),
            lambda: guarantees.decline(guarantor, request, DeclineReason.OTHER, ""),
            lambda: guarantees.issue(guarantor, request),
        ):
            with pytest.raises(guarantees.GuaranteeError):
                again()
        assert status_of(request) == ISSUED
        assert db.session.scalar(select(func.count(Guarantee.id))) == 1
        assert len(requests_of(lead.id)) == 1


def test_a_declined_request_cannot_be_accepted(app, market, cooperating):
    """A decline is final for that guarantor."""
    with app.app_context():
        lead = guaranteed_offer(market)
        [request] = requests_of(lead.id)
        guarantor = officer_of(market, "甲")
        guarantees.decline(guarantor, request, DeclineReason.AMOUNT, "")
        with pytest.raises(guarantees.GuaranteeError):
            guarantees.accept(guarantor, request)
        assert status_of(request) == DECLINED


def test_an_open_request_cannot_be_issued_before_it_is_accepted(app, market, cooperating):
    """The guarantor takes a request on (and sees the firm) before issuing a letter."""
    with app.app_context():
        lead = guaranteed_offer(market)
        [request] = requests_of(lead.id)
        with pytest.raises(guarantees.GuaranteeError):
            guarantees.issue(officer_of(market, "甲"), request)
        assert status_of(request) == OPEN
        assert guarantees.letter_of(lead.id) is None


def test_taking_another_banks_offer_closes_the_request(app, market, cooperating):
    """The firm takes bank B's unconditional offer: A's guarantee request closes."""
    with app.app_context():
        need = submit(market)
        firm_user = user(market.firm_user_id)
        lead_a, lead_b = leads.apply_to_products(
            firm_user, need, [market.products["A"], market.products["B"]]
        )
        leads.accept(user(market.bank_officers["A"]), lead_a)
        leads.accept(user(market.bank_officers["B"]), lead_b)
        decide(market, lead_a, "A")
        decide(market, lead_b, "B", with_guarantee=False)
        leads.take_offer(firm_user, current(Lead, lead_b.id))
        [request] = requests_of(lead_a.id)
        assert (request.status, request.closed_reason) == (CLOSED, "other_offer_taken")
        with pytest.raises(guarantees.GuaranteeError):
            guarantees.accept(officer_of(market, "甲"), request)
        assert status_of(request) == CLOSED


def test_withdrawing_the_need_closes_the_request(app, market, cooperating):
    """A request taken on closes with the need; the guarantor can no longer issue or decline."""
    with app.app_context():
        lead = guaranteed_offer(market)
        [request] = requests_of(lead.id)
        guarantor = officer_of(market, "甲")
        guarantees.accept(guarantor, request)
        needs.withdraw_need(user(market.firm_user_id), current(Lead, lead.id).need)
        request = current(GuaranteeRequest, request.id)
        assert (request.status, request.closed_reason) == (CLOSED, "need_withdrawn")
        with pytest.raises(guarantees.GuaranteeError):
            guarantees.issue(guarantor, request)
        with pytest.raises(guarantees.GuaranteeError):
            guarantees.decline(guarantor, request, DeclineReason.OTHER, "")
        assert guarantees.letter_of(lead.id) is None
        assert len(requests_of(lead.id)) == 1  # a closed offer asks nobody else


def test_no_guarantee_for_the_decided_loan_refuses_the_decision(app, market):
    """The bank decides more than any cooperating guarantee takes: refused, nothing changes."""
    with app.app_context():
        small = offer_guarantee(market, "甲", "甲保", "0.80")
        small.max_amount = AMOUNT  # takes the 80 万元 asked, not the 120 万元 decided
        ready()
        lead = accepted_lead(market, submit(market))
        with pytest.raises(leads.LeadError, match="担保"):
            decide(market, lead, amount=AMOUNT * Decimal("1.5"))
        lead = current(Lead, lead.id)
        assert (lead.status, lead.approved_amount) == (LeadStatus.ACCEPTED, None)
        assert not lead.guarantee_required
        assert db.session.scalar(select(func.count(GuaranteeRequest.id))) == 0
        decide(market, lead)  # the amount the guarantee takes is still possible
        assert [r.status for r in requests_of(lead.id)] == [OPEN]


# --- who sees what ---------------------------------------------------------------------------


def test_a_guarantor_cannot_load_another_guarantors_request(app, market, cooperating):
    """乙 gets a 404 for 甲's request; 甲 loads it."""
    with app.app_context():
        lead = guaranteed_offer(market)
        [request] = requests_of(lead.id)
        assert get_or_404(GuaranteeRequest, request.id, officer_of(market, "甲")).id == request.id
        with pytest.raises(NotFound):
            get_or_404(GuaranteeRequest, request.id, officer_of(market, "乙"))


def test_a_guarantor_sees_the_firm_only_once_it_accepts(app, market, cooperating):
    """Before accepting, the firm is hidden from the guarantor; afterwards it is shown."""
    with app.app_context():
        lead = guaranteed_offer(market)
        [request] = requests_of(lead.id)
        guarantor = officer_of(market, "甲")

        def visible_firms() -> list[int]:
            return list(db.session.scalars(scoped(select(Firm.id), Firm, guarantor)))

        assert visible_firms() == []
        with pytest.raises(NotFound):
            get_or_404(Firm, market.firm_id, guarantor)
        guarantees.accept(guarantor, request)
        assert visible_firms() == [market.firm_id]
        assert (
            list(db.session.scalars(scoped(select(Firm.id), Firm, officer_of(market, "乙")))) == []
        )

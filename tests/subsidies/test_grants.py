"""Grants: a credit decision applies the one rule on the offered terms, reserves budget, and the
loan, the budget and the match agree; closed or exhausted policies grant nothing new."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from portal.catalog import policy_services
from portal.enums import BenefitKind, GrantStatus, Role
from portal.extensions import db
from portal.matching.models import MatchResult
from portal.needs import services as needs
from portal.subsidies.grants import grants_of
from tests.conftest import signed_in
from tests.factories import UserFactory
from tests.subsidies.conftest import (
    bank_with_product,
    firm_user,
    fresh_agency,
    interest_policy,
    offer,
    submit,
    take_and_disburse,
)


def test_an_offer_gets_the_subsidy_on_its_own_rate(app):
    """A 12% offer under a 3.15-point policy is subsidised to 8.85%, not from the product's
    lowest rate; the grant holds policy, rule version, points and expected cost."""
    with app.app_context():
        policy = interest_policy(fresh_agency(), "flat", "3.15")
        product, officer = bank_with_product("甲银行", "3.30")
        product.max_rate = Decimal("12.00")
        user = firm_user()
        need = submit(user)
        lead = offer(user, need, product, officer, "12.00")
        [grant] = grants_of(lead.id)
        assert (grant.policy_id, grant.value, grant.status) == (
            policy.id,
            Decimal("3.150000"),
            GrantStatus.RESERVED,
        )
        assert grant.rule_version_id is not None
        # 1,000,000 × 3.15% a year for 24 months
        assert grant.expected_amount == Decimal("63000.00")
        assert policy.budget_reserved == Decimal("63000.00")
        loan = take_and_disburse(user, lead, officer)
        assert loan.subsidy_rate == Decimal("3.15")
        assert loan.rate - loan.subsidy_rate == Decimal("8.85")
        db.session.refresh(grant)
        assert (grant.status, grant.loan_id) == (GrantStatus.COMMITTED, loan.id)
        db.session.refresh(policy)
        assert (policy.budget_reserved, policy.budget_committed) == (0, Decimal("63000.00"))


def test_a_smaller_disbursement_commits_less_and_frees_the_rest(app):
    with app.app_context():
        policy = interest_policy(fresh_agency(), "flat", "1.00", budget=Decimal(10**7))
        product, officer = bank_with_product("甲银行", "3.30")
        user = firm_user()
        lead = offer(user, submit(user), product, officer, "3.50")
        take_and_disburse(user, lead, officer, amount="500000")
        db.session.refresh(policy)
        assert policy.budget_reserved == 0
        assert policy.budget_committed == Decimal("10000.00")  # 500,000 × 1% × 2 years
        assert policy.budget_remaining == Decimal(10**7) - Decimal("10000.00")


def test_a_policy_closed_before_the_decision_grants_nothing(app):
    with app.app_context():
        agency = fresh_agency()
        policy = interest_policy(agency, "closing", "1.50")
        staff = UserFactory(role=Role.GOV_STAFF, agency=agency)
        product, officer = bank_with_product("甲银行", "3.30")
        user = firm_user()
        need = submit(user)
        policy_services.close_policy(staff, policy, "资金用完")
        lead = offer(user, need, product, officer, "3.50")
        assert grants_of(lead.id) == []
        loan = take_and_disburse(user, lead, officer)
        assert loan.subsidy_rate == 0
        db.session.refresh(policy)
        assert (policy.budget_reserved, policy.budget_committed) == (0, 0)


def test_an_offer_made_before_closure_keeps_its_subsidy(app):
    with app.app_context():
        agency = fresh_agency()
        policy = interest_policy(agency, "closing", "1.50")
        staff = UserFactory(role=Role.GOV_STAFF, agency=agency)
        product, officer = bank_with_product("甲银行", "3.30")
        user = firm_user()
        lead = offer(user, submit(user), product, officer, "3.50")
        policy_services.close_policy(staff, policy, "到期")
        loan = take_and_disburse(user, lead, officer)
        assert loan.subsidy_rate == Decimal("1.50")


def test_an_exhausted_budget_falls_to_the_next_best_policy(app):
    with app.app_context():
        agency = fresh_agency()
        rich = interest_policy(agency, "rich", "1.00", budget=Decimal(10**7))
        poor = interest_policy(agency, "poor", "2.00", budget=Decimal(1000))
        product, officer = bank_with_product("甲银行", "3.30")
        user = firm_user()
        lead = offer(user, submit(user), product, officer, "3.50")
        assert [(g.policy_id, g.value) for g in grants_of(lead.id)] == [
            (rich.id, Decimal("1.000000"))
        ]
        db.session.refresh(poor)
        assert poor.budget_reserved == 0


def test_the_firms_yearly_cap_counts_what_it_already_has(app):
    """A 10,000 yuan cap: the first 1,000,000 loan at 1.5 points is capped to 1 point (10,000 a
    year); a second offer to the same firm gets nothing more from that policy."""
    with app.app_context():
        policy = interest_policy(fresh_agency(), "capped", "1.50", cap=Decimal(10000))
        product, officer = bank_with_product("甲银行", "3.30")
        user = firm_user()
        first = offer(user, submit(user), product, officer, "3.50")
        assert [g.value for g in grants_of(first.id)] == [Decimal("1.000000")]
        other, officer2 = bank_with_product("乙银行", "3.40")
        second = offer(user, submit(user), other, officer2, "3.60")
        assert grants_of(second.id) == []
        assert policy.benefit_cap == Decimal(10000)


def test_lapsed_offers_release_their_reservation(app):
    with app.app_context():
        policy = interest_policy(fresh_agency(), "flat", "1.00")
        product_a, officer_a = bank_with_product("甲银行", "3.30")
        product_b, officer_b = bank_with_product("乙银行", "3.40")
        user = firm_user()
        need = submit(user)
        first = offer(user, need, product_a, officer_a, "3.50")
        second = offer(user, need, product_b, officer_b, "3.60")
        db.session.refresh(policy)
        assert policy.budget_reserved == Decimal("40000.00")
        take_and_disburse(user, first, officer_a)
        [released] = grants_of(second.id)
        assert released.status == GrantStatus.RELEASED
        assert released.release_reason == "other_offer_taken"
        db.session.refresh(policy)
        assert (policy.budget_reserved, policy.budget_committed) == (0, Decimal("20000.00"))


def test_withdrawing_the_need_releases_its_offers(app):
    with app.app_context():
        policy = interest_policy(fresh_agency(), "flat", "1.00")
        product, officer = bank_with_product("甲银行", "3.30")
        user = firm_user()
        need = submit(user)
        lead = offer(user, need, product, officer, "3.50")
        needs.withdraw_need(user, need)
        assert [g.status for g in grants_of(lead.id)] == [GrantStatus.RELEASED]
        db.session.refresh(policy)
        assert policy.budget_reserved == 0


def test_fee_subsidy_lowers_the_loans_guarantee_fee(app):
    with app.app_context():
        interest_policy(fresh_agency(), "fee", "0.5", kind=BenefitKind.FEE_SHARE)
        product, officer = bank_with_product("甲银行", "3.30")
        product.guarantee_fee_rate = Decimal("1.20")
        user = firm_user()
        lead = offer(user, submit(user), product, officer, "3.50")
        loan = take_and_disburse(user, lead, officer)
        assert loan.guarantee_fee_rate == Decimal("1.20")
        assert loan.fee_subsidy_rate == Decimal("0.60")


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    formulas=st.lists(
        st.sampled_from(["1.5", "0.8", "rate * 0.3", "lpr_one_year * 0.5"]), min_size=1, max_size=3
    ),
    cap=st.one_of(st.none(), st.integers(2000, 40000).map(Decimal)),
    amount=st.integers(10, 400).map(lambda wan: str(wan * 10000)),
    term=st.integers(3, 36),
)
def test_match_offer_and_loan_agree_on_every_policy(app, formulas, cap, amount, term):
    """Offered at the product's lowest rate for the need's amount and term, the offer's grants
    are the policies the match applied, with the same values, and the loan carries them."""
    with app.app_context():
        agency = fresh_agency()
        for n, formula in enumerate(formulas):
            interest_policy(agency, f"p{n}-{agency.id}", formula, cap=cap)
        product, officer = bank_with_product(f"甲银行{agency.id}", "3.30")
        user = firm_user()
        need = submit(user, amount, term)
        result = db.session.scalar(
            select(MatchResult).where(
                MatchResult.need_id == need.id, MatchResult.product_id == product.id
            )
        )
        matched = [
            (p["id"], Decimal(p["value"])) for p in result.explanation["policies"] if p["applied"]
        ]
        lead = offer(user, need, product, officer, "3.30")
        granted = [(g.policy_id, g.value) for g in grants_of(lead.id)]
        assert granted == matched
        loan = take_and_disburse(user, lead, officer)
        points = max((value for _, value in matched), default=Decimal(0))
        assert loan.subsidy_rate == points.quantize(Decimal("0.0001"))
        assert result.adjusted_rate == max(Decimal("3.30") - points, 0).quantize(Decimal("0.01"))


def test_the_regulator_sees_each_policys_budget_states_and_subsidised_loans(app):
    """政策资金汇总: reserved, committed and remaining per policy, as the grants left them."""
    with app.app_context():
        policy = interest_policy(fresh_agency(), "watched", "1.00", budget=Decimal(10**6))
        product, officer = bank_with_product("甲银行", "3.30")
        user = firm_user()
        lead = offer(user, submit(user), product, officer, "3.50")
        take_and_disburse(user, lead, officer)
        regulator = UserFactory(role=Role.REGULATOR)
        db.session.commit()
        policy_id, email = policy.id, regulator.email
    page = signed_in(app, email).get("/claims/overview").get_data(as_text=True)
    row = page[page.index(f'data-money-policy="{policy_id}"') :].split("</tr>")[0]
    cells = [c.split(">")[-1] for c in row.split("</td>")[:-1]]
    # budget 100 万; committed 2 万 (1,000,000 × 1% × 2 years); one loan; 98 万 left
    assert cells[1:] == ["100.00", "0.00", "2.00", "0.00", "0.00", "1", "98.00"]

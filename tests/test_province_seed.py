"""The province-scale generator, at a small scale: exact totals, consistent stories, valid data.

The full province (61,300 loans, 255,400 users) takes a minute or two; these tests run the same
code at scale 0.01 (613 loans in all, the demo's 40 included) on top of the demo seed. Smaller
scales cannot pass the 98% inclusive test: nine of the demo's forty loans go to medium and large
firms, which is more than 2% of anything under about 450 loans.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from demo.province import (
    MARKER_KEY,
    TARGET_AMOUNT,
    TARGET_INSTITUTIONS,
    TARGET_LOANS,
    TARGET_USERS,
    ProvinceReport,
    seed_province,
)
from demo.seed import seed_demo
from portal.accounts.models import User
from portal.catalog.models import BankProduct, RuleVersion
from portal.dates import SHANGHAI, next_month, shift_month
from portal.enums import (
    BANK_ROLES,
    GUARANTOR_ROLES,
    ClaimStatus,
    FiveTierClass,
    GuaranteeMode,
    GuaranteeRequestStatus,
    GuaranteeType,
    InstitutionKind,
    LeadStatus,
    LoanStatus,
    NeedStatus,
    ProductStatus,
    Role,
)
from portal.extensions import db
from portal.figures.live import Filters, figures
from portal.firms.models import Firm
from portal.firms.standards import classify_size, is_valid_credit_code
from portal.guarantees import sharing
from portal.guarantees.models import (
    Compensation,
    CompensationRecovery,
    CompensationShare,
    Guarantee,
    GuaranteeAgreement,
    GuaranteeProduct,
    GuaranteeRequest,
    RiskShareAgreement,
)
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Lead, Loan
from portal.needs.models import FinancingNeed
from portal.reporting.models import LoanStatusReport
from portal.settings import SystemSetting

SCALE = 0.01
TIERS = (
    FiveTierClass.NORMAL,
    FiveTierClass.SPECIAL_MENTION,
    FiveTierClass.SUBSTANDARD,
    FiveTierClass.DOUBTFUL,
    FiveTierClass.LOSS,
)


def scaled(count: int) -> int:
    return round(Decimal(count) * Decimal(str(SCALE)) + Decimal("0.0000001"))


def seed(app: Flask) -> ProvinceReport:
    with app.app_context():
        seed_demo()
        return seed_province(SCALE, progress=False)


def window(report: ProvinceReport) -> Filters:
    assert report.window is not None
    return Filters(*report.window)


def counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (
            FinancialInstitution,
            User,
            Firm,
            FinancingNeed,
            Lead,
            Loan,
            LoanStatusReport,
            GuaranteeProduct,
            RiskShareAgreement,
            GuaranteeAgreement,
            GuaranteeRequest,
            Guarantee,
            Compensation,
            CompensationShare,
            CompensationRecovery,
        )
    }


def floor_class(days_overdue: int) -> FiveTierClass:
    """DESIGN.md: over 90 days at least 次级, over 270 at least 可疑, over 360 损失."""
    if days_overdue > 360:
        return FiveTierClass.LOSS
    if days_overdue > 270:
        return FiveTierClass.DOUBTFUL
    if days_overdue > 90:
        return FiveTierClass.SUBSTANDARD
    return FiveTierClass.NORMAL


def test_a_second_run_finds_the_marker_and_creates_nothing(app: Flask) -> None:
    """Idempotent: the second call reports the data present and changes no table."""
    first = seed(app)
    assert not first.already_present and first.ok, first.summary()
    with app.app_context():
        before = counts()
        assert before["guarantees"] > 0 and before["compensations"] > 0
        second = seed_province(SCALE, progress=False)
        assert second.already_present and not second.created
        assert "already present" in second.summary()
        assert counts() == before
        assert db.session.get(SystemSetting, MARKER_KEY) is not None


def test_guarantor_staff_have_guarantor_roles_and_handle_no_leads(app: Flask) -> None:
    """Guarantee institutions' staff are guarantor officers and admins, never bank staff."""
    seed(app)
    with app.app_context():
        guarantors = set(
            db.session.scalars(
                select(FinancialInstitution.id).where(
                    FinancialInstitution.kind == InstitutionKind.GUARANTEE
                )
            )
        )
        assert len(guarantors) == 3
        roles = db.session.execute(
            select(User.institution_id, User.role).where(User.institution_id.in_(guarantors))
        ).all()
        assert {role for _, role in roles} == GUARANTOR_ROLES
        assert {institution for institution, _ in roles} == guarantors
        assert _handlers(Lead) <= _staff(BANK_ROLES)
        assert _handlers(GuaranteeRequest) <= _staff({Role.GUARANTOR_OFFICER})
        assert (
            db.session.scalar(
                select(func.count(Lead.id)).where(Lead.institution_id.in_(guarantors))
            )
            == 0
        )


def _handlers(model: Any) -> set[int]:
    return set(
        db.session.scalars(select(model.handled_by_id).where(model.handled_by_id.is_not(None)))
    )


def _staff(roles: Any) -> set[int]:
    return set(db.session.scalars(select(User.id).where(User.role.in_(roles))))


def test_each_guarantor_has_a_product_sharing_risk_4321_with_bank_products(app: Flask) -> None:
    """A published product per guarantor (rules, 40/30/20/10, 90 days), backing published
    bank products that take a guarantee institution's guarantee, in both modes."""
    seed(app)
    with app.app_context():
        products = db.session.scalars(
            select(GuaranteeProduct).where(GuaranteeProduct.risk_share.has())
        ).all()
        assert len({product.institution_id for product in products}) == 3
        for product in products:
            assert product.status == ProductStatus.PUBLISHED
            assert Decimal("0.5") <= product.fee_rate <= Decimal("1.0")
            assert product.coverage_share == 80
            share = product.risk_share
            assert (share.guarantor_share, share.reguarantee_share, share.bank_share,
                    share.government_share) == (40, 30, 20, 10)  # fmt: skip
            assert share.trigger_overdue_days == 90
            rules = db.session.scalars(
                select(RuleVersion).where(RuleVersion.guarantee_product_id == product.id)
            ).all()
            assert [rule.version for rule in rules] == [1]
            assert product.agreements
            for agreement in product.agreements:
                bank_product = agreement.bank_product
                assert bank_product.status == ProductStatus.PUBLISHED
                assert GuaranteeType.GUARANTEE_AGENCY.value in bank_product.guarantee_types
                if product.region_codes and bank_product.region_codes:
                    assert set(product.region_codes) & set(bank_product.region_codes)
        modes = {a.mode for product in products for a in product.agreements}
        assert modes == {GuaranteeMode.BATCH, GuaranteeMode.AUTOMATIC}


def test_every_guaranteed_loan_has_an_issued_letter_on_its_lead(app: Flask) -> None:
    """Loans under a guarantee institution's guarantee, and only they, carry a letter whose
    terms agree with the loan; about 12–18% of the loans are guaranteed."""
    seed(app)
    with app.app_context():
        rows = db.session.execute(
            select(Loan, FinancingNeed.guarantee_type, Guarantee)
            .join(Lead, Lead.id == Loan.lead_id)
            .join(FinancingNeed, FinancingNeed.id == Lead.need_id)
            .outerjoin(Guarantee, Guarantee.loan_id == Loan.id)
        ).all()
        for loan, kind, letter in rows:
            assert (letter is not None) == (kind == GuaranteeType.GUARANTEE_AGENCY), loan.id
            if letter is not None:
                _check_letter(loan, letter)
        letters = [letter for _, _, letter in rows if letter is not None]
        assert len({letter.letter_no for letter in letters}) == len(letters)
        assert {letter.automatic for letter in letters} == {True, False}
        loans = db.session.scalar(select(func.count(Loan.id)))
        assert Decimal("0.10") <= Decimal(len(letters)) / loans <= Decimal("0.20")


def _check_letter(loan: Loan, letter: Guarantee) -> None:
    request = db.session.get(GuaranteeRequest, letter.request_id)
    lead = db.session.get(Lead, loan.lead_id)
    product = letter.guarantee_product
    assert request.status == GuaranteeRequestStatus.ISSUED
    assert (request.lead_id, request.need_id, letter.lead_id) == (lead.id, lead.need_id, lead.id)
    assert request.institution_id == letter.institution_id == product.institution_id
    assert (letter.bank_institution_id, letter.firm_id) == (loan.institution_id, loan.firm_id)
    assert letter.amount == request.amount == loan.amount
    assert letter.term_months == request.term_months == loan.term_months
    assert letter.coverage_share == 80
    assert letter.covered_amount == _fen(loan.amount * Decimal("0.8"))
    assert letter.fee_rate == product.fee_rate == loan.guarantee_fee_rate
    assert letter.fee_amount == _fen(loan.amount * letter.fee_rate / 100 * loan.term_months / 12)
    assert letter.risk_terms == product.risk_share.terms()
    assert letter.letter_no.startswith(f"DB{letter.issued_at.astimezone(SHANGHAI):%Y%m%d}")
    assert lead.guarantee_required and lead.guarantee_fee_rate == letter.fee_rate
    assert lead.decided_at <= letter.issued_at <= lead.offer_taken_at
    assert request.decided_at == letter.issued_at
    assert (letter.issued_by_id is None) == letter.automatic == (request.deadline_at is None)
    if letter.automatic:  # 见贷即保: issued with the bank's decision
        assert request.mode == GuaranteeMode.AUTOMATIC and letter.issued_at == lead.decided_at
    else:  # taken on and issued by a guarantor's officer within its deadline
        assert request.accepted_at <= letter.issued_at <= request.deadline_at
        assert request.handled_by_id == letter.issued_by_id


def _fen(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_compensations_split_the_loss_and_recoveries_the_same_way(app: Flask) -> None:
    """Each claim's split sums to its loss, the last reported balance; onward shares and
    recoveries agree with the split."""
    seed(app)
    with app.app_context():
        compensations = db.session.scalars(select(Compensation)).all()
        assert compensations
        assert {c.status for c in compensations} <= {ClaimStatus.APPROVED, ClaimStatus.SUBMITTED}
        assert ClaimStatus.SUBMITTED in {c.status for c in compensations}
        for compensation in compensations:
            split = sharing.as_money(compensation.split)
            assert sum(split.values()) == compensation.loss_amount
            assert compensation.claimed_amount == sharing.paid_to_bank(split)
            assert compensation.claimed_amount <= compensation.guarantee.covered_amount
            latest = db.session.scalars(
                select(LoanStatusReport)
                .where(LoanStatusReport.loan_id == compensation.loan_id)
                .order_by(LoanStatusReport.period.desc())
            ).first()
            assert compensation.loss_amount == latest.balance
            report = db.session.get(LoanStatusReport, compensation.report_id)
            assert report.days_overdue >= 90 or report.five_tier_class == FiveTierClass.LOSS
            assert compensation.filed_at > report.reported_at
            _check_shares_and_recoveries(compensation, split)


def _check_shares_and_recoveries(compensation: Compensation, split: dict[str, Decimal]) -> None:
    shares = {share.party: share.amount for share in compensation.shares}
    if compensation.status == ClaimStatus.SUBMITTED:
        assert not shares and not compensation.recoveries
        assert compensation.decided_at is None
        return
    assert compensation.decided_at > compensation.filed_at
    assert shares == {party: split[party] for party in sharing.CLAIMED_ONWARD if split[party]}
    recovered = Decimal(0)
    for recovery in compensation.recoveries:
        parts = sharing.as_money(recovery.split)
        assert sum(parts.values()) == recovery.amount
        assert recovery.recovered_on >= compensation.decided_at.astimezone(SHANGHAI).date()
        recovered += recovery.amount
    assert compensation.recovered_total == recovered <= compensation.loss_amount * Decimal("0.4")


def test_totals_include_the_demo_and_hit_the_scaled_targets_exactly(app: Flask) -> None:
    """118 institutions; users, loans and the amount lent equal to the cent at this scale."""
    report = seed(app)
    target_amount = (TARGET_AMOUNT * Decimal(str(SCALE))).quantize(Decimal("0.01"))
    with app.app_context():
        assert db.session.scalar(select(func.count(FinancialInstitution.id))) == (
            TARGET_INSTITUTIONS
        )
        assert db.session.scalar(select(func.count(User.id))) == scaled(TARGET_USERS)
        assert db.session.scalar(select(func.count(Loan.id))) == scaled(TARGET_LOANS)
        assert db.session.scalar(select(func.sum(Loan.amount))) == target_amount
        summary = figures(window(report)).summary
        assert summary.loans == scaled(TARGET_LOANS)
        assert summary.amount == target_amount
        # The demo's loans lie inside the window too: nothing falls outside it.
        first, last = report.window
        outside = db.session.scalar(
            select(func.count(Loan.id)).where(
                (Loan.disbursed_on < first) | (Loan.disbursed_on >= next_month(last))
            )
        )
        assert outside == 0


def test_every_loan_has_a_need_and_a_disbursed_lead_that_agree_with_it(app: Flask) -> None:
    """Loan ⇄ lead ⇄ need: same bank, firm, amount, rate and term; times in order."""
    seed(app)
    with app.app_context():
        rows = db.session.execute(
            select(Loan, Lead, FinancingNeed)
            .join(Lead, Lead.id == Loan.lead_id)
            .join(FinancingNeed, FinancingNeed.id == Lead.need_id)
        ).all()
        without_lead = db.session.scalar(select(func.count(Loan.id)).where(Loan.lead_id.is_(None)))
        assert len(rows) + without_lead == scaled(TARGET_LOANS)
        assert without_lead == 40  # the demo's loans predate the lead flow
        for loan, lead, need in rows:
            assert lead.status == LeadStatus.DISBURSED
            assert need.status == NeedStatus.FULFILLED
            assert (lead.institution_id, need.firm_id) == (loan.institution_id, loan.firm_id)
            assert (lead.approved_amount, lead.approved_rate, lead.approved_term_months) == (
                loan.amount,
                loan.rate,
                loan.term_months,
            )
            assert loan.amount <= need.amount * 2
            assert lead.product_id == loan.product_id
            assert need.created_at <= lead.created_at <= lead.first_response_at
            assert lead.first_response_at <= lead.decided_at <= lead.offer_taken_at
            assert lead.first_response_at <= lead.deadline_at
            assert lead.decided_at.astimezone(SHANGHAI).date() <= loan.disbursed_on
            assert loan.maturity_on > loan.disbursed_on
            assert Decimal(0) <= loan.subsidy_rate <= loan.rate
        # Each fulfilled need has exactly one disbursed lead, and it has the loan.
        disbursed = db.session.execute(
            select(Lead.need_id, func.count(Lead.id))
            .where(Lead.status == LeadStatus.DISBURSED)
            .group_by(Lead.need_id)
        ).all()
        assert all(n == 1 for _, n in disbursed)
        assert len(disbursed) == len(rows)


def test_leads_that_lost_or_failed_are_consistent(app: Flask) -> None:
    """Declined leads have a reason and a decision; expired ones breached; approvals have terms."""
    seed(app)
    with app.app_context():
        for lead in db.session.scalars(select(Lead)):
            if lead.status == LeadStatus.DECLINED:
                assert lead.decline_code and lead.decided_at and lead.approved_amount is None
            if lead.status == LeadStatus.EXPIRED:
                assert lead.sla_breached and lead.first_response_at is None
            else:
                assert not lead.sla_breached
            if lead.approved_amount is not None:
                assert lead.approved_rate and lead.approved_term_months and lead.decided_at
            if lead.status == LeadStatus.POOLED:
                assert lead.institution_id is None
            else:
                assert lead.institution_id is not None


def test_firms_have_valid_unique_credit_codes_and_derived_size_classes(app: Flask) -> None:
    """GB 32100 codes, all different; size classes as the 2011 standard derives them."""
    seed(app)
    with app.app_context():
        firms = db.session.scalars(select(Firm)).all()
        assert len({firm.credit_code for firm in firms}) == len(firms)
        for firm in firms:
            assert is_valid_credit_code(firm.credit_code), firm.credit_code
            assert firm.size_class == classify_size(
                firm.industry_code, firm.employees, firm.revenue, firm.total_assets
            )
        sme_users = db.session.scalar(select(func.count(User.id)).where(User.firm_id.is_not(None)))
        assert sme_users >= len(firms) - 50  # one account per firm (the demo's have fewer)


def test_dashboard_figures_look_like_the_report(app: Flask) -> None:
    """Over 98% inclusive by count, over half same-day credit, approval rate 70–85%."""
    report = seed(app)
    with app.app_context():
        summary = figures(window(report)).summary
        assert summary.inclusive_share_count > Decimal("0.98")
        assert summary.same_day_rate > Decimal("0.5")
        assert Decimal("0.70") <= summary.approval_rate <= Decimal("0.85")
        assert summary.sla_breaches > 0
        assert summary.median_response_hours < 8


def test_the_last_month_breaches_response_deadlines_as_often_as_the_year_before(
    app: Flask,
) -> None:
    """No cliff at the end: the last full month's leads breach their response deadline about as
    often as the twelve months before, and the leads of the needs still being handled today are
    open or answered, not expired en masse.

    At this scale a month has some sixty leads and one or two breaches, and an expired need
    breaches all its leads at once: the year before is pooled, and the month may have a few
    breaches more than three times its share would give.
    """
    report = seed(app)
    _, last = report.window
    with app.app_context():
        year_leads, year_breaches = _breaches(shift_month(last, -12), last)
        month_leads, month_breaches = _breaches(last, next_month(last))
        handled_leads, handled_expired = db.session.execute(
            select(func.count(Lead.id), func.count(Lead.id).filter(Lead.sla_breached))
            .join(FinancingNeed, FinancingNeed.id == Lead.need_id)
            .where(FinancingNeed.status == NeedStatus.ROUTED, Lead.institution_id.is_not(None))
        ).one()
    expected = Decimal(year_breaches) / year_leads * month_leads
    assert month_breaches <= 3 * expected + 5, (month_breaches, month_leads, expected)
    assert handled_leads and handled_expired <= handled_leads / 5, (handled_expired, handled_leads)


def _breaches(start: dt.date, end: dt.date) -> tuple[int, int]:
    """Leads at a bank created from month `start` to before month `end`, and how many of them
    breached their response deadline."""
    return db.session.execute(
        select(func.count(Lead.id), func.count(Lead.id).filter(Lead.sla_breached)).where(
            Lead.institution_id.is_not(None),
            Lead.created_at >= _local_midnight(start),
            Lead.created_at < _local_midnight(end),
        )
    ).one()


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI)


def test_declines_and_expiries_fall_on_every_kind_of_product(app: Flask) -> None:
    """A bank's declined and expired leads are spread over its products as its approvals are,
    so that cut by product, or by kind of product, the approval rate is well under 100%.

    A product with a few dozen decisions is noisy at this scale; the kinds pool enough of them
    for a firm bound.
    """
    seed(app)
    with app.app_context():
        kinds = _approval_rates(BankProduct.kind, minimum=30)
        products = _approval_rates(Lead.product_id, minimum=50)
        products_per_bank = db.session.execute(
            select(Lead.institution_id, func.count(func.distinct(Lead.product_id)))
            .where(Lead.status.in_((LeadStatus.DECLINED, LeadStatus.EXPIRED)))
            .group_by(Lead.institution_id)
        ).all()
    assert len(kinds) >= 4 and len(products) >= 2
    low, high = PLAUSIBLE_APPROVAL
    assert all(low <= rate < high for rate in kinds.values()), kinds
    assert all(low <= rate < high for rate in products.values()), products
    assert max(count for _, count in products_per_bank) >= 3


PLAUSIBLE_APPROVAL = (Decimal("0.3"), Decimal("0.95"))


def _approval_rates(column: Any, minimum: int) -> dict[Any, Decimal]:
    """The dashboard's approval rate (approved ÷ approved or declined) of the leads grouped by a
    product column, for the groups with at least `minimum` decided leads."""
    approved = Lead.approved_amount.is_not(None)
    decided = approved | (Lead.status == LeadStatus.DECLINED)
    rows = db.session.execute(
        select(column, func.count(Lead.id).filter(approved), func.count(Lead.id).filter(decided))
        .join(BankProduct, BankProduct.id == Lead.product_id)
        .group_by(column)
    ).all()
    return {key: Decimal(yes) / total for key, yes, total in rows if total >= minimum}


def test_no_loan_amount_piles_up_at_a_bound(app: Flask) -> None:
    """Amounts are drawn within their range, not clipped to it: no more loans lent exactly the
    inclusive ceiling (1,000万, or its half or third when a borrower's loans share it) or the
    50万 floor than 1.5 times the busiest amount in the 50万 band beside it. (At this scale an
    amount holds a few loans at most, so a lone loan at a bound is chance, not a pile.)"""
    seed(app)
    with app.app_context():
        amounts = Counter(db.session.scalars(select(Loan.amount).where(Loan.lead_id.is_not(None))))
    for bound, side in AMOUNT_BOUNDS:
        band = range(bound + side, bound + side * 51, side)
        busiest = max(amounts[Decimal(wan * 10_000)] for wan in band)
        at_bound = amounts[Decimal(bound * 10_000)]
        assert at_bound <= 1.5 * max(busiest, 1), (bound, at_bound, busiest)


# Where clipping would pile inclusive amounts up, in 万元: the floor, and the ceiling shared by
# three, two or one loans; each with the side on which its 50万 band lies.
AMOUNT_BOUNDS = ((50, 1), (333, -1), (500, -1), (1000, -1))


def test_npl_ratio_of_last_month_is_between_one_and_three_percent(app: Flask) -> None:
    """The generator steers each month's NPL ratio to a target (1.65–1.85% by the end).

    It adds defaulting loans until the month reaches its target, preferring loans whose balance
    fits the gap and refusing a step that would overshoot by half a point, so even at this scale
    (each loan 0.1–0.5% of the reported balance) the last month lands inside the band.
    """
    report = seed(app)
    with app.app_context():
        months = figures(window(report)).months
        assert Decimal("0.01") <= months[-1].npl_ratio <= Decimal("0.03")
        # No loan in the window can be 90 days overdue before its fifth month.
        assert all(m.npl_balance == 0 for m in months[:4])


def test_status_reports_follow_the_overdue_rules_except_the_marked_few(app: Flask) -> None:
    """Only the flagged reports class a loan more mildly than its days overdue allow."""
    report = seed(app)
    with app.app_context():
        rows = db.session.scalars(select(LoanStatusReport)).all()
        flagged = [row for row in rows if row.contradicts_overdue_rules]
        assert 1 <= len(flagged) == report.contradictions <= 10
        for row in rows:
            milder = TIERS.index(row.five_tier_class) < TIERS.index(floor_class(row.days_overdue))
            assert milder == row.contradicts_overdue_rules
            if row.days_overdue and not row.contradicts_overdue_rules:
                assert row.five_tier_class != FiveTierClass.NORMAL
            assert row.balance >= 0


def test_every_loan_is_reported_every_month_it_is_due(app: Flask) -> None:
    """Reports run without gaps from the disbursement month to last month (or maturity)."""
    report = seed(app)
    first, last = report.window
    with app.app_context():
        periods: dict[int, list[dt.date]] = defaultdict(list)
        for loan_id, period in db.session.execute(
            select(LoanStatusReport.loan_id, LoanStatusReport.period).order_by(
                LoanStatusReport.period
            )
        ):
            periods[loan_id].append(period)
        loans = db.session.scalars(select(Loan).where(Loan.lead_id.is_not(None))).all()
        for loan in loans:
            months = periods[loan.id]
            assert months[0] == loan.disbursed_on.replace(day=1)
            assert months == [shift_month(months[0], n) for n in range(len(months))]
            due_last_month = loan.status == LoanStatus.ACTIVE or loan.maturity_on >= last
            assert (months[-1] == last) == due_last_month, (loan.id, loan.status, months[-1])


def test_loans_spread_over_cities_industries_and_banks(app: Flask) -> None:
    """Nine cities, many industries and banks, and more lending in the later months."""
    report = seed(app)
    first, last = report.window
    with app.app_context():
        cities = _distinct(Firm.region_code)
        industries = _distinct(func.substr(Firm.industry_code, 1, 2))
        banks = db.session.scalar(select(func.count(func.distinct(Loan.institution_id))))
        assert cities == 9 and industries >= 20 and banks >= 40
        early = _loans_between(first, shift_month(first, 6))
        late = _loans_between(shift_month(last, -5), shift_month(last, 1))
        assert late > early


def _distinct(column: Any) -> int:
    return db.session.scalar(select(func.count(func.distinct(column))).select_from(Loan).join(Firm))


def _loans_between(start: dt.date, end: dt.date) -> int:
    return db.session.scalar(
        select(func.count(Loan.id)).where(Loan.disbursed_on >= start, Loan.disbursed_on < end)
    )


@pytest.fixture(autouse=True)
def _no_catalogue_cache() -> None:
    """The matcher caches its catalogue per process; these tests add hundreds of products."""
    from portal.matching.catalogue import invalidate_catalogue_cache

    invalidate_catalogue_cache()

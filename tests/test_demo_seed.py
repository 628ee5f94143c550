"""The demo seeder: accounts that log in, a valid province of firms, and idempotent reruns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from demo.seed import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    POLICY_DIR,
    SUBSIDY_POLICY,
    SeedReport,
    seed_demo,
)
from portal.accounts.models import User
from portal.accounts.passwords import verify_password
from portal.api.models import ApiClient
from portal.catalog.models import BankProduct, PolicyProduct, RuleVersion
from portal.enums import FiveTierClass, OnboardingStatus, ProductStatus, Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.firms.standards import FUJIAN_REGIONS, classify_size, validate_credit_code
from portal.guarantees.models import GuaranteeProduct
from portal.institutions.models import FinancialInstitution, GovernmentAgency
from portal.leads.models import Loan
from portal.lpr import LprRate
from portal.reporting.models import LoanStatusReport

SEEDED_MODELS = (
    FinancialInstitution,
    GovernmentAgency,
    Firm,
    User,
    BankProduct,
    GuaranteeProduct,
    PolicyProduct,
    RuleVersion,
    LprRate,
    Loan,
    LoanStatusReport,
    ApiClient,
)
DEMO_EMAILS = [account.email for account in DEMO_ACCOUNTS]
SHIPPED_POLICIES = sorted(path.stem for path in POLICY_DIR.glob("*.yaml"))


def _seed(app: Flask) -> SeedReport:
    with app.app_context():
        return seed_demo()


def _row_counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in SEEDED_MODELS
    }


def _demo_users() -> dict[str, User]:
    users = db.session.scalars(select(User).where(User.email.in_(DEMO_EMAILS)))
    return {user.email: user for user in users}


def test_demo_accounts_do_not_exist_before_seeding(app: Flask) -> None:
    """No demo account is in the database until the seeder runs."""
    with app.app_context():
        assert _demo_users() == {}


def test_seeding_creates_one_account_per_role(app: Flask) -> None:
    """Every role gets exactly one demo account, whose password is DEMO_PASSWORD."""
    _seed(app)
    with app.app_context():
        users = _demo_users()
        assert sorted(users) == sorted(DEMO_EMAILS)
        assert sorted(account.role for account in DEMO_ACCOUNTS) == sorted(Role)
        for account in DEMO_ACCOUNTS:
            user = users[account.email]
            assert user.role == account.role
            assert user.full_name == account.full_name
            assert user.is_active
            assert verify_password(user.password_hash, DEMO_PASSWORD)
            assert not verify_password(user.password_hash, "wrong-password")


def test_demo_accounts_belong_to_the_right_tenants(app: Flask) -> None:
    """The SME user has a small Fuzhou manufacturer; both bank users share one approved bank."""
    _seed(app)
    with app.app_context():
        users = {user.role: user for user in _demo_users().values()}
        firm = users[Role.SME].firm
        assert firm is not None
        assert firm.region_code == "350100"
        assert 13 <= int(firm.industry_code[:2]) <= 43
        assert firm.size_class == "small"
        officer, admin = users[Role.BANK_OFFICER], users[Role.BANK_ADMIN]
        assert officer.institution_id == admin.institution_id is not None
        assert officer.institution.onboarding_status == OnboardingStatus.APPROVED
        assert users[Role.GOV_STAFF].agency.name == "福建省委金融办"
        for role in (Role.REGULATOR, Role.ADMIN):
            user = users[role]
            assert (user.firm_id, user.institution_id, user.agency_id) == (None, None, None)


def test_demo_accounts_can_log_in(app: Flask, auth: Any) -> None:
    """Each demo account signs in with DEMO_PASSWORD; staff with the printed TOTP secret."""
    _seed(app)
    for account in DEMO_ACCOUNTS:
        response = auth.login(account.email, DEMO_PASSWORD, secret=DEMO_TOTP_SECRET)
        assert response.status_code == 302, account.email
        assert "/login" not in response.headers["Location"]
        auth.logout()


def test_seeding_twice_creates_nothing_the_second_time(app: Flask) -> None:
    """A second run reports zero of everything and leaves every table's row count alone."""
    first = _seed(app)
    with app.app_context():
        after_first = _row_counts()
    second = _seed(app)
    with app.app_context():
        assert _row_counts() == after_first
    assert first.total > 0
    assert second == SeedReport()
    assert second.total == 0
    assert "0 = already present" in second.summary()


def test_report_counts_match_the_rows_created(app: Flask) -> None:
    """The report's counts are the rows the run added, and the content has the promised size."""
    with app.app_context():
        before = _row_counts()
    report = _seed(app)
    with app.app_context():
        added = {name: count - before[name] for name, count in _row_counts().items()}
    assert added == {
        "financial_institutions": report.institutions,
        "government_agencies": report.agencies,
        "firms": report.firms,
        "users": report.users,
        "bank_products": report.bank_products,
        "guarantee_products": report.guarantee_products,
        "policy_products": report.policies,
        "rule_versions": report.rule_versions,
        "lpr_rates": report.lpr_rates,
        "loans": report.loans,
        "loan_status_reports": report.loan_reports,
        "api_clients": report.api_clients,
    }
    assert report.api_clients == 1
    assert report.firms == 50
    assert report.agencies == 4
    assert report.policies == len(SHIPPED_POLICIES)
    assert report.loans == 40
    assert 18 <= report.bank_products <= 25
    assert report.guarantee_products == 1
    assert report.rule_versions == (
        report.bank_products + report.policies + report.guarantee_products
    )
    assert str(report.firms) in report.summary()


def test_seeded_firms_have_valid_codes_and_derived_sizes(app: Flask) -> None:
    """Every firm's credit code passes GB 32100 and its size class is the 2011 standard's."""
    _seed(app)
    with app.app_context():
        firms = db.session.scalars(select(Firm)).all()
        assert len(firms) == 50
        for firm in firms:
            assert validate_credit_code(firm.credit_code) == firm.credit_code
            expected = classify_size(
                firm.industry_code, firm.employees, firm.revenue, firm.total_assets
            )
            assert firm.size_class == expected, firm.name
        sizes = [firm.size_class for firm in firms]
        assert sizes.count("small") + sizes.count("micro") > len(firms) * 0.7
        assert sizes.count("large") == 1
        cities = {code for code, _ in FUJIAN_REGIONS if code != "350000"}
        assert {firm.region_code for firm in firms} == cities


def test_catalogue_is_published_with_rules(app: Flask) -> None:
    """Products belong to approved banks, are published and each has a version-1 rule."""
    _seed(app)
    with app.app_context():
        products = db.session.scalars(select(BankProduct)).all()
        for product in products:
            assert product.status == ProductStatus.PUBLISHED
            assert product.institution.onboarding_status == OnboardingStatus.APPROVED
            assert Decimal(0) < product.min_amount <= product.max_amount
            assert product.min_rate <= product.max_rate
        for policy in db.session.scalars(select(PolicyProduct)):
            assert policy.status == ProductStatus.PUBLISHED
        owners = db.session.execute(
            select(RuleVersion.product_id, RuleVersion.policy_id, RuleVersion.version)
        ).all()
        assert {row.product_id for row in owners} - {None} == {p.id for p in products}
        assert {row.version for row in owners} == {1}
        statuses = db.session.scalars(select(FinancialInstitution.onboarding_status)).all()
        assert OnboardingStatus.APPLIED in statuses


def test_policies_are_the_shipped_files(app: Flask) -> None:
    """The demo's policies are the files under policies/, published, one owned by the gov user."""
    _seed(app)
    with app.app_context():
        policies = db.session.scalars(select(PolicyProduct)).all()
        assert sorted(policy.slug for policy in policies) == SHIPPED_POLICIES
        assert len(SHIPPED_POLICIES) >= 6
        for policy in policies:
            assert policy.status == ProductStatus.PUBLISHED
            assert policy.published_at is not None
            assert policy.source_file == f"{policy.slug}.yaml"
        gov = _demo_users()["gov@demo.local"]
        assert any(policy.agency_id == gov.agency_id for policy in policies)
        assert db.session.scalar(select(func.count()).select_from(GovernmentAgency)) == 4


def test_subsidised_loans_follow_the_policy_file(app: Flask) -> None:
    """Loans carry the 专精特新 subsidy exactly where its file's rules admit them."""
    _seed(app)
    with app.app_context():
        loans = db.session.scalars(select(Loan)).all()
        subsidised = [loan for loan in loans if loan.subsidy_rate > 0]
        assert subsidised
        policy = db.session.scalars(
            select(PolicyProduct).where(PolicyProduct.slug == SUBSIDY_POLICY)
        ).one()
        for loan in subsidised:
            assert loan.subsidy_rate == Decimal("1.00")
            assert "specialised" in loan.firm.qualifications
            assert loan.firm.size_class in ("small", "micro")
            assert loan.product.kind in policy.applies_to_kinds


def test_lpr_table_has_the_published_rates(app: Flask) -> None:
    """LPR rows run monthly from 2024-01-20 to 2026-11-20 with the published values."""
    _seed(app)
    with app.app_context():
        rates = {row.effective_on: row for row in db.session.scalars(select(LprRate))}
    assert len(rates) == 35
    assert rates[dt.date(2024, 1, 20)].one_year == Decimal("3.45")
    assert rates[dt.date(2024, 1, 20)].over_five_years == Decimal("4.20")
    assert rates[dt.date(2024, 6, 20)].over_five_years == Decimal("3.95")
    assert rates[dt.date(2024, 9, 20)].one_year == Decimal("3.35")
    assert rates[dt.date(2025, 4, 20)].one_year == Decimal("3.10")
    assert rates[dt.date(2026, 11, 20)].one_year == Decimal("3.00")
    assert rates[dt.date(2026, 11, 20)].over_five_years == Decimal("3.50")


def test_loans_and_monthly_reports_are_consistent(app: Flask) -> None:
    """Loans come from the lending bank's own products; reports obey the overdue rules."""
    _seed(app)
    this_month = dt.date.today().replace(day=1)
    with app.app_context():
        loans = db.session.scalars(select(Loan)).all()
        assert len({loan.contract_no for loan in loans}) == 40
        for loan in loans:
            assert loan.lead_id is None
            assert loan.product.institution_id == loan.institution_id
            assert Decimal("500000") <= loan.amount <= Decimal("5000000")
            assert loan.disbursed_on < this_month
            assert loan.maturity_on > loan.disbursed_on
        reports = db.session.scalars(select(LoanStatusReport)).all()
        assert all(report.period.day == 1 and report.period < this_month for report in reports)
        assert not any(report.contradicts_overdue_rules for report in reports)
        classes = [report.five_tier_class for report in reports]
        assert FiveTierClass.SUBSTANDARD in classes
        assert FiveTierClass.SPECIAL_MENTION in classes
        for report in reports:
            if report.days_overdue > 90:
                assert report.five_tier_class != FiveTierClass.NORMAL

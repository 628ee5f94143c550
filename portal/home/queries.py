"""Read-only summaries for the home pages. Tenant rows are read through the scoping layer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit.actions import AuditAction
from portal.audit.models import AuditEntry
from portal.authz import get_or_404, scoped
from portal.catalog.models import BankProduct, PolicyProduct
from portal.dates import today_in_china
from portal.enums import OnboardingStatus, ProductStatus, Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.firms.standards import region_choices
from portal.institutions.models import FinancialInstitution, GovernmentAgency
from portal.leads.models import Lead, Loan
from portal.leads.queries import pool_statement
from portal.needs.models import FinancingNeed


def _count_by(column: Any, statement: Any) -> dict[Any, int]:
    rows = db.session.execute(statement.with_only_columns(column, func.count()).group_by(column))
    return {key: count for key, count in rows}


def _loan_totals(statement: Any) -> dict[str, Any]:
    count, total = db.session.execute(
        statement.with_only_columns(func.count(Loan.id), func.coalesce(func.sum(Loan.amount), 0))
    ).one()
    return {"loan_count": count, "loan_total": Decimal(total)}


def sme_summary(actor: User, firm: Firm) -> dict[str, Any]:
    needs = _count_by(FinancingNeed.status, scoped(select(FinancingNeed), FinancingNeed, actor))
    views = db.session.scalar(
        scoped(select(func.count(AuditEntry.id)), AuditEntry, actor).where(
            AuditEntry.action == AuditAction.FIRM_PROFILE_VIEW
        )
    )
    colleagues = db.session.scalars(scoped(select(User), User, actor).order_by(User.id)).all()
    return {
        "need_counts": needs,
        "profile_views": views,
        "colleagues": colleagues,
        "years_in_business": firm.years_in_business(today_in_china()),
        **_loan_totals(scoped(select(Loan), Loan, actor)),
    }


def bank_summary(actor: User) -> dict[str, Any]:
    institution = get_or_404(FinancialInstitution, actor.institution_id, actor)
    leads = _count_by(Lead.status, scoped(select(Lead), Lead, actor))
    # The pool as this bank sees it: only needs one of its products fits (as on the pool page).
    claimable = pool_statement(actor.institution_id).order_by(None).subquery()
    pooled = db.session.scalar(select(func.count()).select_from(claimable))
    products = db.session.scalars(
        scoped(select(BankProduct), BankProduct, actor)
        .where(BankProduct.status == ProductStatus.PUBLISHED)
        .order_by(BankProduct.name)
    ).all()
    return {
        "institution": institution,
        "lead_counts": leads,
        "pooled_count": pooled,
        "products": products,
        **_loan_totals(scoped(select(Loan), Loan, actor)),
    }


def bank_admin_summary(actor: User) -> dict[str, Any]:
    summary = bank_summary(actor)
    summary["products"] = db.session.scalars(
        scoped(select(BankProduct), BankProduct, actor).order_by(
            BankProduct.status, BankProduct.name
        )
    ).all()
    summary["staff"] = db.session.scalars(
        scoped(select(User), User, actor).order_by(User.role, User.full_name)
    ).all()
    return summary


def gov_summary(actor: User) -> dict[str, Any]:
    agency = get_or_404(GovernmentAgency, actor.agency_id, actor)
    policies = db.session.scalars(
        scoped(select(PolicyProduct), PolicyProduct, actor).order_by(
            PolicyProduct.valid_from.desc()
        )
    ).all()
    pending = db.session.scalars(
        scoped(select(FinancialInstitution), FinancialInstitution, actor)
        .where(FinancialInstitution.onboarding_status == OnboardingStatus.APPLIED)
        .order_by(FinancialInstitution.created_at)
    ).all()
    return {
        "agency": agency,
        "policies": policies,
        "pending_institutions": pending,
        "region_rows": region_rows(_region_filter(agency.region_code)),
    }


def province_summary() -> dict[str, Any]:
    """Platform-wide aggregates for regulators: no firm's identity, only counts and sums."""
    institutions = _count_by(FinancialInstitution.onboarding_status, select(FinancialInstitution))
    return {
        "institution_counts": institutions,
        "firm_count": db.session.scalar(select(func.count(Firm.id))),
        "user_count": db.session.scalar(select(func.count(User.id))),
        "need_count": db.session.scalar(select(func.count(FinancingNeed.id))),
        "sme_user_count": db.session.scalar(
            select(func.count(User.id)).where(User.role == Role.SME)
        ),
        "published_products": db.session.scalar(
            select(func.count(BankProduct.id)).where(BankProduct.status == ProductStatus.PUBLISHED)
        ),
        "region_rows": region_rows(None),
        **_loan_totals(select(Loan)),
    }


def _region_filter(region_code: str) -> str | None:
    # A provincial agency sees every city; a city agency sees its own.
    return None if region_code.endswith("0000") else region_code


def region_rows(only_region: str | None) -> list[dict[str, Any]]:
    """Firms, and loans to them, per prefecture city."""
    firms = dict(
        db.session.execute(select(Firm.region_code, func.count(Firm.id)).group_by(Firm.region_code))
        .tuples()
        .all()
    )
    loans = {
        code: (count, total)
        for code, count, total in db.session.execute(
            select(Firm.region_code, func.count(Loan.id), func.coalesce(func.sum(Loan.amount), 0))
            .join(Firm, Firm.id == Loan.firm_id)
            .group_by(Firm.region_code)
        )
    }
    rows = []
    for code, name in region_choices():
        if code.endswith("0000") or (only_region and code != only_region):
            continue
        count, total = loans.get(code, (0, 0))
        rows.append(
            {
                "code": code,
                "name": name,
                "firms": firms.get(code, 0),
                "loans": count,
                "amount": Decimal(total),
            }
        )
    return rows

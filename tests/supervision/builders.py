"""Hand-built supervision data: loans, monthly reports, needs and leads with chosen values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from portal.dates import SHANGHAI
from portal.enums import FiveTierClass, GuaranteeType
from portal.extensions import db
from portal.leads.models import Lead, Loan
from portal.needs.models import FinancingNeed
from portal.reporting.models import LoanStatusReport

D = Decimal


def at(day: int, hour: int, month: int = 1) -> dt.datetime:
    """A Shanghai time in 2026, as the UTC instant the database stores."""
    return dt.datetime(2026, month, day, hour, tzinfo=SHANGHAI).astimezone(dt.UTC)


def loan(bank, firm, day, amount, rate, subsidy="0", lead=None, product=None) -> Loan:
    row = Loan(
        institution=bank,
        firm=firm,
        contract_no=f"C{day}{amount}",
        amount=D(amount),
        rate=D(rate),
        subsidy_rate=D(subsidy),
        term_months=12,
        disbursed_on=day,
        maturity_on=day.replace(year=day.year + 1),
        lead_id=lead.id if lead else None,
        product_id=product.id if product else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def report(
    row: Loan,
    period: dt.date,
    balance: str,
    tier: FiveTierClass,
    overdue: int = 0,
    contradicts: bool = False,
) -> None:
    db.session.add(
        LoanStatusReport(
            loan_id=row.id,
            institution_id=row.institution_id,
            period=period,
            balance=D(balance),
            five_tier_class=tier,
            days_overdue=overdue,
            contradicts_overdue_rules=contradicts,
        )
    )


def need(firm, user, submitted: dt.datetime) -> FinancingNeed:
    row = FinancingNeed(
        firm=firm,
        submitted_by_id=user.id,
        amount=D("1000000"),
        term_months=12,
        purpose="周转",
        guarantee_type=GuaranteeType.CREDIT,
        consent_at=submitted,
        consent_scope="s",
        idempotency_key=f"n{submitted.isoformat()}",
        created_at=submitted,
    )
    db.session.add(row)
    db.session.flush()
    return row


def lead(need_row, bank, created, responded=None, approved=False, decided=None, **extra) -> Lead:
    row = Lead(
        need_id=need_row.id,
        institution=bank,
        created_at=created,
        first_response_at=responded,
        approved_amount=D("1000000") if approved else None,
        decided_at=decided,
        **extra,
    )
    db.session.add(row)
    db.session.flush()
    return row

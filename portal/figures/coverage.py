"""Reporting coverage: of the loans due a status report for a month, how many were reported.

A month's NPL ratio is drawn from the loans reported so far; until every bank has reported, it
is the ratio of a subset. Every figure drawn from status reports is shown with this coverage
next to it, and the missing-report alerts are the banks this finds short.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select

from portal.extensions import db
from portal.figures.live import Filters, cut_loans, ratio
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Loan
from portal.reporting.models import LoanStatusReport
from portal.reporting.services import due_conditions


@dataclass(frozen=True)
class BankCoverage:
    institution_id: int
    name: str
    due: int
    reported: int

    @property
    def missing(self) -> int:
        return self.due - self.reported


@dataclass(frozen=True)
class Coverage:
    """Loans due a report for one month in a cut, and those reported, in all and per bank."""

    period: dt.date
    banks: tuple[BankCoverage, ...]

    @property
    def due(self) -> int:
        return sum(bank.due for bank in self.banks)

    @property
    def reported(self) -> int:
        return sum(bank.reported for bank in self.banks)

    @property
    def share(self) -> Decimal | None:
        """Reported ÷ due, to four places; None when nothing was due."""
        return ratio(Decimal(self.reported), Decimal(self.due))

    @property
    def complete(self) -> bool:
        return self.reported >= self.due

    @property
    def short(self) -> list[BankCoverage]:
        """The banks with loans still unreported, by name."""
        return [bank for bank in self.banks if bank.reported < bank.due]

    def as_json(self) -> dict[str, Any]:
        return {
            "period": self.period.isoformat(),
            "due": self.due,
            "reported": self.reported,
            "banks": [[b.institution_id, b.name, b.due, b.reported] for b in self.banks],
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Coverage | None:
        if not value:
            return None
        banks = tuple(BankCoverage(int(i), str(n), int(d), int(r)) for i, n, d, r in value["banks"])
        return cls(dt.date.fromisoformat(value["period"]), banks)


def coverage(filters: Filters, month: dt.date) -> Coverage:
    """The reporting coverage of `month` for the filters' region, industry, size, bank, product."""
    report = LoanStatusReport
    statement = (
        select(
            Loan.institution_id,
            FinancialInstitution.short_name,
            func.count(Loan.id),
            func.count(report.id),
        )
        .join(FinancialInstitution, FinancialInstitution.id == Loan.institution_id)
        .outerjoin(report, and_(report.loan_id == Loan.id, report.period == month))
        .where(*due_conditions(month))
        .group_by(Loan.institution_id, FinancialInstitution.short_name)
        .order_by(FinancialInstitution.short_name, Loan.institution_id)
    )
    statement = cut_loans(statement, filters)
    banks = tuple(
        BankCoverage(bank_id, name, due, done)
        for bank_id, name, due, done in db.reporting.execute(statement)
    )
    return Coverage(month, banks)

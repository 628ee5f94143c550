"""Financing-guarantee figures for supervision: one definition, read by the dashboard, its
exports and the monthly PDF.

For a cut of the data (`Filters`: months, region, industry, size class, bank, product), over
the loans disbursed under a guarantee letter:

- guaranteed (担保发生额): letters and principal of the loans disbursed in the months;
- balance (在保余额): at the end of the last month, each such loan's latest reported balance
  (its principal until its first report), for guarantees not yet released;
- average fee rate (平均担保费率): the fee rates weighted by principal guaranteed in the months;
- compensation rate (代偿率, as 融资担保公司监督管理补充规定 defines it): compensation paid in
  the months ÷ guarantees released in the months. A guarantee is released once: the day it was
  compensated, else at the loan's maturity (a loan in default stays guaranteed until then, and
  a loan repaid early is released at its maturity: the reports say repaid, not when the bank
  let the guarantor go). Judged on what is known now, so a compensation paid later moves the
  release of a matured loan to its own month, never counting it twice;
- recovery rate (代偿回收率): recovered to the end of the months ÷ compensation paid to then;
  recovered is the part of each recovery shared back to those who paid the compensation (the
  bank keeps its own share of a loss, and of a recovery: that part recovers no compensation).

A loan disbursed before the months still counts in the balance, the releases and the
compensation of the months: those are about the stock of guarantees, not the new business.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from portal.dates import day_in_china
from portal.enums import ClaimStatus
from portal.extensions import db
from portal.firms.models import Firm
from portal.guarantees import sharing
from portal.guarantees.models import Compensation, CompensationRecovery, Guarantee
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Loan
from portal.supervision.metrics import Filters, firm_conditions
from portal.supervision.models import LoanStatusReport

ZERO = Decimal(0)
FOUR_PLACES = Decimal("0.0001")

# The cuts the figures come in, and what each groups by.
CUTS = ("guarantors", "banks", "regions", "industries", "sizes")


@dataclass
class GuaranteeGroup:
    """The figures of one group of guaranteed loans (or all of them)."""

    key: str
    label: str = ""
    letters: int = 0
    amount: Decimal = ZERO
    fee_weight: Decimal = ZERO  # Σ principal × fee rate, for the weighted average
    balance: Decimal = ZERO
    released: Decimal = ZERO
    compensated: Decimal = ZERO
    compensated_to_date: Decimal = ZERO
    recovered_to_date: Decimal = ZERO

    @property
    def average_fee_rate(self) -> Decimal | None:
        """Percent a year, weighted by principal guaranteed in the months."""
        return _ratio(self.fee_weight, self.amount)

    @property
    def compensation_rate(self) -> Decimal | None:
        """A fraction: compensation paid ÷ guarantees released, in the months."""
        return _ratio(self.compensated, self.released)

    @property
    def recovery_rate(self) -> Decimal | None:
        """A fraction: recovered ÷ compensation paid, both to the end of the months."""
        return _ratio(self.recovered_to_date, self.compensated_to_date)


@dataclass
class GuaranteeFigures:
    total: GuaranteeGroup
    cuts: dict[str, list[GuaranteeGroup]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Letter:
    """One guaranteed loan as the figures need it."""

    guarantor: tuple[str, str]
    bank: tuple[str, str]
    region: str
    industry: str
    size: str
    principal: Decimal
    fee_rate: Decimal
    disbursed_on: dt.date
    maturity_on: dt.date
    balance: Decimal
    compensated: Decimal  # paid compensation, 0 if none
    compensated_on: dt.date | None
    recovered_to_date: Decimal

    @property
    def released_on(self) -> dt.date:
        """When the guarantee ended: the day it was compensated, else the loan's maturity (a
        loan in default stays guaranteed until compensated)."""
        return self.compensated_on if self.compensated_on is not None else self.maturity_on

    def keys(self) -> dict[str, tuple[str, str]]:
        return {
            "guarantors": self.guarantor,
            "banks": self.bank,
            "regions": (self.region, ""),
            "industries": (self.industry, ""),
            "sizes": (self.size, ""),
        }


def figures(filters: Filters) -> GuaranteeFigures:
    """The guarantee figures of a cut, in total and by each of CUTS (four queries)."""
    letters = list(_letters(filters))
    total = GuaranteeGroup("total")
    groups: dict[str, dict[tuple[str, str], GuaranteeGroup]] = {cut: {} for cut in CUTS}
    for letter in letters:
        _add(total, letter, filters)
        for cut, (key, label) in letter.keys().items():
            group = groups[cut].setdefault((key, label), GuaranteeGroup(key, label))
            _add(group, letter, filters)
    return GuaranteeFigures(
        total,
        {
            cut: sorted(filter(_active, found.values()), key=_by_amount)
            for cut, found in groups.items()
        },
    )


def _by_amount(group: GuaranteeGroup) -> tuple[Decimal, Decimal, str]:
    return (-group.amount, -group.balance, group.key)


def _add(group: GuaranteeGroup, letter: _Letter, filters: Filters) -> None:
    start, end = filters.start, filters.period_end  # end: the day after the last month
    if start <= letter.disbursed_on < end:
        group.letters += 1
        group.amount += letter.principal
        group.fee_weight += letter.principal * letter.fee_rate
    released_on = letter.released_on
    if letter.disbursed_on < end <= released_on:
        group.balance += letter.balance
    if start <= released_on < end:
        group.released += letter.principal
    if letter.compensated_on is not None and letter.compensated_on < end:
        if letter.compensated_on >= start:
            group.compensated += letter.compensated
        group.compensated_to_date += letter.compensated
        group.recovered_to_date += letter.recovered_to_date


def _active(group: GuaranteeGroup) -> bool:
    """Whether the group has anything to show for the months (else its row is left out)."""
    return bool(group.letters or group.balance or group.released or group.compensated)


def _letters(filters: Filters) -> Iterable[_Letter]:
    end = filters.period_end
    guarantor = FinancialInstitution.__table__.alias("guarantor")
    bank = FinancialInstitution.__table__.alias("bank")
    statement = (
        select(
            Guarantee.id,
            Loan.id,
            guarantor.c.id,
            guarantor.c.short_name,
            bank.c.id,
            bank.c.short_name,
            Firm.region_code,
            func.substr(Firm.industry_code, 1, 2),
            Firm.size_class,
            Loan.amount,
            Guarantee.fee_rate,
            Loan.disbursed_on,
            Loan.maturity_on,
        )
        .join(Loan, Loan.id == Guarantee.loan_id)
        .join(Firm, Firm.id == Loan.firm_id)
        .join(guarantor, guarantor.c.id == Guarantee.institution_id)
        .join(bank, bank.c.id == Loan.institution_id)
        .where(Loan.disbursed_on < end, *firm_conditions(filters))
    )
    if filters.institution_id:
        statement = statement.where(Loan.institution_id == filters.institution_id)
    if filters.product_id:
        statement = statement.where(Loan.product_id == filters.product_id)
    rows = db.reporting.execute(statement).all()
    loan_ids = [row[1] for row in rows]
    balances = _latest_balances(loan_ids, filters.end)
    paid = _compensations([row[0] for row in rows], end)
    for row in rows:
        (letter_id, loan_id, g_id, g_name, b_id, b_name, region, industry, size) = row[:9]
        principal, fee_rate, disbursed_on, maturity_on = row[9:]
        compensated, compensated_on, recovered = paid.get(letter_id, (ZERO, None, ZERO))
        yield _Letter(
            guarantor=(str(g_id), g_name),
            bank=(str(b_id), b_name),
            region=region,
            industry=industry,
            size=str(size),
            principal=principal,
            fee_rate=fee_rate,
            disbursed_on=disbursed_on,
            maturity_on=maturity_on,
            balance=balances.get(loan_id, principal),
            compensated=compensated,
            compensated_on=compensated_on,
            recovered_to_date=recovered,
        )


def _latest_balances(loan_ids: list[int], last_month: dt.date) -> dict[int, Decimal]:
    """Each loan's balance in its latest report up to `last_month` (loans never reported are
    left out: the caller counts their principal)."""
    if not loan_ids:
        return {}
    latest = (
        select(LoanStatusReport.loan_id, func.max(LoanStatusReport.period).label("period"))
        .where(LoanStatusReport.loan_id.in_(loan_ids), LoanStatusReport.period <= last_month)
        .group_by(LoanStatusReport.loan_id)
        .subquery()
    )
    rows = db.reporting.execute(
        select(LoanStatusReport.loan_id, LoanStatusReport.balance).join(
            latest,
            (LoanStatusReport.loan_id == latest.c.loan_id)
            & (LoanStatusReport.period == latest.c.period),
        )
    )
    return dict(rows.tuples().all())


def _compensations(
    letter_ids: list[int], end: dt.date
) -> dict[int, tuple[Decimal, dt.date, Decimal]]:
    """Per letter, the compensation paid (amount, the day, in China) and what was recovered on
    it before `end`."""
    if not letter_ids:
        return {}
    rows = db.reporting.execute(
        select(
            Compensation.id,
            Compensation.guarantee_id,
            Compensation.claimed_amount,
            Compensation.decided_at,
        ).where(
            Compensation.guarantee_id.in_(letter_ids),
            Compensation.status == ClaimStatus.APPROVED,
        )
    ).all()
    recovered = _recovered([row[0] for row in rows], end)
    return {
        letter_id: (amount, day_in_china(decided_at), recovered.get(compensation_id, ZERO))
        for compensation_id, letter_id, amount, decided_at in rows
    }


def _recovered(compensation_ids: list[int], end: dt.date) -> dict[int, Decimal]:
    """Per compensation, the non-bank parts of what was recovered before `end`: the same
    parties as the compensation paid (`claimed_amount`), so the rate never passes 100%."""
    if not compensation_ids:
        return {}
    rows = db.reporting.execute(
        select(CompensationRecovery.compensation_id, CompensationRecovery.split).where(
            CompensationRecovery.compensation_id.in_(compensation_ids),
            CompensationRecovery.recovered_on < end,
        )
    )
    recovered: dict[int, Decimal] = {}
    for compensation_id, split in rows:
        back = sharing.paid_to_bank(sharing.as_money(split))  # every part but the bank's
        recovered[compensation_id] = recovered.get(compensation_id, ZERO) + back
    return recovered


def _ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part / whole).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)

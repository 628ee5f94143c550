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

The dashboard reads them through `figures_as_of`: kept per process, for each cut, until the
rollups are refreshed (the page states that time, as for its other figures) or a letter, a
compensation or a recovery is added; the monthly PDF computes them afresh.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, or_, select

from portal.dates import day_in_china
from portal.enums import ClaimStatus
from portal.extensions import db
from portal.figures.live import Filters, firm_conditions, loan_conditions
from portal.firms.models import Firm
from portal.guarantees import sharing
from portal.guarantees.models import Compensation, CompensationRecovery, Guarantee
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Loan
from portal.reporting.models import LoanStatusReport

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

    def absorb(self, other: GuaranteeGroup) -> None:
        """Add another group's figures to this one's."""
        self.letters += other.letters
        self.amount += other.amount
        self.fee_weight += other.fee_weight
        self.balance += other.balance
        self.released += other.released
        self.compensated += other.compensated
        self.compensated_to_date += other.compensated_to_date
        self.recovered_to_date += other.recovered_to_date

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

    @property
    def cell(self) -> Cell:
        """Its place in every cut at once, in the order of CUTS."""
        return (self.guarantor, self.bank, (self.region, ""), (self.industry, ""), (self.size, ""))


Cell = tuple[tuple[str, str], ...]


def figures(filters: Filters) -> GuaranteeFigures:
    """The guarantee figures of a cut, in total and by each of CUTS (two queries).

    Letters are first summed per cell (guarantor, bank, region, industry, size: a few hundred
    at province scale), then the cells into the total and each cut.
    """
    cells: dict[Cell, GuaranteeGroup] = {}
    for letter in _letters(filters):
        found = cells.get(letter.cell)
        if found is None:
            found = cells[letter.cell] = GuaranteeGroup("")
        _add(found, letter, filters)
    total = GuaranteeGroup("total")
    groups: dict[str, dict[tuple[str, str], GuaranteeGroup]] = {cut: {} for cut in CUTS}
    for cell, summed in cells.items():
        total.absorb(summed)
        for cut, (key, label) in zip(CUTS, cell, strict=True):
            group = groups[cut].get((key, label))
            if group is None:
                group = groups[cut][key, label] = GuaranteeGroup(key, label)
            group.absorb(summed)
    return GuaranteeFigures(
        total,
        {
            cut: sorted(filter(_active, found.values()), key=_by_amount)
            for cut, found in groups.items()
        },
    )


_CACHE_SIZE = 64
_cache: OrderedDict[tuple[Any, ...], GuaranteeFigures] = OrderedDict()
_lock = threading.Lock()


def figures_as_of(filters: Filters, refreshed: tuple[Any, ...]) -> GuaranteeFigures:
    """`figures(filters)`, kept while `refreshed` (the rollups' refresh and rebuild times) and
    the guarantee tables stay as they were; with no rollups yet (None), always afresh."""
    if refreshed[0] is None:
        return figures(filters)
    key = (id(db.engine), filters, refreshed, _fingerprint())
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    found = figures(filters)
    with _lock:
        _cache[key] = found
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return found


def _fingerprint() -> tuple[Any, ...]:
    """One small query whose answer changes when a letter, a compensation or a recovery does."""
    statement = select(
        select(func.count(Guarantee.id)).scalar_subquery(),
        select(func.max(Guarantee.id)).scalar_subquery(),
        select(func.max(Guarantee.loan_id)).scalar_subquery(),
        select(func.count(Compensation.id)).scalar_subquery(),
        select(func.max(Compensation.decided_at)).scalar_subquery(),
        select(func.count(CompensationRecovery.id)).scalar_subquery(),
    )
    return tuple(db.reporting.execute(statement).one())


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
            _latest_balance(filters.end),
        )
        .join(Loan, Loan.id == Guarantee.loan_id)
        .join(Firm, Firm.id == Loan.firm_id)
        .join(guarantor, guarantor.c.id == Guarantee.institution_id)
        .join(bank, bank.c.id == Loan.institution_id)
        .where(
            Loan.disbursed_on < end,
            # A letter that ended before the months without compensation adds nothing.
            or_(Loan.maturity_on >= filters.start, Guarantee.id.in_(_compensated_letters())),
            *firm_conditions(filters),
            *loan_conditions(filters),
        )
    )
    rows = db.reporting.connection().execute(statement).all()  # plain rows: no ORM work
    # Compensations are few: read whole, where a list of thousands of letter ids in an IN
    # clause was most of the time at province scale.
    paid = _compensations(end)
    for row in rows:
        (letter_id, loan_id, g_id, g_name, b_id, b_name, region, industry, size) = row[:9]
        principal, fee_rate, disbursed_on, maturity_on, balance = row[9:]
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
            balance=principal if balance is None else balance,
            compensated=compensated,
            compensated_on=compensated_on,
            recovered_to_date=recovered,
        )


def _compensated_letters() -> Any:
    return select(Compensation.guarantee_id).where(Compensation.status == ClaimStatus.APPROVED)


def _latest_balance(last_month: dt.date) -> Any:
    """The loan's balance in its latest report up to `last_month`, as a correlated subquery (None
    for a loan never reported: the caller counts its principal). Each is a short backward walk
    of the (loan, period) index, where a grouped maximum would read every report."""
    return (
        select(LoanStatusReport.balance)
        .where(LoanStatusReport.loan_id == Loan.id, LoanStatusReport.period <= last_month)
        .order_by(LoanStatusReport.period.desc())
        .limit(1)
        .correlate(Loan)
        .scalar_subquery()
    )


def _compensations(end: dt.date) -> dict[int, tuple[Decimal, dt.date, Decimal]]:
    """Per letter, the compensation paid (amount, the day, in China) and what was recovered on
    it before `end` (a few hundred rows at province scale: read whole)."""
    rows = db.reporting.execute(
        select(
            Compensation.id,
            Compensation.guarantee_id,
            Compensation.claimed_amount,
            Compensation.decided_at,
        ).where(Compensation.status == ClaimStatus.APPROVED)
    ).all()
    recovered = _recovered(end)
    return {
        letter_id: (amount, day_in_china(decided_at), recovered.get(compensation_id, ZERO))
        for compensation_id, letter_id, amount, decided_at in rows
    }


def _recovered(end: dt.date) -> dict[int, Decimal]:
    """Per compensation, the non-bank parts of what was recovered before `end`: the same
    parties as the compensation paid (`claimed_amount`), so the rate never passes 100%."""
    rows = db.reporting.execute(
        select(CompensationRecovery.compensation_id, CompensationRecovery.split).where(
            CompensationRecovery.recovered_on < end
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

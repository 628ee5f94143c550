"""The supervision figures' definitions (统计口径): one home for each, read by both sources.

The live figures (`portal.figures.live`) and the dashboard rollups
(`portal.figures.rollups`) build their SQL from the expressions here, so that the two give
the same numbers by construction. docs/supervision.md lists the same definitions in Chinese.

- Loan volume (放款笔数/金额/笔均): loans disbursed in the period (`Loan.disbursed_on`), counted
  and their amounts added up; 笔均 = amount ÷ count, to the fen.
- Weighted average rate (加权平均利率): Σ(amount × rate) ÷ Σ amount, percent a year, four places.
- Subsidy-adjusted cost (贴息后综合成本, `adjusted_cost`): per loan, rate − interest subsidy
  points (`Loan.subsidy_rate`) + guarantee fee (`Loan.guarantee_fee_rate`, percent a year) −
  the part of the fee a fee-subsidy policy pays (`Loan.fee_subsidy_rate`); amount-weighted
  like the rate.
- The LPR of a period (`weighted_lpr`): each loan takes the 1-year LPR in force on its
  disbursement day (the newest `LprRate` with `effective_on` ≤ `disbursed_on`: the LPR changes
  on the 20th, not on the 1st); the period's LPR is their amount-weighted average, so the
  spread (weighted rate − LPR) is taken loan by loan. A month without loans shows the LPR in
  force on its last day. A period with a loan disbursed before the table's first LPR has no LPR
  (None): its spread cannot be taken loan by loan.
- NPL ratio (不良率) of a month: Σ balance of the loans reported 次级/可疑/损失 (`NPL_BALANCE`)
  ÷ Σ balance of every loan reported for that month.
- Inclusive small/micro lending (普惠型小微企业贷款, `inclusive`): a loan counts when its firm is
  small or micro (`Firm.size_class`) and the firm's total credit at that bank on the loan's
  disbursement day is at most 10,000,000 yuan (10,000,000 counts). Total credit
  (`credit_at_bank`) is the sum of the principal (`Loan.amount`) of the firm's loans from that
  bank that are outstanding that day, this loan included, whatever their product and whether or
  not they fall in the selected period: disbursed on or before the day and maturing after it
  (`disbursed_on ≤ day < maturity_on`). Contractual maturity decides, not `Loan.status`: a
  loan records no date on which it was repaid or written off, and a figure for a past month must
  not change when a loan is later repaid. Shares are by count and by amount.
- Approval rate (审批通过率): approved leads (`APPROVED`: a credit decision with an amount) ÷
  decided leads (`DECIDED`: approved or declined), over leads created in the period.
- Median hours to first response (首次响应时长中位数): `hours_between` a lead's creation and
  the bank's first response, over the period's answered leads, to a tenth of an hour.
- Same-day credit rate (当日获批率): of the needs with a lead approved, those whose earliest
  approval falls on the Asia/Shanghai day (`local_date`) the need was submitted.
- Claim-to-disbursement days (对接至放款天数, `claim_days`): over the loans disbursed in the period
  (filed by disbursement month) that came from a lead, the median of the whole days from the
  lead's creation (its Asia/Shanghai day) to the disbursement day.
"""

from __future__ import annotations

import bisect
import datetime as dt
import statistics
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Select, and_, case, cast, extract, func, or_, select
from sqlalchemy.orm import aliased

from portal.dates import next_month
from portal.enums import NON_PERFORMING, LeadStatus
from portal.extensions import db
from portal.firms.standards import SizeClass
from portal.leads.models import Lead, Loan
from portal.lpr import one_year_schedule
from portal.reporting.models import LoanStatusReport

INCLUSIVE_CREDIT_CEILING = Decimal("10000000")  # 1,000 万元, inclusive
INCLUSIVE_SIZES = (SizeClass.SMALL, SizeClass.MICRO)
# Half a fen above the ceiling: SQLite adds amounts as binary floats, and 3,333,333.33 +
# 6,666,666.67 may come to a hair over 10,000,000; amounts are whole fen, so "< ceiling + half a
# fen" is exactly "≤ ceiling" on either database.
_CEILING_WITH_SLACK = INCLUSIVE_CREDIT_CEILING + Decimal("0.005")
FOUR = Decimal("0.0001")
TWO = Decimal("0.01")

APPROVED = Lead.approved_amount.is_not(None)
DECIDED = or_(APPROVED, Lead.status == LeadStatus.DECLINED)
NPL_BALANCE = case(
    (LoanStatusReport.five_tier_class.in_(tuple(NON_PERFORMING)), LoanStatusReport.balance),
    else_=0,
)

LprSchedule = list[tuple[dt.date, Decimal]]

# Each figure's one name (the 指标 column of docs/supervision.md's 统计口径 table), keyed as the
# monthly report stores its key figures. The dashboard, its exports and the PDF all print these,
# so that a figure never goes by two names. Lazy: the page shows them in the reader's language;
# the PDF in the language of the edition rendered (`pdf.figure_name`). Units are not part of
# a name: a column that carries one adds it as "name（unit）".
FIGURE_NAMES: dict[str, LazyString] = {
    "loans": _l("放款笔数"),
    "amount": _l("放款金额"),
    "average": _l("笔均放款"),
    "weighted_rate": _l("加权平均利率"),
    "adjusted_rate": _l("贴息后加权利率"),
    "lpr": _l("1年期LPR"),
    "lpr_spread": _l("较1年期LPR利差"),
    "npl_ratio": _l("不良贷款率"),
    "inclusive_share_count": _l("普惠型小微企业贷款占比（笔数）"),
    "inclusive_share_amount": _l("普惠型小微企业贷款占比（金额）"),
    "approval_rate": _l("审批通过率"),
    "same_day_rate": _l("当日获批率"),
    "median_response_hours": _l("首次响应时长中位数"),
    "sla_breaches": _l("响应超时（SLA）"),
    "median_claim_days": _l("对接至放款天数中位数"),
    "rank": _l("机构排名"),
}


# --- numbers -------------------------------------------------------------------------------


def per(total: Decimal, count: Decimal | int, places: Decimal) -> Decimal | None:
    """total ÷ count rounded half up to `places`, or None when there is nothing to divide by."""
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(places, rounding=ROUND_HALF_UP)


def whole(days: float) -> Decimal:
    """6 rather than 6.0 when the median is a whole number of days (as statistics gives)."""
    return Decimal(int(days)) if float(days).is_integer() else Decimal(str(float(days)))


def tenth(hours: float) -> Decimal:
    """Hours to a tenth."""
    return Decimal(str(round(float(hours), 1)))


# --- the database's arithmetic ----------------------------------------------------------------


def postgres() -> bool:
    """Whether the figures are read from PostgreSQL (else SQLite)."""
    return db.reporting.get_bind().dialect.name == "postgresql"


def hours_between(start: Any, end: Any) -> Any:
    """Hours from one UTC timestamp column to another, computed by the database."""
    if postgres():
        return extract("epoch", end - start) / 3600
    return (func.julianday(end) - func.julianday(start)) * 24


def local_date(moment: Any) -> Any:
    """The Asia/Shanghai calendar day of a UTC timestamp column (China keeps UTC+8 all year)."""
    if postgres():
        return cast(func.timezone("Asia/Shanghai", moment), Date)
    return func.date(moment, "+8 hours")


def days_between(moment: Any, day: Any) -> Any:
    """Whole days from a timestamp's Shanghai calendar day to a date."""
    if postgres():
        return day - local_date(moment)
    return func.julianday(day) - func.julianday(local_date(moment))


def median(statement: Select[Any], value: Any, *, days: bool = False) -> float | None:
    """The median of `value` over a statement's rows (rows where it is NULL left out).

    PostgreSQL takes it (percentile_cont averages the middle pair, as statistics.median does);
    SQLite has no percentile function, so Python takes it. `days`: SQLite's julianday
    differences are rounded to the whole days PostgreSQL's date arithmetic gives.
    """
    if postgres():
        return db.reporting.scalar(
            statement.with_only_columns(func.percentile_cont(0.5).within_group(value))
        )
    values = [v for v in db.reporting.scalars(statement.with_only_columns(value)) if v is not None]
    if not values:
        return None
    return statistics.median(round(v) for v in values) if days else statistics.median(values)


# --- per-loan definitions ---------------------------------------------------------------------


def adjusted_cost(loan: Any) -> Any:
    """A loan's subsidy-adjusted annual cost in percent: rate − interest subsidy points +
    guarantee fee − fee subsidy (`loan` is `Loan` or a rollup row with the same columns)."""
    return loan.rate - loan.subsidy_rate + loan.guarantee_fee_rate - loan.fee_subsidy_rate


def claim_days() -> Any:
    """Days from a loan's lead's creation (Shanghai day) to the loan's disbursement (the
    statement joins `Lead` on `Loan.lead_id`)."""
    return days_between(Lead.created_at, Loan.disbursed_on)


def credit_at_bank(loan: Any) -> Any:
    """The firm's total credit at the loan's bank on its disbursement day: the principal of
    its loans from that bank outstanding that day, this one included (a correlated subquery;
    `loan` is `Loan` or a rollup row with firm_id, institution_id and disbursed_on)."""
    other = aliased(Loan, name="credit_loan")
    return (
        select(func.coalesce(func.sum(other.amount), 0))
        .where(
            other.firm_id == loan.firm_id,
            other.institution_id == loan.institution_id,
            other.disbursed_on <= loan.disbursed_on,
            other.maturity_on > loan.disbursed_on,
        )
        .scalar_subquery()
    )


def inclusive(size_class: Any, loan: Any) -> Any:
    """Whether a loan is 普惠型小微: a small or micro firm whose credit at the bank on the
    disbursement day is at most 10,000,000 yuan."""
    return and_(
        size_class.in_(INCLUSIVE_SIZES),
        credit_at_bank(loan) < _CEILING_WITH_SLACK,
    )


# --- the LPR --------------------------------------------------------------------------------


def lpr_schedule() -> LprSchedule:
    """Every 1-year LPR with the day it took effect, oldest first."""
    return one_year_schedule(db.reporting)


def lpr_on(schedule: LprSchedule, day: dt.date) -> Decimal | None:
    """The 1-year LPR in force on a day (the newest that took effect on or before it)."""
    index = bisect.bisect_right([effective for effective, _ in schedule], day)
    return schedule[index - 1][1] if index else None


def weighted_lpr(lent: Mapping[dt.date, Decimal], schedule: LprSchedule) -> Decimal | None:
    """The amount-weighted LPR of loans given as {disbursement day: amount lent that day}.

    None without loans, or when a day's loans came before the table's first LPR.
    """
    weighted, total = Decimal(0), Decimal(0)
    for day, amount in lent.items():
        rate = lpr_on(schedule, day)
        if rate is None:
            return None
        weighted += Decimal(amount) * rate
        total += Decimal(amount)
    return per(weighted, total, FOUR)


def attach_lpr(months: Mapping[dt.date, Any], lent: Mapping[dt.date, Decimal]) -> None:
    """Set each month row's `lpr`: its loans' weighted LPR, or without loans the LPR in force on
    its last day. `lent` is {disbursement day: amount lent that day}."""
    schedule = lpr_schedule()
    for month, row in months.items():
        end = next_month(month)
        days = {day: amount for day, amount in lent.items() if month <= day < end}
        if days:
            row.lpr = weighted_lpr(days, schedule)
        else:
            row.lpr = lpr_on(schedule, end - dt.timedelta(days=1))

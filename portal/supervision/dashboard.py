"""The supervision dashboard: which cut of the figures each viewer gets, the bank median, alerts.

Figures come from `metrics.figures`; this module only decides the cut, compares a bank with the
anonymised median of all banks, lists the alerts and lays the numbers out as tables and charts.

Who sees what (`scoped_filters` is the one place that decides it):
- regulators and admins: the whole province, cut as they ask;
- government staff: their agency's region (a provincial agency sees the whole province);
- bank admins: their own bank only, beside the median of all banks for the same cut. Other
  banks' names and individual values never leave this module for them.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from portal.accounts.models import User
from portal.authz import scoped
from portal.catalog.models import BankProduct
from portal.enums import SIZE_CLASS_LABELS, InstitutionKind, Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.firms.standards import FUJIAN_REGIONS, INDUSTRY_DIVISIONS, industry_label
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Loan
from portal.supervision import rollups
from portal.supervision.exports import ExportTable
from portal.supervision.guarantees import CUTS, GuaranteeFigures, GuaranteeGroup
from portal.supervision.guarantees import figures_as_of as guarantees_as_of
from portal.supervision.metrics import (
    BankFigures,
    Figures,
    Filters,
    firm_conditions,
    next_month,
    reports_in,
)
from portal.supervision.models import LoanStatusReport
from portal.templating import to_wan

PROVINCE_SUFFIX = "0000"
# With fewer banks than this, a median would let a bank work out another bank's value.
MIN_BANKS_FOR_MEDIAN = 3
MAX_MONTHS = 60
HUNDRED = Decimal(100)
TEN_THOUSAND = Decimal(10000)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")


class DashboardRefused(Exception):
    """The viewer has no dashboard scope (wrong role, or no bank / agency on the account)."""


# --- who sees which cut ----------------------------------------------------------------------


def locked_region(viewer: User) -> str | None:
    """The region a government user is held to; None for a provincial agency or other roles."""
    if viewer.role != Role.GOV_STAFF:
        return None
    if viewer.agency is None:
        raise DashboardRefused("government user without an agency")
    code = viewer.agency.region_code
    return None if code.endswith(PROVINCE_SUFFIX) else code


def may_choose_bank(viewer: User) -> bool:
    """Whether the viewer may cut the figures by bank (bank admins are held to their own)."""
    return viewer.role in (Role.REGULATOR, Role.ADMIN, Role.GOV_STAFF)


def is_bank_view(viewer: User) -> bool:
    """Whether the viewer sees one bank against the anonymised median."""
    return viewer.role == Role.BANK_ADMIN


def scoped_filters(viewer: User, requested: Filters) -> Filters:
    """The filters actually used for this viewer, whatever was asked for."""
    if viewer.role in (Role.REGULATOR, Role.ADMIN):
        return requested
    if viewer.role == Role.GOV_STAFF:
        region = locked_region(viewer)
        return replace(requested, region_code=region) if region else requested
    if viewer.role == Role.BANK_ADMIN:
        if not viewer.institution_id:
            raise DashboardRefused("bank admin without a bank")
        return replace(requested, institution_id=viewer.institution_id)
    raise DashboardRefused(f"role {viewer.role} has no dashboard")


def default_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last twelve whole months: from a year before last month to last month."""
    this_month = today.replace(day=1)
    end = (this_month - dt.timedelta(days=1)).replace(day=1)
    start = dt.date(end.year - 1, end.month, 1)
    return next_month(start), end


def months_between(start: dt.date, end: dt.date) -> int:
    """How many months a range covers, both ends included."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


# --- what the filter form offers --------------------------------------------------------------


@dataclass(frozen=True)
class FilterOptions:
    regions: list[tuple[str, str]]
    locked_region: str | None
    banks: list[tuple[int, str]] | None  # None: the viewer may not choose a bank
    products: list[tuple[int, str]]


def filter_options(viewer: User) -> FilterOptions:
    """The choices of the filter form, limited to what the viewer may see."""
    region = locked_region(viewer)
    regions = [
        (code, name)
        for code, name in FUJIAN_REGIONS
        if not code.endswith(PROVINCE_SUFFIX) and (region is None or code == region)
    ]
    banks = None
    if may_choose_bank(viewer):
        rows = db.reporting.execute(
            scoped(
                select(FinancialInstitution.id, FinancialInstitution.short_name),
                FinancialInstitution,
                viewer,
            )
            # The bank filter lists banks: a guarantor lends nothing (its figures are its own).
            .where(FinancialInstitution.kind != InstitutionKind.GUARANTEE)
            .order_by(FinancialInstitution.short_name, FinancialInstitution.id)
        ).all()
        banks = [(bank_id, name) for bank_id, name in rows]
    return FilterOptions(regions, region, banks, _product_options(viewer))


def _product_options(viewer: User) -> list[tuple[int, str]]:
    statement = (
        select(BankProduct.id, BankProduct.name, FinancialInstitution.short_name)
        .join(FinancialInstitution, FinancialInstitution.id == BankProduct.institution_id)
        .order_by(FinancialInstitution.short_name, BankProduct.name, BankProduct.id)
    )
    if is_bank_view(viewer):
        # A bank chooses among its own products only: other banks' products are theirs.
        statement = scoped(statement, BankProduct, viewer)
        return [(pid, name) for pid, name, _bank in db.reporting.execute(statement)]
    return [(pid, f"{bank} · {name}") for pid, name, bank in db.reporting.execute(statement)]


def industry_options() -> list[tuple[str, str]]:
    """GB/T 4754 divisions (two digits), the level the figures are cut by."""
    return [(code, f"{code} {name}") for code, name in INDUSTRY_DIVISIONS.items() if len(code) == 2]


# --- a bank against the median of all banks ---------------------------------------------------

BANK_METRICS: tuple[tuple[str, Callable[[BankFigures], Any]], ...] = (
    ("loans", lambda b: b.loans),
    ("amount", lambda b: b.amount),
    ("approval_rate", lambda b: b.approval_rate),
    ("median_response_hours", lambda b: b.median_response_hours),
    ("npl_ratio", lambda b: b.npl_ratio),
    ("sla_breaches", lambda b: b.sla_breaches),
)


@dataclass
class BankComparison:
    own: BankFigures
    medians: dict[str, Decimal | None]
    banks_counted: int  # banks with any activity for the cut: the M of "rank N of M"

    @property
    def rank(self) -> int | None:
        return self.own.rank or None


def _median(values: Sequence[Any]) -> Decimal | None:
    present = [Decimal(v) for v in values if v is not None]
    if len(present) < MIN_BANKS_FOR_MEDIAN:
        return None
    return Decimal(statistics.median(present))


def compare_with_median(filters: Filters, institution_id: int) -> BankComparison:
    """The bank's own row and the per-metric median of every bank, for the same cut."""
    banks = rollups.dashboard_bank_figures(replace(filters, institution_id=None))
    own = next(
        (b for b in banks if b.institution_id == institution_id),
        BankFigures(institution_id, _bank_name(institution_id)),
    )
    medians = {key: _median([value(b) for b in banks]) for key, value in BANK_METRICS}
    return BankComparison(own=own, medians=medians, banks_counted=len(banks))


def _bank_name(institution_id: int) -> str:
    return db.reporting.scalar(
        select(FinancialInstitution.short_name).where(FinancialInstitution.id == institution_id)
    ) or str(institution_id)


# --- alerts ----------------------------------------------------------------------------------

NPL_MONTH, NPL_BANK, SLA, CONTRADICTION, MISSING = (
    "npl_month",
    "npl_bank",
    "sla",
    "contradiction",
    "missing",
)
ALERT_LABELS = {
    NPL_MONTH: _l("不良率超阈值（月度）"),
    NPL_BANK: _l("不良率超阈值（机构）"),
    SLA: _l("响应超时"),
    CONTRADICTION: _l("五级分类与逾期天数矛盾"),
    MISSING: _l("贷后月报缺报"),
}
ALERT_BADGES = {
    NPL_MONTH: "danger",
    NPL_BANK: "danger",
    SLA: "warn",
    CONTRADICTION: "warn",
    MISSING: "info",
}


@dataclass
class Alert:
    kind: str
    month: dt.date | None
    bank: str | None
    detail: str
    institution_id: int | None = None

    @property
    def label(self) -> str:
        return str(ALERT_LABELS[self.kind])

    @property
    def badge(self) -> str:
        return ALERT_BADGES[self.kind]


def _pct(ratio: Decimal | None) -> str:
    if ratio is None:
        return "—"
    return f"{(ratio * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)}%"


def alerts(result: Figures, threshold: Decimal, today: dt.date) -> list[Alert]:
    """Everything the supervisor should look at for this cut, most serious first."""
    filters = result.filters
    found = [
        Alert(NPL_MONTH, m.month, None, _npl_detail(m.npl_ratio, threshold))
        for m in result.months
        if m.npl_ratio is not None and m.npl_ratio > threshold
    ]
    found += [
        Alert(NPL_BANK, filters.end, b.name, _npl_detail(b.npl_ratio, threshold), b.institution_id)
        for b in result.banks
        if b.npl_ratio is not None and b.npl_ratio > threshold
    ]
    found += [
        Alert(
            SLA,
            None,
            b.name,
            _("期内 %(n)s 条线索超过响应时限", n=b.sla_breaches),
            b.institution_id,
        )
        for b in result.banks
        if b.sla_breaches
    ]
    found += contradiction_alerts(filters)
    found += missing_report_alerts(filters, today)
    return found


def _npl_detail(ratio: Decimal | None, threshold: Decimal) -> str:
    return _("不良率 %(ratio)s，高于预警阈值 %(limit)s", ratio=_pct(ratio), limit=_pct(threshold))


def contradiction_alerts(filters: Filters) -> list[Alert]:
    """Per bank: reports in the period whose five-tier class contradicts the overdue days."""
    if rollups.rebuilt_at() is not None:
        rows = rollups.contradictions(filters)
    else:
        rows = _live_contradictions(filters)
    return [
        Alert(
            CONTRADICTION,
            None,
            name,
            _("期内 %(n)s 份月报的五级分类与逾期天数不符", n=count),
            bank_id,
        )
        for bank_id, name, count in rows
    ]


def _live_contradictions(filters: Filters) -> list[Any]:
    return db.reporting.execute(
        reports_in(filters)
        .where(LoanStatusReport.contradicts_overdue_rules.is_(True))
        .join(FinancialInstitution, FinancialInstitution.id == Loan.institution_id)
        .with_only_columns(
            Loan.institution_id, FinancialInstitution.short_name, func.count(LoanStatusReport.id)
        )
        .group_by(Loan.institution_id, FinancialInstitution.short_name)
        .order_by(func.count(LoanStatusReport.id).desc(), FinancialInstitution.short_name)
    ).all()


def report_check_month(filters: Filters, today: dt.date) -> dt.date:
    """The month checked for missing reports: the range's last month, at the latest last month."""
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return min(filters.end, last_month)


def missing_reports(filters: Filters, month: dt.date) -> list[tuple[int, str, int, int]]:
    """Banks with fewer reports for `month` than loans due one: (id, name, due, reported).

    A loan is due a report for a month when it was disbursed by the month's end and matures on
    or after the month's first day.
    """
    month_end = next_month(month) - dt.timedelta(days=1)
    report = LoanStatusReport
    statement = (
        select(
            Loan.institution_id,
            FinancialInstitution.short_name,
            func.count(Loan.id),
            func.count(report.id),
        )
        .join(Firm, Firm.id == Loan.firm_id)
        .join(FinancialInstitution, FinancialInstitution.id == Loan.institution_id)
        .outerjoin(report, and_(report.loan_id == Loan.id, report.period == month))
        .where(Loan.disbursed_on <= month_end, Loan.maturity_on >= month)
        .where(*firm_conditions(filters))
        .group_by(Loan.institution_id, FinancialInstitution.short_name)
        .having(func.count(report.id) < func.count(Loan.id))
        .order_by(FinancialInstitution.short_name, Loan.institution_id)
    )
    if filters.institution_id:
        statement = statement.where(Loan.institution_id == filters.institution_id)
    if filters.product_id:
        statement = statement.where(Loan.product_id == filters.product_id)
    return [
        (bank_id, name, due, done) for bank_id, name, due, done in db.reporting.execute(statement)
    ]


def missing_report_alerts(filters: Filters, today: dt.date) -> list[Alert]:
    month = report_check_month(filters, today)
    return [
        Alert(
            MISSING,
            month,
            name,
            _(
                "应报 %(due)s 笔，已报 %(done)s 笔，缺 %(missing)s 笔",
                due=due,
                done=done,
                missing=due - done,
            ),
            bank_id,
        )
        for bank_id, name, due, done in missing_reports(filters, month)
    ]


# --- the dashboard ---------------------------------------------------------------------------


@dataclass
class KeyFigure:
    label: Any
    value: Any
    kind: str
    unit: Any = ""
    note: Any = ""


@dataclass
class Dashboard:
    filters: Filters
    figures: Figures
    threshold: Decimal
    alerts: list[Alert]
    comparison: BankComparison | None = None
    region: str | None = None
    weighted_lpr: Decimal | None = None
    report_month: dt.date | None = None  # the month checked for missing reports
    # When the rollups the figures come from were refreshed and rebuilt; None: computed live.
    refreshed_at: dt.datetime | None = None
    rebuilt_at: dt.datetime | None = None
    key_figures: list[KeyFigure] = field(default_factory=list)
    guarantees: GuaranteeFigures | None = None

    @property
    def bank_view(self) -> bool:
        """A bank's own view: no other bank is named, only the median."""
        return self.comparison is not None


def build(viewer: User, requested: Filters, threshold: Decimal, today: dt.date) -> Dashboard:
    """Every figure, table and alert the viewer may see for the cut they asked for."""
    filters = scoped_filters(viewer, requested)
    result = rollups.dashboard_figures(filters)
    comparison = None
    if is_bank_view(viewer):
        comparison = compare_with_median(filters, viewer.institution_id)
    refreshed, rebuilt = rollups.refreshed_at(), rollups.rebuilt_at()
    dashboard = Dashboard(
        filters=filters,
        figures=result,
        threshold=threshold,
        alerts=alerts(result, threshold, today),
        comparison=comparison,
        region=locked_region(viewer),
        weighted_lpr=weighted_lpr(result),
        report_month=report_check_month(filters, today),
        refreshed_at=refreshed,
        rebuilt_at=rebuilt,
        guarantees=guarantees_as_of(filters, (refreshed, rebuilt)),
    )
    dashboard.key_figures = key_figures(dashboard)
    return dashboard


def weighted_lpr(result: Figures) -> Decimal | None:
    """The 1-year LPR of each month, weighted by the amount lent that month."""
    lent = [m for m in result.months if m.loans]
    if not lent or any(m.lpr is None for m in lent):
        return None
    total = sum((m.amount for m in lent), Decimal(0))
    if not total:
        return None
    weighted = sum((m.amount * m.lpr for m in lent), Decimal(0))  # type: ignore[operator]
    return (weighted / total).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _minus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a - b


def key_figures(d: Dashboard) -> list[KeyFigure]:
    s = d.figures.summary
    return [
        KeyFigure(_l("放款笔数"), s.loans, "int", _l("笔")),
        KeyFigure(_l("放款金额"), s.amount, "wan", _l("万元")),
        KeyFigure(_l("笔均放款"), s.average, "wan", _l("万元")),
        KeyFigure(_l("加权平均利率"), s.weighted_rate, "rate"),
        KeyFigure(_l("贴息后加权利率"), s.adjusted_rate, "rate"),
        KeyFigure(
            _l("较同期 LPR 利差"),
            _minus(s.weighted_rate, d.weighted_lpr),
            "rate",
            note=_l("贴息后：%(v)s", v=_fmt_rate(_minus(s.adjusted_rate, d.weighted_lpr))),
        ),
        KeyFigure(_l("不良率（最新月份）"), s.npl_ratio, "ratio"),
        KeyFigure(_l("普惠小微占比（笔数）"), s.inclusive_share_count, "ratio"),
        KeyFigure(_l("普惠小微占比（金额）"), s.inclusive_share_amount, "ratio"),
        KeyFigure(_l("审批通过率"), s.approval_rate, "ratio"),
        KeyFigure(_l("首次响应时长中位数"), s.median_response_hours, "hours", _l("小时")),
        KeyFigure(_l("当日获批率"), s.same_day_rate, "ratio"),
        KeyFigure(_l("响应超时（SLA）"), s.sla_breaches, "int", _l("条")),
        KeyFigure(
            _l("受理至放款天数中位数"), s.median_claim_to_disbursement_days, "days", _l("天")
        ),
    ]


def _fmt_rate(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP)}%"


# --- tables: one definition for the page and the exports -------------------------------------


@dataclass(frozen=True)
class Column:
    header: Any
    kind: str  # text, int, wan, rate (percent), ratio (fraction), hours, days, month, ...


@dataclass
class Table:
    key: str
    title: Any
    columns: list[Column]
    rows: list[list[Any]]


# The guarantee tables, one per cut of portal.supervision.guarantees: key, title, first column.
GUARANTEE_TABLES = {
    "guarantors": (_l("融资担保：按担保机构"), _l("担保机构"), "text"),
    "guaranteed_banks": (_l("融资担保：按银行"), _l("银行"), "text"),
    "guaranteed_regions": (_l("融资担保：按地区"), _l("地区"), "region"),
    "guaranteed_industries": (_l("融资担保：按行业"), _l("行业（国民经济行业大类）"), "industry"),
    "guaranteed_sizes": (_l("融资担保：按企业规模"), _l("企业规模"), "size"),
}
GUARANTEE_CUTS = dict(zip(GUARANTEE_TABLES, CUTS, strict=True))
TABLES = ("months", "banks", "regions", "industries", "alerts", *GUARANTEE_TABLES)
TABLE_FILE_NAMES = {
    "months": "dashboard-months",
    "banks": "dashboard-banks",
    "regions": "dashboard-regions",
    "industries": "dashboard-industries",
    "alerts": "dashboard-alerts",
    **{key: f"dashboard-{key.replace('_', '-')}" for key in GUARANTEE_TABLES},
}

MONTH_COLUMNS = [
    Column(_l("月份"), "month"),
    Column(_l("放款笔数"), "int"),
    Column(_l("放款金额（万元）"), "wan"),
    Column(_l("笔均（万元）"), "wan"),
    Column(_l("加权平均利率（%）"), "rate"),
    Column(_l("贴息后利率（%）"), "rate"),
    Column(_l("1年期LPR（%）"), "rate"),
    Column(_l("较LPR利差（%）"), "rate"),
    Column(_l("不良率（%）"), "ratio"),
]
BANK_COLUMNS = [
    Column(_l("排名"), "int"),
    Column(_l("银行"), "text"),
    Column(_l("放款笔数"), "int"),
    Column(_l("放款金额（万元）"), "wan"),
    Column(_l("审批通过率（%）"), "ratio"),
    Column(_l("首次响应中位时长（小时）"), "hours"),
    Column(_l("期末月不良率（%）"), "ratio"),
    Column(_l("响应超时（条）"), "int"),
]
ALERT_COLUMNS = [
    Column(_l("类型"), "text"),
    Column(_l("月份"), "month"),
    Column(_l("银行"), "text"),
    Column(_l("说明"), "text"),
]


def _guarantee_columns(first: Any, kind: str) -> list[Column]:
    return [
        Column(first, kind),
        Column(_l("担保笔数"), "int"),
        Column(_l("担保金额（万元）"), "wan"),
        Column(_l("期末在保余额（万元）"), "wan"),
        Column(_l("平均担保费率（%）"), "rate"),
        Column(_l("代偿金额（万元）"), "wan"),
        Column(_l("代偿率（%）"), "ratio"),
        Column(_l("代偿回收率（%）"), "ratio"),
    ]


def guarantee_row(group: GuaranteeGroup, first: Any) -> list[Any]:
    """One group of guaranteed loans as a row of the guarantee tables."""
    return [
        first,
        group.letters,
        group.amount,
        group.balance,
        group.average_fee_rate,
        group.compensated,
        group.compensation_rate,
        group.recovery_rate,
    ]


def _guarantee_table(d: Dashboard, key: str) -> Table:
    title, first, kind = GUARANTEE_TABLES[key]
    groups = d.guarantees.cuts[GUARANTEE_CUTS[key]] if d.guarantees is not None else []
    rows = [guarantee_row(g, g.label or g.key) for g in groups]
    return Table(key, title, _guarantee_columns(first, kind), rows)


def _group_columns(first: Any, kind: str) -> list[Column]:
    return [
        Column(first, kind),
        Column(_l("放款笔数"), "int"),
        Column(_l("放款金额（万元）"), "wan"),
        Column(_l("金额占比（%）"), "ratio"),
    ]


def _share(amount: Decimal, total: Decimal) -> Decimal | None:
    if not total:
        return None
    return (amount / total).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def table(d: Dashboard, key: str) -> Table:
    """One of the dashboard's tables, as shown on the page and exported."""
    builders = {
        "months": _months_table,
        "banks": _banks_table,
        "regions": _regions_table,
        "industries": _industries_table,
        "alerts": _alerts_table,
    }
    if key in GUARANTEE_TABLES:
        return _guarantee_table(d, key)
    if key not in builders:
        raise KeyError(key)
    return builders[key](d)


def _months_table(d: Dashboard) -> Table:
    rows = [
        [
            m.month,
            m.loans,
            m.amount,
            m.average,
            m.weighted_rate,
            m.adjusted_rate,
            m.lpr,
            m.spread,
            m.npl_ratio,
        ]
        for m in d.figures.months
    ]
    return Table("months", _l("分月放款、利率与不良率"), MONTH_COLUMNS, rows)


def _bank_row(b: BankFigures) -> list[Any]:
    return [
        b.rank or None,
        b.name,
        b.loans,
        b.amount,
        b.approval_rate,
        b.median_response_hours,
        b.npl_ratio,
        b.sla_breaches,
    ]


def _banks_table(d: Dashboard) -> Table:
    if d.comparison is None:
        rows = [_bank_row(b) for b in d.figures.banks]
        return Table("banks", _l("机构排名"), BANK_COLUMNS, rows)
    c = d.comparison
    median = c.medians
    median_row = [
        None,
        _("全体银行中位数（%(n)s 家）", n=c.banks_counted),
        median["loans"],
        median["amount"],
        median["approval_rate"],
        median["median_response_hours"],
        median["npl_ratio"],
        median["sla_breaches"],
    ]
    return Table("banks", _l("本行与全体银行中位数"), BANK_COLUMNS, [_bank_row(c.own), median_row])


def _groups_table(d: Dashboard, key: str, title: Any, first: Any, kind: str) -> Table:
    groups = d.figures.by_region if key == "regions" else d.figures.by_industry
    total = d.figures.summary.amount
    rows = [[g.key, g.loans, g.amount, _share(g.amount, total)] for g in groups]
    return Table(key, title, _group_columns(first, kind), rows)


def _regions_table(d: Dashboard) -> Table:
    return _groups_table(d, "regions", _l("按地区"), _l("地区"), "region")


def _industries_table(d: Dashboard) -> Table:
    return _groups_table(d, "industries", _l("按行业"), _l("行业（国民经济行业大类）"), "industry")


def _alerts_table(d: Dashboard) -> Table:
    rows = [[a.label, a.month, a.bank or _("全部（当前筛选）"), a.detail] for a in d.alerts]
    return Table("alerts", _l("预警"), ALERT_COLUMNS, rows)


# --- values for files and charts ---------------------------------------------------------------


def _region_name(code: str) -> str:
    return dict(FUJIAN_REGIONS).get(code, code)


def _industry_name(code: str) -> str:
    try:
        return industry_label(code)
    except (KeyError, ValueError):
        return code


def plain_value(value: Any, kind: str) -> Any:
    """A cell as the number or text an export carries: 万元, percent, hours to one place."""
    if value is None:
        return None
    if kind == "wan":
        return (Decimal(value) / TEN_THOUSAND).quantize(CENT, rounding=ROUND_HALF_UP)
    if kind == "rate":
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    if kind == "ratio":
        return (Decimal(value) * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
    if kind == "hours":
        return Decimal(value).quantize(TENTH, rounding=ROUND_HALF_UP)
    if kind == "month":
        return value.strftime("%Y-%m")
    if kind == "region":
        return _region_name(str(value))
    if kind == "industry":
        return _industry_name(str(value))
    if kind == "size":
        return str(SIZE_CLASS_LABELS.get(str(value), value))
    if kind in ("int", "days"):  # a median of counts may fall between two whole numbers
        number = Decimal(value)
        if number == number.to_integral_value():
            return int(number)
        return number.quantize(TENTH, rounding=ROUND_HALF_UP)
    return str(value)


def display_value(value: Any, kind: str) -> str:
    """A cell as the page shows it: the exported number, formatted (万元 with separators)."""
    plain = plain_value(value, kind)
    if plain is None:
        return "—"
    if kind == "wan":
        return to_wan(value)
    if kind in ("rate", "ratio"):
        return f"{plain}%"
    if kind == "int":
        return format_decimal(plain, format="#,##0.#")
    return str(plain)


def export_table(t: Table) -> ExportTable:
    """The table with its values as exported (the page shows the same, formatted)."""
    return ExportTable(
        title=str(t.title),
        headers=[str(c.header) for c in t.columns],
        rows=[
            [plain_value(v, c.kind) for v, c in zip(row, t.columns, strict=True)] for row in t.rows
        ],
    )


def filters_detail(filters: Filters) -> dict[str, str]:
    """The cut an export was made of, as text for its audit entry (`filter_start`, …)."""
    return {
        f"filter_{key}": f"{value:%Y-%m}" if isinstance(value, dt.date) else str(value)
        for key, value in asdict(filters).items()
        if value is not None
    }


def export_names(d: Dashboard, key: str) -> tuple[str, str]:
    """A Chinese file name and its ASCII fallback (both without extension)."""
    span = f"{d.filters.start:%Y-%m}_{d.filters.end:%Y-%m}"
    title = str(table(d, key).title)
    return f"监管看板-{title}-{span}", f"{TABLE_FILE_NAMES[key]}-{span}"


def _number(value: Any, kind: str) -> float | str:
    """A value for a chart: a float, or "-" (ECharts' blank) when there is none."""
    plain = plain_value(value, kind)
    return "-" if plain is None else float(plain)


def chart_data(d: Dashboard) -> dict[str, Any]:
    """The series of every chart, for static/js/dashboard.js (the tables hold the same numbers)."""
    months = d.figures.months
    categories = [f"{m.month:%Y-%m}" for m in months]
    threshold = float((d.threshold * HUNDRED).quantize(CENT))
    charts: dict[str, Any] = {
        "volume": {
            "categories": categories,
            "axes": [_("万元"), _("笔")],
            "series": [
                _series(_("放款金额（万元）"), "bar", [_number(m.amount, "wan") for m in months]),
                _series(_("放款笔数"), "line", [m.loans for m in months], axis=1),
            ],
        },
        "rates": {
            "categories": categories,
            "axes": ["%"],
            "series": [
                _series(
                    _("加权平均利率"), "line", [_number(m.weighted_rate, "rate") for m in months]
                ),
                _series(
                    _("贴息后利率"), "line", [_number(m.adjusted_rate, "rate") for m in months]
                ),
                _series(
                    _("1年期LPR"), "line", [_number(m.lpr, "rate") for m in months], dashed=True
                ),
            ],
        },
        "npl": {
            "categories": categories,
            "axes": ["%"],
            "series": [
                _series(_("不良率"), "bar", [_number(m.npl_ratio, "ratio") for m in months]),
                _series(_("预警阈值"), "line", [threshold for _m in months], dashed=True),
            ],
        },
    }
    charts["banks"] = _bank_chart(d)
    return charts


def _series(name: str, kind: str, data: list[Any], axis: int = 0, dashed: bool = False) -> dict:
    return {"name": name, "type": kind, "data": data, "axis": axis, "dashed": dashed}


def _bank_chart(d: Dashboard) -> dict[str, Any]:
    if d.comparison is not None:
        c = d.comparison
        return {
            "categories": [c.own.name, _("全体银行中位数")],
            "axes": [_("万元")],
            "horizontal": True,
            "series": [
                _series(
                    _("放款金额（万元）"),
                    "bar",
                    [_number(c.own.amount, "wan"), _number(c.medians["amount"], "wan")],
                )
            ],
        }
    banks = d.figures.banks[:15]  # the top of the ranking
    return {
        "categories": [b.name for b in banks],
        "axes": [_("万元")],
        "horizontal": True,
        "series": [
            _series(_("放款金额（万元）"), "bar", [_number(b.amount, "wan") for b in banks])
        ],
    }

"""The supervision dashboard: which cut of the figures each viewer gets, the bank median, alerts.

Figures come from `live.figures`; this module only decides the cut, compares a bank with the
anonymised median of all banks, lists the alerts (`alerts.find_alerts`, which the monthly PDF
lists too) and lays the numbers out as tables and charts.

Who sees what is decided by the authorization layer (`authz.scoping.figure_scope`);
`scoped_filters` applies it to every request:
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
from sqlalchemy import select

from portal.accounts.models import User
from portal.authz import scoped
from portal.authz.scoping import NoFigureScope, figure_scope
from portal.catalog.models import BankProduct
from portal.dates import SHANGHAI, shift_month
from portal.enums import SIZE_CLASS_LABELS, InstitutionKind
from portal.exports import ExportTable
from portal.extensions import db
from portal.figures import live, rollups
from portal.figures.alerts import Alert, find_alerts, report_check_month
from portal.figures.coverage import Coverage, coverage
from portal.figures.definitions import FIGURE_NAMES
from portal.figures.guarantees import CUTS, GuaranteeFigures, GuaranteeGroup
from portal.figures.guarantees import figures_as_of as guarantees_as_of
from portal.figures.live import (
    BankFigures,
    Figures,
    Filters,
)
from portal.figures.subsidies import PolicyFigures, SubsidyFigures
from portal.figures.subsidies import figures as subsidy_figures
from portal.firms.standards import industry_choices, industry_label, region_choices
from portal.institutions.models import FinancialInstitution
from portal.money import money, to_wan

# With fewer banks than this, a median would let a bank work out another bank's value.
MIN_BANKS_FOR_MEDIAN = 3
MAX_MONTHS = 60
HUNDRED = Decimal(100)
TEN_THOUSAND = Decimal(10000)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")


DashboardRefused = NoFigureScope  # the viewer has no cut of the figures: refused


def locked_region(viewer: User) -> str | None:
    """The region a government user is held to; None for a provincial agency or other roles."""
    return figure_scope(viewer).region_code


def may_choose_bank(viewer: User) -> bool:
    """Whether the viewer may cut the figures by bank (bank admins are held to their own)."""
    return figure_scope(viewer).may_choose_bank


def is_bank_view(viewer: User) -> bool:
    """Whether the viewer sees one bank against the anonymised median."""
    return figure_scope(viewer).bank_view


def scoped_filters(viewer: User, requested: Filters) -> Filters:
    """The filters actually used for this viewer, whatever was asked for (the cut the
    authorization layer holds them to, `authz.scoping.figure_scope`, overrides the request)."""
    scope = figure_scope(viewer)
    if scope.region_code:
        requested = replace(requested, region_code=scope.region_code)
    if scope.institution_id:
        requested = replace(requested, institution_id=scope.institution_id)
    return requested


def default_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last twelve whole months: from a year before last month to last month."""
    end = shift_month(today, -1)
    return shift_month(end, -11), end


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
        for code, name in region_choices(cities_only=True)
        if region is None or code == region
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
    return industry_choices(two_digit_only=True)


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


# --- the dashboard ---------------------------------------------------------------------------


def figure_name(key: str, unit: Any = None) -> Any:
    """A figure's name (`definitions.FIGURE_NAMES`), as a column header "name（unit）" when
    given a unit; lazy, so that it is read in the viewer's language."""
    if unit is None:
        return FIGURE_NAMES[key]
    return _l("%(name)s（%(unit)s）", name=FIGURE_NAMES[key], unit=unit)


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
    # When the rollups the figures come from were refreshed and rebuilt; None: never built.
    refreshed_at: dt.datetime | None = None
    rebuilt_at: dt.datetime | None = None
    # The figures were computed live: the rollups were never built, or these months waited for
    # the refresh longer than rollups.STALE_AFTER.
    live: bool = False
    stale_months: list[dt.date] = field(default_factory=list)
    # The reporting coverage of the month the NPL ratio is drawn from (None: no reports).
    npl_coverage: Coverage | None = None
    key_figures: list[KeyFigure] = field(default_factory=list)
    guarantees: GuaranteeFigures | None = None
    subsidies: SubsidyFigures | None = None

    @property
    def bank_view(self) -> bool:
        """A bank's own view: no other bank is named, only the median."""
        return self.comparison is not None


def build(viewer: User, requested: Filters, threshold: Decimal, today: dt.date) -> Dashboard:
    """Every figure, table and alert the viewer may see for the cut they asked for."""
    filters = scoped_filters(viewer, requested)
    stale, read_live = rollups.freshness(filters)
    result = live.figures(filters) if read_live else rollups.figures(filters)
    comparison = None
    if is_bank_view(viewer):
        comparison = compare_with_median(filters, viewer.institution_id)
    refreshed, rebuilt = rollups.refreshed_at(), rollups.rebuilt_at()
    dashboard = Dashboard(
        filters=filters,
        figures=result,
        threshold=threshold,
        alerts=find_alerts(result, threshold, today),
        comparison=comparison,
        region=locked_region(viewer),
        weighted_lpr=weighted_lpr(result),
        report_month=report_check_month(filters, today),
        refreshed_at=refreshed,
        rebuilt_at=rebuilt,
        live=read_live,
        stale_months=stale,
        npl_coverage=_npl_coverage(filters, result),
        guarantees=guarantees_as_of(filters, (refreshed, rebuilt)),
        subsidies=subsidy_figures(filters),
    )
    dashboard.key_figures = key_figures(dashboard)
    return dashboard


def _npl_coverage(filters: Filters, result: Figures) -> Coverage | None:
    month = next((m.month for m in reversed(result.months) if m.reported_balance), None)
    return None if month is None else coverage(filters, month)


def weighted_lpr(result: Figures) -> Decimal | None:
    """The period's LPR: each loan's 1-year LPR on its disbursement day, amount-weighted."""
    return result.summary.lpr


def _minus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a - b


def key_figures(d: Dashboard) -> list[KeyFigure]:
    s, name = d.figures.summary, figure_name
    return [
        KeyFigure(name("loans"), s.loans, "int", _l("笔")),
        KeyFigure(name("amount"), s.amount, "money"),  # the unit comes with the amount
        KeyFigure(name("average"), s.average, "money"),
        KeyFigure(name("weighted_rate"), s.weighted_rate, "rate"),
        KeyFigure(name("adjusted_rate"), s.adjusted_rate, "rate"),
        KeyFigure(
            name("lpr_spread"),
            _minus(s.weighted_rate, d.weighted_lpr),
            "rate",
            note=_l("贴息后：%(v)s", v=_fmt_rate(_minus(s.adjusted_rate, d.weighted_lpr))),
        ),
        KeyFigure(name("npl_ratio"), s.npl_ratio, "ratio", note=_npl_coverage_note(d)),
        KeyFigure(name("inclusive_share_count"), s.inclusive_share_count, "ratio"),
        KeyFigure(name("inclusive_share_amount"), s.inclusive_share_amount, "ratio"),
        KeyFigure(name("approval_rate"), s.approval_rate, "ratio"),
        KeyFigure(name("median_response_hours"), s.median_response_hours, "hours", _l("小时")),
        KeyFigure(name("same_day_rate"), s.same_day_rate, "ratio"),
        KeyFigure(name("sla_breaches"), s.sla_breaches, "int", _l("条")),
        KeyFigure(name("median_claim_days"), s.median_claim_to_disbursement_days, "days", _l("天")),
    ]


def _npl_coverage_note(d: Dashboard) -> Any:
    """The month the NPL ratio is drawn from and the share of its due loans reported."""
    if d.npl_coverage is None:
        return ""
    return _l(
        "%(month)s 报送覆盖率 %(share)s",
        month=d.npl_coverage.period.strftime("%Y-%m"),
        share=_fmt_share(d.npl_coverage.share),
    )


def _fmt_share(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{(value * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)}%"


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


# The guarantee tables, one per cut of portal.figures.guarantees: key, title, first column.
GUARANTEE_TABLES = {
    "guarantors": (_l("融资担保：按担保机构"), _l("担保机构"), "text"),
    "guaranteed_banks": (_l("融资担保：按银行"), _l("银行"), "text"),
    "guaranteed_regions": (_l("融资担保：按地区"), _l("地区"), "region"),
    "guaranteed_industries": (_l("融资担保：按行业"), _l("行业（国民经济行业大类）"), "industry"),
    "guaranteed_sizes": (_l("融资担保：按企业规模"), _l("企业规模"), "size"),
}
GUARANTEE_CUTS = dict(zip(GUARANTEE_TABLES, CUTS, strict=True))
TABLES = (
    "months",
    "banks",
    "regions",
    "industries",
    "sizes",
    "products",
    "alerts",
    *GUARANTEE_TABLES,
    "subsidies",
)
TABLE_FILE_NAMES = {
    "months": "dashboard-months",
    "banks": "dashboard-banks",
    "regions": "dashboard-regions",
    "industries": "dashboard-industries",
    "sizes": "dashboard-sizes",
    "products": "dashboard-products",
    "alerts": "dashboard-alerts",
    **{key: f"dashboard-{key.replace('_', '-')}" for key in GUARANTEE_TABLES},
    "subsidies": "dashboard-subsidies",
}

MONTH_COLUMNS = [
    Column(_l("月份"), "month"),
    Column(figure_name("loans"), "int"),
    Column(figure_name("amount", _l("万元")), "wan"),
    Column(figure_name("average", _l("万元")), "wan"),
    Column(figure_name("weighted_rate", "%"), "rate"),
    Column(figure_name("adjusted_rate", "%"), "rate"),
    Column(figure_name("lpr", "%"), "rate"),
    Column(figure_name("lpr_spread", "%"), "rate"),
    Column(figure_name("npl_ratio", "%"), "ratio"),
]
BANK_COLUMNS = [
    Column(figure_name("rank"), "int"),
    Column(_l("银行"), "text"),
    Column(figure_name("loans"), "int"),
    Column(figure_name("amount", _l("万元")), "wan"),
    Column(figure_name("approval_rate", "%"), "ratio"),
    Column(figure_name("median_response_hours", _l("小时")), "hours"),
    Column(figure_name("npl_ratio", "%"), "ratio"),
    Column(figure_name("sla_breaches", _l("条")), "int"),
]
SUBSIDY_COLUMNS = [
    Column(_l("政策"), "text"),
    Column(_l("新增贴息贷款（笔）"), "int"),
    Column(_l("贷款金额（万元）"), "wan"),
    Column(_l("预计贴息（万元）"), "wan"),
    Column(_l("已结算贴息（万元）"), "wan"),
    Column(_l("其中已拨付（万元）"), "wan"),
    Column(_l("待审核（万元）"), "wan"),
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
        Column(figure_name("loans"), "int"),
        Column(figure_name("amount", _l("万元")), "wan"),
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
        "sizes": _sizes_table,
        "products": _products_table,
        "alerts": _alerts_table,
        "subsidies": _subsidies_table,
    }
    if key in GUARANTEE_TABLES:
        return _guarantee_table(d, key)
    if key not in builders:
        raise KeyError(key)
    return builders[key](d)


def _subsidies_table(d: Dashboard) -> Table:
    policies = d.subsidies.policies if d.subsidies is not None else []
    rows = [_subsidy_row(p.name, p) for p in policies]
    if len(policies) > 1:
        rows.append(_subsidy_row(_("合计"), d.subsidies.total))
    return Table("subsidies", _l("政策贴息：按政策"), SUBSIDY_COLUMNS, rows)


def _subsidy_row(name: str, p: PolicyFigures) -> list[Any]:
    return [name, p.loans, p.principal, p.expected, p.settled, p.paid, p.pending]


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
    groups = {
        "regions": d.figures.by_region,
        "industries": d.figures.by_industry,
        "sizes": d.figures.by_size,
        "products": d.figures.by_product,
    }[key]
    total = d.figures.summary.amount
    rows = [[g.key, g.loans, g.amount, _share(g.amount, total)] for g in groups]
    return Table(key, title, _group_columns(first, kind), rows)


def _regions_table(d: Dashboard) -> Table:
    return _groups_table(d, "regions", _l("按地区"), _l("地区"), "region")


def _industries_table(d: Dashboard) -> Table:
    return _groups_table(d, "industries", _l("按行业"), _l("行业（国民经济行业大类）"), "industry")


def _sizes_table(d: Dashboard) -> Table:
    return _groups_table(d, "sizes", _l("按企业规模"), _l("企业规模"), "size")


def _products_table(d: Dashboard) -> Table:
    table = _groups_table(d, "products", _l("按产品"), _l("产品"), "text")
    names = _product_names([int(row[0]) for row in table.rows if row[0]])
    for row in table.rows:
        row[0] = names.get(int(row[0]), row[0]) if row[0] else _("未关联产品")
    return table


def _product_names(ids: list[int]) -> dict[int, str]:
    """Each product as '银行 · 产品', the way the product filter lists them."""
    rows = db.reporting.execute(
        select(BankProduct.id, BankProduct.name, FinancialInstitution.short_name)
        .join(FinancialInstitution, FinancialInstitution.id == BankProduct.institution_id)
        .where(BankProduct.id.in_(ids))
    )
    return {product_id: f"{bank} · {name}" for product_id, name, bank in rows}


def _alerts_table(d: Dashboard) -> Table:
    rows = [[a.label, a.month, a.bank or _("全部（当前筛选）"), a.detail] for a in d.alerts]
    return Table("alerts", _l("预警"), ALERT_COLUMNS, rows)


# --- values for files and charts ---------------------------------------------------------------


def _region_name(code: str) -> str:
    return dict(region_choices()).get(code, code)


def _industry_name(code: str) -> str:
    try:
        return industry_label(code)
    except (KeyError, ValueError):
        return code


def plain_value(value: Any, kind: str) -> Any:
    """A cell as the number or text an export carries: 万元, percent, hours to one place."""
    if value is None:
        return None
    if kind in ("wan", "money"):
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
    if kind == "money":
        return money(value)
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


def export_notes(d: Dashboard) -> list[tuple[str, str]]:
    """What an export was made of: its filters by name, and how fresh its data was."""
    f = d.filters
    everything = _("全部")
    notes = [
        (_("统计期间"), _("%(start)s 至 %(end)s", start=f"{f.start:%Y-%m}", end=f"{f.end:%Y-%m}")),
        (_("地区"), _region_name(f.region_code) if f.region_code else everything),
        (_("行业"), _industry_name(f.industry_division) if f.industry_division else everything),
        (_("企业规模"), str(SIZE_CLASS_LABELS.get(f.size_class, f.size_class or everything))),
        (_("机构"), _bank_name(f.institution_id) if f.institution_id else everything),
        (_("产品"), _product_name(f.product_id) if f.product_id else everything),
    ]
    if d.live or d.refreshed_at is None:
        notes.append((_("数据"), _("实时计算")))
    else:
        at = d.refreshed_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        notes.append((_("数据截至"), at))
    notes.append((_("金额单位"), _("万元")))
    return notes


def _product_name(product_id: int) -> str:
    return db.reporting.scalar(select(BankProduct.name).where(BankProduct.id == product_id)) or str(
        product_id
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
                _series(
                    _chart_name("amount", _("万元")),
                    "bar",
                    [_number(m.amount, "wan") for m in months],
                ),
                _series(_chart_name("loans"), "line", [m.loans for m in months], axis=1),
            ],
        },
        "rates": {
            "categories": categories,
            "axes": ["%"],
            "series": [
                _series(
                    _chart_name("weighted_rate"),
                    "line",
                    [_number(m.weighted_rate, "rate") for m in months],
                ),
                _series(
                    _chart_name("adjusted_rate"),
                    "line",
                    [_number(m.adjusted_rate, "rate") for m in months],
                ),
                _series(
                    _chart_name("lpr"),
                    "line",
                    [_number(m.lpr, "rate") for m in months],
                    dashed=True,
                ),
            ],
        },
        "npl": {
            "categories": categories,
            "axes": ["%"],
            "series": [
                _series(
                    _chart_name("npl_ratio"), "bar", [_number(m.npl_ratio, "ratio") for m in months]
                ),
                _series(_("预警阈值"), "line", [threshold for _m in months], dashed=True),
            ],
        },
    }
    charts["banks"] = _bank_chart(d)
    return charts


def _chart_name(key: str, unit: Any = None) -> str:
    """A series' name: the figure's, as text for the chart's JSON."""
    return str(figure_name(key, unit))


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
                    _chart_name("amount", _("万元")),
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
            _series(
                _chart_name("amount", _("万元")), "bar", [_number(b.amount, "wan") for b in banks]
            )
        ],
    }

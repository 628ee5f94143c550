"""The supervision alerts: what a supervisor should look at for one cut of the figures.

One home for the rule, so the dashboard and the monthly PDF list the same alerts for the same
cut: a month's or a bank's NPL ratio above the threshold, leads past the response time limit,
loan status reports whose five-tier class contradicts the overdue days, and missing reports.

An alert holds what was found (numbers, not sentences); `Alert.detail` says it in the reader's
language when it is shown, and the PDF words it in its own Chinese.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from portal.dates import shift_month
from portal.extensions import db
from portal.figures import rollups
from portal.figures.coverage import coverage
from portal.figures.live import Figures, Filters, reports_in
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Loan
from portal.reporting.models import LoanStatusReport

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
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Alert:
    """One thing to look at. `month` and `bank` say where; the other fields what was found."""

    kind: str
    month: dt.date | None
    bank: str | None  # None: the whole cut (a month's NPL ratio)
    institution_id: int | None = None
    ratio: Decimal | None = None  # NPL kinds: the NPL ratio found
    threshold: Decimal | None = None  # NPL kinds: the threshold it is above
    count: int = 0  # SLA: leads past the limit; CONTRADICTION: contradicting reports
    due: int = 0  # MISSING: loans due a report for the month
    reported: int = 0  # MISSING: reports received for them

    @property
    def label(self) -> str:
        return str(ALERT_LABELS[self.kind])

    @property
    def badge(self) -> str:
        return ALERT_BADGES[self.kind]

    @property
    def missing(self) -> int:
        return self.due - self.reported

    @property
    def detail(self) -> str:
        """What was found, in one sentence of the reader's language."""
        if self.kind in (NPL_MONTH, NPL_BANK):
            return _(
                "不良率 %(ratio)s，高于预警阈值 %(limit)s",
                ratio=_pct(self.ratio),
                limit=_pct(self.threshold),
            )
        if self.kind == SLA:
            return _("期内 %(n)s 条线索超过响应时限", n=self.count)
        if self.kind == CONTRADICTION:
            return _("期内 %(n)s 份月报的五级分类与逾期天数不符", n=self.count)
        return _(
            "应报 %(due)s 笔，已报 %(done)s 笔，缺 %(missing)s 笔",
            due=self.due,
            done=self.reported,
            missing=self.missing,
        )


def _pct(ratio: Decimal | None) -> str:
    if ratio is None:
        return "—"
    return f"{(ratio * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)}%"


def above_threshold(ratio: Decimal | None, threshold: Decimal) -> bool:
    """Whether an NPL ratio is flagged: above the threshold (no ratio, no reports: never)."""
    return ratio is not None and ratio > threshold


def find_alerts(result: Figures, threshold: Decimal, today: dt.date) -> list[Alert]:
    """Everything the supervisor should look at for this cut, most serious first."""
    filters = result.filters
    found = [
        Alert(NPL_MONTH, m.month, None, ratio=m.npl_ratio, threshold=threshold)
        for m in result.months
        if above_threshold(m.npl_ratio, threshold)
    ]
    found += [
        Alert(NPL_BANK, filters.end, b.name, b.institution_id, b.npl_ratio, threshold=threshold)
        for b in result.banks
        if above_threshold(b.npl_ratio, threshold)
    ]
    found += [
        Alert(SLA, None, b.name, b.institution_id, count=b.sla_breaches)
        for b in result.banks
        if b.sla_breaches
    ]
    found += contradiction_alerts(filters)
    found += missing_report_alerts(filters, today)
    return found


def contradiction_alerts(filters: Filters) -> list[Alert]:
    """Per bank: reports in the period whose five-tier class contradicts the overdue days."""
    if rollups.rebuilt_at() is not None:
        rows = rollups.contradictions(filters)
    else:
        rows = _live_contradictions(filters)
    return [Alert(CONTRADICTION, None, name, bank_id, count=count) for bank_id, name, count in rows]


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
    return min(filters.end, shift_month(today, -1))


def missing_reports(filters: Filters, month: dt.date) -> list[tuple[int, str, int, int]]:
    """Banks with fewer reports for `month` than loans due one: (id, name, due, reported).

    Due as the banks' own reporting pages say (`reporting.due_conditions`), through the one
    coverage count the reports and the dashboard print.
    """
    return [(b.institution_id, b.name, b.due, b.reported) for b in coverage(filters, month).short]


def missing_report_alerts(filters: Filters, today: dt.date) -> list[Alert]:
    """Per bank: loans due a report for the checked month that have none."""
    month = report_check_month(filters, today)
    return [
        Alert(MISSING, month, name, bank_id, due=due, reported=done)
        for bank_id, name, due, done in missing_reports(filters, month)
    ]

"""Monthly supervision reports: one PDF per (month, scope), archived, and the job that makes them.

A scope is "province", "region:<prefecture code>" or "bank:<institution id>". Every figure comes
from `metrics` (the same numbers as the dashboard); this module only chooses the cuts, renders
and archives. Figures are read through `db.reporting` (the read replica when one is configured);
the archived PDF is written to the primary. The scheduler calls `generate_due_reports` hourly:
on any day it makes the previous month's reports that do not exist yet, so running it again
changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import User
from portal.audit import service as audit
from portal.db import utcnow
from portal.enums import OnboardingStatus, Role
from portal.extensions import db
from portal.firms import standards
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Loan
from portal.notifications import service as notifications
from portal.supervision import metrics
from portal.supervision.guarantees import figures as guarantee_figures
from portal.supervision.metrics import Filters, next_month
from portal.supervision.models import LoanStatusReport, MonthlyReport
from portal.supervision.pdf import REPORT_TITLE, period_label, render_report

log = logging.getLogger(__name__)

PROVINCE = "province"
PROVINCE_LABEL = "全省"
PREFECTURES: tuple[str, ...] = tuple(
    code for code, _ in standards.FUJIAN_REGIONS if code != standards.FUJIAN_REGIONS[0][0]
)
TREND_MONTHS = 12
# The earliest month a report may be made for: the platform holds nothing older, and a report
# compares with the year before, which must still be on the calendar (year 1 has none).
EARLIEST_MONTH = dt.date(2000, 1, 1)
_SCOPE = re.compile(r"^(?:(province)|region:(\d{6})|bank:([1-9]\d{0,9}))$")


class UnknownScope(ValueError):
    """A scope string that names no province, prefecture or bank."""


@dataclass(frozen=True)
class Scope:
    """A parsed report scope and the metrics filter it stands for."""

    key: str
    region_code: str | None = None
    institution_id: int | None = None

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0]


def parse_scope(key: str) -> Scope:
    """'province', 'region:350100' (one of the nine prefectures) or 'bank:12'."""
    match = _SCOPE.match(key or "")
    if match is None:
        raise UnknownScope(f"报告范围“{key}”无效")
    _province, region, bank = match.groups()
    if region is not None:
        if region not in PREFECTURES:
            raise UnknownScope(f"“{region}”不是福建省的设区市代码")
        return Scope(key, region_code=region)
    if bank is not None:
        return Scope(key, institution_id=int(bank))
    return Scope(PROVINCE)


def scope_label(key: str, bank_names: dict[int, str] | None = None) -> str:
    """全省, 福州市, or the bank's short name (looked up when not given)."""
    scope = parse_scope(key)
    if scope.region_code:
        return standards.region_label(scope.region_code)
    if scope.institution_id is not None:
        if bank_names is not None and scope.institution_id in bank_names:
            return bank_names[scope.institution_id]
        name = db.reporting.scalar(
            select(FinancialInstitution.short_name).where(
                FinancialInstitution.id == scope.institution_id
            )
        )
        return name or f"机构{scope.institution_id}"
    return PROVINCE_LABEL


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, months: int) -> dt.date:
    """The first day of the month `months` away (negative goes back)."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def last_finished_month(today: dt.date) -> dt.date:
    """The month before today's: the newest month a report may be made for."""
    return add_months(first_of_month(today), -1)


def scopes_for(period: dt.date) -> list[str]:
    """The province, the nine prefectures, and every approved bank with loans by that month."""
    banks = db.reporting.scalars(
        select(Loan.institution_id)
        .join(FinancialInstitution, FinancialInstitution.id == Loan.institution_id)
        .where(
            FinancialInstitution.onboarding_status == OnboardingStatus.APPROVED,
            Loan.disbursed_on < next_month(first_of_month(period)),
        )
        .distinct()
        .order_by(Loan.institution_id)
    ).all()
    return [PROVINCE, *(f"region:{code}" for code in PREFECTURES), *(f"bank:{i}" for i in banks)]


def _filters(start: dt.date, end: dt.date, scope: Scope) -> Filters:
    return Filters(start, end, region_code=scope.region_code, institution_id=scope.institution_id)


def contradicting_reports(filters: Filters) -> int:
    """Loan status reports in the cut whose five-tier class contradicts the overdue days."""
    return (
        db.reporting.scalar(
            metrics.reports_in(filters)
            .with_only_columns(func.count(LoanStatusReport.id))
            .where(LoanStatusReport.contradicts_overdue_rules.is_(True))
        )
        or 0
    )


def render(period: dt.date, key: str, now: dt.datetime | None = None) -> bytes:
    """The PDF of one month and scope, from the metrics of that month and its comparisons."""
    scope, month = parse_scope(key), first_of_month(period)
    previous, year_ago = add_months(month, -1), add_months(month, -12)
    current = metrics.figures(_filters(month, month, scope))
    return render_report(
        current,
        metrics.figures(_filters(previous, previous, scope)),
        metrics.figures(_filters(year_ago, year_ago, scope)),
        REPORT_TITLE,
        scope_label(key),
        month,
        trend=metrics.month_figures(_filters(add_months(month, 1 - TREND_MONTHS), month, scope)),
        contradicting_reports=contradicting_reports(current.filters),
        generated_at=now,
        guarantees=guarantee_figures(current.filters),
    )


def generate(
    period: dt.date, scope: str, *, actor: User | None = None, now: dt.datetime | None = None
) -> MonthlyReport:
    """Render and archive the report; a second run for the same month and scope replaces it."""
    key, month = parse_scope(scope).key, first_of_month(period)
    now = now or utcnow()
    pdf = render(month, key, now)
    report, replaced = _store(month, key, pdf, now)
    audit.record(
        "monthly_report.regenerate" if replaced else "monthly_report.generate",
        actor=actor,
        obj=report,
        period=month.isoformat(),
        scope=key,
        sha256=report.sha256,
        size=len(pdf),
    )
    db.session.commit()
    return report


def _store(month: dt.date, key: str, pdf: bytes, now: dt.datetime) -> tuple[MonthlyReport, bool]:
    """Insert the row, or replace the PDF of the existing one (one row per month and scope)."""
    digest = hashlib.sha256(pdf).hexdigest()
    report = _existing(month, key)
    if report is None:
        report = MonthlyReport(period=month, scope=key, pdf=pdf, sha256=digest, generated_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(report)
            return report, False
        except IntegrityError:
            # Another process archived the same month and scope a moment ago: replace theirs.
            report = _existing(month, key)
            if report is None:
                raise
    report.pdf, report.sha256, report.generated_at = pdf, digest, now
    return report, True


def _existing(month: dt.date, key: str) -> MonthlyReport | None:
    return db.session.scalar(
        select(MonthlyReport).where(MonthlyReport.period == month, MonthlyReport.scope == key)
    )


def generate_due_reports(today: dt.date) -> int:
    """Make last month's reports that do not exist yet; how many were made this time."""
    month = last_finished_month(today)
    done = set(db.session.scalars(select(MonthlyReport.scope).where(MonthlyReport.period == month)))
    made = 0
    for key in scopes_for(month):
        if key in done:
            continue
        generate(month, key)
        made += 1
        done.add(key)
    if PROVINCE in done:
        # Checked on every run, not only the run that made the report: a run stopped (killed,
        # redeployed) after archiving the province report must not leave the regulators untold.
        # The dedupe key makes it once a month.
        _tell_regulators(month)
        db.session.commit()
    if made:
        log.info("monthly reports for %s: %s made", month.isoformat(), made)
    return made


def _tell_regulators(month: dt.date) -> None:
    regulators = db.session.scalars(
        select(User.id).where(User.role == Role.REGULATOR, User.is_active.is_(True))
    ).all()
    notifications.notify(
        regulators,
        "monthly_report",
        f"{period_label(month)}月度运行监测报告已生成",
        "全省及各设区市、各机构的报告已归档，可在“月度报告”下载。",
        link=notifications.path_for("monthly_reports.index"),
        dedupe_key=f"monthly-report-{month:%Y-%m}",
    )


def download_names(report: MonthlyReport, label: str) -> tuple[str, str]:
    """(ASCII fallback, Chinese name) of the downloaded file."""
    suffix = "" if report.scope == PROVINCE else "-" + report.scope.replace(":", "-")
    ascii_name = f"monthly-report-{report.period:%Y-%m}{suffix}.pdf"
    safe_label = re.sub(r'[\\/:*?"<>|\s]+', "_", label).strip("_") or "报告"
    return ascii_name, f"产融通月度报告_{period_label(report.period)}_{safe_label}.pdf"


def content_disposition(report: MonthlyReport, label: str) -> str:
    """attachment with an ASCII filename and the Chinese one as RFC 5987 filename*."""
    ascii_name, chinese = download_names(report, label)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(chinese, safe='')}"

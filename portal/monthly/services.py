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
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from portal import settings
from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.dates import day_in_china, month_start, next_month, shift_month
from portal.db import utcnow
from portal.enums import OnboardingStatus, ReportEdition, Role
from portal.extensions import db
from portal.figures import live
from portal.figures.alerts import Alert, find_alerts
from portal.figures.coverage import Coverage, coverage
from portal.figures.guarantees import GuaranteeFigures
from portal.figures.guarantees import figures as guarantee_figures
from portal.figures.live import Figures, Filters, MonthFigures
from portal.figures.models import MonthMark
from portal.firms import standards
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Loan
from portal.monthly.models import MonthlyReport
from portal.monthly.pdf import (
    COVERAGE_KEY,
    COVERAGE_LABEL,
    ENGLISH,
    KEY_FIGURES,
    REPORT_TITLE,
    SOURCE_LOCALE,
    Edition,
    period_label,
    render_report,
    share,
)
from portal.notifications import service as notifications
from portal.reporting.services import latest_past_due, past_due, reports_due_on

log = logging.getLogger(__name__)

PROVINCE = "province"
PROVINCE_LABEL = _l("全省")
PREFECTURES: tuple[str, ...] = tuple(
    code for code, _ in standards.FUJIAN_REGIONS if code != standards.FUJIAN_REGIONS[0][0]
)
TREND_MONTHS = 12
# The earliest month a report may be made for: the platform holds nothing older, and a report
# compares with the year before, which must still be on the calendar (year 1 has none).
EARLIEST_MONTH = dt.date(2000, 1, 1)
# A revision check looks again at changes marked this long before its last check: a change
# committed while a check ran is then seen by the next.
REVISION_MARGIN = dt.timedelta(minutes=10)
_SCOPE = re.compile(r"^(?:(province)|region:(\d{6})|bank:([1-9]\d{0,9}))$")


class UnknownScope(ValueError):
    """A scope string that names no province, prefecture or bank."""


class EditionTaken(RuntimeError):
    """Another process archived the same edition number of the month and scope a moment ago."""


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
    """全省, 福州市 (in the reader's language), or the bank's short name (looked up when not
    given)."""
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
        return name or _("机构%(id)s", id=scope.institution_id)
    return str(PROVINCE_LABEL)


def last_finished_month(today: dt.date) -> dt.date:
    """The month before today's: the newest month a report may be made for."""
    return shift_month(month_start(today), -1)


def scopes_for(period: dt.date) -> list[str]:
    """The province, the nine prefectures, and every approved bank with loans by that month."""
    banks = db.reporting.scalars(
        select(Loan.institution_id)
        .join(FinancialInstitution, FinancialInstitution.id == Loan.institution_id)
        .where(
            FinancialInstitution.onboarding_status == OnboardingStatus.APPROVED,
            Loan.disbursed_on < next_month(month_start(period)),
        )
        .distinct()
        .order_by(Loan.institution_id)
    ).all()
    return [PROVINCE, *(f"region:{code}" for code in PREFECTURES), *(f"bank:{i}" for i in banks)]


def _filters(start: dt.date, end: dt.date, scope: Scope) -> Filters:
    return Filters(start, end, region_code=scope.region_code, institution_id=scope.institution_id)


@dataclass(frozen=True)
class ReportFigures:
    """Everything a month's report prints, computed once and rendered in either language."""

    current: Figures
    previous: Figures
    year_ago: Figures
    trend: list[MonthFigures]
    alerts: list[Alert]
    threshold: Decimal
    guarantees: GuaranteeFigures


def report_figures(period: dt.date, key: str, current: Figures | None = None) -> ReportFigures:
    """The figures of one month and scope, its comparisons, trend and alerts.

    `current` is the month's figures when the caller has them already.
    """
    scope, month = parse_scope(key), month_start(period)
    previous, year_ago = shift_month(month, -1), shift_month(month, -12)
    current = current or live.figures(_filters(month, month, scope))
    threshold = settings.npl_alert_threshold()
    return ReportFigures(
        current=current,
        previous=live.figures(_filters(previous, previous, scope)),
        year_ago=live.figures(_filters(year_ago, year_ago, scope)),
        trend=live.month_figures(_filters(shift_month(month, 1 - TREND_MONTHS), month, scope)),
        # Seen from the day after the month, as the dashboard sees this cut once the month is
        # over: the missing reports checked are the month's own, whenever it is (re)made.
        alerts=find_alerts(current, threshold, next_month(month)),
        threshold=threshold,
        guarantees=guarantee_figures(current.filters),
    )


def render_figures(
    figures: ReportFigures,
    period: dt.date,
    key: str,
    now: dt.datetime | None = None,
    edition: Edition | None = None,
) -> bytes:
    """The PDF of figures already computed, in the locale it is called under."""
    return render_report(
        figures.current,
        figures.previous,
        figures.year_ago,
        str(REPORT_TITLE),
        scope_label(key),
        month_start(period),
        trend=figures.trend,
        alerts=figures.alerts,
        npl_threshold=figures.threshold,
        generated_at=now,
        guarantees=figures.guarantees,
        edition=edition,
    )


def render(
    period: dt.date,
    key: str,
    now: dt.datetime | None = None,
    *,
    current: Figures | None = None,
    edition: Edition | None = None,
) -> bytes:
    """The PDF of one month and scope in the locale it is called under, from the metrics of
    that month and its comparisons; `edition` says which edition this is, with the reporting
    coverage every page carries."""
    return render_figures(report_figures(period, key, current), period, key, now, edition)


def render_editions(
    period: dt.date, key: str, now: dt.datetime, current: Figures, edition: Edition
) -> tuple[bytes, bytes]:
    """(Chinese, English) PDFs of one edition, from one computation of its figures."""
    figures = report_figures(period, key, current)
    with force_locale(SOURCE_LOCALE):
        chinese = render_figures(figures, period, key, now, edition)
    with force_locale(ENGLISH):
        english = render_figures(figures, period, key, now, edition)
    return chinese, english


def generate(
    period: dt.date,
    scope: str,
    *,
    actor: User | None = None,
    now: dt.datetime | None = None,
    action: str | None = None,
) -> MonthlyReport:
    """Render and archive a new edition of the month's report for the scope.

    Before the month's reporting deadline the edition is provisional, after it final; earlier
    editions are kept, and the new one lists the key figures that changed since the last.
    """
    key, month = parse_scope(scope).key, month_start(period)
    now = now or utcnow()
    previous = latest_edition(month, key)
    current = live.figures(_filters(month, month, parse_scope(key)))
    cover = coverage(current.filters, month)
    printed = printed_figures(current, cover)
    edition = Edition(
        kind=ReportEdition.FINAL
        if past_due(month, day_in_china(now))
        else ReportEdition.PROVISIONAL,
        version=previous.version + 1 if previous else 1,
        coverage=cover,
        deadline=reports_due_on(month),
        changes=figure_changes(previous.figures, printed) if previous else [],
    )
    pdf, pdf_en = render_editions(month, key, now, current, edition)
    report = MonthlyReport(
        period=month,
        scope=key,
        version=edition.version,
        edition=edition.kind,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        pdf_en=pdf_en,
        sha256_en=hashlib.sha256(pdf_en).hexdigest(),
        generated_at=now,
        checked_at=now,
        figures=printed,
        coverage=cover.as_json(),
        changes=edition.changes,
    )
    try:
        with db.session.begin_nested():
            db.session.add(report)
    except IntegrityError:
        db.session.rollback()
        raise EditionTaken(f"{key} {month:%Y-%m} v{edition.version}") from None
    audit.record(
        action
        or (
            AuditAction.MONTHLY_REPORT_REGENERATE
            if previous
            else AuditAction.MONTHLY_REPORT_GENERATE
        ),
        actor=actor,
        obj=report,
        period=month.isoformat(),
        scope=key,
        version=report.version,
        edition=str(report.edition),
        sha256=report.sha256,
        size=len(pdf),
        sha256_en=report.sha256_en,
        size_en=len(pdf_en),
        coverage=format(cover.share, "f") if cover.share is not None else None,
    )
    db.session.commit()
    return report


def printed_figures(current: Figures, cover: Coverage) -> dict[str, str]:
    """The month's key figures as the PDF prints them, and the coverage behind the NPL ratio."""
    printed = {figure.key: figure.show(figure.read(current)) for figure in KEY_FIGURES}
    printed[COVERAGE_KEY] = share(cover.share)
    return printed


def figure_changes(before: dict[str, str], after: dict[str, str]) -> list[dict[str, str]]:
    """The key figures whose printed value differs, in the order the report prints them.

    Stored with the edition under their Chinese names (whoever makes it); a page or an English
    report names them by key in its own language (`pdf.change_label`).
    """
    with force_locale(SOURCE_LOCALE):
        labels = {figure.key: figure.label for figure in KEY_FIGURES}
        labels[COVERAGE_KEY] = str(COVERAGE_LABEL)
    return [
        {"key": key, "figure": labels[key], "before": before.get(key, "—"), "after": value}
        for key, value in after.items()
        if before.get(key) != value
    ]


def latest_edition(month: dt.date, key: str) -> MonthlyReport | None:
    return db.session.scalar(
        select(MonthlyReport)
        .where(MonthlyReport.period == month, MonthlyReport.scope == key)
        .order_by(MonthlyReport.version.desc())
        .limit(1)
    )


def generate_due_reports(today: dt.date, now: dt.datetime | None = None) -> int:
    """Make the final reports of the newest month past its reporting deadline, and revise any
    final report whose month changed since; how many editions were made this time."""
    made = _make_final_reports(latest_past_due(today))
    made += revise_changed_reports(now or utcnow())
    return made


def _make_final_reports(month: dt.date) -> int:
    done = set(
        db.session.scalars(
            select(MonthlyReport.scope).where(
                MonthlyReport.period == month, MonthlyReport.edition == ReportEdition.FINAL
            )
        )
    )
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


def revise_changed_reports(now: dt.datetime) -> int:
    """A new edition of every final report whose key figures changed since it was checked.

    Months are looked at only when a loan, lead or status report of theirs changed after the
    report's last check (less a margin, so that a change committed during a check is seen by
    the next). A report whose figures are unchanged is only stamped as checked, so running
    this again makes nothing.
    """
    made = 0
    for report in _reports_to_check():
        scope = parse_scope(report.scope)
        current = live.figures(_filters(report.period, report.period, scope))
        printed = printed_figures(current, coverage(current.filters, report.period))
        if printed == report.figures:
            report.checked_at = now
            db.session.commit()
            continue
        revised = generate(
            report.period, report.scope, now=now, action=AuditAction.MONTHLY_REPORT_REVISE
        )
        _tell_of_revision(revised)
        made += 1
    return made


def newest_editions(*conditions: Any) -> Select[Any]:
    """The newest edition of each month and scope (the PDFs left unloaded), among the reports
    that meet `conditions`."""
    newest = (
        select(
            MonthlyReport.period,
            MonthlyReport.scope,
            func.max(MonthlyReport.version).label("version"),
        )
        .where(*conditions)
        .group_by(MonthlyReport.period, MonthlyReport.scope)
        .subquery()
    )
    return (
        select(MonthlyReport)
        .options(defer(MonthlyReport.pdf), defer(MonthlyReport.pdf_en))
        .join(
            newest,
            (newest.c.period == MonthlyReport.period)
            & (newest.c.scope == MonthlyReport.scope)
            & (newest.c.version == MonthlyReport.version),
        )
    )


def _reports_to_check() -> list[MonthlyReport]:
    """The newest final edition of each month and scope with a month mark after its check."""
    last_marked = dict(
        db.session.execute(
            select(MonthMark.period, func.max(MonthMark.marked_at)).group_by(MonthMark.period)
        ).all()
    )
    if not last_marked:
        return []
    editions = db.session.scalars(
        newest_editions(MonthlyReport.period.in_(list(last_marked)))
        .where(MonthlyReport.edition == ReportEdition.FINAL)
        .order_by(MonthlyReport.period, MonthlyReport.scope)
    )
    return [e for e in editions if last_marked[e.period] > e.checked_at - REVISION_MARGIN]


def _tell_of_revision(report: MonthlyReport) -> None:
    if report.scope != PROVINCE:
        return
    regulators = db.session.scalars(
        select(User.id).where(User.role == Role.REGULATOR, User.is_active.is_(True))
    ).all()
    notifications.notify(
        regulators,
        "monthly_report",
        _l(
            "%(month)s 月度运行监测报告已修订（第 %(version)s 版）",
            month=f"{report.period:%Y-%m}",
            version=report.version,
        ),
        _l(
            "有银行补报或更正了该月数据，报告已按最新数据重新生成；各版本及变动的指标可在“月度报告”查看。"
        ),
        link=notifications.path_for("monthly_reports.index"),
        dedupe_key=f"monthly-report-{report.period:%Y-%m}-v{report.version}",
    )
    db.session.commit()


def _tell_regulators(month: dt.date) -> None:
    regulators = db.session.scalars(
        select(User.id).where(User.role == Role.REGULATOR, User.is_active.is_(True))
    ).all()
    notifications.notify(
        regulators,
        "monthly_report",
        _l("%(month)s 月度运行监测报告已生成", month=f"{month:%Y-%m}"),
        _l("全省及各设区市、各机构的报告已归档，可在“月度报告”下载。"),
        link=notifications.path_for("monthly_reports.index"),
        dedupe_key=f"monthly-report-{month:%Y-%m}",
    )


def download_names(report: MonthlyReport, label: str, language: str = "") -> tuple[str, str]:
    """(ASCII fallback, Chinese name) of the downloaded file; the English file's names are both
    the ASCII name, ending in -en."""
    suffix = "" if report.scope == PROVINCE else "-" + report.scope.replace(":", "-")
    version = f"-v{report.version}" if report.version > 1 else ""
    english = "-en" if language == ENGLISH else ""
    ascii_name = f"monthly-report-{report.period:%Y-%m}{suffix}{version}{english}.pdf"
    if english:
        return ascii_name, ascii_name
    safe_label = re.sub(r'[\\/:*?"<>|\s]+', "_", label).strip("_") or "报告"
    edition = "_临时版" if report.edition == ReportEdition.PROVISIONAL else ""
    chinese_version = f"_第{report.version}版" if report.version > 1 else ""
    with force_locale(SOURCE_LOCALE):
        month = period_label(report.period)
    name = f"产融通月度报告_{month}_{safe_label}{edition}{chinese_version}.pdf"
    return ascii_name, name


def content_disposition(report: MonthlyReport, language: str = "") -> str:
    """attachment with an ASCII filename and, for the Chinese file, its Chinese name as RFC 5987
    filename* (the scope named in Chinese whatever the reader's language)."""
    if language == ENGLISH:
        return f'attachment; filename="{download_names(report, "", ENGLISH)[0]}"'
    with force_locale(SOURCE_LOCALE):
        label = scope_label(report.scope)
    ascii_name, chinese = download_names(report, label)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(chinese, safe='')}"

"""The archive of monthly PDF reports: list, download, and (admins) generate again."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, String, case, cast, func, literal, select
from sqlalchemy.orm import defer
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, ValidationError

from portal import settings
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.authz import Permission, get_or_404, requires, scoped
from portal.authz.permissions import role_has
from portal.confirmation import confirm_field
from portal.dates import today_in_china
from portal.db import writes_on_get
from portal.enums import REPORT_EDITION_LABELS, OnboardingStatus
from portal.extensions import db
from portal.figures.coverage import Coverage
from portal.firms import standards
from portal.forms import Form
from portal.institutions.models import FinancialInstitution
from portal.monthly import services as monthly
from portal.monthly.models import MonthlyReport
from portal.monthly.pdf import ENGLISH, period_label
from portal.pagination import Page, paginate

bp = Blueprint("monthly_reports", __name__, url_prefix="/reports")


class RegenerateForm(Form):
    period = StringField(
        _l("报告月份"),
        validators=[InputRequired(_l("请填写报告月份，格式 2026-10"))],
        description=_l("格式 2026-10；只能选已结束的月份。"),
    )
    scope = SelectField(_l("报告范围"), validators=[InputRequired(_l("请选择报告范围"))])
    confirmed = confirm_field(_l("我确认按当前数据生成新的一版；已有版本保留"))

    def validate_period(self, field: StringField) -> None:
        try:
            month = dt.datetime.strptime((field.data or "").strip(), "%Y-%m").date()
        except ValueError:
            raise ValidationError(_("月份格式应为 2026-10（年-月）")) from None
        if month < monthly.EARLIEST_MONTH:
            raise ValidationError(
                _("最早可生成 %(earliest)s 的报告", earliest=f"{monthly.EARLIEST_MONTH:%Y-%m}")
            )
        newest = monthly.last_finished_month(today_in_china())
        if month > newest:
            raise ValidationError(
                _(
                    "%(month)s 尚未结束，只能生成 %(newest)s 及以前月份的报告",
                    month=month.strftime("%Y-%m"),
                    newest=newest.strftime("%Y-%m"),
                )
            )
        self.month = month


CHINESE = "zh"


@dataclass
class ArchiveRow:
    report: MonthlyReport
    scope_label: str
    size: str

    @property
    def has_english(self) -> bool:
        """Editions made before reports were issued in English have only the Chinese file."""
        return self.report.sha256_en is not None

    @property
    def coverage(self) -> Coverage | None:
        return Coverage.from_json(self.report.coverage)


@bp.get("/")
@requires(Permission.REPORTS_ARCHIVE_VIEW)
def index() -> str:
    return _archive_page(_regenerate_form() if _may_regenerate() else None)


@bp.get("/<int:report_id>/editions")
@requires(Permission.REPORTS_ARCHIVE_VIEW)
def editions(report_id: int) -> str:
    """Every edition of one month and scope, newest first, with what each changed."""
    report = get_or_404(MonthlyReport, report_id, current_user)
    statement = scoped(
        select(MonthlyReport).options(defer(MonthlyReport.pdf), defer(MonthlyReport.pdf_en)),
        MonthlyReport,
        current_user,
    ).where(MonthlyReport.period == report.period, MonthlyReport.scope == report.scope)
    rows = db.session.scalars(statement.order_by(MonthlyReport.version.desc())).all()
    label = _label(report.scope, {})
    return render_template(
        "monthly_reports/editions.html",
        report=report,
        scope_label=label,
        rows=[ArchiveRow(r, label, "") for r in rows],
        reader_language=_reader_language(),
    )


@bp.get("/<int:report_id>.pdf")
@requires(Permission.REPORTS_ARCHIVE_VIEW)
@writes_on_get
def download(report_id: int) -> Response:
    """The archived PDF as a download, Chinese or (?lang=en) English; each download is
    recorded with its language."""
    report = get_or_404(MonthlyReport, report_id, current_user)
    language = ENGLISH if request.args.get("lang") == ENGLISH else CHINESE
    content, sha256 = (
        (report.pdf_en, report.sha256_en) if language == ENGLISH else (report.pdf, report.sha256)
    )
    if content is None or sha256 is None:
        abort(404)  # an edition made before reports were issued in English
    response = send_file(
        io.BytesIO(content),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=monthly.download_names(report, "", language)[0],
        etag=sha256,
        last_modified=report.generated_at,
        max_age=0,
    )
    # Werkzeug's ASCII fallback of a Chinese name is mostly underscores: give both names ourselves.
    response.headers["Content-Disposition"] = monthly.content_disposition(report, language)
    response.headers["Cache-Control"] = "private, no-store"
    audit.record(
        AuditAction.MONTHLY_REPORT_DOWNLOAD,
        obj=report,
        period=report.period.isoformat(),
        scope=report.scope,
        language=language,
        sha256=sha256,
    )
    db.session.commit()
    return response


@bp.post("/regenerate")
@requires(Permission.REPORTS_REGENERATE)
def regenerate() -> str | Response:
    form = _regenerate_form()
    if not form.validate_on_submit():
        return _archive_page(form)
    try:
        report = monthly.generate(form.month, form.scope.data, actor=current_user)
    except monthly.EditionTaken:
        flash(
            _("同月份、同范围的报告刚刚由他人生成了新的一版，请查看列表后再决定是否重新生成。"),
            "warning",
        )
        return redirect(url_for("monthly_reports.index"))
    flash(
        _(
            "已生成%(period)s“%(scope)s”月度报告%(edition)s第 %(version)s 版（%(size)s）。",
            period=period_label(report.period),
            scope=_label(report.scope, {}),
            edition=REPORT_EDITION_LABELS[report.edition],
            version=report.version,
            size=_size(len(report.pdf)),
        ),
        "success",
    )
    return redirect(url_for("monthly_reports.index", month=f"{report.period:%Y-%m}"))


def _may_regenerate() -> bool:
    return role_has(current_user.role, Permission.REPORTS_REGENERATE)


def _regenerate_form() -> RegenerateForm:
    form = RegenerateForm()
    form.scope.choices = _scope_choices()
    newest = monthly.last_finished_month(today_in_china()).strftime("%Y-%m")
    form.period.render_kw = {"type": "month", "max": newest, "placeholder": newest}
    if not form.is_submitted():
        form.period.data = newest
    return form


def _scope_choices() -> list[tuple[str, str]]:
    banks = db.session.execute(
        select(FinancialInstitution.id, FinancialInstitution.short_name)
        .where(FinancialInstitution.onboarding_status == OnboardingStatus.APPROVED)
        .order_by(FinancialInstitution.short_name)
    ).all()
    regions = [(f"region:{code}", standards.region_label(code)) for code in monthly.PREFECTURES]
    return [
        (monthly.PROVINCE, _("全省")),
        *regions,
        *((f"bank:{bank_id}", name) for bank_id, name in banks),
    ]


def _archive_page(form: RegenerateForm | None) -> str:
    """The newest edition of each month and scope the viewer may read (or of one month)."""
    statement = scoped(monthly.newest_editions(), MonthlyReport, current_user)
    months = _months(statement)
    chosen = _chosen_month(months)
    if request.args.get("month") and chosen is None:
        flash(_("所选月份还没有报告，下面列出全部月份的报告。"), "info")
    if chosen is not None:
        statement = statement.where(MonthlyReport.period == chosen)
    # Banks by name, as the scope choices list them (not by the text of their scope key).
    bank = FinancialInstitution
    statement = statement.outerjoin(
        bank, MonthlyReport.scope == literal("bank:") + cast(bank.id, String)
    ).order_by(
        MonthlyReport.period.desc(),
        case(
            (MonthlyReport.scope == monthly.PROVINCE, 0),
            (MonthlyReport.scope.like("region:%"), 1),
            else_=2,
        ),
        bank.short_name,
        MonthlyReport.scope,
    )
    page = paginate(statement)
    return render_template(
        "monthly_reports/index.html",
        page=page,
        rows=_rows(page),
        reader_language=_reader_language(),
        form=form,
        months=months,
        chosen=chosen,
        deadline_day=settings.report_deadline_day(),
    )


def _months(statement: Select[Any]) -> list[dt.date]:
    periods = statement.with_only_columns(MonthlyReport.period).distinct().order_by(None)
    return sorted(db.session.scalars(periods), reverse=True)


def _chosen_month(months: list[dt.date]) -> dt.date | None:
    """The month asked for in ?month=2026-10, when it is one with reports; else all months."""
    try:
        month = dt.datetime.strptime(request.args.get("month", ""), "%Y-%m").date()
    except ValueError:
        return None
    return month if month in months else None


def _rows(page: Page[MonthlyReport]) -> list[ArchiveRow]:
    ids = [report.id for report in page.items]
    sizes = dict(
        db.session.execute(
            select(MonthlyReport.id, func.length(MonthlyReport.pdf)).where(
                MonthlyReport.id.in_(ids)
            )
        ).all()
    )
    bank_ids = [
        int(r.scope.removeprefix("bank:")) for r in page.items if r.scope.startswith("bank:")
    ]
    names = dict(
        db.session.execute(
            select(FinancialInstitution.id, FinancialInstitution.short_name).where(
                FinancialInstitution.id.in_(bank_ids)
            )
        ).all()
    )
    return [ArchiveRow(r, _label(r.scope, names), _size(sizes.get(r.id) or 0)) for r in page.items]


def _reader_language() -> str:
    """The archive offers the reader's language first: English for an English page."""
    locale = get_locale()
    return ENGLISH if locale is not None and locale.language == ENGLISH else CHINESE


def _label(scope: str, bank_names: dict[int, str]) -> str:
    try:
        label = monthly.scope_label(scope, bank_names)
    except monthly.UnknownScope:
        return scope
    return _("全省") if scope == monthly.PROVINCE else label


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:,.1f} MB"
    return f"{max(size, 1) / 1024:,.0f} KB" if size >= 1024 else f"{size} B"

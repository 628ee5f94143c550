"""Banks report each loan's monthly status: a form per loan, or a CSV/XLSX upload."""

from __future__ import annotations

import datetime as dt
import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from portal.authz import Permission, get_or_404, requires, scoped
from portal.leads.models import Loan
from portal.pagination import paginate
from portal.reporting import loan_files
from portal.reporting import services as reporting
from portal.reporting.forms import LoanReportForm, MonthFilterForm, UploadForm
from portal.reporting.models import LoanReportUpload
from portal.reporting.services import ReportingError, UploadOutcome

bp = Blueprint("loan_reports", __name__, url_prefix="/bank/loan-reports")

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/")
@requires(Permission.BANK_LOAN_REPORTS_SUBMIT)
def index() -> str:
    """The month's due loans with what was reported, the counts, the upload form and templates."""
    filters = MonthFilterForm(request.args)
    period, show = filters.chosen()
    upload_form = UploadForm(formdata=None, month=f"{period:%Y-%m}")
    return _render_index(period, show, filters, upload_form)


@bp.post("/upload")
@requires(Permission.BANK_LOAN_REPORTS_SUBMIT)
def upload() -> str | Response:
    """Check and apply a whole month's file, or refuse it whole and list every error."""
    _bank_id()
    form = UploadForm()
    if not form.validate_on_submit():
        period = form.month.period or reporting.last_month()
        if period > reporting.latest_reportable():
            period = reporting.last_month()
        filters = MonthFilterForm(formdata=None, month=f"{period:%Y-%m}")
        return _render_index(period, reporting.SHOW_ALL, filters, form)
    received = loan_files.receive(form.file.data.stream)
    try:
        outcome = reporting.upload_file(
            current_user, form.month.period, form.file.data.filename, received
        )
    except ReportingError as error:
        flash(str(error), "error")
        return redirect(url_for("loan_reports.index"))
    _flash_outcome(outcome)
    return redirect(url_for("loan_reports.upload_detail", upload_id=outcome.upload.id))


@bp.get("/uploads/<int:upload_id>")
@requires(Permission.BANK_LOAN_REPORTS_SUBMIT)
def upload_detail(upload_id: int) -> str:
    """One upload: applied or refused, with its errors or warnings by row and column."""
    upload = get_or_404(LoanReportUpload, upload_id, current_user)
    problems = upload.problems or []
    return render_template(
        "loan_reports/upload_detail.html",
        upload=upload,
        errors=[p for p in problems if p.get("level", "error") == "error"],
        warnings=[p for p in problems if p.get("level") == "warning"],
        month=f"{upload.period:%Y-%m}",
    )


@bp.route("/loans/<int:loan_id>", methods=["GET", "POST"])
@requires(Permission.BANK_LOAN_REPORTS_SUBMIT)
def loan(loan_id: int) -> str | Response:
    """Report one loan's month (replacing that month's report) and see its history."""
    row = get_or_404(Loan, loan_id, current_user)
    if request.method == "GET":
        period = _loan_default_period(row, MonthFilterForm(request.args).chosen()[0])
        return _render_loan(row, _prefilled(row, period))
    form = LoanReportForm()
    if form.validate_on_submit():
        try:
            report = reporting.report_one(
                current_user,
                row,
                form.month.period,
                form.balance.data,
                form.days_overdue.data,
                form.tier(),
            )
        except ReportingError as error:
            _show_error(form, error)
        else:
            month = f"{report.period:%Y-%m}"
            flash(
                _("已保存合同 %(no)s 在 %(month)s 的状态。", no=row.contract_no, month=month),
                "success",
            )
            if report.contradicts_overdue_rules:
                flash(
                    reporting.contradiction_message(report.days_overdue, report.five_tier_class),
                    "warning",
                )
            return redirect(url_for("loan_reports.loan", loan_id=row.id, month=month))
    return _render_loan(row, form)


@bp.get("/template.csv")
@requires(Permission.BANK_LOAN_REPORTS_SUBMIT)
def template_csv() -> Response:
    """The month's template as CSV, pre-filled with the bank's due loans."""
    period = MonthFilterForm(request.args).chosen()[0]
    data = loan_files.write_csv(reporting.template_rows(_bank_id(), period))
    return _download(data, "text/csv; charset=utf-8", f"loan-status-{period:%Y-%m}.csv")


@bp.get("/template.xlsx")
@requires(Permission.BANK_LOAN_REPORTS_SUBMIT)
def template_xlsx() -> Response:
    """The month's template as XLSX, pre-filled with the bank's due loans, with a help sheet."""
    period = MonthFilterForm(request.args).chosen()[0]
    rows = reporting.template_rows(_bank_id(), period)
    data = loan_files.write_xlsx(rows, notes=reporting.template_notes(period))
    return _download(data, XLSX_MIMETYPE, f"loan-status-{period:%Y-%m}.xlsx")


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Response:
    # Past the app-wide request limit the file is never read; say what the limit is.
    flash(
        _(
            "文件过大，未能上传。月报文件不能超过 %(limit)s MB，请拆分后分别上传。",
            limit=loan_files.MAX_BYTES // 1024 // 1024,
        ),
        "error",
    )
    return redirect(url_for("loan_reports.index"))


# --- helpers -----------------------------------------------------------------------------------


def _bank_id() -> int:
    """The signed-in user's bank; a bank role without a bank may not use these pages."""
    institution_id = current_user.institution_id
    if institution_id is None:
        abort(403)
    return institution_id


def _render_index(
    period: dt.date, show: str, filters: MonthFilterForm, upload_form: UploadForm
) -> str:
    bank = _bank_id()
    page = paginate(scoped(reporting.due_listing(bank, period, show), Loan, current_user))
    return render_template(
        "loan_reports/index.html",
        period=period,
        month=f"{period:%Y-%m}",
        show=show,
        filters=filters,
        upload_form=upload_form,
        page=page,
        reports=reporting.reports_for([loan.id for loan in page.items], period),
        counts=reporting.month_counts(bank, period),
        uploads=reporting.recent_uploads(current_user),
    )


def _flash_outcome(outcome: UploadOutcome) -> None:
    upload, result = outcome.upload, outcome.result
    month = f"{upload.period:%Y-%m}"
    if result is None:
        problems = upload.problems or []
        if len(problems) == 1 and problems[0].get("row") is None:
            flash(_("文件未导入：%(reason)s", reason=problems[0]["message"]), "error")
        else:
            flash(
                _(
                    "文件未导入：发现 %(n)s 处错误，请按清单修改后重新上传。"
                    "本月原有数据未作任何改动。",
                    n=len(problems),
                ),
                "error",
            )
        return
    if result.replaced:
        message = _(
            "已导入 %(month)s 的 %(rows)s 笔贷款状态，替换了本月原有的 %(replaced)s 条报送。",
            month=month,
            rows=result.inserted,
            replaced=result.replaced,
        )
    else:
        message = _("已导入 %(month)s 的 %(rows)s 笔贷款状态。", month=month, rows=result.inserted)
    flash(message, "success")
    if result.contradicting:
        flash(
            _(
                "其中 %(n)s 笔的五级分类与逾期天数不符，已按报送值保存并计入预警，详见清单。",
                n=result.contradicting,
            ),
            "warning",
        )
    if outcome.still_missing:
        flash(_("本月仍有 %(n)s 笔应报贷款未报送。", n=outcome.still_missing), "info")


def _loan_default_period(loan: Loan, period: dt.date) -> dt.date:
    # A loan made this month has no earlier month to report.
    first = loan.disbursed_on.replace(day=1)
    return first if period < first <= reporting.latest_reportable() else period


def _prefilled(loan: Loan, period: dt.date) -> LoanReportForm:
    report = reporting.report_of(loan, period)
    values: dict[str, object] = {"month": f"{period:%Y-%m}"}
    if report is not None:
        values.update(
            balance=report.balance,
            days_overdue=report.days_overdue,
            five_tier_class=report.five_tier_class.value,
        )
    return LoanReportForm(formdata=None, **values)


def _show_error(form: LoanReportForm, error: ReportingError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        flash(str(error), "error")


def _render_loan(loan: Loan, form: LoanReportForm) -> str:
    return render_template(
        "loan_reports/loan.html",
        loan=loan,
        form=form,
        history=reporting.loan_history(loan),
        earliest=f"{loan.disbursed_on:%Y-%m}",
    )


def _download(data: bytes, mimetype: str, name: str) -> Response:
    response = send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name
    )
    response.headers["Cache-Control"] = "no-store"  # the bank's loan list
    return response

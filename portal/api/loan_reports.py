"""Monthly loan reports through the API: a whole month in one batch, checked and applied as an
uploaded file is (portal/reporting/services.py `upload_records`), and what the month still needs.

The batch is a PUT of the month's resource, not a POST: it replaces the bank's whole month with
the rows sent, so sending the same batch again leaves the same reports. A retry is therefore
safe without an Idempotency-Key (the keys guard POSTs, whose repeats would act twice).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint

from portal.api.access import api_scope
from portal.api.problems import ApiProblem
from portal.api.report_schemas import (
    MAX_BATCH_ROWS,
    LoanReportApplied,
    LoanReportBatch,
    LoanReportMonth,
)
from portal.api.scopes import Scope
from portal.authz import Permission
from portal.dates import today_in_china
from portal.reporting import loan_files
from portal.reporting import services as reporting
from portal.reporting.services import MonthCounts, ReportingError

bp = Blueprint(
    "api_loan_reports",
    __name__,
    url_prefix="/api/v1/loan-reports",
    description="The bank's monthly loan status reports, a whole month at a time.",
)

REPORTS = (Scope.REPORTS_WRITE, Permission.BANK_LOAN_REPORTS_SUBMIT)


@bp.route("/<period>", methods=["GET"])
@api_scope(*REPORTS)
@bp.response(200, LoanReportMonth)
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY", description="Not a month (YYYY-MM).")
def get_month(period: str) -> dict[str, Any]:
    """The month's due loans (what a batch should hold) with what is reported, and the counts."""
    month = _month(period)
    bank = current_user.institution_id
    return {
        "period": f"{month:%Y-%m}",
        "due_on": reporting.reports_due_on(month),
        "past_due": reporting.past_due(month, today_in_china()),
        "counts": _counts(reporting.month_counts(bank, month)),
        "loans": [_due_loan(row) for row in reporting.template_rows(bank, month)],
    }


@bp.route("/<period>", methods=["PUT"])
@api_scope(*REPORTS)
@bp.arguments(LoanReportBatch)
@bp.response(200, LoanReportApplied)
def put_month(body: dict[str, Any], period: str) -> dict[str, Any]:
    """Make `rows` the bank's whole report for the month, or, if any row is wrong, change
    nothing and list every wrong row (422). Sending the same batch again changes nothing."""
    month = _month(period)
    rows = body["rows"]
    if not rows or len(rows) > MAX_BATCH_ROWS:
        raise ApiProblem(
            422,
            _("一批须含 1 到 %(n)s 行：本行该月的全部应报贷款。", n=MAX_BATCH_ROWS),
            slug="batch-size",
        )
    source = f"API · {g.api_client.name}"  # stands where a file name would, in any language
    sha256 = hashlib.sha256(request.get_data(cache=True)).hexdigest()
    try:
        outcome = reporting.upload_records(current_user, month, source, rows, sha256)
    except ReportingError as error:
        raise ApiProblem(422, str(error), errors={"period": str(error)}) from None
    problems = outcome.upload.problems or []
    if outcome.result is None:
        raise ApiProblem(
            422,
            _("报送未导入：请按 errors 修改后重新提交整月数据。本月原有数据未作任何改动。"),
            slug="rows-refused",
            errors={"rows": [_problem(p) for p in problems]},
        )
    return {
        "period": f"{month:%Y-%m}",
        "rows": outcome.result.inserted,
        "replaced": outcome.result.replaced,
        "counts": _counts(reporting.month_counts(current_user.institution_id, month)),
        "warnings": [_problem(p) for p in problems],
    }


def _month(text: str) -> dt.date:
    """The month of the URL; a malformed or future month is refused as the pages refuse it."""
    month = loan_files.parse_month(text)
    if month is None or len(text) != len("2026-10"):
        raise ApiProblem(422, errors={"period": _("月份格式应为 YYYY-MM，如 2026-10")})
    try:
        reporting.check_period(month)
    except ReportingError as error:
        raise ApiProblem(422, str(error), errors={"period": str(error)}) from None
    return month


def _counts(counts: MonthCounts) -> dict[str, int]:
    return {
        "due": counts.due,
        "reported": counts.reported,
        "missing": counts.missing,
        "contradicting": counts.contradicting,
    }


def _due_loan(row: loan_files.TemplateRow) -> dict[str, Any]:
    return {
        "contract_no": row.contract_no,
        "reported": row.balance is not None,
        "balance": row.balance,
        "days_overdue": row.days_overdue,
        "five_tier_class": str(row.five_tier_class) if row.five_tier_class else None,
    }


def _problem(problem: dict[str, Any]) -> dict[str, Any]:
    """An upload problem as the API names it: the batch's row and the JSON field."""
    return {
        "row": problem.get("row"),
        "field": loan_files.column_code(str(problem.get("column") or "")),
        "message": problem.get("message"),
    }

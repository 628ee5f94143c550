"""Monthly loan status reporting: one loan at a time, a whole month from a file, and reminders.

For each loan and month a bank reports the outstanding balance, the days overdue and the
five-tier class. A report whose class is milder than the overdue days allow (DESIGN.md: over 90
days at least 次级, over 270 at least 可疑, over 360 损失) is kept as reported, flagged
`contradicts_overdue_rules` and counted as an alert.

An uploaded file is the bank's complete report for its month: applying it deletes all of the
bank's rows for that month and inserts the file's rows, in one transaction. A re-upload therefore
replaces the month and never duplicates it, and a loan left out of the new file keeps no stale row.

Periods are first-of-month dates. A bank may report the current month or earlier ones, never a
future month, and never a month before the loan's disbursement month.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from portal import settings
from portal.accounts.models import User
from portal.api import webhooks
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.authz import scoped
from portal.claims.models import CompensationClaim
from portal.dates import month_end, shift_month, today_in_china
from portal.db import utcnow
from portal.enums import FIVE_TIER_LABELS, FiveTierClass, LoanStatus
from portal.extensions import db
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Loan
from portal.notifications.service import bank_user_ids, notify, path_for
from portal.reporting import loan_files
from portal.reporting.loan_files import (
    FileRefused,
    LoanRef,
    Problem,
    Received,
    Table,
    TemplateRow,
)
from portal.reporting.models import LoanReportUpload, LoanStatusReport
from portal.workdays import working_day_on_or_after

TIER_ORDER = (
    FiveTierClass.NORMAL,
    FiveTierClass.SPECIAL_MENTION,
    FiveTierClass.SUBSTANDARD,
    FiveTierClass.DOUBTFUL,
    FiveTierClass.LOSS,
)
# (more than this many days overdue, the mildest class allowed), strictest first.
OVERDUE_FLOORS = (
    (360, FiveTierClass.LOSS),
    (270, FiveTierClass.DOUBTFUL),
    (90, FiveTierClass.SUBSTANDARD),
)
MAX_PROBLEMS_KEPT = 1000
RECENT_UPLOADS = 10
SHOW_ALL, SHOW_MISSING, SHOW_ALERTS = "all", "missing", "alerts"


class ReportingError(Exception):
    """A report that cannot be accepted; `field` names the form field it concerns, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ReportRow:
    """One loan's status for the month being applied."""

    loan_id: int
    balance: Decimal
    days_overdue: int
    five_tier_class: FiveTierClass


@dataclass(frozen=True)
class ApplyResult:
    replaced: int  # the bank's rows for the month before (updated in place or removed)
    inserted: int
    contradicting: int


@dataclass(frozen=True)
class UploadOutcome:
    upload: LoanReportUpload
    result: ApplyResult | None  # None when the file was refused
    still_missing: int = 0  # due loans of the month without a report after applying


@dataclass(frozen=True)
class MonthCounts:
    due: int
    reported: int
    contradicting: int

    @property
    def missing(self) -> int:
        return max(self.due - self.reported, 0)


@dataclass(frozen=True)
class MissingReport:
    institution_id: int
    due: int
    reported: int


# --- the overdue rules --------------------------------------------------------------------------


def minimum_class(days_overdue: int) -> FiveTierClass:
    """The mildest class the days allow: over 90 → 次级, over 270 → 可疑, over 360 → 损失."""
    for threshold, tier in OVERDUE_FLOORS:
        if days_overdue > threshold:
            return tier
    return FiveTierClass.NORMAL


def contradicts(days_overdue: int, tier: FiveTierClass) -> bool:
    """Whether the class is milder than the days allow (正常 < 关注 < 次级 < 可疑 < 损失)."""
    return TIER_ORDER.index(FiveTierClass(tier)) < TIER_ORDER.index(minimum_class(days_overdue))


def contradiction_message(days_overdue: int, tier: FiveTierClass) -> str:
    return _(
        "逾期 %(days)s 天，五级分类至少应为“%(floor)s”，报送为“%(tier)s”。"
        "已按报送值保存，并计入预警。",
        days=days_overdue,
        floor=FIVE_TIER_LABELS[minimum_class(days_overdue)],
        tier=FIVE_TIER_LABELS[FiveTierClass(tier)],
    )


# --- months -------------------------------------------------------------------------------------


def last_month(today: dt.date | None = None) -> dt.date:
    """The month banks report by the deadline this month: the one before today's."""
    return shift_month(today or today_in_china(), -1)


def reports_due_on(period: dt.date) -> dt.date:
    """The last day banks may report the month on time: the deadline day of the next month, or,
    when that day is not a working day (a holiday, a weekend not worked), the next working day,
    as regulators' reporting deadlines move."""
    deadline_day = shift_month(period, 1).replace(day=settings.report_deadline_day())
    return working_day_on_or_after(deadline_day)


def past_due(period: dt.date, today: dt.date) -> bool:
    """Whether the month's reporting deadline has passed: its figures are as complete as the
    banks made them (subsidies settle, the final report is made)."""
    return today > reports_due_on(period)


def latest_past_due(today: dt.date) -> dt.date:
    """The newest month whose reporting deadline has passed on `today`."""
    last = shift_month(today.replace(day=1), -1)
    return last if past_due(last, today) else shift_month(last, -1)


def latest_reportable(today: dt.date | None = None) -> dt.date:
    """The newest month a bank may report: the current one."""
    return (today or today_in_china()).replace(day=1)


def check_period(period: dt.date, today: dt.date | None = None) -> None:
    """Refuse a future month (ReportingError on the month field)."""
    if period.day != 1:
        raise ValueError("periods are first-of-month dates")
    if period > latest_reportable(today):
        raise ReportingError(
            _("不能报送未来的月份（%(month)s）。", month=f"{period:%Y-%m}"), field="month"
        )


# --- what is due --------------------------------------------------------------------------------


def loans_due_statement(institution_id: int, period: dt.date) -> Select[Any]:
    """The bank's loans to report for the month: disbursed by its end, not repaid before it."""
    return (
        select(Loan)
        .where(Loan.institution_id == institution_id, *due_conditions(period))
        .order_by(Loan.disbursed_on, Loan.id)
    )


def due_conditions(period: dt.date) -> tuple[Any, ...]:
    # Disbursed on or before the month's last day; still active, or not matured before it began.
    return (
        Loan.disbursed_on <= month_end(period),
        or_(Loan.status == LoanStatus.ACTIVE, Loan.maturity_on >= period),
    )


def loans_due(institution_id: int, period: dt.date) -> list[Loan]:
    """The bank's loans to report for the month, oldest first."""
    return list(db.session.scalars(loans_due_statement(institution_id, period)))


def _report_of_month(period: dt.date) -> Any:
    return and_(LoanStatusReport.loan_id == Loan.id, LoanStatusReport.period == period)


def due_listing(institution_id: int, period: dt.date, show: str = SHOW_ALL) -> Select[Any]:
    """Due loans for the index page: all, only the unreported, or only the contradicting ones."""
    statement = loans_due_statement(institution_id, period)
    if show == SHOW_MISSING:
        statement = statement.where(~exists().where(_report_of_month(period)))
    elif show == SHOW_ALERTS:
        statement = statement.where(
            exists().where(
                _report_of_month(period), LoanStatusReport.contradicts_overdue_rules.is_(True)
            )
        )
    return statement


def month_counts(institution_id: int, period: dt.date) -> MonthCounts:
    """Due loans, those of them reported, and contradicting reports, for one bank and month."""
    due_ids = loans_due_statement(institution_id, period).with_only_columns(Loan.id).order_by(None)
    due = db.session.scalar(select(func.count()).select_from(due_ids.subquery())) or 0
    reported, contradicting = db.session.execute(
        select(
            func.count(LoanStatusReport.id).filter(LoanStatusReport.loan_id.in_(due_ids)),
            func.count(LoanStatusReport.id).filter(
                LoanStatusReport.contradicts_overdue_rules.is_(True)
            ),
        ).where(
            LoanStatusReport.institution_id == institution_id, LoanStatusReport.period == period
        )
    ).one()
    return MonthCounts(due, reported or 0, contradicting or 0)


def reports_for(loan_ids: Sequence[int], period: dt.date) -> dict[int, LoanStatusReport]:
    """The month's reports of the given loans, by loan id."""
    if not loan_ids:
        return {}
    rows = db.session.scalars(
        select(LoanStatusReport).where(
            LoanStatusReport.loan_id.in_(list(loan_ids)), LoanStatusReport.period == period
        )
    )
    return {row.loan_id: row for row in rows}


def report_of(loan: Loan, period: dt.date) -> LoanStatusReport | None:
    return db.session.scalar(
        select(LoanStatusReport).where(
            LoanStatusReport.loan_id == loan.id, LoanStatusReport.period == period
        )
    )


def loan_history(loan: Loan) -> list[LoanStatusReport]:
    """Every month reported for the loan, newest first."""
    return list(
        db.session.scalars(
            select(LoanStatusReport)
            .where(LoanStatusReport.loan_id == loan.id)
            .order_by(LoanStatusReport.period.desc())
        )
    )


def missing_reports(period: dt.date) -> list[MissingReport]:
    """Banks with loans due for the month but fewer reports than due loans."""
    reported = func.count(LoanStatusReport.id)
    due = func.count(Loan.id)
    rows = db.session.execute(
        select(Loan.institution_id, due, reported)
        .outerjoin(LoanStatusReport, _report_of_month(period))
        .where(*due_conditions(period))
        .group_by(Loan.institution_id)
        .having(reported < due)
        .order_by(Loan.institution_id)
    )
    return [MissingReport(bank, count, done) for bank, count, done in rows]


# --- reporting ----------------------------------------------------------------------------------


def report_one(
    actor: User,
    loan: Loan,
    period: dt.date,
    balance: Decimal,
    days_overdue: int,
    tier: FiveTierClass,
) -> LoanStatusReport:
    """Report one loan's month, replacing an earlier report of the same month."""
    if actor.institution_id != loan.institution_id:
        raise ReportingError(_("只能报送本行的贷款。"))
    _check_values(loan.amount, loan.disbursed_on, period, balance, days_overdue)
    _lock_bank(loan.institution_id)
    report = report_of(loan, period)
    replaced = report is not None
    if report is None:
        report = LoanStatusReport(
            loan_id=loan.id, institution_id=loan.institution_id, period=period
        )
        db.session.add(report)
    report.balance = balance
    report.days_overdue = days_overdue
    report.five_tier_class = FiveTierClass(tier)
    report.contradicts_overdue_rules = contradicts(days_overdue, tier)
    report.reported_by_id = actor.id
    report.reported_at = utcnow()
    _flush_or_retry_later()
    audit.record(
        AuditAction.LOAN_REPORT_SUBMIT,
        actor=actor,
        obj=report,
        loan_id=loan.id,
        period=f"{period:%Y-%m}",
        balance=balance,
        days_overdue=days_overdue,
        five_tier_class=str(tier),
        contradicts=report.contradicts_overdue_rules,
        replaced=replaced,
    )
    db.session.commit()
    return report


def apply_rows(
    actor: User, institution_id: int, period: dt.date, rows: Sequence[ReportRow]
) -> ApplyResult:
    """Make `rows` the bank's complete report for the month, in one transaction."""
    result = _apply(actor, institution_id, period, rows)
    audit.record(
        AuditAction.LOAN_REPORTS_APPLY,
        actor=actor,
        period=f"{period:%Y-%m}",
        institution_id=institution_id,
        rows=result.inserted,
        replaced=result.replaced,
        contradicting=result.contradicting,
    )
    db.session.commit()
    return result


def _apply(
    actor: User, institution_id: int, period: dt.date, rows: Sequence[ReportRow]
) -> ApplyResult:
    """The bank's rows for the month become the uploaded ones; the caller commits."""
    check_period(period)
    loans = {
        loan_id: (amount, disbursed_on)
        for loan_id, amount, disbursed_on in db.session.execute(
            select(Loan.id, Loan.amount, Loan.disbursed_on).where(
                Loan.institution_id == institution_id
            )
        )
    }
    seen: set[int] = set()
    for row in rows:
        if row.loan_id not in loans or row.loan_id in seen:
            raise ReportingError(_("报送的贷款不属于本行，或同一笔贷款出现了两次。"))
        seen.add(row.loan_id)
        _check_values(*loans[row.loan_id], period, row.balance, row.days_overdue)
    _lock_bank(institution_id)
    rows_now = db.session.execute(
        select(LoanStatusReport.loan_id, LoanStatusReport.id).where(
            LoanStatusReport.institution_id == institution_id,
            LoanStatusReport.period == period,
        )
    )
    existing = {loan_id: report_id for loan_id, report_id in rows_now}
    now = utcnow()
    values = [_report_values(actor, institution_id, period, row, now) for row in rows]
    _replace_month(existing, values, seen)
    return ApplyResult(
        replaced=len(existing),
        inserted=len(values),
        contradicting=sum(1 for v in values if v["contradicts_overdue_rules"]),
    )


def _report_values(
    actor: User, institution_id: int, period: dt.date, row: ReportRow, now: dt.datetime
) -> dict[str, Any]:
    return {
        "loan_id": row.loan_id,
        "institution_id": institution_id,
        "period": period,
        "balance": row.balance,
        "days_overdue": row.days_overdue,
        "five_tier_class": FiveTierClass(row.five_tier_class),
        "contradicts_overdue_rules": contradicts(row.days_overdue, row.five_tier_class),
        "reported_by_id": actor.id,
        "reported_at": now,
    }


def _replace_month(existing: dict[int, int], values: list[dict[str, Any]], seen: set[int]) -> None:
    """The month's reports become `values`: a loan reported again keeps its row (updated in
    place, so a compensation claim resting on it still points at it), new loans are added, and
    loans left out are removed — unless a claim rests on their report."""
    gone = [report_id for loan_id, report_id in existing.items() if loan_id not in seen]
    if gone and db.session.scalar(
        select(CompensationClaim.id).where(CompensationClaim.report_id.in_(gone)).limit(1)
    ):
        raise ReportingError(
            _("有贷款已依据本月报送申请风险补偿，重新报送时不能删去这些贷款；请把它们一并报送。")
        )
    if gone:
        db.session.execute(
            delete(LoanStatusReport)
            .where(LoanStatusReport.id.in_(gone))
            .execution_options(synchronize_session=False)
        )
    kept = [{**v, "id": existing[v["loan_id"]]} for v in values if v["loan_id"] in existing]
    added = [v for v in values if v["loan_id"] not in existing]
    try:
        if kept:
            db.session.execute(update(LoanStatusReport), kept)
        if added:
            db.session.execute(insert(LoanStatusReport), added)
    except IntegrityError:
        db.session.rollback()
        raise _busy() from None


def _check_values(
    amount: Decimal, disbursed_on: dt.date, period: dt.date, balance: Decimal, days: int
) -> None:
    check_period(period)
    if period < disbursed_on.replace(day=1):
        raise ReportingError(
            _(
                "该贷款于 %(day)s 放款，不能报送此前月份（%(month)s）的状态。",
                day=disbursed_on.isoformat(),
                month=f"{period:%Y-%m}",
            ),
            field="month",
        )
    if balance < 0:
        raise ReportingError(_("贷款余额不能为负数。"), field="balance")
    if balance > amount:
        raise ReportingError(
            _(
                "贷款余额 %(balance)s 元超过合同金额 %(amount)s 元。",
                balance=balance,
                amount=amount,
            ),
            field="balance",
        )
    if days < 0:
        raise ReportingError(_("逾期天数不能为负数。"), field="days_overdue")


def _lock_bank(institution_id: int) -> None:
    # Two reports of one bank's month (two officers, a double submit) take turns: PostgreSQL
    # locks the bank's row until commit; SQLite allows one writer anyway and ignores FOR UPDATE.
    db.session.execute(
        select(FinancialInstitution.id)
        .where(FinancialInstitution.id == institution_id)
        .with_for_update()
    )


def _flush_or_retry_later() -> None:
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise _busy() from None


def _busy() -> ReportingError:
    return ReportingError(_("本月数据正被同时修改，请刷新页面后重试。"))


# --- uploads ------------------------------------------------------------------------------------


def bank_loans_by_contract(institution_id: int) -> dict[str, list[LoanRef]]:
    """The bank's loans by contract number (a number used twice maps to both loans)."""
    loans: dict[str, list[LoanRef]] = defaultdict(list)
    for loan_id, contract_no, amount, disbursed_on in db.session.execute(
        select(Loan.id, Loan.contract_no, Loan.amount, Loan.disbursed_on).where(
            Loan.institution_id == institution_id
        )
    ):
        loans[contract_no.strip()].append(LoanRef(loan_id, amount, disbursed_on))
    return dict(loans)


def upload_file(actor: User, period: dt.date, filename: str, received: Received) -> UploadOutcome:
    """Check a whole file and apply it, or refuse it whole; either way the upload is recorded."""
    upload = _new_upload(actor, period, clean_filename(filename), received.sha256)
    try:
        if received.too_large:
            raise FileRefused(loan_files.size_message(received.size))
        table = loan_files.read_table(received.data)
    except FileRefused as refused:
        return _refuse(actor, upload, [Problem(None, "", str(refused))])
    return _check_and_apply(actor, upload, table)


def upload_records(
    actor: User, period: dt.date, source: str, records: Sequence[Mapping[str, Any]], sha256: str
) -> UploadOutcome:
    """A whole month sent as records (the API's batch): the file's checks, records and audit,
    applied whole or refused whole; `source` stands in the upload list where a file name would."""
    upload = _new_upload(actor, period, source[:200], sha256)
    return _check_and_apply(actor, upload, loan_files.records_table(records, period))


def _new_upload(actor: User, period: dt.date, name: str, sha256: str) -> LoanReportUpload:
    if actor.institution_id is None:
        raise ReportingError(_("只有银行用户可以上传月报。"))
    check_period(period)
    return LoanReportUpload(
        institution_id=actor.institution_id,
        period=period,
        filename=name,
        sha256=sha256,
        uploaded_by_id=actor.id,
        problems=[],
    )


def _check_and_apply(actor: User, upload: LoanReportUpload, table: Table) -> UploadOutcome:
    """Check every row of the table; apply them all as the bank's month, or refuse them all."""
    institution_id, period = upload.institution_id, upload.period
    checked = loan_files.check_table(table, period, bank_loans_by_contract(institution_id))
    upload.row_count = checked.row_count
    if checked.errors:
        return _refuse(actor, upload, checked.errors)
    if not checked.rows:
        return _refuse(actor, upload, [Problem(None, "", _("文件只有表头，没有数据行。"))])
    rows = [
        ReportRow(r.loan_id, r.balance, r.days_overdue, r.five_tier_class) for r in checked.rows
    ]
    try:
        result = _apply(actor, institution_id, period, rows)
    except ReportingError as error:
        db.session.rollback()
        return _refuse(actor, upload, [Problem(None, "", str(error))])
    warnings = [
        Problem(
            r.row,
            loan_files.headers()[loan_files.TIER],
            contradiction_message(r.days_overdue, r.five_tier_class),
            level="warning",
        )
        for r in checked.rows
        if contradicts(r.days_overdue, r.five_tier_class)
    ]
    upload.applied = True
    upload.warning_count = len(warnings)
    upload.problems = _kept(warnings)
    db.session.add(upload)
    db.session.flush()
    audit.record(
        AuditAction.LOAN_REPORTS_UPLOAD,
        actor=actor,
        obj=upload,
        period=f"{period:%Y-%m}",
        filename=upload.filename,
        sha256=upload.sha256,
        rows=result.inserted,
        replaced=result.replaced,
        warnings=len(warnings),
    )
    db.session.commit()
    still_missing = month_counts(institution_id, period).missing
    return UploadOutcome(upload, result, still_missing)


def _refuse(actor: User, upload: LoanReportUpload, problems: Sequence[Problem]) -> UploadOutcome:
    """Keep the refused upload and its problems, so the bank sees them; nothing is applied."""
    upload.applied = False
    upload.problems = _kept(problems)
    db.session.add(upload)
    db.session.flush()
    audit.record(
        AuditAction.LOAN_REPORTS_UPLOAD_REFUSED,
        actor=actor,
        obj=upload,
        period=f"{upload.period:%Y-%m}",
        filename=upload.filename,
        sha256=upload.sha256,
        problems=len(problems),
    )
    db.session.commit()
    return UploadOutcome(upload, None)


def _kept(problems: Sequence[Problem]) -> list[dict[str, object]]:
    """Problems as stored and shown; a very long list is cut, saying how many were left out."""
    kept = [p.as_dict() for p in problems[:MAX_PROBLEMS_KEPT]]
    if len(problems) > MAX_PROBLEMS_KEPT:
        left = len(problems) - MAX_PROBLEMS_KEPT
        level = problems[-1].level
        kept.append(Problem(None, "", _("另有 %(n)s 条未列出。", n=left), level).as_dict())
    return kept


def clean_filename(filename: str | None) -> str:
    """The name as the bank saw it, without any folder part or control characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return (name or "upload")[:200]


def recent_uploads(actor: User, limit: int = RECENT_UPLOADS) -> list[LoanReportUpload]:
    """The actor's bank's latest uploads, newest first."""
    return list(
        db.session.scalars(
            scoped(select(LoanReportUpload), LoanReportUpload, actor)
            .order_by(LoanReportUpload.uploaded_at.desc(), LoanReportUpload.id.desc())
            .limit(limit)
        )
    )


def template_rows(institution_id: int, period: dt.date) -> list[TemplateRow]:
    """The month's due loans for the template, with what was already reported for the month."""
    loans = loans_due(institution_id, period)
    reports = reports_for([loan.id for loan in loans], period)
    rows = []
    for loan in loans:
        report = reports.get(loan.id)
        rows.append(
            TemplateRow(
                contract_no=loan.contract_no,
                period=period,
                balance=report.balance if report else None,
                days_overdue=report.days_overdue if report else None,
                five_tier_class=report.five_tier_class if report else None,
            )
        )
    return rows


def template_notes(period: dt.date) -> list[str]:
    """The help sheet of the XLSX template."""
    return [
        _("贷款月报填写说明（%(month)s）", month=f"{period:%Y-%m}"),
        _("1. 每行一笔贷款。合同编号和报告月份已预填，请勿修改；报告月份格式为 YYYY-MM。"),
        _("2. 贷款余额以元为单位，最多两位小数，不超过合同金额；已结清的填 0。"),
        _("3. 逾期天数填不小于 0 的整数，未逾期填 0。"),
        _("4. 五级分类填 正常、关注、次级、可疑、损失 之一。"),
        _(
            "5. 逾期超过 90 天至少为次级，超过 270 天至少为可疑，超过 360 天为损失；"
            "与此不符的报送会被接受，但计入预警。"
        ),
        _(
            "6. 一个文件就是本行该月的完整月报：上传后，本行该月原有的全部报送"
            "（包括逐笔填报的）都会被文件内容替换。"
        ),
        _("7. 只要有一行有误，整个文件都不会导入；请按错误清单修改后重新上传。"),
    ]


# --- reminders ----------------------------------------------------------------------------------


def remind_missing_reports(today: dt.date) -> int:
    """From the 10th, remind each bank still missing last month's reports, once per month.

    Returns how many banks were reminded. Safe to run any number of times: each bank and month
    has one dedupe key.
    """
    period = last_month(today)
    if today < reports_due_on(period):
        return 0
    month = f"{period:%Y-%m}"
    reminded = 0
    for missing in missing_reports(period):
        sent = notify(
            bank_user_ids(missing.institution_id),
            "loan_reports.missing",
            _l("请报送 %(month)s 的贷款月报", month=month),
            _l(
                "本行 %(month)s 应报送 %(due)s 笔贷款的状态，已报送 %(reported)s 笔，"
                "尚缺 %(missing)s 笔。请尽快逐笔填报或上传月报文件。",
                month=month,
                due=missing.due,
                reported=missing.reported,
                missing=missing.due - missing.reported,
            ),
            link=path_for("loan_reports.index", month=month),
            dedupe_key=f"loan-reports-{month}-{missing.institution_id}",
        )
        webhooks.emit(
            missing.institution_id,
            webhooks.EventType.LOAN_REPORTS_DUE,
            {"month": month, "due": missing.due, "reported": missing.reported},
            dedupe_key=f"loan-reports-{month}-{missing.institution_id}",
        )
        if sent:
            reminded += 1
    db.session.commit()
    return reminded

"""Monthly subsidy settlement (贴息、担保费补贴 免申即享): computed from the banks' loan reports.

Each month, once the banks' reports are due (the 10th of the next month), every committed
rate-points grant, and every committed guarantee-fee grant, whose loan was reported for the
month gets a line in its policy's batch for that bank and month:

    amount = period_interest_subsidy(reported balance, points, days, day count)

where the points are the grant's for an interest subsidy, and for a fee subsidy the part of the
guarantee fee it pays (`Loan.fee_subsidy_rate`, percent a year): the fee accrues on the balance
as interest does, and so does its subsidy.

where the days are the loan's days inside the month (from the disbursement day, up to but not
including the maturity day). A month the loan is 次级 or worse pays nothing unless the policy
pays non-performing months. No line ever takes a loan past what its grant may cost in all
(`expected_amount`, less what was paid and what other draft batches hold), the firm past the
policy's yearly cap, or the policy past its budget; the line says which limit cut it.

Batches are drafts until government staff approve them; staff may adjust a line with a reason.
Running the settlement again recomputes draft batches (an adjusted line keeps its adjustment)
and never touches an approved or paid one, so it pays each month once. Approval pays the
batch: the grants' paid amounts and the policy's paid budget grow by the lines' amounts, in
one transaction, and only if every grant still has room (a conditional UPDATE, so two
approvals at once cannot overpay a grant). Every change of a batch first holds its row with
a conditional UPDATE on its status, so an adjustment, a recomputation and an approval of the
same batch queue up instead of crossing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.authz import scoped
from portal.catalog.models import PolicyProduct
from portal.dates import today_in_china
from portal.db import utcnow
from portal.enums import NON_PERFORMING, BenefitKind, GrantStatus, Role, SettlementStatus
from portal.extensions import db
from portal.firms.models import Firm
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Lead, Loan
from portal.notifications.service import firm_user_ids, notify, path_for
from portal.reporting.models import LoanStatusReport
from portal.reporting.services import latest_past_due, past_due, reports_due_on, shift_month
from portal.subsidies import budget
from portal.subsidies.models import SettlementBatch, SettlementLine, SubsidyGrant
from portal.subsidies.rule import period_interest_subsidy

ZERO = Decimal(0)

# Why a line pays less than balance × points × days gives (SettlementLine.note).
NOTE_NON_PERFORMING = "non_performing"
NOTE_CAP = "cap"  # the grant's expected amount is reached
NOTE_ANNUAL_CAP = "annual_cap"  # the firm's yearly cap under the policy is reached
NOTE_BUDGET = "budget"  # the policy's budget is reached
NOTE_LABELS = {
    NOTE_NON_PERFORMING: _l("次级及以下月份不贴息"),
    NOTE_CAP: _l("已达该笔贷款贴息上限"),
    NOTE_ANNUAL_CAP: _l("已达企业年度贴息上限"),
    NOTE_BUDGET: _l("政策资金已用完"),
}

MAX_REASON = 200  # SettlementLine.adjustment_reason


class SettlementError(Exception):
    """A settlement step that cannot be taken; `field` names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# --- the calendar -----------------------------------------------------------------------------


def settleable(period: dt.date, today: dt.date) -> bool:
    """Whether the month may be settled: its reports are past due."""
    return past_due(period, today)


def latest_settleable(today: dt.date) -> dt.date:
    """The newest month whose reports are past due on `today`."""
    return latest_past_due(today)


def days_in_period(loan: Loan, period: dt.date) -> int:
    """The loan's interest days inside the month: from the disbursement day, up to but not
    including the maturity day (算头不算尾)."""
    start = max(period, loan.disbursed_on)
    end = min(shift_month(period, 1), loan.maturity_on)
    return max((end - start).days, 0)


# --- what is left under each limit ------------------------------------------------------------


def _amount() -> Any:
    return func.coalesce(SettlementLine.adjusted_amount, SettlementLine.computed_amount)


@dataclass
class Rooms:
    """What a policy's lines outside one batch already hold, per grant, per firm (in the
    period's year) and in all; lines of the batch are added with `take` as they are made."""

    policy: PolicyProduct
    grant_used: dict[int, Decimal] = field(default_factory=dict)
    firm_used: dict[int, Decimal] = field(default_factory=dict)
    budget_used: Decimal = ZERO

    def room(self, grant: SubsidyGrant) -> tuple[Decimal, str]:
        """The most a line of the grant may still pay, and the limit that sets it."""
        limits = [(grant.expected_amount - self.grant_used.get(grant.id, ZERO), NOTE_CAP)]
        if self.policy.benefit_cap is not None:
            used = self.firm_used.get(grant.firm_id, ZERO)
            limits.append((self.policy.benefit_cap - used, NOTE_ANNUAL_CAP))
        if self.policy.budget is not None:
            limits.append((self.policy.budget - self.budget_used, NOTE_BUDGET))
        room, note = min(limits, key=lambda limit: limit[0])
        return max(room, ZERO), note

    def take(self, grant_id: int, firm_id: int, amount: Decimal) -> None:
        self.grant_used[grant_id] = self.grant_used.get(grant_id, ZERO) + amount
        self.firm_used[firm_id] = self.firm_used.get(firm_id, ZERO) + amount
        self.budget_used += amount


def rooms_outside(
    policy: PolicyProduct, period: dt.date, batch_id: int, grants: Iterable[SubsidyGrant]
) -> Rooms:
    """What paid grants and the policy's other batches hold (one query per limit).

    A grant's paid amount counts approved and paid batches; draft batches count on top. The
    yearly cap counts every batch of the policy in the period's calendar year.
    """
    grants = list(grants)
    others = SettlementBatch.id != batch_id
    drafts = and_(
        SettlementBatch.policy_id == policy.id,
        SettlementBatch.status == SettlementStatus.DRAFT,
        others,
    )
    grant_used = {g.id: g.paid_amount for g in grants}
    for grant_id, amount in db.session.execute(
        select(SettlementLine.grant_id, func.sum(_amount()))
        .join(SettlementBatch, SettlementBatch.id == SettlementLine.batch_id)
        .where(drafts, SettlementLine.grant_id.in_(list(grant_used)))
        .group_by(SettlementLine.grant_id)
    ):
        grant_used[grant_id] += Decimal(amount or 0)
    year = dt.date(period.year, 1, 1)
    firm_used = dict(
        db.session.execute(
            select(SettlementLine.firm_id, func.sum(_amount()))
            .join(SettlementBatch, SettlementBatch.id == SettlementLine.batch_id)
            .where(
                SettlementBatch.policy_id == policy.id,
                SettlementBatch.period >= year,
                SettlementBatch.period < year.replace(year=year.year + 1),
                others,
                SettlementLine.firm_id.in_({g.firm_id for g in grants}),
            )
            .group_by(SettlementLine.firm_id)
        ).all()
    )
    in_drafts = db.session.scalar(
        select(func.coalesce(func.sum(_amount()), 0))
        .join(SettlementBatch, SettlementBatch.id == SettlementLine.batch_id)
        .where(drafts)
    )
    return Rooms(
        policy,
        grant_used,
        {firm: Decimal(amount or 0) for firm, amount in firm_used.items()},
        (policy.budget_paid or ZERO) + Decimal(in_drafts or 0),
    )


# --- computing a month ------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A subsidised loan reported for the month: its grant, the loan and the report."""

    grant: SubsidyGrant
    loan: Loan
    report: LoanStatusReport


@dataclass
class SettleResult:
    period: dt.date
    created: int = 0  # new batches
    updated: int = 0  # draft batches whose lines changed
    kept: int = 0  # approved or paid batches left as they were

    @property
    def changed(self) -> int:
        return self.created + self.updated


# Benefits paid month by month on the reported balance.
SETTLED_KINDS = (BenefitKind.RATE_POINTS, BenefitKind.FEE_SHARE)


def settled_points(grant: SubsidyGrant, loan: Loan) -> Decimal:
    """Percent a year of the balance the grant pays: its points, or the fee share's part."""
    if grant.benefit_kind == BenefitKind.FEE_SHARE:
        return loan.fee_subsidy_rate or ZERO
    return grant.value


def entries_for(period: dt.date) -> dict[tuple[int, int], list[Entry]]:
    """The month's subsidised, reported loans by (policy, bank), in loan order."""
    rows = db.session.execute(
        select(SubsidyGrant, Loan, LoanStatusReport)
        .join(Loan, Loan.id == SubsidyGrant.loan_id)
        .join(
            LoanStatusReport,
            and_(LoanStatusReport.loan_id == Loan.id, LoanStatusReport.period == period),
        )
        .where(
            SubsidyGrant.status == GrantStatus.COMMITTED,
            SubsidyGrant.benefit_kind.in_(SETTLED_KINDS),
        )
        .order_by(SubsidyGrant.policy_id, Loan.institution_id, Loan.id)
    ).all()
    found: dict[tuple[int, int], list[Entry]] = defaultdict(list)
    for grant, loan, report in rows:
        if days_in_period(loan, period) > 0:
            found[grant.policy_id, loan.institution_id].append(Entry(grant, loan, report))
    return found


def settle_due(today: dt.date | None = None) -> int:
    """The scheduler's job: settle the newest month whose reports are past due; returns how
    many batches were made or changed (0 once the month is settled and nothing moved)."""
    today = today or today_in_china()
    return settle_month(latest_settleable(today), today).changed


def settle_month(period: dt.date, today: dt.date | None = None) -> SettleResult:
    """Make or recompute the month's batches; approved and paid ones are left alone.

    Each batch is committed on its own, so a batch approved meanwhile only skips itself.
    """
    if period.day != 1:
        raise ValueError("periods are first-of-month dates")
    today = today or today_in_china()
    if not settleable(period, today):
        raise SettlementError(
            _(
                "%(month)s 的贷款月报 %(due)s 截止报送，截止后才能结算",
                month=f"{period:%Y-%m}",
                due=reports_due_on(period).isoformat(),
            )
        )
    result = SettleResult(period)
    entries = entries_for(period)
    existing = {
        (batch.policy_id, batch.institution_id): batch.id
        for batch in db.session.scalars(
            select(SettlementBatch).where(SettlementBatch.period == period)
        )
    }
    for key in sorted(set(entries) | set(existing)):
        _settle_batch(key, period, existing.get(key), entries.get(key, []), result)
    return result


def _settle_batch(
    key: tuple[int, int],
    period: dt.date,
    batch_id: int | None,
    entries: Sequence[Entry],
    result: SettleResult,
) -> None:
    policy_id, institution_id = key
    if batch_id is None:
        batch = SettlementBatch(policy_id=policy_id, institution_id=institution_id, period=period)
        try:
            with db.session.begin_nested():  # another run made it a moment ago: leave it be
                db.session.add(batch)
        except IntegrityError:
            result.kept += 1
            return
        created = True
    else:
        if not _hold_draft(batch_id):
            result.kept += 1  # approved or paid: never recomputed
            return
        batch = _fresh_batch(batch_id)
        created = False
    changed = fill(batch, entries)
    if created or changed:
        db.session.flush()
        db.session.expire(batch, ["lines"])  # lines removed by `fill` leave the collection
        audit.record(
            AuditAction.SUBSIDY_SETTLEMENT_COMPUTE,
            obj=batch,
            period=f"{period:%Y-%m}",
            lines=len(batch.lines),
            total=batch.total,
            created=created,
        )
        db.session.commit()
        if created:
            result.created += 1
        else:
            result.updated += 1
    else:
        db.session.commit()  # ends the hold on the batch's row; nothing else was written


def fill(batch: SettlementBatch, entries: Sequence[Entry]) -> bool:
    """Recompute the batch's lines from the entries; returns whether anything changed.

    A line staff adjusted keeps its adjusted amount and reason (its computed figures are
    refreshed); an unadjusted line whose loan is no longer reported is removed.
    """
    policy = db.session.get(PolicyProduct, batch.policy_id)
    rooms = rooms_outside(policy, batch.period, batch.id, (e.grant for e in entries))
    current = {line.loan_id: line for line in batch.lines}
    kept: list[SettlementLine] = []
    changed = False
    for entry in entries:
        line = current.pop(entry.loan.id, None)
        if line is None:
            line = SettlementLine(
                batch=batch,
                grant_id=entry.grant.id,
                loan_id=entry.loan.id,
                firm_id=entry.grant.firm_id,
            )
            db.session.add(line)
            changed = True
        changed |= _compute(line, entry, policy, rooms)
        rooms.take(entry.grant.id, entry.grant.firm_id, line.amount)
        kept.append(line)
    for line in current.values():
        if line.adjusted_amount is None:
            db.session.delete(line)
            changed = True
        else:
            kept.append(line)
    total = sum((line.amount for line in kept), ZERO)
    if batch.total != total:
        batch.total = total
        changed = True
    return changed


def _compute(line: SettlementLine, entry: Entry, policy: PolicyProduct, rooms: Rooms) -> bool:
    """Set the line's figures from the report; returns whether any of them changed."""
    days = days_in_period(entry.loan, line.batch.period)
    points = settled_points(entry.grant, entry.loan)
    amount = period_interest_subsidy(entry.report.balance, points, days, policy.day_count)
    note = None
    if entry.report.five_tier_class in NON_PERFORMING and not policy.pays_non_performing:
        amount, note = ZERO, NOTE_NON_PERFORMING
    room, limit = rooms.room(entry.grant)
    if amount > room:
        amount, note = room, limit
    before = (line.balance, line.days, line.points, line.computed_amount, line.note)
    line.balance, line.days, line.points = entry.report.balance, days, points
    line.computed_amount, line.note = amount, note
    return before != (line.balance, line.days, line.points, line.computed_amount, line.note)


def _hold_draft(batch_id: int) -> bool:
    """Hold a draft batch's row until the commit (a no-op UPDATE); False if not a draft."""
    held = db.session.execute(
        update(SettlementBatch)
        .where(SettlementBatch.id == batch_id, SettlementBatch.status == SettlementStatus.DRAFT)
        .values(status=SettlementStatus.DRAFT)
        .execution_options(synchronize_session=False)
    ).rowcount
    return held == 1


def _fresh_batch(batch_id: int) -> SettlementBatch:
    """The batch and its lines as committed now (after its row is held)."""
    return db.session.scalars(
        select(SettlementBatch)
        .where(SettlementBatch.id == batch_id)
        .options(selectinload(SettlementBatch.lines))
        .execution_options(populate_existing=True)
    ).one()


# --- staff review -----------------------------------------------------------------------------


def _refuse_unless_draft(batch: SettlementBatch) -> SettlementBatch:
    if not _hold_draft(batch.id):
        db.session.rollback()
        raise SettlementError(_("该批次已审核，不能再调整或重复审核"))
    return _fresh_batch(batch.id)


def line_room(batch: SettlementBatch, line: SettlementLine) -> Decimal:
    """The most the line may pay, given everything else the policy's batches hold."""
    grants = {
        g.id: g
        for g in db.session.scalars(
            select(SubsidyGrant).where(SubsidyGrant.id.in_({x.grant_id for x in batch.lines}))
        )
    }
    rooms = rooms_outside(batch.policy, batch.period, batch.id, grants.values())
    for other in batch.lines:
        if other.id != line.id:
            rooms.take(other.grant_id, other.firm_id, other.amount)
    room, _limit = rooms.room(grants[line.grant_id])
    return room


def adjust(
    actor: User, batch: SettlementBatch, line: SettlementLine, amount: Decimal, reason: str
) -> None:
    """Set a line's amount by hand, with the reason; only in a draft batch and within room."""
    reason = " ".join(reason.split())
    if not reason:
        raise SettlementError(_("请填写调整原因"), field="reason")
    if amount < 0:
        raise SettlementError(_("调整后金额不能小于 0 元"), field="amount")
    batch = _refuse_unless_draft(batch)
    line = next(x for x in batch.lines if x.id == line.id)
    room = line_room(batch, line)
    if amount > room:
        db.session.rollback()
        raise SettlementError(
            _("调整后金额不能超过该笔贷款还可获得的贴息 %(room)s 元", room=f"{room:,.2f}"),
            field="amount",
        )
    before = line.amount
    line.adjusted_amount = amount.quantize(Decimal("0.01"))
    line.adjustment_reason = reason[:MAX_REASON]
    batch.total = sum((x.amount for x in batch.lines), ZERO)
    audit.record(
        AuditAction.SUBSIDY_SETTLEMENT_ADJUST,
        actor=actor,
        obj=line,
        firm_id=line.firm_id,
        batch=batch.id,
        loan=line.loan_id,
        before=before,
        after=line.adjusted_amount,
        computed=line.computed_amount,
        reason=line.adjustment_reason,
    )
    db.session.commit()


def approve(actor: User, batch: SettlementBatch) -> None:
    """Approve a draft batch and pay it: each grant's paid amount and the policy's paid budget
    grow by the lines' amounts, all or nothing."""
    batch = _refuse_unless_draft(batch)
    db.session.refresh(batch.policy)
    problems = _approval_problems(batch)
    if problems:
        db.session.rollback()
        raise SettlementError(problems)
    for line in batch.lines:
        if line.amount > 0 and not _pay_grant(line.grant_id, line.amount):
            db.session.rollback()
            raise SettlementError(
                _("贷款 %(contract)s 的贴息将超过其上限，请先调整", contract=_contract(line))
            )
    total = sum((line.amount for line in batch.lines), ZERO)
    budget.pay(batch.policy_id, total)
    batch.total = total
    batch.status = SettlementStatus.APPROVED
    batch.approved_at = utcnow()
    batch.approved_by_id = actor.id
    audit.record(
        AuditAction.SUBSIDY_SETTLEMENT_APPROVE,
        actor=actor,
        obj=batch,
        period=f"{batch.period:%Y-%m}",
        lines=len(batch.lines),
        total=total,
    )
    _tell_firms_of_approval(batch)
    db.session.commit()


def _tell_firms_of_approval(batch: SettlementBatch) -> None:
    """Each firm in the batch hears how much of its subsidy for the month was approved."""
    per_firm: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in batch.lines:
        per_firm[line.firm_id] += line.amount
    for firm_id, amount in sorted(per_firm.items()):
        if amount <= 0:
            continue
        notify(
            firm_user_ids(firm_id),
            "subsidy.settlement_approved",
            _l(
                "%(policy)s：%(month)s 的贴息 %(amount)s 元已审核通过，将按政策拨付",
                policy=batch.policy.title,
                month=f"{batch.period:%Y-%m}",
                amount=f"{amount:,.2f}",
            ),
            link=path_for("home.sme"),
            dedupe_key=f"settlement-{batch.id}-firm-{firm_id}",
        )


def _approval_problems(batch: SettlementBatch) -> str | None:
    """What keeps the batch from being paid: a firm's yearly cap or the policy's budget."""
    policy = batch.policy
    total = sum((line.amount for line in batch.lines), ZERO)
    if policy.budget is not None and (policy.budget_paid or ZERO) + total > policy.budget:
        return _("本批次合计超过政策剩余资金，请先调整")
    if policy.benefit_cap is None:
        return None
    year = dt.date(batch.period.year, 1, 1)
    paid = dict(
        db.session.execute(
            select(SettlementLine.firm_id, func.sum(_amount()))
            .join(SettlementBatch, SettlementBatch.id == SettlementLine.batch_id)
            .where(
                SettlementBatch.policy_id == policy.id,
                SettlementBatch.status != SettlementStatus.DRAFT,
                SettlementBatch.period >= year,
                SettlementBatch.period < year.replace(year=year.year + 1),
            )
            .group_by(SettlementLine.firm_id)
        ).all()
    )
    per_firm: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in batch.lines:
        per_firm[line.firm_id] += line.amount
    for line in batch.lines:
        if Decimal(paid.get(line.firm_id) or 0) + per_firm[line.firm_id] > policy.benefit_cap:
            return _(
                "贷款 %(contract)s 所属企业本年度贴息将超过政策年度上限，请先调整",
                contract=_contract(line),
            )
    return None


def _pay_grant(grant_id: int, amount: Decimal) -> bool:
    """Add to a grant's paid amount unless that would pass its expected amount."""
    paid = db.session.execute(
        update(SubsidyGrant)
        .where(
            SubsidyGrant.id == grant_id,
            SubsidyGrant.paid_amount + amount <= SubsidyGrant.expected_amount,
        )
        .values(paid_amount=SubsidyGrant.paid_amount + amount)
        .execution_options(synchronize_session=False)
    ).rowcount
    grant = db.session.get(SubsidyGrant, grant_id)
    if grant is not None:
        db.session.refresh(grant)
    return paid == 1


def mark_paid(actor: User, batch: SettlementBatch) -> None:
    """Record that the treasury paid an approved batch."""
    done = db.session.execute(
        update(SettlementBatch)
        .where(SettlementBatch.id == batch.id, SettlementBatch.status == SettlementStatus.APPROVED)
        .values(status=SettlementStatus.PAID, paid_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        db.session.rollback()
        raise SettlementError(_("只有已审核、尚未拨付的批次可以标记为已拨付"))
    db.session.refresh(batch)
    audit.record(
        AuditAction.SUBSIDY_SETTLEMENT_PAID,
        actor=actor,
        obj=batch,
        period=f"{batch.period:%Y-%m}",
        total=batch.total,
    )
    db.session.commit()


def _contract(line: SettlementLine) -> str:
    loan = db.session.get(Loan, line.loan_id)
    return loan.contract_no if loan is not None else f"#{line.loan_id}"


# --- what pages show ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRow:
    batch: SettlementBatch
    bank: str
    line_count: int


def batches_statement(
    actor: User,
    period: dt.date | None = None,
    policy_id: int | None = None,
    status: SettlementStatus | None = None,
) -> Any:
    """The actor's batches, newest month first."""
    statement = select(SettlementBatch).order_by(
        SettlementBatch.period.desc(), SettlementBatch.policy_id, SettlementBatch.institution_id
    )
    if period is not None:
        statement = statement.where(SettlementBatch.period == period)
    if policy_id is not None:
        statement = statement.where(SettlementBatch.policy_id == policy_id)
    if status is not None:
        statement = statement.where(SettlementBatch.status == status)
    return scoped(statement, SettlementBatch, actor)


def batch_rows(batches: Sequence[SettlementBatch]) -> list[BatchRow]:
    """Batches with their bank's name and line count (two queries for the page)."""
    ids = [batch.id for batch in batches]
    counts = dict(
        db.session.execute(
            select(SettlementLine.batch_id, func.count(SettlementLine.id))
            .where(SettlementLine.batch_id.in_(ids))
            .group_by(SettlementLine.batch_id)
        ).all()
    )
    banks = dict(
        db.session.execute(
            select(FinancialInstitution.id, FinancialInstitution.short_name).where(
                FinancialInstitution.id.in_({batch.institution_id for batch in batches})
            )
        ).all()
    )
    return [
        BatchRow(batch, banks.get(batch.institution_id, "—"), counts.get(batch.id, 0))
        for batch in batches
    ]


@dataclass(frozen=True)
class LineRow:
    line: SettlementLine
    firm_name: str
    credit_code: str
    contract_no: str


def line_rows(batch: SettlementBatch) -> list[LineRow]:
    """The batch's lines with firm and contract, in line order (one query)."""
    rows = db.session.execute(
        select(SettlementLine, Firm.name, Firm.credit_code, Loan.contract_no)
        .join(Firm, Firm.id == SettlementLine.firm_id)
        .join(Loan, Loan.id == SettlementLine.loan_id)
        .where(SettlementLine.batch_id == batch.id)
        .order_by(SettlementLine.id)
    ).all()
    return [LineRow(line, name, code, contract) for line, name, code, contract in rows]


def bank_name(batch: SettlementBatch) -> str:
    bank = db.session.get(FinancialInstitution, batch.institution_id)
    return bank.short_name if bank is not None else "—"


# --- what the firm sees -----------------------------------------------------------------------


@dataclass(frozen=True)
class MonthPaid:
    period: dt.date
    amount: Decimal
    status: SettlementStatus


@dataclass
class LoanSubsidy:
    """One subsidised loan of the firm: its rate-points grants and the approved months."""

    loan: Loan
    grants: list[SubsidyGrant] = field(default_factory=list)
    months: list[MonthPaid] = field(default_factory=list)

    @property
    def received(self) -> Decimal:
        return sum((m.amount for m in self.months), ZERO)

    @property
    def paid_out(self) -> Decimal:
        return sum((m.amount for m in self.months if m.status == SettlementStatus.PAID), ZERO)


def received_on_loans(actor: User, loan_ids: Iterable[int]) -> list[LoanSubsidy]:
    """The actor's subsidised loans among `loan_ids`, with what approved batches paid them."""
    ids = sorted(set(loan_ids))
    if not ids:
        return []
    loans = db.session.scalars(
        scoped(select(Loan).where(Loan.id.in_(ids)), Loan, actor).order_by(Loan.id)
    ).all()
    found = {loan.id: LoanSubsidy(loan) for loan in loans}
    if not found:
        return []
    for grant in db.session.scalars(
        select(SubsidyGrant)
        .where(
            SubsidyGrant.loan_id.in_(list(found)),
            SubsidyGrant.benefit_kind == BenefitKind.RATE_POINTS,
            SubsidyGrant.status == GrantStatus.COMMITTED,
        )
        .options(selectinload(SubsidyGrant.policy))
        .order_by(SubsidyGrant.policy_id)
    ):
        found[grant.loan_id].grants.append(grant)
    lines = db.session.execute(
        scoped(
            select(
                SettlementLine.loan_id, SettlementBatch.period, _amount(), SettlementBatch.status
            )
            .join(SettlementBatch, SettlementBatch.id == SettlementLine.batch_id)
            .where(
                SettlementLine.loan_id.in_(list(found)),
                SettlementBatch.status.in_((SettlementStatus.APPROVED, SettlementStatus.PAID)),
            )
            .order_by(SettlementBatch.period),
            SettlementLine,
            actor,
        )
    )
    for loan_id, period, amount, status in lines:
        found[loan_id].months.append(MonthPaid(period, Decimal(amount), status))
    return [subsidy for subsidy in found.values() if subsidy.grants or subsidy.months]


def received_for_need(actor: User, need_id: int) -> list[LoanSubsidy]:
    """The need's disbursed loans the actor may see, with the subsidy they received."""
    loan_ids = db.session.scalars(
        select(Loan.id).join(Lead, Lead.id == Loan.lead_id).where(Lead.need_id == need_id)
    ).all()
    return received_on_loans(actor, loan_ids)


def received_for_firm(actor: User) -> list[LoanSubsidy]:
    """Every loan the actor's firm has, with the subsidy it received (the firm's home)."""
    return received_on_loans(actor, db.session.scalars(scoped(select(Loan.id), Loan, actor)).all())


@dataclass(frozen=True)
class PolicyMoney:
    """One policy's budget states and the interest subsidy its approved batches settled."""

    policy: PolicyProduct
    subsidised_loans: int
    settled: Decimal


def policy_money(actor: User) -> list[PolicyMoney]:
    """Every subsidy and compensation policy the actor may see, with its budget states and what
    approved settlement batches paid (two grouped queries)."""
    statement = select(PolicyProduct).where(PolicyProduct.published_at.is_not(None))
    if actor.role == Role.GOV_STAFF:
        # Staff see their agency's policies; published policies are otherwise public.
        statement = scoped(statement, PolicyProduct, actor)
    policies = db.session.scalars(statement.order_by(PolicyProduct.id)).all()
    ids = [p.id for p in policies]
    loans = dict(
        db.session.execute(
            select(SubsidyGrant.policy_id, func.count(SubsidyGrant.id))
            .where(SubsidyGrant.policy_id.in_(ids), SubsidyGrant.status == GrantStatus.COMMITTED)
            .group_by(SubsidyGrant.policy_id)
        )
        .tuples()
        .all()
    )
    settled = dict(
        db.session.execute(
            select(SettlementBatch.policy_id, func.coalesce(func.sum(SettlementBatch.total), 0))
            .where(
                SettlementBatch.policy_id.in_(ids),
                SettlementBatch.status.in_((SettlementStatus.APPROVED, SettlementStatus.PAID)),
            )
            .group_by(SettlementBatch.policy_id)
        )
        .tuples()
        .all()
    )
    return [PolicyMoney(p, loans.get(p.id, 0), Decimal(settled.get(p.id, 0))) for p in policies]

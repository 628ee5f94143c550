"""Risk compensation claims: a bank claims a share of a loan's loss from a policy's pool.

A loan is under a risk-compensation policy when it holds a committed loss-share grant of that
policy (stored at the credit decision, committed at disbursement). It becomes claimable when
its latest monthly report classes it 损失 or overdue past the policy's threshold
(`portal.claims.rule`). The bank files a claim on the principal outstanding at default; the
policy's agency approves it, which draws the claim from the budget, or rejects it with a
reason. Recoveries the bank reports later on an approved claim return the pool's share.

    submitted ──approve──▶ approved ──recovery…
        └──────reject───▶ rejected

Each step is one transaction with its audit entry. A decision is a conditional update
(`WHERE status = 'submitted'`), so two people deciding at once cannot both succeed, and an
approval the budget cannot hold changes nothing. Filing holds the grant's row and recording a
recovery holds the claim's row until the commit, so concurrent clicks queue up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, exists, func, select, update
from sqlalchemy.orm import selectinload

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.authz import scoped
from portal.authz.scoping import scope_clause
from portal.catalog.models import PolicyProduct
from portal.claims import rule
from portal.claims.models import ClaimRecovery, CompensationClaim
from portal.dates import day_in_china, today_in_china
from portal.db import utcnow
from portal.enums import BenefitKind, ClaimStatus, FiveTierClass, GrantStatus, LoanStatus, Role
from portal.extensions import db
from portal.leads.models import Loan
from portal.money import money
from portal.notifications.service import bank_user_ids, notify, path_for
from portal.numbers import plain
from portal.reporting.models import LoanStatusReport
from portal.subsidies import budget
from portal.subsidies.models import SubsidyGrant

ZERO = Decimal(0)
# A loan and policy with one of these claims cannot be claimed again; a rejected claim may be
# filed anew (with better evidence).
LIVE_CLAIM = (ClaimStatus.SUBMITTED, ClaimStatus.APPROVED)


class ClaimError(Exception):
    """A claim operation that cannot be done now; the message says why."""


class ClaimInputError(ClaimError):
    """Values the service refuses; `problems` maps each form field to what to fix."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__(_("填写有误，请按各栏提示修改"))


def _wan(amount: Decimal) -> str:
    return plain((amount / 10000).quantize(Decimal("0.000001")))


# --- what a bank may claim -----------------------------------------------------------------


@dataclass(frozen=True)
class Claimable:
    """A loan and the policy it may be claimed under, with the report that makes it so."""

    grant: SubsidyGrant
    loan: Loan
    report: LoanStatusReport
    ground: str  # rule.LOSS or rule.OVERDUE

    @property
    def policy(self) -> PolicyProduct:
        return self.grant.policy

    @property
    def estimate(self) -> Decimal:
        """The claim on the whole reported balance."""
        return rule.claimed_amount(self.report.balance, self.grant.value, self.policy.benefit_cap)


def _loss_grants() -> Any:
    return and_(
        SubsidyGrant.status == GrantStatus.COMMITTED,
        SubsidyGrant.benefit_kind == BenefitKind.LOSS_SHARE,
    )


def _live_claim(loan_id: Any, policy_id: Any) -> ColumnElement[bool]:
    return exists().where(
        CompensationClaim.loan_id == loan_id,
        CompensationClaim.policy_id == policy_id,
        CompensationClaim.status.in_(LIVE_CLAIM),
    )


def _grounds() -> ColumnElement[bool]:
    """SQL of `rule.ground` on the joined report and policy."""
    return (LoanStatusReport.five_tier_class == FiveTierClass.LOSS) | (
        PolicyProduct.claim_overdue_days.is_not(None)
        & (LoanStatusReport.days_overdue >= PolicyProduct.claim_overdue_days)
    )


def claimable_statement(actor: User) -> Select[Any]:
    """The bank's loss grants that may be claimed now (the listing of `claim_options`)."""
    latest = (
        select(LoanStatusReport.loan_id, func.max(LoanStatusReport.period).label("period"))
        .group_by(LoanStatusReport.loan_id)
        .subquery("latest")
    )
    return (
        select(SubsidyGrant)
        .options(selectinload(SubsidyGrant.policy))
        .join(Loan, Loan.id == SubsidyGrant.loan_id)
        .join(PolicyProduct, PolicyProduct.id == SubsidyGrant.policy_id)
        .join(latest, latest.c.loan_id == Loan.id)
        .join(
            LoanStatusReport,
            (LoanStatusReport.loan_id == Loan.id) & (LoanStatusReport.period == latest.c.period),
        )
        .where(
            _loss_grants(),
            Loan.status != LoanStatus.REPAID,
            LoanStatusReport.balance > 0,
            _grounds(),
            ~_live_claim(SubsidyGrant.loan_id, SubsidyGrant.policy_id),
            scope_clause(Loan, actor),
            scope_clause(LoanStatusReport, actor),
        )
        .order_by(Loan.id.desc(), SubsidyGrant.policy_id)
    )


def claimable_count(actor: User) -> int:
    """How many loan-and-policy pairs the bank may claim now."""
    statement = claimable_statement(actor).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(statement)) or 0


def claimables(actor: User, grants: Sequence[SubsidyGrant]) -> list[Claimable]:
    """The listed grants with their loans and latest reports (two queries)."""
    loan_ids = {g.loan_id for g in grants if g.loan_id is not None}
    loans = {
        loan.id: loan
        for loan in db.session.scalars(
            scoped(select(Loan), Loan, actor)
            .options(selectinload(Loan.firm))
            .where(Loan.id.in_(loan_ids))
        )
    }
    reports = latest_reports(actor, loan_ids)
    found = []
    for grant in grants:
        loan, report = loans.get(grant.loan_id or 0), reports.get(grant.loan_id or 0)
        if loan is None or report is None:
            continue
        reason = rule.ground(
            report.five_tier_class, report.days_overdue, grant.policy.claim_overdue_days
        )
        if reason is not None:
            found.append(Claimable(grant, loan, report, reason))
    return found


def latest_reports(actor: User, loan_ids: set[int]) -> dict[int, LoanStatusReport]:
    """Each loan's newest monthly report the actor may read."""
    if not loan_ids:
        return {}
    rows = db.session.scalars(
        scoped(select(LoanStatusReport), LoanStatusReport, actor)
        .where(LoanStatusReport.loan_id.in_(loan_ids))
        .order_by(LoanStatusReport.loan_id, LoanStatusReport.period)
    )
    return {report.loan_id: report for report in rows}  # the newest period wins


def loss_grants(loan: Loan) -> list[SubsidyGrant]:
    """The loan's committed loss-share grants: the risk-compensation policies covering it."""
    return list(
        db.session.scalars(
            select(SubsidyGrant)
            .where(SubsidyGrant.loan_id == loan.id, _loss_grants())
            .order_by(SubsidyGrant.policy_id)
        )
    )


def claim_options(actor: User, loan: Loan) -> tuple[list[Claimable], list[str]]:
    """The policies the loan may be claimed under now, and why not for the others."""
    grants = loss_grants(loan)
    if not grants:
        return [], [_("该贷款不在任何风险补偿政策范围内（授信时没有适用的风险补偿政策）。")]
    if loan.status == LoanStatus.REPAID:
        return [], [_("该贷款已结清，没有可补偿的损失。")]
    report = latest_reports(actor, {loan.id}).get(loan.id)
    if report is None:
        return [], [_("该贷款还没有贷后月报。请先报送最近一期的余额、逾期天数和五级分类。")]
    if report.balance <= 0:
        return [], [_("最近一期月报的贷款余额为 0，没有可补偿的本金损失。")]
    options, refusals = [], []
    for grant in grants:
        policy = grant.policy
        reason = rule.ground(report.five_tier_class, report.days_overdue, policy.claim_overdue_days)
        if reason is None:
            refusals.append(_not_yet(policy, report))
        elif _has_live_claim(loan.id, policy.id):
            refusals.append(
                _("《%(policy)s》下已有该贷款待审核或已批准的补偿申请。", policy=policy.title)
            )
        else:
            options.append(Claimable(grant, loan, report, reason))
    return options, refusals


def _not_yet(policy: PolicyProduct, report: LoanStatusReport) -> str:
    month = report.period.strftime("%Y-%m")
    if policy.claim_overdue_days is None:
        return _(
            "《%(policy)s》只补偿五级分类为“损失”的贷款；最近一期月报（%(month)s）尚未分类为损失。",
            policy=policy.title,
            month=month,
        )
    return _(
        "《%(policy)s》补偿五级分类为“损失”或逾期满 %(days)s 天的贷款；"
        "最近一期月报（%(month)s）逾期 %(overdue)s 天，尚未分类为损失。",
        policy=policy.title,
        days=policy.claim_overdue_days,
        month=month,
        overdue=report.days_overdue,
    )


def _has_live_claim(loan_id: int, policy_id: int) -> bool:
    return bool(db.session.scalar(select(_live_claim(loan_id, policy_id))))


# --- filing ----------------------------------------------------------------------------------


def file_claim(
    actor: User, loan: Loan, policy_id: int, principal: Decimal, evidence_note: str
) -> CompensationClaim:
    """File a claim on the loan under the policy: principal × share, capped; the caller's
    principal may be below the latest reported balance, never above it."""
    grant = next((g for g in loss_grants(loan) if g.policy_id == policy_id), None)
    if grant is None:
        raise ClaimError(_("该贷款不在所选风险补偿政策范围内"))
    hold_row(SubsidyGrant, grant.id)  # two filings of the same loan queue up here
    options, refusals = claim_options(actor, loan)
    option = next((o for o in options if o.grant.id == grant.id), None)
    if option is None:
        db.session.rollback()
        raise ClaimError(refusals[0] if refusals else _("该贷款目前不能申请补偿"))
    problems = principal_problems(principal, option.report)
    note = evidence_note.strip()
    if not note:
        problems["evidence_note"] = _("请填写证明材料说明")
    if problems:
        db.session.rollback()
        raise ClaimInputError(problems)
    claim = CompensationClaim(
        policy_id=grant.policy_id,
        rule_version_id=grant.rule_version_id,
        loan_id=loan.id,
        institution_id=loan.institution_id,
        firm_id=loan.firm_id,
        report_id=option.report.id,
        principal_outstanding=principal,
        share=grant.value,
        claimed_amount=rule.claimed_amount(principal, grant.value, option.policy.benefit_cap),
        evidence_note=note,
        status=ClaimStatus.SUBMITTED,
        filed_by_id=actor.id,
    )
    db.session.add(claim)
    db.session.flush()
    audit.record(
        AuditAction.CLAIM_FILE,
        actor=actor,
        obj=claim,
        firm_id=loan.firm_id,
        loan=loan.id,
        policy=grant.policy_id,
        principal=principal,
        claimed=claim.claimed_amount,
    )
    notify(
        agency_user_ids(option.policy.agency_id),
        "claim.filed",
        _l("收到风险补偿申请：%(policy)s", policy=option.policy.title),
        link=path_for("claims.review", claim_id=claim.id),
    )
    db.session.commit()
    return claim


def principal_problems(principal: Decimal, report: LoanStatusReport) -> dict[str, str]:
    if principal <= 0:
        return {"principal_wan": _("违约时本金余额应大于 0（万元）")}
    if principal > report.balance:
        return {
            "principal_wan": _(
                "不能超过最近一期月报（%(month)s）的贷款余额 %(balance)s 万元",
                month=report.period.strftime("%Y-%m"),
                balance=_wan(report.balance),
            )
        }
    return {}


def hold_row(model: type, row_id: int) -> None:
    """Hold a row until the commit (a no-op update: SQLite has no SELECT ... FOR UPDATE)."""
    db.session.execute(
        update(model)
        .where(model.id == row_id)  # type: ignore[attr-defined]
        .values(id=model.id)  # type: ignore[attr-defined]
        .execution_options(synchronize_session=False)
    )


def agency_user_ids(agency_id: int) -> list[int]:
    """Active government staff of the agency: who decides its policies' claims."""
    return list(
        db.session.scalars(
            select(User.id).where(
                User.agency_id == agency_id,
                User.role == Role.GOV_STAFF,
                User.is_active.is_(True),
            )
        )
    )


# --- the agency's decision -------------------------------------------------------------------


def decision_refusal(claim: CompensationClaim) -> str | None:
    """Why a claim can no longer be decided, or None while it waits."""
    if claim.status == ClaimStatus.APPROVED:
        return _("该申请已批准，不能再审核")
    if claim.status == ClaimStatus.REJECTED:
        return _("该申请已驳回，不能再审核")
    return None


def _decide(claim: CompensationClaim, **values: object) -> None:
    """Move a submitted claim on, only if it is still submitted (else someone got there first)."""
    refusal = decision_refusal(claim)
    if refusal is not None:
        raise ClaimError(refusal)
    changed = db.session.execute(
        update(CompensationClaim)
        .where(CompensationClaim.id == claim.id, CompensationClaim.status == ClaimStatus.SUBMITTED)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        db.session.refresh(claim)
        raise ClaimError(decision_refusal(claim) or _("申请状态已变化，请刷新后再操作"))
    db.session.refresh(claim)


def approve(actor: User, claim: CompensationClaim) -> None:
    """Approve the claimed amount and draw it from the policy's budget; refused, with nothing
    changed, when the budget cannot hold it."""
    _decide(
        claim,
        status=ClaimStatus.APPROVED,
        approved_amount=CompensationClaim.claimed_amount,
        decided_by_id=actor.id,
        decided_at=utcnow(),
    )
    if not budget.draw(claim.policy_id, claim.claimed_amount):
        db.session.rollback()
        db.session.refresh(claim)
        policy = claim.policy
        db.session.refresh(policy)
        raise ClaimError(
            _(
                "资金池余额不足：本笔需 %(need)s，政策剩余可用 %(left)s。申请未批准。",
                need=money(claim.claimed_amount, None),
                left=money(policy.budget_remaining or ZERO, None),
            )
        )
    audit.record(
        AuditAction.CLAIM_APPROVE,
        actor=actor,
        obj=claim,
        firm_id=claim.firm_id,
        policy=claim.policy_id,
        amount=claim.approved_amount,
    )
    _tell_bank(claim, "claim.approved", _l("风险补偿申请 #%(id)s 已批准", id=claim.id))
    db.session.commit()


def reject(actor: User, claim: CompensationClaim, reason: str) -> None:
    """Reject the claim with the reason the bank will read."""
    reason = reason.strip()
    if not reason:
        raise ClaimInputError({"reason": _("请填写驳回原因")})
    _decide(
        claim,
        status=ClaimStatus.REJECTED,
        decision_reason=reason[:200],
        decided_by_id=actor.id,
        decided_at=utcnow(),
    )
    audit.record(
        AuditAction.CLAIM_REJECT,
        actor=actor,
        obj=claim,
        firm_id=claim.firm_id,
        policy=claim.policy_id,
        reason=reason[:200],
    )
    _tell_bank(claim, "claim.rejected", _l("风险补偿申请 #%(id)s 已驳回", id=claim.id))
    db.session.commit()


def _tell_bank(claim: CompensationClaim, kind: str, title: str) -> None:
    notify(
        bank_user_ids(claim.institution_id),
        kind,
        title,
        link=path_for("claims.bank_detail", claim_id=claim.id),
    )


# --- recoveries ------------------------------------------------------------------------------


def approval_day(claim: CompensationClaim) -> dt.date | None:
    """The day (Asia/Shanghai) the claim was decided."""
    return day_in_china(claim.decided_at)


def recovery_refusal(claim: CompensationClaim) -> str | None:
    """Why no recovery may be recorded on the claim, or None once it is approved."""
    if claim.status == ClaimStatus.SUBMITTED:
        return _("该申请尚未批准，批准后才能登记追回款")
    if claim.status == ClaimStatus.REJECTED:
        return _("该申请已驳回，不能登记追回款")
    return None


def returned_total(claim_id: int) -> Decimal:
    """What the claim's recoveries have given back to the pool."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(ClaimRecovery.returned_amount), 0)).where(
            ClaimRecovery.claim_id == claim_id
        )
    )
    return Decimal(str(total))


def unrecovered(claim: CompensationClaim) -> Decimal:
    """Principal not yet recovered: the most a further recovery may be."""
    return max(claim.principal_outstanding - claim.recovered_total, ZERO)


def record_recovery(
    actor: User, claim: CompensationClaim, amount: Decimal, recovered_on: dt.date, note: str
) -> ClaimRecovery:
    """Record money the bank recovered on an approved claim; the pool's share goes back."""
    refusal = recovery_refusal(claim)
    if refusal is not None:
        raise ClaimError(refusal)
    problems = _recovery_problems(claim, amount, recovered_on)
    if problems:
        raise ClaimInputError(problems)
    changed = db.session.execute(
        update(CompensationClaim)
        .where(
            CompensationClaim.id == claim.id,
            CompensationClaim.status == ClaimStatus.APPROVED,
            CompensationClaim.recovered_total + amount <= CompensationClaim.principal_outstanding,
        )
        .values(recovered_total=CompensationClaim.recovered_total + amount)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:  # another recovery (or a change of state) got there first
        db.session.rollback()
        db.session.refresh(claim)
        refusal = recovery_refusal(claim)
        if refusal is not None:
            raise ClaimError(refusal)
        raise ClaimInputError(_recovery_problems(claim, amount, recovered_on))
    db.session.refresh(claim)
    still_paid = (claim.approved_amount or ZERO) - returned_total(claim.id)
    recovery = ClaimRecovery(
        claim_id=claim.id,
        amount=amount,
        returned_amount=rule.returned_amount(amount, claim.share, still_paid),
        recovered_on=recovered_on,
        note=note.strip()[:200] or None,
        reported_by_id=actor.id,
    )
    db.session.add(recovery)
    budget.return_to_pool(claim.policy_id, recovery.returned_amount)
    audit.record(
        AuditAction.CLAIM_RECOVERY,
        actor=actor,
        obj=claim,
        firm_id=claim.firm_id,
        amount=amount,
        returned=recovery.returned_amount,
        recovered_on=recovered_on.isoformat(),
    )
    db.session.commit()
    return recovery


def _recovery_problems(
    claim: CompensationClaim, amount: Decimal, recovered_on: dt.date
) -> dict[str, str]:
    found = {}
    left = unrecovered(claim)
    if amount <= 0:
        found["amount_wan"] = _("追回金额应大于 0（万元）")
    elif amount > left:
        found["amount_wan"] = _("追回金额不能超过尚未追回的本金 %(left)s 万元", left=_wan(left))
    first, today = approval_day(claim), today_in_china()
    if recovered_on > today:
        found["recovered_on"] = _("追回日期不能晚于今天")
    elif first is not None and recovered_on < first:
        found["recovered_on"] = _("追回日期不能早于批准日 %(day)s", day=first.isoformat())
    return found


# --- lists and totals ------------------------------------------------------------------------


def claims_statement(actor: User, statuses: Sequence[ClaimStatus] | None = None) -> Select[Any]:
    """The claims the actor may see: waiting ones first (oldest first), then the newest."""
    statement = scoped(select(CompensationClaim), CompensationClaim, actor).options(
        selectinload(CompensationClaim.policy),
        selectinload(CompensationClaim.loan),
        selectinload(CompensationClaim.firm),
        selectinload(CompensationClaim.institution),
    )
    if statuses:
        statement = statement.where(CompensationClaim.status.in_(tuple(statuses)))
    waiting_first = (CompensationClaim.status != ClaimStatus.SUBMITTED).label("decided")
    return statement.order_by(
        waiting_first,
        func.coalesce(CompensationClaim.decided_at, CompensationClaim.filed_at).desc(),
        CompensationClaim.id.desc(),
    )


def recoveries_of(claim: CompensationClaim) -> list[ClaimRecovery]:
    """The claim's recoveries, oldest first (the claim was scoped by the caller)."""
    return list(
        db.session.scalars(
            select(ClaimRecovery)
            .where(ClaimRecovery.claim_id == claim.id)
            .order_by(ClaimRecovery.id)
        )
    )


@dataclass
class Totals:
    """Claims and payouts of one group: counts and yuan."""

    count: int = 0
    claimed: Decimal = ZERO
    paid: Decimal = ZERO  # approved amounts drawn from the pools
    recovered: Decimal = ZERO  # what banks recovered on approved claims
    returned: Decimal = ZERO  # the pools' share of it, given back

    @property
    def net_paid(self) -> Decimal:
        return self.paid - self.returned


@dataclass
class PolicyTotals:
    policy: PolicyProduct
    by_status: dict[ClaimStatus, Totals] = field(default_factory=dict)

    @property
    def all(self) -> Totals:
        return _sum(self.by_status.values())


@dataclass
class Overview:
    by_status: dict[ClaimStatus, Totals]
    by_policy: list[PolicyTotals]

    @property
    def all(self) -> Totals:
        return _sum(self.by_status.values())


def _sum(groups: Any) -> Totals:
    total = Totals()
    for t in groups:
        total.count += t.count
        total.claimed += t.claimed
        total.paid += t.paid
        total.recovered += t.recovered
        total.returned += t.returned
    return total


def _money(value: object) -> Decimal:
    return Decimal(str(value or 0))


def overview(actor: User) -> Overview:
    """Claims and payouts the actor may see, by status and by policy (two grouped queries)."""
    c = CompensationClaim
    claim_rows = db.session.execute(
        scoped(
            select(
                c.policy_id,
                c.status,
                func.count(c.id),
                func.sum(c.claimed_amount),
                func.sum(c.approved_amount),
                func.sum(c.recovered_total),
            ),
            c,
            actor,
        ).group_by(c.policy_id, c.status)
    ).all()
    returned_rows = db.session.execute(
        scoped(
            select(c.policy_id, c.status, func.sum(ClaimRecovery.returned_amount)).join(
                ClaimRecovery, ClaimRecovery.claim_id == c.id
            ),
            c,
            actor,
        ).group_by(c.policy_id, c.status)
    ).all()
    returned = {(p, s): _money(amount) for p, s, amount in returned_rows}
    groups: dict[int, dict[ClaimStatus, Totals]] = {}
    for policy_id, status, count, claimed, approved, recovered in claim_rows:
        status = ClaimStatus(status)
        groups.setdefault(policy_id, {})[status] = Totals(
            count=count,
            claimed=_money(claimed),
            paid=_money(approved) if status == ClaimStatus.APPROVED else ZERO,
            recovered=_money(recovered),
            returned=returned.get((policy_id, status), ZERO),
        )
    policies = db.session.scalars(
        select(PolicyProduct).where(PolicyProduct.id.in_(list(groups))).order_by(PolicyProduct.id)
    )
    by_policy = [PolicyTotals(p, groups[p.id]) for p in policies]
    by_status = {
        status: _sum(t.by_status[status] for t in by_policy if status in t.by_status)
        for status in ClaimStatus
    }
    return Overview(by_status, by_policy)

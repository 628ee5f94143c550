"""Risk sharing when a guaranteed loan fails: the bank claims compensation from the guarantor
(代偿), the guarantor pays or rejects, then claims the re-guarantee's and the government's
parts of the loss, which government staff review; money recovered later is shared back.

When a loan may be claimed is the risk compensation rule's (`portal.claims.rule.ground`: classed
损失, or overdue the agreement's days); how a loss is split is `portal.guarantees.sharing`'s, on
the risk terms kept on the letter at issue. Every step is one transaction and a conditional
update on the row's status, so a double click or two officers at once act once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update

from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.authz import scoped
from portal.claims.rule import ground
from portal.claims.services import hold_row, latest_reports, principal_problems
from portal.dates import day_in_china, today_in_china
from portal.db import utcnow
from portal.enums import ClaimStatus, Role
from portal.extensions import db
from portal.guarantees import sharing
from portal.guarantees.models import (
    Compensation,
    CompensationRecovery,
    CompensationShare,
    Guarantee,
)
from portal.institutions.models import GovernmentAgency
from portal.leads.models import Loan
from portal.notifications.service import bank_user_ids, notify, path_for
from portal.numbers import plain
from portal.reporting.models import LoanStatusReport

PROVINCE_SUFFIX = "0000"
MAX_EVIDENCE_CHARS = 2000


class CompensationError(Exception):
    """A step that cannot be taken now; the message says why."""


class CompensationInputError(CompensationError):
    """Input to fix; `problems` maps each field to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__(_("填写有误，请按各栏提示修改"))


def risk_terms(letter: Guarantee) -> dict[str, Any]:
    """The letter's risk terms, or the guarantor alone for its coverage share."""
    return letter.risk_terms or sharing.sole_terms(letter.coverage_share)


# --- the bank's side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GuaranteedLoan:
    """One of the bank's guaranteed loans, its latest report and whether it may be claimed."""

    letter: Guarantee
    loan: Loan
    report: LoanStatusReport | None
    ground: str | None
    compensation: Compensation | None

    @property
    def claimable(self) -> bool:
        return self.ground is not None and self.compensation is None


def guaranteed_loans(actor: User, letter_id: int | None = None) -> list[GuaranteedLoan]:
    """The bank's disbursed loans under a guarantee letter, newest first, or the one under
    `letter_id` (three queries)."""
    statement = (
        scoped(select(Guarantee, Loan), Guarantee, actor)
        .join(Loan, Loan.id == Guarantee.loan_id)
        .order_by(Guarantee.issued_at.desc())
    )
    if letter_id is not None:
        statement = statement.where(Guarantee.id == letter_id)
    rows = db.session.execute(statement).all()
    reports = latest_reports(actor, {loan.id for _letter, loan in rows})
    filed = {
        c.guarantee_id: c
        for c in db.session.scalars(
            scoped(select(Compensation), Compensation, actor).where(
                Compensation.guarantee_id.in_([letter.id for letter, _loan in rows])
            )
        )
    }
    return [
        GuaranteedLoan(
            letter,
            loan,
            reports.get(loan.id),
            _ground(letter, reports.get(loan.id)),
            filed.get(letter.id),
        )
        for letter, loan in rows
    ]


def guaranteed_loan(actor: User, letter_id: int) -> GuaranteedLoan | None:
    """The bank's loan under the letter, or None while the letter is on no disbursed loan."""
    found = guaranteed_loans(actor, letter_id)
    return found[0] if found else None


def _ground(letter: Guarantee, report: LoanStatusReport | None) -> str | None:
    if report is None:
        return None
    trigger = risk_terms(letter).get("trigger_overdue_days")
    return ground(report.five_tier_class, report.days_overdue, trigger)


def file(
    actor: User, found: GuaranteedLoan, loss_amount: Decimal, evidence_note: str
) -> Compensation:
    """The bank claims compensation on a guaranteed loan in default (one per letter)."""
    letter = found.letter
    hold_row(Guarantee, letter.id)  # two filings of the same letter queue up here
    if _compensation_of(letter.id) is not None:
        db.session.rollback()
        raise CompensationError(_("该笔贷款已申请代偿，不能重复申请"))
    if found.ground is None or found.report is None:
        db.session.rollback()
        raise CompensationError(_("该笔贷款最近一期月报尚未达到代偿条件"))
    problems = _filing_problems(loss_amount, evidence_note, found.report)
    if problems:
        db.session.rollback()
        raise CompensationInputError(problems)
    split = sharing.split_loss(loss_amount, risk_terms(letter), letter.covered_amount)
    compensation = Compensation(
        guarantee_id=letter.id,
        loan_id=found.loan.id,
        bank_institution_id=letter.bank_institution_id,
        institution_id=letter.institution_id,
        firm_id=letter.firm_id,
        report_id=found.report.id,
        ground=found.ground,
        loss_amount=loss_amount,
        claimed_amount=sharing.paid_to_bank(split),
        split=sharing.as_text(split),
        status=ClaimStatus.SUBMITTED,
        evidence_note=evidence_note.strip(),
        filed_by_id=actor.id,
    )
    db.session.add(compensation)
    db.session.flush()
    audit.record(
        AuditAction.COMPENSATION_FILE,
        actor=actor,
        obj=compensation,
        firm_id=letter.firm_id,
        letter=letter.letter_no,
        loss=loss_amount,
        claimed=compensation.claimed_amount,
    )
    notify(
        bank_user_ids(letter.institution_id),
        "compensation.filed",
        _l("担保函 %(no)s 项下贷款违约，银行申请代偿", no=letter.letter_no),
        link=path_for("compensations.detail", compensation_id=compensation.id),
    )
    db.session.commit()
    return compensation


def _filing_problems(
    loss_amount: Decimal, evidence_note: str, report: LoanStatusReport
) -> dict[str, str]:
    found = {}
    principal = principal_problems(loss_amount, report)
    if principal:
        found["loss_wan"] = principal["principal_wan"]
    note = evidence_note.strip()
    if not note:
        found["evidence_note"] = _("请说明违约情况和已采取的催收措施")
    elif len(note) > MAX_EVIDENCE_CHARS:
        found["evidence_note"] = _("说明不超过 2000 字")
    return found


def _compensation_of(guarantee_id: int) -> Compensation | None:
    return db.session.scalar(select(Compensation).where(Compensation.guarantee_id == guarantee_id))


# --- the guarantor's side ----------------------------------------------------------------------


def pay(actor: User, compensation: Compensation) -> None:
    """The guarantor pays the bank; its claims for the onward shares go to government."""
    now = utcnow()
    _decide(compensation, status=ClaimStatus.APPROVED, decided_by_id=actor.id, decided_at=now)
    split = sharing.as_money(compensation.split)
    region = _firm_region(compensation)
    for party in sharing.CLAIMED_ONWARD:
        if split[party] > 0:
            db.session.add(
                CompensationShare(
                    compensation_id=compensation.id,
                    party=party,
                    amount=split[party],
                    status=ClaimStatus.SUBMITTED,
                    region_code=region,
                )
            )
    audit.record(
        AuditAction.COMPENSATION_PAY,
        actor=actor,
        obj=compensation,
        firm_id=compensation.firm_id,
        paid=compensation.claimed_amount,
    )
    _tell_bank(compensation, _l("担保机构已就贷款 %(no)s 代偿", no=_contract(compensation)))
    _tell_government(compensation, region)
    db.session.commit()


def reject(actor: User, compensation: Compensation, reason: str) -> None:
    """The guarantor refuses to pay, with a reason the bank reads."""
    refusal = decision_refusal(compensation)
    if refusal is not None:
        raise CompensationError(refusal)
    reason = reason.strip()
    if not reason:
        raise CompensationInputError({"reason": _("请填写拒绝代偿的理由")})
    _decide(
        compensation,
        status=ClaimStatus.REJECTED,
        decision_reason=reason[:200],
        decided_by_id=actor.id,
        decided_at=utcnow(),
    )
    audit.record(
        AuditAction.COMPENSATION_REJECT, actor=actor, obj=compensation, reason=reason[:200]
    )
    _tell_bank(compensation, _l("担保机构拒绝了贷款 %(no)s 的代偿申请", no=_contract(compensation)))
    db.session.commit()


def decision_refusal(compensation: Compensation) -> str | None:
    """Why the guarantor can no longer decide, or None."""
    if compensation.status == ClaimStatus.SUBMITTED:
        return None
    return _("该代偿申请已处理，不能再次处理")


def _decide(compensation: Compensation, **values: object) -> None:
    changed = db.session.execute(
        update(Compensation)
        .where(Compensation.id == compensation.id, Compensation.status == ClaimStatus.SUBMITTED)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(compensation)
    if changed != 1:
        db.session.rollback()
        raise CompensationError(decision_refusal(compensation) or _("状态已变化，请刷新"))


def record_recovery(
    actor: User, compensation: Compensation, amount: Decimal, recovered_on: dt.date, note: str
) -> CompensationRecovery:
    """Money recovered after compensation, shared back in the proportions of the loss."""
    if compensation.status != ClaimStatus.APPROVED:
        raise CompensationError(_("代偿后才能登记追偿回收"))
    hold_row(Compensation, compensation.id)
    db.session.refresh(compensation)
    left = compensation.loss_amount - compensation.recovered_total
    problems = _recovery_problems(amount, recovered_on, left, compensation)
    if problems:
        db.session.rollback()
        raise CompensationInputError(problems)
    parts = sharing.split_recovery(amount, sharing.as_money(compensation.split))
    recovery = CompensationRecovery(
        compensation_id=compensation.id,
        amount=amount,
        split=sharing.as_text(parts),
        recovered_on=recovered_on,
        note=note.strip() or None,
        reported_by_id=actor.id,
    )
    compensation.recovered_total = compensation.recovered_total + amount
    db.session.add(recovery)
    audit.record(
        AuditAction.COMPENSATION_RECOVER,
        actor=actor,
        obj=compensation,
        amount=amount,
        split=recovery.split,
    )
    db.session.commit()
    return recovery


def _recovery_problems(
    amount: Decimal, day: dt.date, left: Decimal, compensation: Compensation
) -> dict[str, str]:
    found = {}
    if amount <= 0:
        found["amount_wan"] = _("回收金额应大于 0（万元）")
    elif amount > left:
        found["amount_wan"] = _(
            "累计回收不能超过损失金额，本笔最多 %(left)s 万元", left=plain(left / 10000)
        )
    paid_on = day_in_china(compensation.decided_at)  # the day in China, not in UTC
    if paid_on is not None and not paid_on <= day <= today_in_china():
        found["recovered_on"] = _(
            "回收日期应在代偿日 %(first)s 至今天之间", first=paid_on.isoformat()
        )
    return found


# --- government's side -------------------------------------------------------------------------


def decide_share(actor: User, share: CompensationShare, approve: bool, reason: str) -> None:
    """Government staff approve or reject the guarantor's claim for an onward share."""
    reason = reason.strip()
    if not approve and not reason:
        raise CompensationInputError({"reason": _("请填写不予拨付的理由")})
    changed = db.session.execute(
        update(CompensationShare)
        .where(
            CompensationShare.id == share.id,
            CompensationShare.status == ClaimStatus.SUBMITTED,
        )
        .values(
            status=ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED,
            decision_reason=reason[:200] or None,
            decided_by_id=actor.id,
            decided_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(share)
    if changed != 1:
        db.session.rollback()
        raise CompensationError(_("该分担申请已处理，不能再次处理"))
    audit.record(
        AuditAction.COMPENSATION_SHARE_APPROVE
        if approve
        else AuditAction.COMPENSATION_SHARE_REJECT,
        actor=actor,
        obj=share.compensation,
        party=share.party,
        amount=share.amount,
    )
    notify(
        bank_user_ids(share.compensation.institution_id),
        "compensation.share_decided",
        _l("代偿 #%(id)s 的分担申请已审核", id=share.compensation_id),
        link=path_for("compensations.detail", compensation_id=share.compensation_id),
    )
    db.session.commit()


def shares_statement(actor: User, statuses: Sequence[ClaimStatus] | None = None) -> Select[Any]:
    """The onward share claims the actor may review, waiting ones first."""
    statement = scoped(select(CompensationShare), CompensationShare, actor)
    if statuses:
        statement = statement.where(CompensationShare.status.in_(statuses))
    return statement.order_by(CompensationShare.status.desc(), CompensationShare.id.desc())


def compensations_statement(actor: User) -> Select[Any]:
    return scoped(select(Compensation), Compensation, actor).order_by(Compensation.id.desc())


# --- who hears ---------------------------------------------------------------------------------


def _contract(compensation: Compensation) -> str:
    return db.session.get(Loan, compensation.loan_id).contract_no


def _firm_region(compensation: Compensation) -> str:
    return db.session.get(Loan, compensation.loan_id).firm.region_code


def _tell_bank(compensation: Compensation, title: str) -> None:
    notify(
        bank_user_ids(compensation.bank_institution_id),
        "compensation.decided",
        title,
        link=path_for("compensations.bank_index"),
    )


def _tell_government(compensation: Compensation, region_code: str) -> None:
    """Staff of the agencies covering the firm's city (and the province's) review shares."""
    province = region_code[:2] + PROVINCE_SUFFIX
    staff = db.session.scalars(
        select(User.id)
        .join(GovernmentAgency, GovernmentAgency.id == User.agency_id)
        .where(
            User.role == Role.GOV_STAFF,
            User.is_active.is_(True),
            GovernmentAgency.region_code.in_([region_code, province]),
        )
    )
    notify(
        list(staff),
        "compensation.share_submitted",
        _l("担保机构就代偿 #%(id)s 申请再担保和政府分担", id=compensation.id),
        link=path_for("compensations.shares"),
    )

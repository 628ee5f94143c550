"""Closing a firm's account: an owner asks, platform staff close it or refuse.

States: requested → closed (staff close it) or cancelled (an owner withdraws it, or staff
refuse it with a note). Closed and cancelled are final. Every change is one conditional UPDATE
on a request still `requested`, so two people deciding at once cannot both succeed, and a closed
request can be neither withdrawn nor closed again.

Closing stops the account, it does not erase the firm's business: every user of the firm is
disabled (sessions ended), the firm's data authorisation is revoked, and nothing is withdrawn or
changed on loans, grants or other settled business. What is kept, and for how long, follows the
privacy policy's section 四 (portal/legal/texts/privacy); RETENTION below repeats its periods.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from portal.accounts.models import AccountToken, RecoveryCode, User
from portal.accounts.passwords import unusable_password_hash
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.datasources.authorisations import active_authorisation
from portal.db import utcnow
from portal.enums import FirmClosureStatus, LoanStatus
from portal.extensions import db
from portal.firm_team.models import FirmClosureRequest
from portal.firms.models import Firm
from portal.leads.models import Lead, Loan
from portal.leads.services import LIVE_NEED_STATUSES, STILL_OPEN
from portal.mail.models import OutboxEmail, OutboxStatus
from portal.needs.models import FinancingNeed
from portal.notifications.service import firm_user_ids, notify, path_for

# What is kept after closing and for how long: the privacy policy's periods, in its words.
RETENTION = (
    (
        _l("融资业务记录"),
        _l(
            "需求、匹配、授信、贷款及其每月状态、担保、代偿、贴息和风险补偿记录，"
            "自相关贷款结清或业务终止之日起保存 5 年（参照《征信业管理条例》第十六条），"
            "供政府部门核查政策资金、监管部门依法检查"
        ),
    ),
    (
        _l("企业信息和政务数据"),
        _l("作为当时匹配和审批的依据，按融资业务记录的期限保存"),
    ),
    (
        _l("政务数据授权与查询记录"),
        _l("注销时授权立即撤回；授权和银行的查询记录自撤回之日起保存 5 年"),
    ),
    (
        _l("授权委托书和同意记录"),
        _l("注销后保存 5 年，证明注册人有权代表企业以及同意了哪一版本的协议和政策"),
    ),
    (
        _l("审计日志"),
        _l("至少保存 5 年（不少于《网络安全法》第二十一条要求的 6 个月），只增不改"),
    ),
)
# Deleted or anonymised once the account is closed (privacy policy, section 四).
DELETED = _l(
    "账号信息（姓名、登录邮箱、手机号码、两步验证密钥）在注销时即删除，账号只留编号，"
    "供上述须依法保存的记录引用；期限届满的记录删除或匿名化。"
)


class ClosureRefused(Exception):
    """The closure request cannot be made or decided now; the message says why."""


# --- what stands in the way ----------------------------------------------------------------------


def open_request(firm_id: int) -> FirmClosureRequest | None:
    """The firm's request waiting for platform staff, if any."""
    return db.session.scalar(
        select(FirmClosureRequest).where(
            FirmClosureRequest.firm_id == firm_id,
            FirmClosureRequest.status == FirmClosureStatus.REQUESTED,
        )
    )


def last_refused(firm_id: int) -> FirmClosureRequest | None:
    """The firm's latest request platform staff refused (it carries their note), if any."""
    return db.session.scalar(
        select(FirmClosureRequest)
        .where(
            FirmClosureRequest.firm_id == firm_id,
            FirmClosureRequest.status == FirmClosureStatus.CANCELLED,
            FirmClosureRequest.note.is_not(None),
        )
        .order_by(FirmClosureRequest.decided_at.desc(), FirmClosureRequest.id.desc())
        .limit(1)
    )


def business_refusal(firm_id: int) -> str | None:
    """Why the firm's account cannot be closed yet (live business), or None."""
    live_need = select(FinancingNeed.id).where(
        FinancingNeed.firm_id == firm_id, FinancingNeed.status.in_(LIVE_NEED_STATUSES)
    )
    if db.session.scalar(live_need.limit(1)) is not None:
        return _(
            "企业还有正在办理的融资需求（已匹配或已推送银行），不能注销；"
            "请先撤回需求或等待其办结后再申请"
        )
    offer_taken = (
        select(Lead.id)
        .join(FinancingNeed, FinancingNeed.id == Lead.need_id)
        .where(
            FinancingNeed.firm_id == firm_id,
            Lead.offer_taken_at.is_not(None),
            Lead.status.in_(STILL_OPEN),
        )
    )
    if db.session.scalar(offer_taken.limit(1)) is not None:
        return _("企业已接受银行的授信方案但尚未放款，不能注销；请等待放款或联系该银行结束后再申请")
    return None


def request_refusal(firm_id: int) -> str | None:
    """Why an owner cannot ask to close the account now, or None."""
    if open_request(firm_id) is not None:
        return _("已有一份注销申请正在等待平台办理，无需重复提交")
    return business_refusal(firm_id)


def active_loans(firm_id: int) -> int:
    """The firm's loans not yet repaid: closing leaves them, and their records, as they are."""
    count = select(func.count(Loan.id)).where(
        Loan.firm_id == firm_id, Loan.status == LoanStatus.ACTIVE
    )
    return db.session.scalar(count) or 0


# --- the owner's side ----------------------------------------------------------------------------


def request_closure(actor: User, reason: str | None) -> FirmClosureRequest:
    """An owner asks to close the firm's account. The firm's row is locked first (PostgreSQL), so
    two owners asking at once make one request."""
    _lock_firm(actor.firm_id)
    refusal = request_refusal(actor.firm_id)
    if refusal is not None:
        db.session.rollback()
        raise ClosureRefused(refusal)
    closure = FirmClosureRequest(
        firm_id=actor.firm_id, requested_by_id=actor.id, reason=(reason or "").strip() or None
    )
    db.session.add(closure)
    db.session.flush()
    audit.record(AuditAction.FIRM_CLOSURE_REQUEST, actor=actor, obj=closure, firm_id=actor.firm_id)
    db.session.commit()
    return closure


def cancel_request(actor: User) -> FirmClosureRequest:
    """An owner withdraws the firm's open request."""
    closure = open_request(actor.firm_id)
    if closure is None:
        raise ClosureRefused(_("没有等待办理的注销申请，无需撤回"))
    _decide(closure, FirmClosureStatus.CANCELLED, actor)
    audit.record(AuditAction.FIRM_CLOSURE_CANCEL, actor=actor, obj=closure, firm_id=closure.firm_id)
    db.session.commit()
    return closure


# --- platform staff's side -----------------------------------------------------------------------


def open_requests() -> list[FirmClosureRequest]:
    """Requests waiting for platform staff, the longest-waiting first."""
    return list(
        db.session.scalars(
            select(FirmClosureRequest)
            .where(FirmClosureRequest.status == FirmClosureStatus.REQUESTED)
            .order_by(FirmClosureRequest.requested_at, FirmClosureRequest.id)
        )
    )


def refuse(actor: User, closure: FirmClosureRequest, note: str) -> None:
    """Platform staff refuse the request, saying why; the firm's users are told."""
    _decide(closure, FirmClosureStatus.CANCELLED, actor, note=note)
    audit.record(AuditAction.FIRM_CLOSURE_REFUSE, actor=actor, obj=closure, firm_id=closure.firm_id)
    notify(
        firm_user_ids(closure.firm_id),
        "firm.closure_refused",
        _l("平台未办理企业账号注销申请"),
        note,
        link=path_for("firm_team.closure"),
    )
    db.session.commit()


def close(actor: User, closure: FirmClosureRequest) -> int:
    """Close the firm's account, in one transaction: every user of the firm is disabled and
    signed out, the data authorisation is revoked, the request is marked closed. Loans, grants
    and other records stay as they are. Returns how many users were disabled."""
    _lock_firm(closure.firm_id)
    refusal = business_refusal(closure.firm_id)
    if refusal is not None:  # a need submitted after the request was made
        db.session.rollback()
        raise ClosureRefused(refusal)
    _decide(closure, FirmClosureStatus.CLOSED, actor)
    users = db.session.scalars(select(User).where(User.firm_id == closure.firm_id)).all()
    for user in users:
        if user.is_active:
            user.is_active = False
            audit.record(
                AuditAction.USER_DEACTIVATE, actor=actor, obj=user, firm_id=closure.firm_id
            )
        user.rotate_session_token()  # ends every session, even one signed in a moment ago
        _anonymise(user)
        audit.record(AuditAction.USER_ANONYMISE, actor=actor, obj=user, firm_id=closure.firm_id)
    authorisation = active_authorisation(closure.firm_id)
    if authorisation is not None:
        authorisation.revoked_at = utcnow()
        audit.record(
            AuditAction.DATA_REVOKE, actor=actor, obj=authorisation, firm_id=closure.firm_id
        )
    audit.record(
        AuditAction.FIRM_CLOSE,
        actor=actor,
        obj=closure,
        firm_id=closure.firm_id,
        users=len(users),
        authorisation_revoked=authorisation is not None,
    )
    db.session.commit()
    return len(users)


def _anonymise(user: User) -> None:
    """Delete what identifies the person behind a closed firm's account (DELETED says so): the
    row stays, since loans, consents and the audit log refer to it, but it names nobody, can
    never sign in again, and no mail waits for it."""
    db.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    address = f"closed-user-{user.id}@closed.invalid"  # .invalid never resolves (RFC 2606)
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.user_id == user.id)
        .values(to_address=address, body="")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.user_id == user.id, OutboxEmail.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.FAILED, last_error="account closed")
        .execution_options(synchronize_session=False)
    )
    user.full_name = f"#{user.id}"
    user.email = address
    user.phone = None
    user.password_hash = unusable_password_hash()
    user.totp_secret = user.totp_confirmed_at = user.locale = user.email_verified_at = None


# --- shared --------------------------------------------------------------------------------------


def _lock_firm(firm_id: int) -> None:
    db.session.execute(select(Firm.id).where(Firm.id == firm_id).with_for_update())


def _decide(
    closure: FirmClosureRequest,
    status: FirmClosureStatus,
    actor: User,
    note: str | None = None,
) -> None:
    """Move a request still waiting to its final state; refused when it was decided meanwhile."""
    result = db.session.execute(
        update(FirmClosureRequest)
        .where(
            FirmClosureRequest.id == closure.id,
            FirmClosureRequest.status == FirmClosureStatus.REQUESTED,
        )
        .values(status=status, decided_by_id=actor.id, decided_at=utcnow(), note=note)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise ClosureRefused(_("该注销申请已办结（已注销、已撤回或未予办理），不能再更改"))
    db.session.refresh(closure)

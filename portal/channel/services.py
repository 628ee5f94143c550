"""The work of the channel on a lead: who to call, messages, document requests and uploads,
and the record of every time an institution opens a firm's document.

The channel is open while the bank may see the firm (the lead accepted, an offer made, the loan
disbursed); once the lead ends — declined, expired, closed because the firm took another offer
or withdrew the need — nothing more is said or exchanged on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import abort
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal import storage as store
from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.authz.scoping import LEAD_STATUSES_REVEALING_FIRM, get_or_404, scoped
from portal.channel.models import DocumentRequest, LeadDocument, LeadMessage
from portal.db import utcnow
from portal.enums import DOCUMENT_KIND_LABELS, DocumentKind, DocumentRequestStatus, Role
from portal.extensions import db
from portal.institutions.forms import PHONE_PATTERN
from portal.leads.models import Lead
from portal.notifications.service import bank_user_ids, firm_user_ids, notify, path_for
from portal.uploads import UploadedFile

MAX_MESSAGE_CHARS = 2000
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
# Bounds on what one lead may hold, so that no lead costs more than a lending file does.
MAX_DOCUMENTS_PER_LEAD = 40
MAX_OPEN_REQUESTS = 10
MAX_MESSAGES_PER_LEAD = 500
MAX_CONTACT_NAME_CHARS = 40


class ChannelError(Exception):
    """A refused channel action; the message says why, in the user's language."""


class ChannelInputError(ChannelError):
    """Input to fix; `problems` maps each of the page's fields to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__(_("填写有误，请按各栏提示修改"))


def side_of(actor: User) -> str:
    return "firm" if actor.role == Role.SME else "bank"


def refusal(lead: Lead) -> str | None:
    """Why nothing more may be exchanged on this lead, or None while the channel is open."""
    if lead.status in LEAD_STATUSES_REVEALING_FIRM:
        return None
    return _("该申请已结束，不能再留言或交换材料")


def bank_lead_or_404(actor: User, lead_id: int) -> Lead:
    """The bank's own lead while it may see the firm; any other lead is a 404 (also once the
    channel has closed: the firm is no longer the bank's to see)."""
    lead = get_or_404(Lead, lead_id, actor)
    if not is_open(lead):
        abort(404)
    return lead


def is_open(lead: Lead) -> bool:
    return refusal(lead) is None


# --- contact ----------------------------------------------------------------------------------


def default_contact(actor: User) -> tuple[str, str | None]:
    """Whom the firm calls when an officer accepts a lead: the officer, at their own phone or
    else the institution's."""
    institution = actor.institution
    phone = actor.phone or (institution.contact_phone if institution else None)
    return actor.full_name, phone


def set_contact(actor: User, lead: Lead, name: str, phone: str) -> None:
    """The bank's contact on the lead, whom the firm calls: a name and a phone number."""
    problems = contact_problems(name, phone)
    if problems:
        raise ChannelInputError(problems)
    _hold_open(lead)
    before = {"name": lead.contact_name, "phone": lead.contact_phone}
    lead.contact_name, lead.contact_phone = name.strip(), phone.strip()
    audit.record(
        AuditAction.LEAD_CONTACT_SET,
        actor=actor,
        obj=lead,
        firm_id=lead.need.firm_id,
        before=before,
        after={"name": lead.contact_name, "phone": lead.contact_phone},
    )
    db.session.commit()


def contact_problems(name: str, phone: str) -> dict[str, str]:
    """The contact form's rules (portal.channel.forms.ContactForm), by its field names."""
    found = {}
    name = name.strip()
    if not name:
        found["contact_name"] = _("请填写联系人姓名")
    elif len(name) > MAX_CONTACT_NAME_CHARS:
        found["contact_name"] = _("联系人姓名不超过 40 个字")
    phone = phone.strip()
    if not phone:
        found["contact_phone"] = _("请填写联系电话")
    elif not re.fullmatch(PHONE_PATTERN, phone):
        found["contact_phone"] = _("请填写有效的电话号码，如 0591-87654321 或 13800000000")
    return found


@dataclass(frozen=True)
class FirmContact:
    name: str
    phone: str | None
    email: str


def firm_contact(lead: Lead) -> FirmContact:
    """Whom the bank calls at the firm: the user who submitted the need, whose consent to share
    the firm's information with the banks it reached came with it."""
    submitter = db.session.get(User, lead.need.submitted_by_id)
    assert submitter is not None  # noqa: S101  (a foreign key)
    return FirmContact(submitter.full_name, submitter.phone, submitter.email)


# --- messages ---------------------------------------------------------------------------------


def post_message(actor: User, lead: Lead, body: str) -> LeadMessage:
    """Say something to the other side; they hear of it in the portal and by e-mail."""
    _hold_open(lead)
    text = body.strip()
    if not text or len(text) > MAX_MESSAGE_CHARS:
        raise ChannelError(_("留言应为 1 至 %(n)s 个字", n=MAX_MESSAGE_CHARS))
    if _count(LeadMessage, lead) >= MAX_MESSAGES_PER_LEAD:
        raise ChannelError(_("该申请的留言已达 %(n)s 条上限，请电话联系", n=MAX_MESSAGES_PER_LEAD))
    message = LeadMessage(lead_id=lead.id, author_id=actor.id, side=side_of(actor), body=text)
    db.session.add(message)
    db.session.flush()
    # The entry holds no text: the message is its own record; the entry says who spoke when.
    audit.record(
        AuditAction.LEAD_MESSAGE, actor=actor, obj=message, firm_id=lead.need.firm_id, lead=lead.id
    )
    if message.side == "bank":
        _tell_firm(lead, "lead.message", _l("%(bank)s 给您留言", bank=_bank_name(lead)))
    else:
        _tell_bank(lead, "lead.message", _l("线索 #%(id)s 的企业给您留言", id=lead.id))
    db.session.commit()
    return message


def messages_of(actor: User, lead: Lead) -> list[LeadMessage]:
    return list(
        db.session.scalars(
            scoped(select(LeadMessage), LeadMessage, actor)
            .where(LeadMessage.lead_id == lead.id)
            .order_by(LeadMessage.created_at, LeadMessage.id)
        )
    )


# --- document requests ------------------------------------------------------------------------


def request_document(actor: User, lead: Lead, kind: DocumentKind, note: str) -> DocumentRequest:
    """The bank asks the firm for a document."""
    _hold_open(lead)
    if _open_request_count(lead) >= MAX_OPEN_REQUESTS:
        raise ChannelError(
            _("已有 %(n)s 项材料待企业上传，请等企业上传或撤销后再请求", n=MAX_OPEN_REQUESTS)
        )
    wanted = DocumentRequest(
        lead_id=lead.id, kind=kind, note=note.strip() or None, requested_by_id=actor.id
    )
    db.session.add(wanted)
    db.session.flush()
    audit.record(
        AuditAction.LEAD_DOCUMENT_REQUEST,
        actor=actor,
        obj=wanted,
        firm_id=lead.need.firm_id,
        lead=lead.id,
        kind=kind.value,
    )
    _tell_firm(
        lead,
        "lead.documents_requested",
        _l("%(bank)s 请您上传材料：%(kind)s", bank=_bank_name(lead), kind=_kind_label(kind)),
    )
    db.session.commit()
    return wanted


def cancel_request(actor: User, lead: Lead, wanted: DocumentRequest) -> None:
    _hold_open(lead)
    if wanted.status != DocumentRequestStatus.OPEN:
        raise ChannelError(_("该材料请求已处理，不能撤销"))
    wanted.status, wanted.closed_at = DocumentRequestStatus.CANCELLED, utcnow()
    audit.record(
        AuditAction.LEAD_DOCUMENT_REQUEST_CANCEL,
        actor=actor,
        obj=wanted,
        firm_id=lead.need.firm_id,
        lead=lead.id,
    )
    db.session.commit()


def requests_of(actor: User, lead: Lead) -> list[DocumentRequest]:
    return list(
        db.session.scalars(
            scoped(select(DocumentRequest), DocumentRequest, actor)
            .where(DocumentRequest.lead_id == lead.id)
            .order_by(DocumentRequest.created_at.desc(), DocumentRequest.id.desc())
        )
    )


def _open_request_count(lead: Lead) -> int:
    return (
        db.session.scalar(
            select(func.count(DocumentRequest.id)).where(
                DocumentRequest.lead_id == lead.id,
                DocumentRequest.status == DocumentRequestStatus.OPEN,
            )
        )
        or 0
    )


# --- documents --------------------------------------------------------------------------------


def upload_document(
    actor: User, lead: Lead, wanted: DocumentRequest, upload: UploadedFile
) -> LeadDocument:
    """The firm answers a request with a file; the request is then fulfilled. A fulfilled
    request takes more files (a second year's statements) while the lead is open."""
    _hold_open(lead)
    if wanted.status == DocumentRequestStatus.CANCELLED:
        raise ChannelError(_("银行已撤销该材料请求，无需上传"))
    if _count(LeadDocument, lead) >= MAX_DOCUMENTS_PER_LEAD:
        raise ChannelError(
            _("该申请已有 %(n)s 份材料，达到上限；如需更换请联系银行", n=MAX_DOCUMENTS_PER_LEAD)
        )
    with store.kept(upload) as key:
        document = _document_row(actor, lead, wanted, upload, key)
        audit.record(
            AuditAction.LEAD_DOCUMENT_UPLOAD,
            actor=actor,
            obj=document,
            firm_id=lead.need.firm_id,
            lead=lead.id,
            kind=wanted.kind.value,
            sha256=upload.sha256,
        )
        _tell_bank(
            lead,
            "lead.document_uploaded",
            _l("线索 #%(id)s 的企业已上传：%(kind)s", id=lead.id, kind=_kind_label(wanted.kind)),
        )
        db.session.commit()
    return document


def _document_row(
    actor: User, lead: Lead, wanted: DocumentRequest, upload: UploadedFile, key: str
) -> LeadDocument:
    document = LeadDocument(
        lead_id=lead.id,
        firm_id=lead.need.firm_id,
        request_id=wanted.id,
        kind=wanted.kind,
        uploaded_by_id=actor.id,
        **LeadDocument.columns_for(upload, key),
    )
    db.session.add(document)
    if wanted.status == DocumentRequestStatus.OPEN:
        wanted.status, wanted.closed_at = DocumentRequestStatus.FULFILLED, utcnow()
    db.session.flush()
    return document


def documents_of(actor: User, lead: Lead) -> list[LeadDocument]:
    return list(
        db.session.scalars(
            scoped(select(LeadDocument), LeadDocument, actor)
            .where(LeadDocument.lead_id == lead.id)
            .order_by(LeadDocument.created_at.desc(), LeadDocument.id.desc())
        )
    )


def open_document(actor: User, document: LeadDocument) -> bytes:
    """The document's content; an institution's look is recorded for the firm to see."""
    content = store.read(document.storage_key)
    if actor.role != Role.SME:
        audit.record(
            AuditAction.FIRM_DOCUMENT_DOWNLOAD,
            actor=actor,
            obj=document,
            firm_id=document.firm_id,
            lead=document.lead_id,
            kind=document.kind.value,
            filename=document.filename,
        )
        db.session.commit()
    return content


# --- helpers ----------------------------------------------------------------------------------


def _hold_open(lead: Lead) -> None:
    """Lock the lead for this transaction and refuse if its channel has closed: a lead closed
    at the same moment either waits for this action or refuses it."""
    db.session.execute(select(Lead.id).where(Lead.id == lead.id).with_for_update())
    db.session.refresh(lead)
    reason = refusal(lead)
    if reason is not None:
        db.session.rollback()
        raise ChannelError(reason)


def _count(model: type[LeadMessage] | type[LeadDocument], lead: Lead) -> int:
    return db.session.scalar(select(func.count(model.id)).where(model.lead_id == lead.id)) or 0


def _bank_name(lead: Lead) -> str:
    return lead.institution.short_name if lead.institution else ""


def _kind_label(kind: DocumentKind) -> object:
    """The kind's lazy label: a notification keeps it to show in each reader's language."""
    return DOCUMENT_KIND_LABELS[kind]


def _tell_firm(lead: Lead, kind: str, title: object) -> None:
    link = path_for("channel.firm_lead", need_id=lead.need_id, lead_id=lead.id)
    notify(firm_user_ids(lead.need.firm_id), kind, title, link=link)  # type: ignore[arg-type]


def _tell_bank(lead: Lead, kind: str, title: object) -> None:
    """The officer handling the lead, or the whole team when that officer has left."""
    handler = db.session.get(User, lead.handled_by_id) if lead.handled_by_id else None
    team = bank_user_ids(lead.institution_id) if lead.institution_id else []
    recipients = [handler.id] if handler is not None and handler.id in team else team
    link = path_for("channel.bank_lead", lead_id=lead.id)
    notify(recipients, kind, title, link=link)  # type: ignore[arg-type]

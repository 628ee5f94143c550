"""The channel's pages: the bank's at /bank/leads/<id>/channel, the firm's under its need."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal import storage
from portal.admin.forms import ConfirmForm
from portal.authz import Permission, get_or_404, requires
from portal.channel import services
from portal.channel.forms import ContactForm, DocumentRequestForm, MessageForm, UploadForm
from portal.channel.models import DocumentRequest, LeadDocument
from portal.channel.services import ChannelError
from portal.db import writes_on_get
from portal.leads.models import Lead

bp = Blueprint("channel", __name__)


# --- the bank's side --------------------------------------------------------------------------


@bp.get("/bank/leads/<int:lead_id>/channel")
@requires(Permission.BANK_LEADS_WORK)
def bank_lead(lead_id: int) -> str:
    """Contact, messages and documents with the firm, while the bank may see it."""
    return _render(_bank_lead(lead_id))


@bp.post("/bank/leads/<int:lead_id>/channel/contact")
@requires(Permission.BANK_LEADS_WORK)
def bank_contact(lead_id: int) -> str | Response:
    lead = _bank_lead(lead_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return _render(lead, contact_form=form)
    return _attempt(
        lead,
        lambda: services.set_contact(
            current_user, lead, form.contact_name.data, form.contact_phone.data
        ),
        _("联系人已更新，企业会看到新的联系人和电话。"),
    )


@bp.post("/bank/leads/<int:lead_id>/channel/messages")
@requires(Permission.BANK_LEADS_WORK)
def bank_message(lead_id: int) -> str | Response:
    return _post_message(_bank_lead(lead_id))


@bp.post("/bank/leads/<int:lead_id>/channel/requests")
@requires(Permission.BANK_LEADS_WORK)
def bank_request(lead_id: int) -> str | Response:
    lead = _bank_lead(lead_id)
    form = DocumentRequestForm()
    if not form.validate_on_submit():
        return _render(lead, request_form=form)
    return _attempt(
        lead,
        lambda: services.request_document(
            current_user, lead, form.document_kind(), form.note.data or ""
        ),
        _("已请企业上传该材料，企业会收到通知。"),
    )


@bp.post("/bank/leads/<int:lead_id>/channel/requests/<int:request_id>/cancel")
@requires(Permission.BANK_LEADS_WORK)
def bank_cancel_request(lead_id: int, request_id: int) -> Response:
    lead = _bank_lead(lead_id)
    wanted = _request_on(lead, request_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _attempt(
        lead,
        lambda: services.cancel_request(current_user, lead, wanted),
        _("材料请求已撤销。"),
    )


@bp.get("/bank/leads/<int:lead_id>/documents/<int:document_id>")
@requires(Permission.BANK_LEADS_WORK)
@writes_on_get
def bank_document(lead_id: int, document_id: int) -> Response:
    """The document itself; the download is recorded and shown to the firm."""
    return _download(_bank_lead(lead_id), document_id)


# --- the firm's side --------------------------------------------------------------------------


@bp.get("/firm/needs/<int:need_id>/banks/<int:lead_id>")
@requires(Permission.FIRM_NEED_SUBMIT)
def firm_lead(need_id: int, lead_id: int) -> str:
    """The bank's contact, messages and the documents it asked for."""
    return _render(_firm_lead(need_id, lead_id))


@bp.post("/firm/needs/<int:need_id>/banks/<int:lead_id>/messages")
@requires(Permission.FIRM_NEED_SUBMIT)
def firm_message(need_id: int, lead_id: int) -> str | Response:
    return _post_message(_firm_lead(need_id, lead_id))


@bp.post("/firm/needs/<int:need_id>/banks/<int:lead_id>/requests/<int:request_id>/upload")
@requires(Permission.FIRM_NEED_SUBMIT)
def firm_upload(need_id: int, lead_id: int, request_id: int) -> str | Response:
    lead = _firm_lead(need_id, lead_id)
    wanted = _request_on(lead, request_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return _render(lead, upload_forms={wanted.id: form})
    assert form.uploaded is not None  # noqa: S101  (validate_document set it)
    upload = form.uploaded
    return _attempt(
        lead,
        lambda: services.upload_document(current_user, lead, wanted, upload),
        _("文件已上传，银行会收到通知。"),
    )


@bp.get("/firm/needs/<int:need_id>/banks/<int:lead_id>/documents/<int:document_id>")
@requires(Permission.FIRM_NEED_SUBMIT)
def firm_document(need_id: int, lead_id: int, document_id: int) -> Response:
    return _download(_firm_lead(need_id, lead_id), document_id)


# --- helpers ----------------------------------------------------------------------------------


def _bank_lead(lead_id: int) -> Lead:
    return services.bank_lead_or_404(current_user, lead_id)


def _firm_lead(need_id: int, lead_id: int) -> Lead:
    """The firm's own lead on this need, once a bank has taken it on (before that there is no
    one to talk to)."""
    lead = get_or_404(Lead, lead_id, current_user)
    if lead.need_id != need_id or lead.accepted_at is None:
        abort(404)
    return lead


def _request_on(lead: Lead, request_id: int) -> DocumentRequest:
    wanted = get_or_404(DocumentRequest, request_id, current_user)
    if wanted.lead_id != lead.id:
        abort(404)
    return wanted


def _post_message(lead: Lead) -> str | Response:
    form = MessageForm()
    if not form.validate_on_submit():
        return _render(lead, message_form=form)
    return _attempt(
        lead,
        lambda: services.post_message(current_user, lead, form.body.data),
        _("留言已发送。"),
    )


def _attempt(lead: Lead, action: Callable[[], object], done: str) -> Response:
    """Run the service action; say it was done, or why it was refused, on the lead's page."""
    try:
        action()
    except ChannelError as error:
        flash(str(error), "error")
    else:
        flash(done, "success")
    return redirect(_page_of(lead))


def _page_of(lead: Lead) -> str:
    if services.side_of(current_user) == "firm":
        return url_for("channel.firm_lead", need_id=lead.need_id, lead_id=lead.id)
    return url_for("channel.bank_lead", lead_id=lead.id)


def _download(lead: Lead, document_id: int) -> Response:
    document = get_or_404(LeadDocument, document_id, current_user)
    if document.lead_id != lead.id:
        abort(404)
    return storage.attachment(document, services.open_document(current_user, document))


def _render(
    lead: Lead,
    *,
    message_form: MessageForm | None = None,
    contact_form: ContactForm | None = None,
    request_form: DocumentRequestForm | None = None,
    upload_forms: dict[int, UploadForm] | None = None,
) -> str:
    side = services.side_of(current_user)
    requests = services.requests_of(current_user, lead)
    failed = upload_forms or {}  # the one upload that was refused keeps its message
    return render_template(
        "channel/lead.html",
        lead=lead,
        side=side,
        channel_open=services.is_open(lead),
        refusal=services.refusal(lead),
        messages=services.messages_of(current_user, lead),
        requests=requests,
        documents=services.documents_of(current_user, lead),
        message_form=message_form or MessageForm(formdata=None),
        contact_form=contact_form or _fresh_contact(lead),
        request_form=request_form or DocumentRequestForm(formdata=None),
        upload_forms={r.id: failed.get(r.id) or UploadForm(formdata=None) for r in requests},
        confirm=ConfirmForm(),
        firm_contact=services.firm_contact(lead) if side == "bank" else None,
    )


def _fresh_contact(lead: Lead) -> ContactForm:
    form = ContactForm(formdata=None)
    form.contact_name.data, form.contact_phone.data = lead.contact_name, lead.contact_phone
    return form

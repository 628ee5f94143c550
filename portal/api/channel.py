"""The bank's side of an accepted lead through the API: messages, document requests and the
firm's documents, through the same services (and records) as the lead's channel page."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from portal import storage
from portal.api.access import api_scope
from portal.api.idempotency import idempotent
from portal.api.problems import ApiProblem, run_service
from portal.api.scopes import Scope
from portal.authz import Permission, get_or_404
from portal.channel import services
from portal.channel.models import DocumentRequest, LeadDocument
from portal.channel.services import (
    MAX_CONTACT_NAME_CHARS,
    MAX_MESSAGE_CHARS,
    ChannelError,
)
from portal.enums import DocumentKind

bp = Blueprint(
    "api_channel",
    __name__,
    url_prefix="/api/v1/leads/<int:lead_id>",
    description="Messages and documents between the bank and the firm on an accepted lead.",
)

READ = (Scope.LEADS_READ, Permission.BANK_LEADS_WORK)
WRITE = (Scope.LEADS_WRITE, Permission.BANK_LEADS_WORK)
# The service names refused fields by the contact page's form fields.
CONTACT_FIELDS = {"contact_name": "name", "contact_phone": "phone"}


class Contact(Schema):
    name = fields.String(attribute="contact_name", allow_none=True)
    phone = fields.String(attribute="contact_phone", allow_none=True)


class ContactBody(Schema):
    name = fields.String(required=True, validate=validate.Length(1, MAX_CONTACT_NAME_CHARS))
    phone = fields.String(required=True, validate=validate.Length(1, 32))


class Message(Schema):
    id = fields.Integer()
    side = fields.String(validate=validate.OneOf(["bank", "firm"]))
    body = fields.String()
    created_at = fields.DateTime()


class MessageBody(Schema):
    body = fields.String(required=True, validate=validate.Length(1, MAX_MESSAGE_CHARS))


class DocumentRequestOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    note = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class DocumentRequestBody(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([str(k) for k in DocumentKind]))
    note = fields.String(load_default="", validate=validate.Length(max=200))


class Document(Schema):
    id = fields.Integer()
    request_id = fields.Integer(allow_none=True)
    kind = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    created_at = fields.DateTime()


@bp.route("/contact", methods=["PUT"])
@api_scope(*WRITE)
@bp.arguments(ContactBody)
@bp.response(200, Contact)
@bp.alt_response(409, response="CONFLICT", description="The lead has ended meanwhile.")
def put_contact(body: dict[str, Any], lead_id: int) -> Any:
    """Set whom the firm calls at the bank: a name and a phone number (a landline with its area
    code, or a mobile number). Sending the same contact again changes nothing."""
    lead = services.bank_lead_or_404(current_user, lead_id)
    _run(services.set_contact, current_user, lead, body["name"], body["phone"])
    return lead


@bp.route("/messages", methods=["GET"])
@api_scope(*READ)
@bp.response(200, Message(many=True))
def list_messages(lead_id: int) -> list[Any]:
    """The messages on the lead, oldest first."""
    lead = services.bank_lead_or_404(current_user, lead_id)
    return services.messages_of(current_user, lead)


@bp.route("/messages", methods=["POST"])
@api_scope(*WRITE)
@idempotent
@bp.arguments(MessageBody)
@bp.response(201, Message)
def post_message(body: dict[str, Any], lead_id: int) -> Any:
    """Write to the firm; it hears of it in the portal and by e-mail."""
    lead = services.bank_lead_or_404(current_user, lead_id)
    return _run(services.post_message, current_user, lead, body["body"])


@bp.route("/document-requests", methods=["GET"])
@api_scope(*READ)
@bp.response(200, DocumentRequestOut(many=True))
def list_document_requests(lead_id: int) -> list[Any]:
    """The documents the bank asked the firm for, and whether each was answered."""
    lead = services.bank_lead_or_404(current_user, lead_id)
    return services.requests_of(current_user, lead)


@bp.route("/document-requests", methods=["POST"])
@api_scope(*WRITE)
@idempotent
@bp.arguments(DocumentRequestBody)
@bp.response(201, DocumentRequestOut)
def request_document(body: dict[str, Any], lead_id: int) -> Any:
    """Ask the firm to upload a document (business licence, financial statements, tax
    certificate or another)."""
    lead = services.bank_lead_or_404(current_user, lead_id)
    kind = DocumentKind(body["kind"])
    return _run(services.request_document, current_user, lead, kind, body["note"])


@bp.route("/document-requests/<int:request_id>/cancel", methods=["POST"])
@api_scope(*WRITE)
@idempotent
@bp.response(200, DocumentRequestOut)
def cancel_document_request(lead_id: int, request_id: int) -> Any:
    """Withdraw an open request; a withdrawn request takes no upload."""
    lead = services.bank_lead_or_404(current_user, lead_id)
    wanted = get_or_404(DocumentRequest, request_id, current_user)
    if wanted.lead_id != lead.id:
        raise ApiProblem(404)
    _run(services.cancel_request, current_user, lead, wanted)
    return wanted


@bp.route("/documents", methods=["GET"])
@api_scope(*READ)
@bp.response(200, Document(many=True))
def list_documents(lead_id: int) -> list[Any]:
    """The firm's uploads on this lead, newest first."""
    lead = services.bank_lead_or_404(current_user, lead_id)
    return services.documents_of(current_user, lead)


@bp.route("/documents/<int:document_id>", methods=["GET"])
@api_scope(*READ)
@bp.response(
    200,
    description="The file, as uploaded (PDF, JPEG or PNG).",
    content_type="application/octet-stream",
)
def download_document(lead_id: int, document_id: int) -> Response:
    """The document itself; each download is recorded and shown to the firm."""
    lead = services.bank_lead_or_404(current_user, lead_id)
    document = get_or_404(LeadDocument, document_id, current_user)
    if document.lead_id != lead.id:
        raise ApiProblem(404)
    return storage.attachment(document, services.open_document(current_user, document))


def _run(operation: Any, *args: Any) -> Any:
    """Run a channel service; refused fields are a 422, a refusal (closed channel, a limit
    reached) a 409 problem."""
    return run_service(
        operation,
        *args,
        refusals=ChannelError,
        state_slug="channel",
        fields_slug="channel-fields",
        fields=CONTACT_FIELDS,
    )

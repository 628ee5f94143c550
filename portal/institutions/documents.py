"""The documents an institution's application carries: its licence (金融许可证, or a guarantor's
融资担保业务经营许可证) and its business licence, uploaded by the applicant's admin while the
application is open and read by the government staff who decide it. Without both an application
cannot be approved (portal/institutions/services.py `decide`)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from portal import storage
from portal.accounts.models import User
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.authz import scoped
from portal.db import utcnow
from portal.enums import (
    INSTITUTION_DOCUMENT_LABELS,
    REQUIRED_INSTITUTION_DOCUMENTS,
    InstitutionDocumentKind,
    Role,
)
from portal.extensions import db
from portal.institutions.models import FinancialInstitution, InstitutionDocument, can_edit
from portal.uploads import UploadedFile

MAX_DOCUMENTS = 12  # an application's licence, business licence and a few supporting papers


class DocumentRefused(Exception):
    """A refused upload or removal; the message says why."""


def add(
    actor: User,
    institution: FinancialInstitution,
    kind: InstitutionDocumentKind,
    upload: UploadedFile,
) -> InstitutionDocument:
    """Keep a document with the open application, in one transaction with its audit entry."""
    _require_open(institution)
    if len(_all(institution)) >= MAX_DOCUMENTS:
        raise DocumentRefused(_("申请材料最多 %(n)s 份，请先删除不需要的文件", n=MAX_DOCUMENTS))
    with storage.kept(upload) as key:
        document = InstitutionDocument(
            institution_id=institution.id,
            kind=kind,
            uploaded_by_id=actor.id,
            **InstitutionDocument.columns_for(upload, key),
        )
        db.session.add(document)
        db.session.flush()
        audit.record(
            AuditAction.INSTITUTION_DOCUMENT_UPLOAD,
            actor=actor,
            obj=institution,
            document=document.id,
            kind=kind.value,
            sha256=upload.sha256,
        )
        db.session.commit()
    return document


def remove(actor: User, institution: FinancialInstitution, document: InstitutionDocument) -> None:
    """Take a wrong file off the open application. The row and the file stay, marked removed:
    a reviewer may have read it, and the record of what was submitted is kept."""
    _require_open(institution)
    document.removed_at = utcnow()
    audit.record(
        AuditAction.INSTITUTION_DOCUMENT_REMOVE,
        actor=actor,
        obj=institution,
        document=document.id,
        kind=document.kind.value,
    )
    db.session.commit()


def documents_of(actor: User, institution: FinancialInstitution) -> list[InstitutionDocument]:
    statement = (
        select(InstitutionDocument)
        .where(
            InstitutionDocument.institution_id == institution.id,
            InstitutionDocument.removed_at.is_(None),
        )
        .order_by(InstitutionDocument.kind, InstitutionDocument.created_at)
    )
    return list(db.session.scalars(scoped(statement, InstitutionDocument, actor)))


def missing(institution: FinancialInstitution) -> list[InstitutionDocumentKind]:
    """The required kinds the application does not carry yet, in the order they are asked."""
    present = {document.kind for document in _all(institution)}
    return [kind for kind in REQUIRED_INSTITUTION_DOCUMENTS if kind not in present]


def missing_text(kinds: list[InstitutionDocumentKind]) -> str:
    return "、".join(str(INSTITUTION_DOCUMENT_LABELS[kind]) for kind in kinds)


def open_document(actor: User, document: InstitutionDocument) -> bytes:
    """The document's content; a reviewer's look is recorded."""
    content = storage.read(document.storage_key)
    if actor.role not in (Role.BANK_ADMIN, Role.GUARANTOR_ADMIN):
        audit.record(
            AuditAction.INSTITUTION_DOCUMENT_VIEW,
            actor=actor,
            obj=document,
            institution=document.institution_id,
            kind=document.kind.value,
        )
        db.session.commit()
    return content


def _all(institution: FinancialInstitution) -> list[InstitutionDocument]:
    return list(
        db.session.scalars(
            select(InstitutionDocument).where(
                InstitutionDocument.institution_id == institution.id,
                InstitutionDocument.removed_at.is_(None),
            )
        )
    )


def _require_open(institution: FinancialInstitution) -> None:
    if not can_edit(institution):
        raise DocumentRefused(_("申请已审核通过或已暂停，材料不能再修改。如需变更请联系主管部门。"))

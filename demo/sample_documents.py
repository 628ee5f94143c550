"""Sample scans for the demo's pending application: one-page PDFs that say plainly they are
samples, so the onboarding demo can be reviewed and approved like a real application."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from portal import storage
from portal.enums import InstitutionDocumentKind
from portal.extensions import db
from portal.institutions.models import FinancialInstitution, InstitutionDocument
from portal.monthly.fonts import cjk_font
from portal.uploads import UploadedFile

TITLES = {
    InstitutionDocumentKind.LICENCE: "金融许可证（演示样例）",
    InstitutionDocumentKind.BUSINESS_LICENCE: "营业执照（演示样例）",
}


def sample_pdf(title: str, institution: str) -> bytes:
    """A one-page PDF naming the document and the institution, marked as a demo sample."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    font = cjk_font().name
    page.setFont(font, 20)
    page.drawString(72, 760, title)
    page.setFont(font, 12)
    page.drawString(72, 730, institution)
    page.drawString(72, 710, "本文件为演示数据，不是真实证照。")
    page.showPage()
    page.save()
    return buffer.getvalue()


def attach_samples(institution: FinancialInstitution) -> None:
    """Keep the licence and business licence samples with the institution's application."""
    for kind, title in TITLES.items():
        scan = UploadedFile(f"{title}.pdf", "application/pdf", sample_pdf(title, institution.name))
        db.session.add(
            InstitutionDocument(
                institution_id=institution.id,
                kind=kind,
                filename=scan.filename,
                content_type=scan.content_type,
                size=scan.size,
                sha256=scan.sha256,
                storage_key=storage.save(scan.content),
            )
        )

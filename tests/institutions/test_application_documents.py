"""An application carries its licence and business licence: the applicant uploads them, the
reviewer reads them (each look recorded), and without both the application is not approved."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.enums import OnboardingStatus, Role
from portal.extensions import db
from portal.institutions.models import FinancialInstitution, InstitutionDocument
from tests.conftest import signed_in
from tests.factories import InstitutionFactory, UserFactory

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def people(app: Flask, create) -> dict[str, str]:
    """An applying bank's admin, another applicant's admin and a government reviewer."""
    bank = create(
        InstitutionFactory, onboarding_status=OnboardingStatus.APPLIED, name="闽东城市商业银行"
    )
    other = create(
        InstitutionFactory, onboarding_status=OnboardingStatus.APPLIED, name="闽北农商银行"
    )
    return {
        "admin": create(UserFactory, role=Role.BANK_ADMIN, institution=bank).email,
        "other": create(UserFactory, role=Role.BANK_ADMIN, institution=other).email,
        "reviewer": create(UserFactory, role=Role.GOV_STAFF).email,
        "regulator": create(UserFactory, role=Role.REGULATOR).email,
        "bank_id": bank.id,
    }


def _upload(client, kind: str, content: bytes = PDF, name: str = "scan.pdf"):
    return client.post(
        "/bank/onboarding/documents",
        data={"kind": kind, "document": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _documents(app: Flask, bank_id: int) -> list[InstitutionDocument]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(InstitutionDocument)
                .where(InstitutionDocument.institution_id == bank_id)
                .order_by(InstitutionDocument.id)
            )
        )


def _status(app: Flask, bank_id: int) -> OnboardingStatus:
    with app.app_context():
        return db.session.get(FinancialInstitution, bank_id).onboarding_status


def _approve(client, bank_id: int):
    return client.post(f"/gov/onboarding/{bank_id}/approve", data={"reason": "", "confirmed": "y"})


def test_an_application_without_its_licences_is_not_approved(app, people):
    reviewer = signed_in(app, people["reviewer"])
    page = reviewer.get(f"/gov/onboarding/{people['bank_id']}").get_data(as_text=True)
    assert "材料不全，暂不能批准" in page
    response = _approve(reviewer, people["bank_id"])
    assert response.status_code == 302
    assert _status(app, people["bank_id"]) == OnboardingStatus.APPLIED
    page = reviewer.get(response.headers["Location"]).get_data(as_text=True)
    assert "申请缺少金融许可证或融资担保业务经营许可证、营业执照，不能批准" in page
    with app.app_context():
        approvals = select(func.count()).where(AuditEntry.action == "institution.approve")
        assert db.session.scalar(approvals.select_from(AuditEntry)) == 0


def test_uploaded_licences_let_the_reviewer_read_and_approve(app, people):
    admin = signed_in(app, people["admin"])
    assert _upload(admin, "licence", name="金融许可证.pdf").status_code == 302
    assert "营业执照" in admin.get("/bank/onboarding").get_data(as_text=True)
    assert _upload(admin, "business_licence", PNG, "执照.png").status_code == 302
    licence, business = _documents(app, people["bank_id"])
    assert business.content_type == "image/png"

    reviewer = signed_in(app, people["reviewer"])
    page = reviewer.get(f"/gov/onboarding/{people['bank_id']}").get_data(as_text=True)
    assert "金融许可证.pdf" in page and "材料不全" not in page
    download = reviewer.get(f"/gov/onboarding/{people['bank_id']}/documents/{licence.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Cache-Control"] == "private, no-store"
    with app.app_context():
        looks = select(func.count()).where(AuditEntry.action == "institution.document_view")
        assert db.session.scalar(looks.select_from(AuditEntry)) == 1
    assert _approve(reviewer, people["bank_id"]).status_code == 302
    assert _status(app, people["bank_id"]) == OnboardingStatus.APPROVED


def test_a_file_that_is_not_a_pdf_or_image_is_refused(app, people):
    admin = signed_in(app, people["admin"])
    page = _upload(admin, "licence", b"MZ\x90\x00executable", "licence.pdf").get_data(as_text=True)
    assert "只接受 PDF、JPG 或 PNG 文件" in page
    assert _documents(app, people["bank_id"]) == []


def test_a_removed_file_no_longer_counts_and_is_kept(app, people):
    """Removal asks first; the file leaves the application (and the reviewer's view) but its
    row stays, so the approval is refused again."""
    admin = signed_in(app, people["admin"])
    _upload(admin, "licence")
    _upload(admin, "business_licence")
    licence = _documents(app, people["bank_id"])[0]
    url = f"/bank/onboarding/documents/{licence.id}/delete"
    assert "我确认删除该文件" in admin.post(url).get_data(as_text=True)
    assert admin.post(url, data={"confirmed": "y"}).status_code == 302
    assert _documents(app, people["bank_id"])[0].removed_at is not None
    assert admin.get(f"/bank/onboarding/documents/{licence.id}").status_code == 404
    reviewer = signed_in(app, people["reviewer"])
    assert _approve(reviewer, people["bank_id"]).status_code == 302
    assert _status(app, people["bank_id"]) == OnboardingStatus.APPLIED


def test_documents_of_an_approved_institution_cannot_change(app, people):
    admin = signed_in(app, people["admin"])
    _upload(admin, "licence")
    _upload(admin, "business_licence")
    _approve(signed_in(app, people["reviewer"]), people["bank_id"])
    admin = signed_in(app, people["admin"])  # approval ended the applicant's session
    response = _upload(admin, "other")
    assert response.status_code == 302
    assert "材料不能再修改" in admin.get("/bank/onboarding").get_data(as_text=True)
    assert len(_documents(app, people["bank_id"])) == 2


def test_another_applicant_and_the_regulator_cannot_read_them(app, people):
    admin = signed_in(app, people["admin"])
    _upload(admin, "licence")
    licence = _documents(app, people["bank_id"])[0]
    other = signed_in(app, people["other"])
    assert other.get(f"/bank/onboarding/documents/{licence.id}").status_code == 404
    assert (
        other.post(
            f"/bank/onboarding/documents/{licence.id}/delete", data={"confirmed": "y"}
        ).status_code
        == 404
    )
    regulator = signed_in(app, people["regulator"])
    url = f"/gov/onboarding/{people['bank_id']}/documents/{licence.id}"
    assert regulator.get(url).status_code == 403

"""A small populated portal for the fuzz tests: one user per role and a lead in every state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from portal.catalog.models import PolicyProduct
from portal.catalog.versions import current_version, record_rules
from portal.enums import (
    BenefitKind,
    FiveTierClass,
    GuaranteeMode,
    GuaranteeRequestStatus,
    GuaranteeType,
    OnboardingStatus,
    PolicyKind,
    ProductStatus,
    Role,
)
from portal.extensions import db
from portal.guarantees import sharing
from portal.guarantees.models import Guarantee, GuaranteeProduct, GuaranteeRequest
from portal.leads import services as lead_services
from portal.leads.models import Lead, Loan
from portal.leads.services import CreditDecision
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.needs.services import NeedInput, submit_need
from portal.reporting.models import LoanStatusReport
from tests.factories import (
    AgencyFactory,
    InstitutionFactory,
    UserFactory,
    published_guarantee,
    published_product,
)
from tests.snapshot import snapshotted


@dataclass
class World:
    admin: str
    regulator: str
    gov: str
    sme: str
    declared_sme: str  # a firm whose profile is all declared: every field of its form is open
    bank_admin: str
    officer: str
    applicant: str  # the administrator of a bank still in review
    guarantor_admin: str
    bank_id: int
    applied_bank_id: int
    product_id: int
    draft_product_id: int  # a draft bank product of the bank, the one that can be edited
    policy_id: int
    need_id: int
    open_lead: int
    accepted_lead: int
    taken_lead: int
    loan_id: int
    guarantee_product_id: int  # a draft guarantee product of the guarantor
    letter_id: int  # a guarantee letter on the loan, which is in default: claimable


def _need(firm_user, key: str):
    data = NeedInput(Decimal("500000"), 12, "采购原材料", GuaranteeType.CREDIT, None)
    return submit_need(firm_user, firm_user.firm, data, key)


def _lead(firm_user, product_id: int, key: str) -> Lead:
    need = _need(firm_user, key)
    [lead] = lead_services.apply_to_products(firm_user, need, [product_id])
    return lead


@pytest.fixture
def world(app) -> World:
    return build_world(app)


@snapshotted
def build_world(app) -> World:
    """Build once per worker; later tests get the same rows laid down again (tests/snapshot.py)."""
    with app.app_context():
        bank = InstitutionFactory(short_name="福州银行", name="福州测试银行福建分行")
        applied = InstitutionFactory(onboarding_status=OnboardingStatus.APPLIED)
        agency = AgencyFactory()
        users = {
            "admin": UserFactory(role=Role.ADMIN),
            "regulator": UserFactory(role=Role.REGULATOR),
            "gov": UserFactory(role=Role.GOV_STAFF, agency=agency),
            "sme": UserFactory(role=Role.SME),
            "declared_sme": UserFactory(role=Role.SME, firm__verified_fields={}),
            "bank_admin": UserFactory(role=Role.BANK_ADMIN, institution=bank),
            "officer": UserFactory(role=Role.BANK_OFFICER, institution=bank),
            "applicant": UserFactory(role=Role.BANK_ADMIN, institution=applied),
            "guarantor_admin": UserFactory(role=Role.GUARANTOR_ADMIN),
        }
        product = published_product(bank, "福州信用贷", "3.50", formula="min(amount, 3000000)")
        # Only a draft is edited (a live product's terms are those the platform reviewed).
        draft = published_product(bank, "福州草稿贷", "3.80", formula="amount")
        draft.status, draft.published_at = ProductStatus.DRAFT, None
        # It also takes a guarantee institution's guarantee: a guarantor may cooperate with it.
        product.guarantee_types = ["credit", "guarantee_agency"]
        guarantee = published_guarantee(users["guarantor_admin"].institution, "测试担保", "0.8")
        guarantee.status = ProductStatus.DRAFT
        policy = PolicyProduct(
            agency=agency,
            slug="fuzz-policy",
            title="测试贴息政策",
            kind=PolicyKind.INTEREST_SUBSIDY,
            summary="",
            source_document="闽财金〔2024〕15号",
            source_date=dt.date(2024, 1, 1),
            valid_from=dt.date(2024, 1, 1),
            benefit_kind=BenefitKind.RATE_POINTS,
            status=ProductStatus.DRAFT,
            applies_to_kinds=[],
        )
        # A risk pool covering the loans below, so one of them can be claimed.
        pool = PolicyProduct(
            agency=agency,
            slug="fuzz-risk-pool",
            title="测试风险补偿资金池",
            kind=PolicyKind.RISK_COMPENSATION,
            summary="",
            source_document="闽工信中小〔2023〕47号",
            source_date=dt.date(2024, 1, 1),
            valid_from=dt.date(2024, 1, 1),
            budget=Decimal(10_000_000),
            benefit_kind=BenefitKind.LOSS_SHARE,
            claim_overdue_days=90,
            status=ProductStatus.PUBLISHED,
            applies_to_kinds=[],
        )
        db.session.add_all([policy, pool])
        db.session.flush()
        record_rules(policy, eligibility="", formula="0.5")
        record_rules(pool, eligibility="", formula="0.4")
        db.session.commit()
        invalidate_catalogue_cache()

        firm_user, officer = users["sme"], users["officer"]
        open_lead = _lead(firm_user, product.id, "fuzz-open")
        accepted = _lead(firm_user, product.id, "fuzz-accepted")
        lead_services.accept(officer, accepted)
        taken = _lead(firm_user, product.id, "fuzz-taken")
        lead_services.accept(officer, taken)
        lead_services.record_decision(
            officer, taken, CreditDecision(Decimal("400000"), Decimal("3.6"), 12)
        )
        lead_services.take_offer(firm_user, taken)
        loan_lead = _lead(firm_user, product.id, "fuzz-loan")
        lead_services.accept(officer, loan_lead)
        lead_services.record_decision(
            officer, loan_lead, CreditDecision(Decimal("400000"), Decimal("3.6"), 12)
        )
        lead_services.take_offer(firm_user, loan_lead)
        # A loan of 2025: its credit decision came before (a disbursement cannot precede it).
        loan_lead.decided_at = dt.datetime(2025, 1, 14, 1, tzinfo=dt.UTC)
        db.session.flush()
        loan: Loan = lead_services.disburse(officer, loan_lead, "HT-FUZZ-001", dt.date(2025, 1, 15))
        db.session.add(
            LoanStatusReport(
                loan_id=loan.id,
                institution_id=bank.id,
                period=dt.date(2025, 9, 1),
                balance=Decimal("300000"),
                days_overdue=120,
                five_tier_class=FiveTierClass.SUBSTANDARD,
            )
        )
        letter = _letter(guarantee, loan, loan_lead)
        need = _need(firm_user, "fuzz-need")
        db.session.commit()
        return World(
            **{role: user.email for role, user in users.items()},
            bank_id=bank.id,
            applied_bank_id=applied.id,
            product_id=product.id,
            draft_product_id=draft.id,
            policy_id=policy.id,
            need_id=need.id,
            open_lead=open_lead.id,
            accepted_lead=accepted.id,
            taken_lead=taken.id,
            loan_id=loan.id,
            guarantee_product_id=guarantee.id,
            letter_id=letter.id,
        )


def _letter(product: GuaranteeProduct, loan: Loan, lead: Lead) -> Guarantee:
    """A letter of the guarantor on the loan, laid as rows (the loan was lent without one),
    whose terms let a loan 90 days overdue be claimed."""
    request = GuaranteeRequest(
        lead_id=lead.id,
        need_id=lead.need_id,
        institution_id=product.institution_id,
        guarantee_product_id=product.id,
        rule_version_id=current_version(product).id,
        mode=GuaranteeMode.BATCH,
        status=GuaranteeRequestStatus.ISSUED,
        amount=loan.amount,
        term_months=loan.term_months,
    )
    db.session.add(request)
    db.session.flush()
    letter = Guarantee(
        request_id=request.id,
        lead_id=lead.id,
        loan_id=loan.id,
        institution_id=product.institution_id,
        bank_institution_id=loan.institution_id,
        guarantee_product_id=product.id,
        firm_id=loan.firm_id,
        letter_no="DB-FUZZ-001",
        amount=loan.amount,
        coverage_share=Decimal(80),
        covered_amount=loan.amount * Decimal("0.8"),
        fee_rate=Decimal("0.8"),
        fee_amount=Decimal(3200),
        term_months=loan.term_months,
        risk_terms={**sharing.sole_terms(Decimal(80)), "trigger_overdue_days": 90},
    )
    db.session.add(letter)
    db.session.flush()
    return letter

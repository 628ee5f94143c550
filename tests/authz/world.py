"""A small province with two of every tenant, built through the real services.

Tenant A and tenant B each have a firm (福州 and 厦门), a bank, a guarantee institution, a
government agency (of the firm's city), a user of every tenant role, a published product and
policy, a need that became a lead, an offer and a loan, a monthly status report, a status-file
upload and the monthly PDF reports of their bank and their city. Each guarantor publishes a
guarantee product cooperating with its tenant's bank product and has taken on (accepted) a
guarantee request on its tenant's lead. A's and B's rows are made one after the other, so each
id of A sits next to the same id of B: guessing the neighbouring id is guessing the other tenant.
Firm A also has a need in the open pool, which every bank may claim.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from flask import Flask
from sqlalchemy import func, inspect, select

from portal import storage
from portal.accounts.models import ThrottleCounter, User
from portal.api import clients as api_clients
from portal.api import webhooks
from portal.api.scopes import BANK_SCOPES, GUARANTOR_SCOPES, Scope
from portal.audit.models import AuditEntry
from portal.catalog.models import BankProduct, PolicyProduct
from portal.catalog.versions import current_version, record_rules
from portal.channel import services as channel
from portal.claims.models import CompensationClaim
from portal.datasources.models import FactDispute, IdentityLetter
from portal.datasources.sources import Source
from portal.db import Base, utcnow
from portal.enums import (
    GUARANTOR_ROLES,
    BenefitKind,
    ClaimStatus,
    DocumentKind,
    FiveTierClass,
    GrantStatus,
    GuaranteeMode,
    GuaranteeRequestStatus,
    GuaranteeType,
    InstitutionDocumentKind,
    PolicyKind,
    ProductStatus,
    Role,
    SettlementStatus,
)
from portal.extensions import db
from portal.guarantees import sharing
from portal.guarantees.models import (
    Compensation,
    CompensationShare,
    Guarantee,
    GuaranteeProduct,
    GuaranteeRequest,
)
from portal.institutions.models import FinancialInstitution, GovernmentAgency, InstitutionDocument
from portal.leads import services as leads
from portal.leads.models import Lead, Loan
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.monthly.models import MonthlyReport
from portal.needs.models import FinancingNeed
from portal.needs.services import NeedInput, submit_need
from portal.reporting import services as reporting
from portal.reporting.models import LoanReportUpload, LoanStatusReport
from portal.subsidies.models import SettlementBatch, SettlementLine, SubsidyGrant
from portal.uploads import UploadedFile
from tests.factories import (
    AgencyFactory,
    GuarantorFactory,
    InstitutionFactory,
    UserFactory,
    published_guarantee,
    published_product,
)
from tests.snapshot import snapshotted

TENANT_ROLES = (
    Role.SME,
    Role.BANK_OFFICER,
    Role.BANK_ADMIN,
    Role.GOV_STAFF,
    Role.GUARANTOR_OFFICER,
    Role.GUARANTOR_ADMIN,
)
REGIONS = {"A": "350100", "B": "350200"}  # 福州, 厦门
BANK_NAMES = {"A": "甲银行", "B": "乙银行"}
GUARANTOR_NAMES = {"A": "甲担保", "B": "乙担保"}
# Distinct amounts, so that an export shows whose loan it counts: 123.40 and 234.50 万元.
AMOUNTS = {"A": Decimal("1234000"), "B": Decimal("2345000")}
CONTRACTS = {"A": "HT-A-0001", "B": "HT-B-0001"}
FAKE_PDF = b"%PDF-1.4\n% authz test report\n"
# A version both legal texts were published in, for /terms/<version> and /privacy/<version>.
LEGAL_VERSION = "2026-12-01"


@dataclass
class Tenant:
    """One tenant's users (emails and ids by role) and rows (ids)."""

    key: str
    emails: dict[Role, str] = field(default_factory=dict)
    user_ids: dict[Role, int] = field(default_factory=dict)
    firm: int = 0
    bank: int = 0
    agency: int = 0
    product: int = 0
    policy: int = 0
    need: int = 0
    lead: int = 0
    loan: int = 0
    upload: int = 0
    claim: int = 0
    guarantor: int = 0  # the tenant's guarantee institution
    guarantee_product: int = 0  # its published product, cooperating with the bank's product
    agreement: int = 0  # that cooperation
    guarantee_request: int = 0  # its request on a second lead of the firm, taken on (accepted)
    document_request: int = 0  # the bank's request for a document on the tenant's lead
    document: int = 0  # the firm's upload answering it
    bank_licence: int = 0  # the bank's licence, kept with its (approved) application
    api_client: int = 0  # an API client of the bank's own system, made by its admin
    guarantor_api_client: int = 0  # and one of the guarantor's
    webhook: int = 0  # a webhook subscription of the bank's own system, made by its admin
    guarantor_webhook: int = 0  # and one of the guarantor's
    guarantor_licence: int = 0  # the guarantor's
    letter: int = 0  # the guarantee letter on the tenant's loan
    issued_request: int = 0  # the request that letter was issued on
    compensation: int = 0  # the bank's claim on it, paid by the guarantor
    share: int = 0  # the guarantor's onward claim for the government's part, under review
    batch: int = 0  # an approved interest-subsidy batch of the tenant agency's policy
    line: int = 0  # its one line: the tenant's loan
    bank_report: int = 0
    region_report: int = 0


@dataclass
class World:
    a: Tenant
    b: Tenant
    regulator: str
    admin: str
    pending_institution: int  # an application waiting for review (not any tenant's row)
    pooled_lead: int  # firm A's need in the open pool: any eligible bank may claim it
    province_report: int
    period: dt.date  # the reported month
    # Platform staff's review rows (firm A's): an authorisation letter, decided (so firm A may
    # still seek finance), and an open dispute of its verified tax grade.
    letter: int = 0
    dispute: int = 0
    pending_licence: int = 0  # the licence the pending application carries

    def document_for(self, role: Role | None, key: str, endpoint: str | None) -> int:
        """A lead's document on the channel's pages; an application's on the onboarding pages:
        the pending one's for its reviewers, the visitor's own institution's otherwise."""
        t = self.tenant(key)
        if not (endpoint or "").startswith("institutions."):
            return t.document
        if endpoint == "institutions.review_document":
            return self.pending_licence
        return t.guarantor_licence if role in GUARANTOR_ROLES else t.bank_licence

    def tenant(self, key: str) -> Tenant:
        return self.a if key == "A" else self.b

    def email(self, role: Role, key: str = "A") -> str:
        """The email of a user of the role: tenant `key`'s for tenant roles."""
        if role == Role.REGULATOR:
            return self.regulator
        if role == Role.ADMIN:
            return self.admin
        return self.tenant(key).emails[role]

    def report_for(self, role: Role, key: str = "A") -> int:
        """A monthly report the role may download: its bank's, its city's, or the province's."""
        if role in (Role.BANK_OFFICER, Role.BANK_ADMIN):
            return self.tenant(key).bank_report
        if role == Role.GOV_STAFF:
            return self.tenant(key).region_report
        return self.province_report

    def args_for(
        self, role: Role | None, key: str = "A", endpoint: str | None = None
    ) -> dict[str, int | str]:
        """URL arguments that name the rows the role's user of tenant `key` may open.

        A claim names the pooled lead: the only kind of lead a bank may claim. The guarantor's
        pages and the guarantee catalogue name guarantee products by `product_id`.
        """
        t = self.tenant(key)
        return {
            "need_id": t.need,
            "lead_id": self.pooled_lead if endpoint == "leads.claim" else t.lead,
            "loan_id": t.loan,
            "product_id": t.guarantee_product if names_guarantee(endpoint) else t.product,
            "request_id": t.document_request if names_channel(endpoint) else t.guarantee_request,
            "document_id": self.document_for(role, key, endpoint),
            "guarantee_id": t.letter,
            "client_id": t.guarantor_api_client if role in GUARANTOR_ROLES else t.api_client,
            "subscription_id": t.guarantor_webhook if role in GUARANTOR_ROLES else t.webhook,
            "compensation_id": t.compensation,
            "share_id": t.share,
            "decision": "approve",
            "agreement_id": t.agreement,
            "policy_id": t.policy,
            "upload_id": t.upload,
            "claim_id": t.claim,
            "batch_id": t.batch,
            "line_id": t.line,
            "report_id": self.report_for(role, key) if role else self.province_report,
            "institution_id": self.pending_institution,
            "user_id": t.user_ids[team_member(role) if names_team(endpoint) else Role.SME],
            "table": "banks",
            "fmt": "csv",
            "letter_id": self.letter,
            "dispute_id": self.dispute,
            "token": "not-a-link-anyone-was-sent",
            "key": "max_banks_per_need",
            "rate_id": 10**7,
            "closure_id": 10**7,
            "version": LEGAL_VERSION,
            "period": "2026-10",
        }


def names_team(endpoint: str | None) -> bool:
    """Whether the endpoint's `user_id` is a colleague's on the institution's team pages."""
    return endpoint is not None and endpoint.startswith("team.")


def team_member(role: Role | None) -> Role:
    """The colleague an institution admin's team pages name: an officer of the same kind."""
    return Role.GUARANTOR_OFFICER if role == Role.GUARANTOR_ADMIN else Role.BANK_OFFICER


def names_channel(endpoint: str | None) -> bool:
    """Whether the endpoint's `request_id` is a document request's (not a guarantee request's)."""
    return endpoint is not None and endpoint.startswith(("channel.", "api_channel."))


def names_guarantee(endpoint: str | None) -> bool:
    """Whether the endpoint's `product_id` is a guarantee product's (not a bank product's)."""
    return endpoint is not None and endpoint.startswith(
        ("guarantees.", "guarantee_catalog.", "api_guarantee_products.")
    )


Users = dict[tuple[str, Role], User]


@snapshotted
def build_world(app: Flask) -> World:
    """Make both tenants and commit (the test's transaction is rolled back afterwards).

    Built once per worker; later tests get the same rows laid down again (tests/snapshot.py)."""
    with app.app_context():
        a, b = Tenant("A"), Tenant("B")
        period = reporting.last_month()
        pending = InstitutionFactory(onboarding_status="applied", short_name="待审银行")
        users = _people(a, b)
        regulator = UserFactory(role=Role.REGULATOR)
        admin = UserFactory(role=Role.ADMIN)
        _catalogue(a, b)
        _lending(a, b, users, period)
        province = _monthly(period, "province")
        for t in (a, b):
            t.region_report = _monthly(period, f"region:{REGIONS[t.key]}").id
        for t in (a, b):
            t.bank_report = _monthly(period, f"bank:{t.bank}").id
        pooled_need = _need(users["A", Role.SME], Decimal("500000"), "A-pool")
        pooled = leads.send_to_pool(users["A", Role.SME], pooled_need)
        letter, dispute = _reviews(users["A", Role.SME])
        _guarantees(a, b, users)
        for t in (a, b):
            t.bank_licence = _licence(t.bank)
            t.guarantor_licence = _licence(t.guarantor)
            t.api_client = _api_client(users[t.key, Role.BANK_ADMIN], BANK_SCOPES)
            t.guarantor_api_client = _api_client(
                users[t.key, Role.GUARANTOR_ADMIN], GUARANTOR_SCOPES
            )
            t.webhook = _webhook(users[t.key, Role.BANK_ADMIN])
            t.guarantor_webhook = _webhook(users[t.key, Role.GUARANTOR_ADMIN])
        pending_licence = _licence(pending.id)
        db.session.commit()
        return World(
            a,
            b,
            regulator.email,
            admin.email,
            pending.id,
            pooled.id,
            province.id,
            period,
            letter=letter.id,
            dispute=dispute.id,
            pending_licence=pending_licence,
        )


def _api_client(admin: User, scopes: tuple[Scope, ...]) -> int:
    issued = api_clients.create(admin, "业务系统", list(scopes), [])
    return issued.client.id


def _webhook(admin: User) -> int:
    url = f"https://institution-{admin.institution_id}.example/hooks"
    events = webhooks.events_for(admin)[:1]
    return webhooks.create(admin, url, list(events)).subscription.id


def _licence(institution_id: int) -> int:
    """A licence scan kept with the institution's application."""
    content = b"%PDF-1.7\n%%EOF\n"
    document = InstitutionDocument(
        institution_id=institution_id,
        kind=InstitutionDocumentKind.LICENCE,
        filename="licence.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256="0" * 64,
        storage_key=storage.save(content),
    )
    db.session.add(document)
    db.session.flush()
    return document.id


def _reviews(firm_user: User) -> tuple[IdentityLetter, FactDispute]:
    letter = IdentityLetter(
        firm_id=firm_user.firm_id,
        user_id=firm_user.id,
        filename="letter.pdf",
        content_type="application/pdf",
        content=FAKE_PDF,
        sha256=hashlib.sha256(FAKE_PDF).hexdigest(),
        status="approved",
    )
    dispute = FactDispute(
        firm_id=firm_user.firm_id,
        field="tax_credit_grade",
        source=Source.TAX,
        note="去年已补缴，评级应为 A。",
        created_by_id=firm_user.id,
    )
    db.session.add_all([letter, dispute])
    db.session.flush()
    return letter, dispute


def _people(a: Tenant, b: Tenant) -> Users:
    """Each tenant's agency, bank, guarantor and a user of every tenant role."""
    agencies = {t.key: AgencyFactory(region_code=REGIONS[t.key]) for t in (a, b)}
    banks = {
        t.key: InstitutionFactory(short_name=BANK_NAMES[t.key], name=f"{BANK_NAMES[t.key]}福建分行")
        for t in (a, b)
    }
    guarantors = {
        t.key: GuarantorFactory(
            short_name=GUARANTOR_NAMES[t.key], name=f"{GUARANTOR_NAMES[t.key]}融资担保有限公司"
        )
        for t in (a, b)
    }
    for t in (a, b):
        t.bank, t.agency, t.guarantor = banks[t.key].id, agencies[t.key].id, guarantors[t.key].id
    users: Users = {}
    for role in TENANT_ROLES:
        for t in (a, b):
            tenancy = {
                Role.SME: {"firm__region_code": REGIONS[t.key]},
                Role.BANK_OFFICER: {"institution": banks[t.key]},
                Role.BANK_ADMIN: {"institution": banks[t.key]},
                Role.GOV_STAFF: {"agency": agencies[t.key]},
                Role.GUARANTOR_OFFICER: {"institution": guarantors[t.key]},
                Role.GUARANTOR_ADMIN: {"institution": guarantors[t.key]},
            }[role]
            user = UserFactory(role=role, **tenancy)
            users[t.key, role] = user
            t.emails[role], t.user_ids[role] = user.email, user.id
    a.firm, b.firm = users["A", Role.SME].firm_id, users["B", Role.SME].firm_id
    return users


def _documents(t: Tenant, users: Users) -> None:
    """The bank asks the firm for its licence on the lent lead; the firm uploads a PDF."""
    lead = db.session.get(Lead, t.lead)
    wanted = channel.request_document(
        users[t.key, Role.BANK_OFFICER], lead, DocumentKind.BUSINESS_LICENCE, ""
    )
    upload = UploadedFile("licence.pdf", "application/pdf", b"%PDF-1.7\n%%EOF\n")
    t.document_request = wanted.id
    t.document = channel.upload_document(users[t.key, Role.SME], lead, wanted, upload).id


def _catalogue(a: Tenant, b: Tenant) -> None:
    """A published product per bank (every firm qualifies) and a published policy per agency."""
    for t in (a, b):
        bank = db.session.get(FinancialInstitution, t.bank)
        t.product = published_product(bank, f"{BANK_NAMES[t.key]}信用贷", "3.50").id
    for t in (a, b):
        t.policy = _published_policy(db.session.get(GovernmentAgency, t.agency), t.key).id
    db.session.commit()
    invalidate_catalogue_cache()


def _lending(a: Tenant, b: Tenant, users: Users, period: dt.date) -> None:
    """Each firm's need, applied to its own bank, lent, reported for `period` and uploaded."""
    needs = {t.key: _need(users[t.key, Role.SME], AMOUNTS[t.key], t.key) for t in (a, b)}
    for t in (a, b):
        t.need = needs[t.key].id
        [lead] = leads.apply_to_products(users[t.key, Role.SME], needs[t.key], [t.product])
        t.lead = lead.id
    for t in (a, b):
        t.loan = _lend(users, t.key, db.session.get(Lead, t.lead), period).id
    for t in (a, b):
        _documents(t, users)
    for t in (a, b):
        officer = users[t.key, Role.BANK_OFFICER]
        loan = db.session.get(Loan, t.loan)
        reporting.report_one(officer, loan, period, AMOUNTS[t.key], 0, FiveTierClass.NORMAL)
    for t in (a, b):
        t.upload = _upload(t.bank, users[t.key, Role.BANK_OFFICER], period).id
    for t in (a, b):
        t.claim = _claim(t, users[t.key, Role.BANK_OFFICER]).id
    _settlement(a, b, users, period)


def _guarantees(a: Tenant, b: Tenant, users: Users) -> None:
    """Each guarantor's product, cooperating with its tenant's bank product, and a request on the
    tenant's lead that the guarantor's officer has taken on.

    Made after the lending, so the loans were decided and lent without a guarantee as before. A
    request is asked with a credit decision; the lead has since been lent, so the request is laid
    down as a row, as the guarantor left it on taking it on (the firm's profile is now open to it).
    """
    for t in (a, b):
        guarantor = db.session.get(FinancialInstitution, t.guarantor)
        bank_product = db.session.get(BankProduct, t.product)
        product = published_guarantee(
            guarantor, f"{GUARANTOR_NAMES[t.key]}信用担保", "1.0", [bank_product]
        )
        t.guarantee_product, t.agreement = product.id, product.agreements[0].id
    for t in (a, b):
        officer = users[t.key, Role.BANK_OFFICER]
        need = _need(users[t.key, Role.SME], AMOUNTS[t.key], f"{t.key}-guaranteed")
        [lead] = leads.apply_to_products(users[t.key, Role.SME], need, [t.product])
        leads.accept(officer, lead)
        t.guarantee_request = _accepted_request(t, lead, users[t.key, Role.GUARANTOR_OFFICER]).id
    for t in (a, b):
        _compensated(t, users)
    invalidate_catalogue_cache()


def _compensated(t: Tenant, users: Users) -> None:
    """The tenant's loan under a letter of its guarantor, defaulted, compensated by the
    guarantor and its onward government share waiting for the tenant agency (laid as rows: the
    loan was lent before the guarantee existed)."""
    product = db.session.get(GuaranteeProduct, t.guarantee_product)
    request = GuaranteeRequest(
        lead_id=t.lead,
        need_id=t.need,
        institution_id=t.guarantor,
        guarantee_product_id=product.id,
        rule_version_id=current_version(product).id,
        mode=GuaranteeMode.BATCH,
        status=GuaranteeRequestStatus.ISSUED,
        amount=AMOUNTS[t.key],
        term_months=12,
    )
    db.session.add(request)
    db.session.flush()
    letter = Guarantee(
        request_id=request.id,
        lead_id=t.lead,
        loan_id=t.loan,
        institution_id=t.guarantor,
        bank_institution_id=t.bank,
        guarantee_product_id=product.id,
        firm_id=t.firm,
        letter_no=f"DB-AUTHZ-{t.key}",
        amount=AMOUNTS[t.key],
        coverage_share=Decimal(80),
        covered_amount=AMOUNTS[t.key] * Decimal("0.8"),
        fee_rate=Decimal(1),
        fee_amount=AMOUNTS[t.key] / 100,
        term_months=12,
    )
    db.session.add(letter)
    db.session.flush()
    report = db.session.scalar(select(LoanStatusReport).where(LoanStatusReport.loan_id == t.loan))
    split = sharing.split_loss(
        AMOUNTS[t.key], sharing.sole_terms(Decimal(70)) | FOUR_THREE_TWO_ONE, letter.covered_amount
    )
    compensation = Compensation(
        guarantee_id=letter.id,
        loan_id=t.loan,
        bank_institution_id=t.bank,
        institution_id=t.guarantor,
        firm_id=t.firm,
        report_id=report.id,
        ground="loss",
        loss_amount=AMOUNTS[t.key],
        claimed_amount=sharing.paid_to_bank(split),
        split=sharing.as_text(split),
        status=ClaimStatus.APPROVED,
        evidence_note="authz",
        filed_by_id=users[t.key, Role.BANK_OFFICER].id,
        decided_at=utcnow(),
    )
    db.session.add(compensation)
    db.session.flush()
    share = CompensationShare(
        compensation_id=compensation.id,
        party=sharing.GOVERNMENT,
        amount=split[sharing.GOVERNMENT],
        status=ClaimStatus.SUBMITTED,
        region_code=REGIONS[t.key],
    )
    db.session.add(share)
    db.session.flush()
    t.letter, t.compensation, t.share = letter.id, compensation.id, share.id
    t.issued_request = request.id


# The national "4321": guarantor 40%, re-guarantee 30%, bank 20%, local government 10%.
FOUR_THREE_TWO_ONE = {
    "shares": {"guarantor": "40", "reguarantee": "30", "bank": "20", "government": "10"}
}


def _accepted_request(t: Tenant, lead: Lead, officer: User) -> GuaranteeRequest:
    product = db.session.get(GuaranteeProduct, t.guarantee_product)
    now = utcnow()
    row = GuaranteeRequest(
        lead_id=lead.id,
        need_id=lead.need_id,
        institution_id=t.guarantor,
        guarantee_product_id=product.id,
        rule_version_id=current_version(product).id,
        mode=GuaranteeMode.BATCH,
        status=GuaranteeRequestStatus.ACCEPTED,
        amount=AMOUNTS[t.key],
        term_months=12,
        deadline_at=now + dt.timedelta(days=7),
        accepted_at=now,
        first_response_at=now,
        handled_by_id=officer.id,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _published_policy(agency, key: str) -> PolicyProduct:
    policy = PolicyProduct(
        slug=f"authz-policy-{key.lower()}",
        title=f"贴息政策（{key}）",
        agency=agency,
        kind=PolicyKind.INTEREST_SUBSIDY,
        source_document=f"测试〔2026〕{key}号",
        source_date=dt.date(2026, 1, 1),
        valid_from=dt.date(2026, 1, 1),
        benefit_kind=BenefitKind.RATE_POINTS,
        # Stacks on no product kind: the matcher's prices stay those of the products.
        applies_to_kinds=[],
        status=ProductStatus.PUBLISHED,
        published_at=utcnow(),
    )
    db.session.add(policy)
    db.session.flush()
    record_rules(policy, eligibility="", formula="0.5")
    return policy


def _need(user: User, amount: Decimal, key: str) -> FinancingNeed:
    data = NeedInput(
        amount=amount,
        term_months=12,
        purpose="采购原材料",
        guarantee_type=GuaranteeType.CREDIT,
        max_rate=None,
    )
    return submit_need(user, user.firm, data, f"authz-need-{key}")


def _lend(users: Users, key: str, lead: Lead, period: dt.date) -> Loan:
    """Accept, offer, take and disburse the tenant's lead in the month before `period`."""
    officer, firm_user = users[key, Role.BANK_OFFICER], users[key, Role.SME]
    leads.accept(officer, lead)
    leads.record_decision(officer, lead, leads.CreditDecision(AMOUNTS[key], Decimal("3.50"), 12))
    leads.take_offer(firm_user, lead)
    disbursed_on = reporting.shift_month(period, -1).replace(day=5)
    # The loan is in the past: so was the credit decision (a disbursement cannot precede it).
    lead.decided_at = dt.datetime.combine(disbursed_on, dt.time(1), tzinfo=dt.UTC)
    db.session.flush()
    return leads.disburse(officer, lead, CONTRACTS[key], disbursed_on)


def _claim(t: Tenant, officer: User) -> CompensationClaim:
    """A risk compensation claim on the tenant's loan, waiting for the tenant agency's decision."""
    policy = db.session.get(PolicyProduct, t.policy)
    row = CompensationClaim(
        policy_id=t.policy,
        rule_version_id=current_version(policy).id,
        loan_id=t.loan,
        institution_id=t.bank,
        firm_id=t.firm,
        principal_outstanding=AMOUNTS[t.key],
        share=Decimal("0.4"),
        claimed_amount=AMOUNTS[t.key] * Decimal("0.4"),
        evidence_note="authz",
        filed_by_id=officer.id,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _settlement(a: Tenant, b: Tenant, users: Users, period: dt.date) -> None:
    """An approved interest-subsidy batch per tenant for `period`, paying its loan 0.5 points
    under the grant the credit decision made (or one made here, if the decision made none)."""
    grants = {}
    for t in (a, b):
        policy = db.session.get(PolicyProduct, t.policy)
        grants[t.key] = db.session.scalars(
            select(SubsidyGrant).where(
                SubsidyGrant.lead_id == t.lead, SubsidyGrant.policy_id == t.policy
            )
        ).first() or SubsidyGrant(
            policy_id=t.policy,
            rule_version_id=current_version(policy).id,
            lead_id=t.lead,
            loan_id=t.loan,
            firm_id=t.firm,
            institution_id=t.bank,
            benefit_kind=BenefitKind.RATE_POINTS,
            value=Decimal("0.5"),
            expected_amount=AMOUNTS[t.key] * Decimal("0.005"),
            cap_used=AMOUNTS[t.key] * Decimal("0.005"),
            paid_amount=Decimal("500"),
            status=GrantStatus.COMMITTED,
        )
        db.session.add(grants[t.key])
    db.session.flush()
    batches = {}
    for t in (a, b):
        batches[t.key] = SettlementBatch(
            policy_id=t.policy,
            institution_id=t.bank,
            period=period,
            status=SettlementStatus.APPROVED,
            total=Decimal("500"),
            approved_at=utcnow(),
            approved_by_id=users[t.key, Role.GOV_STAFF].id,
        )
        db.session.add(batches[t.key])
    db.session.flush()
    for t in (a, b):
        line = SettlementLine(
            batch_id=batches[t.key].id,
            grant_id=grants[t.key].id,
            loan_id=t.loan,
            firm_id=t.firm,
            balance=AMOUNTS[t.key],
            days=30,
            points=Decimal("0.5"),
            computed_amount=Decimal("500"),
        )
        db.session.add(line)
        db.session.flush()
        t.batch, t.line = batches[t.key].id, line.id


def _upload(bank_id: int, officer: User, period: dt.date) -> LoanReportUpload:
    row = LoanReportUpload(
        institution_id=bank_id,
        period=period,
        filename=f"{period:%Y-%m}.csv",
        sha256=hashlib.sha256(str(bank_id).encode()).hexdigest(),
        row_count=1,
        applied=True,
        problems=[],
        uploaded_by_id=officer.id,
    )
    db.session.add(row)
    db.session.flush()
    return row


def _monthly(period: dt.date, scope: str) -> MonthlyReport:
    row = MonthlyReport(
        period=period, scope=scope, pdf=FAKE_PDF, sha256=hashlib.sha256(FAKE_PDF).hexdigest()
    )
    db.session.add(row)
    db.session.flush()
    return row


# Refusals are recorded in the audit log (portal/authz/refusals.py): that entry, and the counter
# that bounds how many are recorded, are all they write.
REFUSAL_ACTIONS = frozenset({"auth.permission_refused"})
NOT_COUNTED = frozenset({AuditEntry.__tablename__, ThrottleCounter.__tablename__})


def row_counts(app: Flask) -> dict[str, int]:
    """How many rows every table but the audit log (and the refusal counters) holds: equal before
    and after means nothing was added (see `audit_actions_since` for the audit log)."""
    with app.app_context():
        existing = set(inspect(db.session.connection()).get_table_names())
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
            if table.name in existing and table.name not in NOT_COUNTED
        }


def last_audit_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(AuditEntry.id))) or 0


def audit_actions_since(app: Flask, last_id: int) -> set[str]:
    """The actions recorded in the audit log after entry `last_id`."""
    with app.app_context():
        return set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.id > last_id)))

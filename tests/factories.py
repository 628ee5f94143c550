"""factory_boy factories for the core models; each flushes so ids exist at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import factory
from werkzeug.security import generate_password_hash

from portal.accounts.models import User
from portal.catalog.models import BankProduct
from portal.catalog.versions import record_rules
from portal.datasources.sources import Source, current_assessment_year
from portal.datasources.verification import FIELDS
from portal.dates import today_in_china
from portal.db import utcnow
from portal.enums import (
    BANK_ROLES,
    GUARANTOR_ROLES,
    FirmRole,
    GuaranteeMode,
    InstitutionKind,
    OnboardingStatus,
    ProductKind,
    ProductStatus,
    Role,
    TaxCreditGrade,
)
from portal.extensions import db
from portal.firms.models import Firm
from portal.firms.standards import classify_size, make_credit_code
from portal.guarantees.models import GuaranteeAgreement, GuaranteeProduct
from portal.institutions.models import FinancialInstitution, GovernmentAgency
from portal.legal.services import record_consents

PASSWORD = "correct-horse-battery"
# One cheap hash for every factory user: hashing hundreds of times would dominate the suite.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
# Staff users come enrolled in two-factor sign-in with this secret; the `auth` fixture uses it.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


def verified_everything() -> dict:
    """Provenance as if every source had verified the firm today: test firms decide 秒批 like
    verified firms unless a test asks for declared facts (`verified_fields={}`)."""
    today = today_in_china()
    found = {}
    for source, fields in FIELDS.items():
        provenance = {"source": str(source), "as_of": today.isoformat(), "reference": "TEST"}
        if source == Source.TAX:
            provenance["grade_year"] = current_assessment_year(today)
        found.update({field: dict(provenance) for field in fields})
    return found


def credit_code_for(n: int) -> str:
    """A valid, unique credit code for the n-th test firm."""
    return make_credit_code("9", "1", "350100", f"T{n:07d}")


class FirmFactory(BaseFactory):
    class Meta:
        model = Firm

    credit_code = factory.Sequence(credit_code_for)
    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    region_code = "350100"
    industry_code = "13"
    employees = 50
    revenue = Decimal("12000000.00")
    total_assets = Decimal("8000000.00")
    established_on = dt.date(2018, 5, 1)
    tax_credit_grade = TaxCreditGrade.A
    qualifications = factory.LazyFunction(list)
    verified_fields = factory.LazyFunction(verified_everything)
    size_class = factory.LazyAttribute(
        lambda o: classify_size(o.industry_code, o.employees, o.revenue, o.total_assets)
    )


class InstitutionFactory(BaseFactory):
    class Meta:
        model = FinancialInstitution

    name = factory.Sequence(lambda n: f"测试银行{n}福建分行")
    short_name = factory.Sequence(lambda n: f"测试银行{n}")
    kind = InstitutionKind.CITY_COMMERCIAL
    region_code = "350000"
    onboarding_status = OnboardingStatus.APPROVED


class GuarantorFactory(InstitutionFactory):
    name = factory.Sequence(lambda n: f"测试融资担保{n}有限公司")
    short_name = factory.Sequence(lambda n: f"测试担保{n}")
    kind = InstitutionKind.GUARANTEE


class AgencyFactory(BaseFactory):
    class Meta:
        model = GovernmentAgency

    name = factory.Sequence(lambda n: f"测试政府部门{n}")
    short_name = factory.Sequence(lambda n: f"部门{n}")
    region_code = "350000"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password_hash = PASSWORD_HASH
    full_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.SME
    firm = factory.Maybe(
        factory.LazyAttribute(lambda o: o.role == Role.SME), factory.SubFactory(FirmFactory), None
    )
    firm_role = factory.Maybe(
        factory.LazyAttribute(lambda o: o.role == Role.SME), FirmRole.OWNER, None
    )
    institution = factory.Maybe(
        factory.LazyAttribute(lambda o: o.role in BANK_ROLES),
        factory.SubFactory(InstitutionFactory),
        factory.Maybe(
            factory.LazyAttribute(lambda o: o.role in GUARANTOR_ROLES),
            factory.SubFactory(GuarantorFactory),
            None,
        ),
    )
    agency = factory.Maybe(
        factory.LazyAttribute(lambda o: o.role == Role.GOV_STAFF),
        factory.SubFactory(AgencyFactory),
        None,
    )
    totp_secret = factory.Maybe(
        factory.LazyAttribute(lambda o: o.role != Role.SME), TOTP_SECRET, None
    )
    totp_confirmed_at = factory.Maybe(
        factory.LazyAttribute(lambda o: o.role != Role.SME), factory.LazyFunction(utcnow), None
    )

    @factory.post_generation
    def consents(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        """The user accepted the user agreement and privacy policy in force, as signing up
        records; `consents=False` makes a user who never did (an account from before)."""
        if create and extracted is not False:
            record_consents(self, today_in_china())


def application_documents(institution_id: int) -> None:
    """The licence and business licence an application must carry before it is approved."""
    from portal import storage
    from portal.enums import InstitutionDocumentKind
    from portal.institutions.models import InstitutionDocument

    content = b"%PDF-1.7\n%%EOF\n"
    for kind in (InstitutionDocumentKind.LICENCE, InstitutionDocumentKind.BUSINESS_LICENCE):
        document = InstitutionDocument(
            institution_id=institution_id,
            kind=kind,
            filename=f"{kind.value}.pdf",
            content_type="application/pdf",
            size=len(content),
            sha256="0" * 64,
            storage_key=storage.save(content),
        )
        db.session.add(document)
    db.session.flush()


def published_product(
    bank: FinancialInstitution,
    name: str,
    rate: str,
    eligibility: str = "",
    *,
    instant_approval: str | None = None,
    formula: str | None = None,
) -> BankProduct:
    """A published credit product of 10–500 万元 over 3–36 months, with rule version 1."""
    product = BankProduct(
        institution=bank,
        name=name,
        kind=ProductKind.CREDIT,
        min_amount=Decimal("100000"),
        max_amount=Decimal("5000000"),
        min_term_months=3,
        max_term_months=36,
        min_rate=Decimal(rate),
        max_rate=Decimal(rate) + 1,
        guarantee_types=["credit"],
        region_codes=[],
        status=ProductStatus.PUBLISHED,
        published_at=utcnow(),
    )
    db.session.add(product)
    db.session.flush()
    record_rules(
        product, eligibility=eligibility, instant_approval=instant_approval, formula=formula
    )
    return product


def published_guarantee(
    guarantor: FinancialInstitution,
    name: str,
    fee_rate: str,
    bank_products: Sequence[BankProduct] = (),
    *,
    eligibility: str = "",
    coverage_share: str = "80",
    mode: GuaranteeMode = GuaranteeMode.BATCH,
    automatic_limit: Decimal | None = None,
) -> GuaranteeProduct:
    """A published guarantee product of 10–1000 万元 up to 36 months, rule version 1, with an
    agreement for each bank product given."""
    product = GuaranteeProduct(
        institution=guarantor,
        name=name,
        min_amount=Decimal("100000"),
        max_amount=Decimal("10000000"),
        max_term_months=36,
        fee_rate=Decimal(fee_rate),
        coverage_share=Decimal(coverage_share),
        region_codes=[],
        status=ProductStatus.PUBLISHED,
        published_at=utcnow(),
    )
    db.session.add(product)
    db.session.flush()
    record_rules(product, eligibility=eligibility)
    for bank_product in bank_products:
        db.session.add(
            GuaranteeAgreement(
                guarantee_product=product,
                bank_product_id=bank_product.id,
                mode=mode,
                automatic_limit=automatic_limit,
            )
        )
    db.session.flush()
    return product

"""Verified facts decide: a firm's records from the exchange replace what it declared, and 秒批
rests only on verified, fresh facts, with their provenance kept on the pre-approval."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.datasources import verification
from portal.datasources.client import ExchangeClient, ExchangeUnavailable
from portal.datasources.models import FirmFact, IdentityLetter
from portal.datasources.sources import Source
from portal.dates import today_in_china
from portal.enums import GuaranteeType, Role, TaxCreditGrade
from portal.extensions import db
from portal.firms.models import Firm
from portal.matching import services as matching
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.matching.models import MatchResult
from portal.needs import services as needs
from portal.notifications.models import Notification
from tests.exchange_server import demo_firms
from tests.factories import FirmFactory, InstitutionFactory, UserFactory
from tests.leads.conftest import publish_product

LUDAO = "厦门鹭岛光电科技有限公司"  # declared tax grade A; the tax bureau grades it B
SME = "福州"  # the demo SME firm's name starts so; consistent everywhere


def _firm_from_demo(name_prefix: str, **changes) -> Firm:
    spec = next(f for f in demo_firms() if f["name"].startswith(name_prefix))
    fields = {k: spec[k] for k in ("credit_code", "name", "region_code", "industry_code")}
    fields.update(
        employees=spec["employees"],
        revenue=Decimal(spec["revenue"]),
        total_assets=Decimal(spec["total_assets"]),
        established_on=spec["established_on"],
        tax_credit_grade=TaxCreditGrade(spec["tax_credit_grade"]),
        qualifications=list(spec["qualifications"]),
        verified_fields={},
    )
    fields.update(changes)
    return FirmFactory(**fields)


def _need(firm: Firm):
    user = UserFactory(role=Role.SME, firm=firm)
    db.session.commit()
    invalidate_catalogue_cache()
    return needs.submit_need(
        user, firm, needs.NeedInput(Decimal("500000"), 12, "周转", GuaranteeType.CREDIT, None), "v"
    )


def _instant_product():
    bank = InstitutionFactory()
    return publish_product(
        bank, "秒批信用贷", "3.50", instant='tax_credit_grade in ["A", "B"] and amount <= 1000000'
    )


def _result(need, product) -> MatchResult:
    return db.session.scalar(
        select(MatchResult).where(
            MatchResult.need_id == need.id, MatchResult.product_id == product.id
        )
    )


def test_a_declared_grade_a_graded_b_by_the_tax_bureau_is_matched_as_b(app, exchange):
    with app.app_context():
        firm = _firm_from_demo(LUDAO)
        assert firm.tax_credit_grade == TaxCreditGrade.A
        changes = verification.verify(None, firm, today_in_china())
        assert firm.tax_credit_grade == TaxCreditGrade.B
        assert "tax_credit_grade" in {c.field for c in changes}
        provenance = firm.verified_fields["tax_credit_grade"]
        assert provenance["source"] == "tax" and provenance["reference"]
        fact = db.session.get(FirmFact, provenance["fact_id"])
        assert fact.data["credit_grade"] == "B"
        bank = InstitutionFactory()
        only_a = publish_product(bank, "A级秒批贷", "3.50", instant='tax_credit_grade == "A"')
        result = _result(_need(firm), only_a)
        assert result.eligible and not result.instant_approved


def test_declared_facts_never_pre_approve_and_the_firm_is_told_which(app):
    with app.app_context():
        firm = FirmFactory(verified_fields={})
        product = _instant_product()
        result = _result(_need(firm), product)
        assert result.eligible and not result.instant_approved
        assert result.pre_approval_ref is None
        # the instant rule reads the grade; the limit formula (30% of revenue) the revenue
        assert result.explanation["instant_unverified"] == ["tax_credit_grade", "revenue"]


def test_verified_facts_pre_approve_with_their_provenance(app, exchange):
    with app.app_context():
        firm = _firm_from_demo(SME)
        verification.verify(None, firm, today_in_china())
        product = _instant_product()
        result = _result(_need(firm), product)
        assert result.instant_approved and result.pre_approval_ref
        deciding = {f["fact"]: f for f in result.explanation["instant_facts"]}
        assert set(deciding) == {"tax_credit_grade", "revenue"}
        for fact in deciding.values():
            assert fact["source"] == "tax" and fact["as_of"] and fact["reference"]


def test_a_stale_verification_does_not_pre_approve(app):
    with app.app_context():
        old = (today_in_china() - dt.timedelta(days=800)).isoformat()
        firm = FirmFactory(
            verified_fields={
                "tax_credit_grade": {
                    "source": "tax",
                    "as_of": old,
                    "reference": "X",
                    "grade_year": 2023,
                }
            }
        )
        product = _instant_product()
        result = _result(_need(firm), product)
        assert not result.instant_approved
        assert result.explanation["instant_unverified"] == ["tax_credit_grade", "revenue"]


def test_a_source_down_changes_nothing(app, exchange):
    with app.app_context():
        firm = _firm_from_demo(LUDAO)
        exchange.set_switches(fail=["tax"])
        with pytest.raises(verification.VerificationUnavailable):
            verification.verify(None, firm, today_in_china())
        db.session.rollback()
        assert firm.tax_credit_grade == TaxCreditGrade.A
        assert db.session.scalar(select(FirmFact.id).where(FirmFact.firm_id == firm.id)) is None


def test_the_client_reads_each_source_and_an_unknown_code(exchange):
    client = ExchangeClient(exchange.url, exchange.client_id, exchange.client_secret)
    code = demo_firms()[0]["credit_code"]
    for source in Source:
        envelope = client.fetch(source, code)
        assert envelope is not None and envelope.credit_code == code and envelope.reference
    assert client.fetch(Source.REGISTRY, "91350100MA2XXXXX00") is None
    bulk = client.bulk([code, "91350100MA2XXXXX00"], [Source.TAX, Source.COURTS])
    assert bulk[code][Source.TAX] is not None and bulk["91350100MA2XXXXX00"][Source.TAX] is None


def test_a_wrong_secret_is_unavailable_not_retried_forever(exchange):
    client = ExchangeClient(exchange.url, exchange.client_id, "wrong-secret")
    with pytest.raises(ExchangeUnavailable):
        client.fetch(Source.TAX, demo_firms()[0]["credit_code"])


def test_a_failing_source_opens_its_breaker_and_fails_fast(exchange):
    client = ExchangeClient(exchange.url, exchange.client_id, exchange.client_secret, attempts=1)
    code = demo_firms()[0]["credit_code"]
    exchange.set_switches(fail=["courts"])
    for _ in range(5):
        with pytest.raises(ExchangeUnavailable):
            client.fetch(Source.COURTS, code)
    with pytest.raises(ExchangeUnavailable, match="circuit open"):
        client.fetch(Source.COURTS, code)
    assert client.fetch(Source.TAX, code) is not None  # other sources are unaffected


def test_a_slow_source_times_out_and_is_retried(exchange):
    client = ExchangeClient(
        exchange.url, exchange.client_id, exchange.client_secret, timeouts={Source.TAX: 0.2}
    )
    exchange.set_switches(latency_ms={"tax": 600})
    with pytest.raises(ExchangeUnavailable, match="timed out"):
        client.fetch(Source.TAX, demo_firms()[0]["credit_code"])
    exchange.reset_switches()
    assert client.fetch(Source.TAX, demo_firms()[0]["credit_code"]) is not None


def test_a_deferred_instant_approval_is_granted_once_the_facts_are_verified(app, exchange):
    """Matched on declared facts, the 秒批 waits; verified later, the scheduler grants it (once),
    marks the lead pre-approved and tells the firm."""
    with app.app_context():
        firm = _firm_from_demo(SME)
        product = _instant_product()
        need = _need(firm)
        result = _result(need, product)
        assert not result.instant_approved
        assert matching.retry_deferred_instant(today_in_china()) == 0  # still unverified
        verification.verify(None, firm, today_in_china())
        db.session.commit()
        assert matching.retry_deferred_instant(today_in_china()) == 1
        db.session.refresh(result)
        assert result.instant_approved and result.pre_approval_ref
        assert "instant_unverified" not in result.explanation
        assert {f["source"] for f in result.explanation["instant_facts"]} == {"tax"}
        assert matching.retry_deferred_instant(today_in_china()) == 0
        told = db.session.scalar(
            select(func.count(Notification.id)).where(Notification.kind == "need.instant_granted")
        )
        assert told == 1


def test_a_firm_whose_letter_is_under_review_cannot_submit_a_need(app):
    """The hold is in the service, not only the pages: nothing is saved."""
    with app.app_context():
        firm = FirmFactory(identity_method=None)
        user = UserFactory(role=Role.SME, firm=firm)
        db.session.add(
            IdentityLetter(
                firm_id=firm.id,
                user_id=user.id,
                filename="委托书.pdf",
                content_type="application/pdf",
                content=b"%PDF-1.4",
                sha256="0" * 64,
                status="submitted",
            )
        )
        db.session.commit()
        with pytest.raises(needs.NeedError, match="身份尚在审核中"):
            needs.submit_need(
                user,
                firm,
                needs.NeedInput(Decimal("500000"), 12, "周转", GuaranteeType.CREDIT, None),
                "held",
            )
        assert db.session.scalar(select(func.count(MatchResult.id))) == 0

"""Every business operation leaves an audit entry: who, what, which object, when, from where.

Two kinds of check, so that coverage cannot quietly erode:
- a walk through the main operations, as requests and as service calls inside a request from a
  known address, asserting one complete entry for each;
- a reading of the source: every function that commits also records (or is listed below with the
  reason it need not), and every recorded action has a label on the search page.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from portal import settings
from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.admin.services import save_calendar_notice, save_lpr
from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.audit.labels import ACTION_LABELS
from portal.audit.models import AuditEntry
from portal.catalog import policy_services, product_review, product_services
from portal.catalog.models import BankProduct, PolicyProduct
from portal.enums import (
    DeclineReason,
    FiveTierClass,
    GuaranteeType,
    InstitutionDocumentKind,
    OnboardingStatus,
    Role,
)
from portal.extensions import db
from portal.firms.models import Firm
from portal.institutions import documents as institution_documents
from portal.institutions import services as institutions
from portal.institutions.models import FinancialInstitution
from portal.leads import services as leads
from portal.leads.models import Lead, Loan
from portal.matching.catalogue import invalidate_catalogue_cache
from portal.monthly import services as monthly
from portal.needs import services as needs
from portal.needs.models import FinancingNeed
from portal.notifications.service import mark_all_read
from portal.reporting import loan_files
from portal.reporting import services as reporting
from portal.uploads import UploadedFile
from tests.datasources.identity_support import identity_exchange, point_app_at, registration
from tests.exchange_server import ExchangeServer
from tests.factories import InstitutionFactory, UserFactory, published_product

ADDRESS = "203.0.113.77"
PERIOD = dt.date(2026, 10, 1)
PORTAL = Path(__file__).resolve().parents[2] / "portal"


@dataclass(frozen=True)
class Expected:
    action: str
    actor_id: int | None
    object_type: str | None = None
    object_id: int | None = None


@contextmanager
def from_address(app: Flask) -> Iterator[None]:
    """A request context from ADDRESS, as a service called by a view would run in."""
    with app.test_request_context("/", method="POST", environ_base={"REMOTE_ADDR": ADDRESS}):
        yield


def registration_form(email: str) -> dict[str, object]:
    """The legal representative registers a firm the exchange knows (tests/datasources)."""
    return registration(email=email)


@pytest.fixture
def exchange(app: Flask, tmp_path: Path) -> Iterator[ExchangeServer]:
    """A real exchange for registration to check the firm and its representative with."""
    with identity_exchange(tmp_path) as server:
        saved = point_app_at(app, server)
        try:
            yield server
        finally:
            app.config.update(saved)


def firm_pages(client, auth) -> tuple[list[Expected], int]:
    """Register, edit the profile, switch language, sign out, fail and succeed at signing in."""
    email = "audit.firm@example.com"
    assert client.post("/register", data=registration_form(email)).status_code == 302
    user = db.session.scalar(select(User).where(User.email == email))
    client.post(
        "/firm/profile",
        data={
            "name": "福州审计测试机械有限公司",
            "region_code": "350500",
            "industry_code": "34",
            "employees": "60",
            "revenue_wan": "2000",
            "total_assets_wan": "2600",
            "established_on": "2016-04-18",
            "tax_credit_grade": "A",
        },
    )
    client.post("/language", data={"locale": "en", "next": "/firm"})
    client.post("/language", data={"locale": "zh_Hans_CN", "next": "/firm"})
    auth.logout()
    auth.login(email, "not the password")
    auth.login(email, "a long enough password")
    assert client.get("/firm/export").status_code == 200
    expected = [
        Expected("firm.register", user.id, "Firm", user.firm_id),
        Expected("firm.profile_update", user.id, "Firm", user.firm_id),
        Expected("user.locale", user.id, "User", user.id),
        Expected("auth.logout", user.id),
        Expected("auth.login_failed", user.id),
        Expected("auth.login", user.id),
        Expected("firm.data_export", user.id, "Firm", user.firm_id),
    ]
    return expected, user.id


@dataclass
class Cast:
    firm_user: int
    officer_a: int
    officer_b: int
    bank_admin: int
    gov: int
    admin: int
    regulator: int
    bank_a: int
    product_a: int
    product_b: int


def cast(firm_user_id: int) -> Cast:
    bank_a, bank_b = InstitutionFactory(), InstitutionFactory()
    product_a = published_product(bank_a, "审计A信用贷", "3.10", formula="amount")
    product_b = published_product(bank_b, "审计B信用贷", "3.50", formula="amount")
    people = {
        "officer_a": UserFactory(role=Role.BANK_OFFICER, institution=bank_a),
        "officer_b": UserFactory(role=Role.BANK_OFFICER, institution=bank_b),
        "bank_admin": UserFactory(role=Role.BANK_ADMIN, institution=bank_a),
        "gov": UserFactory(role=Role.GOV_STAFF),
        "admin": UserFactory(role=Role.ADMIN),
        "regulator": UserFactory(role=Role.REGULATOR),
    }
    db.session.commit()
    invalidate_catalogue_cache()
    return Cast(
        firm_user=firm_user_id,
        bank_a=bank_a.id,
        product_a=product_a.id,
        product_b=product_b.id,
        **{name: user.id for name, user in people.items()},
    )


def user(user_id: int) -> User:
    return db.session.get(User, user_id)


def need_input() -> needs.NeedInput:
    return needs.NeedInput(
        amount=Decimal("800000"),
        term_months=12,
        purpose="采购原材料",
        guarantee_type=GuaranteeType.CREDIT,
        max_rate=None,
    )


def lead_flow(app: Flask, c: Cast) -> tuple[list[Expected], int]:
    """A need from submission to loan, and a second one pooled, claimed and withdrawn."""
    with from_address(app):
        firm_user = user(c.firm_user)
        firm = db.session.get(Firm, firm_user.firm_id)
        need = needs.submit_need(firm_user, firm, need_input(), "audit-need-1")
        lead_a, lead_b = leads.apply_to_products(firm_user, need, [c.product_a, c.product_b])
        leads.accept(user(c.officer_a), lead_a)
        leads.decline(user(c.officer_b), lead_b, DeclineReason.CREDIT_HISTORY, "")
        decision = leads.CreditDecision(
            amount=Decimal("800000"), rate=Decimal("3.20"), term_months=12
        )
        leads.record_decision(user(c.officer_a), lead_a, decision)
        leads.take_offer(firm_user, lead_a)
        # A loan of September: its credit decision came before (a disbursement cannot precede it).
        lead_a.decided_at = dt.datetime(2026, 8, 31, 1, tzinfo=dt.UTC)
        db.session.flush()
        loan = leads.disburse(user(c.officer_a), lead_a, "HT-AUDIT-1", dt.date(2026, 9, 1))
        second = needs.submit_need(firm_user, firm, need_input(), "audit-need-2")
        pooled = leads.send_to_pool(firm_user, second)
        leads.claim(user(c.officer_a), pooled.id)
        needs.withdraw_need(firm_user, db.session.get(FinancingNeed, second.id))
        mark_all_read(c.firm_user)
    expected = [
        Expected("need.submit", c.firm_user, "FinancingNeed", need.id),
        Expected("need.apply", c.firm_user, "FinancingNeed", need.id),
        Expected("lead.accept", c.officer_a, "Lead", lead_a.id),
        Expected("lead.decline", c.officer_b, "Lead", lead_b.id),
        Expected("lead.decide", c.officer_a, "Lead", lead_a.id),
        Expected("lead.offer_taken", c.firm_user, "Lead", lead_a.id),
        Expected("loan.disburse", c.officer_a, "Loan", loan.id),
        Expected("need.pool", c.firm_user, "FinancingNeed", second.id),
        Expected("lead.claim", c.officer_a, "Lead", pooled.id),
        Expected("need.withdraw", c.firm_user, "FinancingNeed", second.id),
        Expected("notifications.read_all", c.firm_user),
    ]
    return expected, lead_a.id


def profile_view(client, auth, c: Cast, lead_id: int) -> list[Expected]:
    """A bank officer opens an accepted lead: the firm's profile view is recorded."""
    auth.logout()
    auth.login(user(c.officer_a).email)
    assert client.get(f"/bank/leads/{lead_id}").status_code == 200
    firm_id = db.session.get(Lead, lead_id).need.firm_id
    return [Expected("firm.profile_view", c.officer_a, "Firm", firm_id)]


PRODUCT = {
    "name": "审计科技贷",
    "kind": "tech_credit",
    "summary": "",
    "min_amount": Decimal("100000"),
    "max_amount": Decimal("3000000"),
    "min_term_months": 6,
    "max_term_months": 36,
    "min_rate": Decimal("3.45"),
    "max_rate": Decimal("4.35"),
    "guarantee_fee_rate": Decimal("0"),
    "guarantee_types": ["credit"],
    "region_codes": [],
    "response_days": None,
}
POLICY = {
    "slug": "audit-green-2026",
    "title": "审计绿色贷款贴息",
    "kind": "interest_subsidy",
    "summary": "",
    "source_document": "闽金融〔2026〕3号",
    "source_date": dt.date(2026, 1, 10),
    "valid_from": dt.date(2026, 2, 1),
    "valid_to": dt.date(2027, 12, 31),
    "budget": Decimal("50000000"),
    "benefit_kind": "rate_points",
    "benefit_cap": None,
    "applies_to_kinds": ["credit"],
}


def catalogue(app: Flask, c: Cast) -> list[Expected]:
    """A bank product saved, edited, submitted, approved, archived; another returned; a bank
    trusted; a policy drafted, published, closed."""
    with from_address(app):
        admin, gov, staff = user(c.bank_admin), user(c.gov), user(c.admin)
        bank = db.session.get(FinancialInstitution, c.bank_a)
        product = product_services.create_product(admin, bank, PRODUCT, {"eligibility": ""})
        product_services.update_product(
            admin, product, PRODUCT | {"max_term_months": 24}, {"eligibility": ""}
        )
        product_services.publish_product(admin, db.session.get(BankProduct, product.id))
        product_review.approve(staff, db.session.get(BankProduct, product.id))
        product_services.archive_product(admin, db.session.get(BankProduct, product.id))
        returned = product_services.create_product(admin, bank, PRODUCT, {"eligibility": ""})
        product_services.publish_product(admin, db.session.get(BankProduct, returned.id))
        product_review.return_to_draft(
            staff, db.session.get(BankProduct, returned.id), "额度公式缺失"
        )
        product_review.set_trusted(staff, db.session.get(FinancialInstitution, c.bank_a), True)
        rules = {"eligibility": '"green" in qualifications', "formula": "1"}
        policy = policy_services.create_policy(gov, POLICY, rules)
        policy_services.publish_policy(gov, db.session.get(PolicyProduct, policy.id))
        policy_services.close_policy(gov, db.session.get(PolicyProduct, policy.id), "预算用完")
    return [
        Expected("product.create", c.bank_admin, "BankProduct", product.id),
        Expected("product.update", c.bank_admin, "BankProduct", product.id),
        Expected("product.submit", c.bank_admin, "BankProduct", product.id),
        Expected("product.approve", c.admin, "BankProduct", product.id),
        Expected("product.archive", c.bank_admin, "BankProduct", product.id),
        Expected("product.return", c.admin, "BankProduct", returned.id),
        Expected("institution.products_trust", c.admin, "FinancialInstitution", c.bank_a),
        Expected("policy.create", c.gov, "PolicyProduct", policy.id),
        Expected("policy.publish", c.gov, "PolicyProduct", policy.id),
        Expected("policy.close", c.gov, "PolicyProduct", policy.id),
    ]


def administration(app: Flask, c: Cast) -> list[Expected]:
    """Onboarding, staff accounts, the LPR table, the holiday calendar and a setting."""
    with from_address(app):
        applicant = institutions.apply(
            {
                "name": "审计农商银行",
                "short_name": "审计农商",
                "kind": "rural",
                "region_code": "350000",
            },
            {"email": "audit.bank@example.com", "password": "a long password", "full_name": "王磊"},
        )
        institution = db.session.get(FinancialInstitution, applicant.institution_id)
        assert institution.onboarding_status == OnboardingStatus.APPLIED
        institution_documents.add(
            applicant,
            institution,
            InstitutionDocumentKind.LICENCE,
            UploadedFile("licence.pdf", "application/pdf", b"%PDF-1.7 licence"),
        )
        institution_documents.add(
            applicant,
            institution,
            InstitutionDocumentKind.BUSINESS_LICENCE,
            UploadedFile("business.pdf", "application/pdf", b"%PDF-1.7 business licence"),
        )
        institutions.decide(user(c.gov), institution, "approve")
        admin = user(c.admin)
        staff = accounts.create_staff_user(
            admin,
            {
                "email": "audit.regulator@example.com",
                "password": "a long password",
                "full_name": "郑文",
                "role": "regulator",
            },
        )
        accounts.set_active(admin, staff, False)
        rate = save_lpr(admin, dt.date(2026, 10, 20), Decimal("3.00"), Decimal("3.50"))
        notice = save_calendar_notice(admin, 2040, "国办发明电〔2039〕1号", "2040-01-01 元旦")
        settings.set_npl_alert_threshold(admin, Decimal("0.05"))
    return [
        Expected("institution.apply", applicant.id, "FinancialInstitution", institution.id),
        Expected(
            "institution.document_upload", applicant.id, "FinancialInstitution", institution.id
        ),
        Expected("institution.approve", c.gov, "FinancialInstitution", institution.id),
        Expected("user.create", c.admin, "User", staff.id),
        Expected("user.deactivate", c.admin, "User", staff.id),
        Expected("lpr.save", c.admin, "LprRate", rate.id),
        Expected("calendar.notice_enter", c.admin, "CalendarYear", notice.id),
        Expected("setting.save", c.admin),
    ]


def supervision(app: Flask, c: Cast, monkeypatch) -> list[Expected]:
    """A loan status report by form and by file (applied and refused); a monthly report twice."""
    monkeypatch.setattr(monthly, "render", lambda *args, **kwargs: b"%PDF-1.4 audit")
    with from_address(app):
        officer = user(c.officer_a)
        loan = db.session.scalar(select(Loan).where(Loan.contract_no == "HT-AUDIT-1"))
        report = reporting.report_one(
            officer, loan, PERIOD, Decimal("700000"), 0, FiveTierClass.NORMAL
        )
        good = (
            "合同编号,报告月份,贷款余额（元）,逾期天数,五级分类\r\n"
            "HT-AUDIT-1,2026-10,650000,0,正常\r\n"
        )
        applied = reporting.upload_file(officer, PERIOD, "october.csv", _received(good))
        refused = reporting.upload_file(officer, PERIOD, "empty.csv", _received(""))
        regulator = user(c.regulator)
        first = monthly.generate(PERIOD, "province", actor=regulator)
        second = monthly.generate(PERIOD, "province", actor=regulator)  # a new edition
    return [
        Expected("loan_report.submit", c.officer_a, "LoanStatusReport", report.id),
        Expected("loan_reports.upload", c.officer_a, "LoanReportUpload", applied.upload.id),
        Expected("loan_reports.upload_refused", c.officer_a, "LoanReportUpload", refused.upload.id),
        Expected("monthly_report.generate", c.regulator, "MonthlyReport", first.id),
        Expected("monthly_report.regenerate", c.regulator, "MonthlyReport", second.id),
    ]


def _received(text: str) -> loan_files.Received:
    return loan_files.receive(io.BytesIO(text.encode("utf-8-sig") if text else b""))


def missing_entries(expected: list[Expected]) -> list[Expected]:
    """The expectations without a complete matching entry (time and address included)."""
    missing = []
    for item in expected:
        entries = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == item.action,
                AuditEntry.actor_id.is_(None)
                if item.actor_id is None
                else AuditEntry.actor_id == item.actor_id,
                AuditEntry.object_type.is_(None)
                if item.object_type is None
                else AuditEntry.object_type == item.object_type,
                AuditEntry.object_id.is_(None)
                if item.object_id is None
                else AuditEntry.object_id == item.object_id,
            )
        ).all()
        if not any(e.at is not None and e.remote_addr == ADDRESS for e in entries):
            missing.append(item)
    return missing


def test_every_main_operation_is_recorded(app, client, auth, monkeypatch, exchange):
    """Each operation leaves one entry naming actor, action, object, time and address."""
    client.environ_base["REMOTE_ADDR"] = ADDRESS
    with app.app_context():
        expected, firm_user_id = firm_pages(client, auth)
        c = cast(firm_user_id)
        flow, lead_id = lead_flow(app, c)
        expected += flow
        expected += profile_view(client, auth, c, lead_id)
        expected += catalogue(app, c)
        expected += administration(app, c)
        expected += supervision(app, c, monkeypatch)
        assert missing_entries(expected) == []


# --- reading the source --------------------------------------------------------------------------

# Functions that commit without recording an entry themselves, and why that is right.
COMMITS_WITHOUT_ENTRY = {
    # The API's own bookkeeping: each call is in the client's call log (api_calls), and the
    # operations it runs record their entries in the services they call.
    "api/call_log.py:record": "the client's call log is the record of each call",
    "api/call_log.py:_write_once": "moves queued rows of the call log into the database",
    "api/idempotency.py:_claim": "holds an idempotency key; the operation records itself",
    "api/idempotency.py:_store": "keeps the answer to replay; the operation recorded itself",
    "api/idempotency.py:forget_old": "drops expired idempotency answers (housekeeping)",
    "api/webhooks.py:purge_old": "drops webhook deliveries ended 90 days ago (housekeeping)",
    "api/webhooks.py:_claim": "claims a webhook delivery attempt; the event was audited",
    "api/webhooks.py:_record": "delivery state of a webhook attempt; the event was audited",
    "api/oauth.py:_save_token": "a token issued is a row of its own (api_tokens) and a call",
    "api/oauth.py:revoke_token": "the token row keeps when it was revoked",
    "catalog/policy_files.py:load_directory": "commits upsert_directory(), which records",
    "monthly/services.py:_make_final_reports": "commits notifications; generate() records",
    "monthly/services.py:revise_changed_reports": "stamps a check; generate() records edits",
    "monthly/services.py:_tell_of_revision": "notifications of a revision generate() recorded",
    "leads/services.py:warn_near_deadlines": "reminders only (notifications), once per lead",
    "reporting/services.py:remind_missing_reports": "reminders only, once per bank and month",
    "accounts/services.py:start_enrolment": "an unconfirmed secret; confirm_enrolment() records",
    "accounts/throttle.py:purge_expired": "removes expired sign-in failure counters",
    "accounts/throttle.py:hit": "a sign-in attempt counter, committed before the check",
    "accounts/throttle.py:give_back": "a successful attempt's count given back at once",
    "scheduler/runs.py:record_run": "bookkeeping of scheduled job runs for /health",
    "figures/rollups.py:rebuild": "derived dashboard figures, recomputed from records",
    "figures/rollups.py:refresh_dirty": "derived dashboard figures, recomputed from records",
    "datasources/authorisations.py:grant": "commits _grant(), which records",
    "datasources/refresh.py:refresh": "commits _refresh_one(), which records each changed firm",
    "matching/services.py:retry_deferred_instant": "commits _grant_deferred(), which records",
    # Sending mail: the outbox row is the record (status, attempts, errors), written with the
    # event that the event's own entry records.
    "mail/sender.py:send_due": "delivery state of outbox rows; the event was audited",
    "mail/sender.py:_claim": "delivery state of an outbox row",
    "mail/sender.py:_retry_later": "delivery state of an outbox row",
    "mail/sender.py:_give_up": "delivery state of an outbox row",
    "mail/sender.py:_fail_abandoned": "delivery state of outbox rows",
}


def _functions() -> Iterator[tuple[str, ast.FunctionDef, ast.Module]]:
    for path in sorted(PORTAL.rglob("*.py")):
        module = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(module):
            if isinstance(node, ast.FunctionDef):
                yield f"{path.relative_to(PORTAL).as_posix()}:{node.name}", node, module


def _calls(node: ast.AST, name: str) -> list[ast.Call]:
    return [
        call
        for call in ast.walk(node)
        if isinstance(call, ast.Call)
        and (
            (isinstance(call.func, ast.Attribute) and call.func.attr == name)
            or (isinstance(call.func, ast.Name) and call.func.id == name)
        )
    ]


def _commits(node: ast.AST) -> bool:
    return any(
        isinstance(call.func, ast.Attribute)
        and isinstance(call.func.value, ast.Attribute)
        and call.func.value.attr == "session"
        for call in _calls(node, "commit")
    )


def test_every_committing_function_records_an_entry():
    """A function that commits also calls audit record(), or is listed with its reason."""
    unrecorded = {
        name for name, node, _ in _functions() if _commits(node) and not _calls(node, "record")
    }
    assert sorted(unrecorded - COMMITS_WITHOUT_ENTRY.keys()) == []
    assert sorted(COMMITS_WITHOUT_ENTRY.keys() - unrecorded) == [], "stale entries in the list"


def _literal_actions(call: ast.Call, module: ast.Module) -> set[str]:
    """The action strings a record() call can pass: literals, conditionals, module constants."""
    constants = {
        target.id: node.value.value
        for node in module.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def values(node: ast.AST) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            return values(node.body) | values(node.orelse)
        if isinstance(node, ast.Name) and node.id in constants:
            return {constants[node.id]}
        return set()

    return values(call.args[0]) if call.args else set()


def test_every_action_has_a_label():
    """Each action the code can record can be picked in the search page's action list."""
    assert sorted(set(AuditAction) - ACTION_LABELS.keys()) == []


def test_an_action_outside_the_enumeration_cannot_be_recorded(app):
    with app.app_context(), pytest.raises(ValueError, match="not a valid AuditAction"):
        audit.record("need.sumbit")  # type: ignore[arg-type]


@pytest.mark.parametrize("action", sorted(ACTION_LABELS))
def test_labels_are_chinese(action):
    """Labels are Chinese source strings (the English catalogue translates them)."""
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(ACTION_LABELS[action]))

"""Every form, posted with arbitrary values by the role that uses it: never a 5xx, a Chinese
message beside each refused field, and no write at all when the submission is refused."""

from __future__ import annotations

import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

import pytest
from flask_wtf import FlaskForm
from hypothesis import given
from wtforms import DecimalField, FloatField, IntegerField
from wtforms.fields.core import UnboundField

import portal
from portal.forms import NumberField, WholeNumberField
from tests.factories import credit_code_for
from tests.fuzz.conftest import World
from tests.fuzz.strategies import (
    FIELD_ERROR,
    FUZZ,
    NUMBER_EXTREMES,
    SIGNED_ZERO,
    post_checked,
    submissions,
)

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "a-new-Passw0rd-for-fuzz"
ACCOUNT = {
    "full_name": "张三",
    "email": "fuzz-new@example.com",
    "phone": "13800000000",
    "password": NEW_PASSWORD,
    "password_confirm": NEW_PASSWORD,
}
FIRM_PROFILE = {
    "name": "福州模糊测试有限公司",
    "legal_representative": "李四",
    "region_code": "350100",
    "industry_code": "13",
    "employees": "50",
    "revenue_wan": "1200",
    "total_assets_wan": "800",
    "established_on": "2018-05-01",
    "tax_credit_grade": "A",
    "qualifications": ["high_tech"],
}
INSTITUTION = {
    "name": "模糊测试银行股份有限公司福州分行",
    "short_name": "模糊测试银行",
    "kind": "city_commercial",
    "licence_no": "B0001H235010001",
    "region_code": "350100",
    "contact_name": "王五",
    "contact_phone": "0591-87654321",
    "application_note": "拟提供小微企业信用贷款。",
}
PRODUCT = {
    "name": "模糊信用贷",
    "kind": "credit",
    "summary": "面向小微企业。",
    "min_amount_wan": "10",
    "max_amount_wan": "500",
    "min_term_months": "3",
    "max_term_months": "36",
    "min_rate": "3.45",
    "max_rate": "4.35",
    "guarantee_fee_rate": "0",
    "guarantee_types": ["credit"],
    "region_codes": ["350100"],
    "response_days": "3",
    "eligibility": 'size_class in ["small", "micro"]',
    "instant_approval": "",
    "formula": "min(amount, revenue * 0.2, 3000000)",
}
GUARANTEE_PRODUCT = {
    "name": "模糊担保",
    "summary": "面向小微企业。",
    "min_amount_wan": "10",
    "max_amount_wan": "1000",
    "max_term_months": "36",
    "fee_rate": "0.8",
    "coverage_share": "80",
    "region_codes": ["350100"],
    "response_days": "2",
    "eligibility": 'size_class in ["small", "micro"]',
}
SAMPLE_FIRM = {
    "size_class": "small",
    "region_code": "350100",
    "industry_code": "13",
    "years_in_business": "3",
    "employees": "40",
    "revenue_wan": "1500",
    "total_assets_wan": "2000",
    "tax_credit_grade": "A",
    "qualifications": ["high_tech"],
    "registry_status": "active",
    "tax_paid_12m_wan": "60",
    "tax_paid_24m_wan": "110",
    "enforcement_amount_wan": "0",
    "amount_wan": "200",
    "term_months": "12",
    "guarantee_type": "credit",
}
POLICY = {
    "slug": "fuzz-new-policy",
    "title": "模糊测试贴息",
    "kind": "interest_subsidy",
    "summary": "对小微企业贷款贴息。",
    "source_document": "闽财金〔2024〕15号",
    "source_date": "2024-01-01",
    "valid_from": "2024-01-01",
    "valid_to": "2026-12-31",
    "budget_wan": "1000",
    "benefit_kind": "rate_points",
    "benefit_formula": "lpr_one_year * 0.5",
    "benefit_cap_wan": "10",
    "eligibility": 'size_class in ["small", "micro"]',
    "applies_to_kinds": ["credit"],
}
NEED = {
    "amount_wan": "200",
    "term_months": "12",
    "guarantee_type": "credit",
    "max_rate": "4.5",
    "purpose": "采购原材料",
    "consent": "y",
    "idempotency_key": "fuzz-key-0001",
}
# Viewing a firm's profile is logged, also when a lead form is shown again with its errors.
LOGGED_VIEWS = frozenset({"audit_log"})


@dataclass(frozen=True)
class Case:
    """One form: who posts it, where, a valid submission, and what a refusal may still write."""

    role: str | None
    url: Callable[[World], str]
    valid: dict[str, Any]
    skip: frozenset[str] = field(default_factory=frozenset)
    always_renders: bool = False  # the page answers 200 also when the input is accepted


CASES = {
    "login": Case(
        None,
        lambda w: "/login",
        {"email": "nobody@example.com", "password": "wrong-password"},
        # A failed sign-in is counted (throttling) and logged, by design.
        skip=frozenset({"throttle_counters", "audit_log", "users"}),
    ),
    # No exchange is configured here: a valid registration is refused (banner: try again in a
    # few minutes) and writes nothing; tests/datasources drive it against the real exchange.
    "register": Case(
        None,
        lambda w: "/register",
        {
            **ACCOUNT,
            "credit_code": credit_code_for(9_999_001),
            "legal_rep_name": "李四",
            "legal_rep_id_number": "11010519491231002X",
            "total_assets_wan": "800",
            "qualifications": ["green"],
            "employees": "50",
            "revenue_wan": "1200",
            "tax_credit_grade": "M",
            "consent": "y",
        },
    ),
    "admin_new_user": Case(
        "admin",
        lambda w: "/admin/users/new",
        {**ACCOUNT, "role": "bank_officer", "institution_id": "0", "agency_id": "0"},
    ),
    "admin_invite_user": Case(
        "admin",
        lambda w: "/admin/users/invite",
        {
            "full_name": "王芳",
            "email": "fuzz-invitee@example.com",
            "phone": "13800000000",
            "role": "regulator",
            "institution_id": "0",
            "agency_id": "0",
        },
    ),
    "team_invite": Case(
        "bank_admin",
        lambda w: "/team/invite",
        {
            "full_name": "王芳",
            "email": "fuzz-invitee@example.com",
            "phone": "13800000000",
            "role": "bank_officer",
        },
    ),
    "team_settings": Case(
        "bank_admin",
        lambda w: "/team/settings",
        {
            "response_days": "3",
            "work_starts_at": "09:00",
            "work_ends_at": "17:30",
            "notify_emails": "team@bank.example.com\nduty@bank.example.com",
        },
    ),
    "admin_lpr": Case(
        "admin",
        lambda w: "/admin/lpr",
        {"effective_on": "2026-01-20", "one_year": "3.00", "over_five_years": "3.50"},
    ),
    "admin_calendar": Case(
        "admin",
        lambda w: "/admin/calendar",
        {
            "year": "2030",
            "notice": "国办发明电〔2029〕7号",
            "lines": "2030-02-02 至 2030-02-09 春节\n2030-02-10 上班",
        },
    ),
    "product_new": Case("bank_admin", lambda w: "/bank/products/new", PRODUCT),
    "product_edit": Case(
        "bank_admin", lambda w: f"/bank/products/{w.draft_product_id}/edit", PRODUCT
    ),
    "product_trial": Case(
        "bank_admin",
        lambda w: f"/bank/products/{w.product_id}",
        SAMPLE_FIRM,
        always_renders=True,
    ),
    "guarantee_product_new": Case(
        "guarantor_admin", lambda w: "/guarantor/products/new", GUARANTEE_PRODUCT
    ),
    "guarantee_agreement": Case(
        "guarantor_admin",
        lambda w: f"/guarantor/products/{w.guarantee_product_id}/agreements",
        {"bank_product_id": "", "mode": "automatic", "automatic_limit_wan": "300"},
    ),
    "risk_share": Case(
        "guarantor_admin",
        lambda w: f"/guarantor/products/{w.guarantee_product_id}/risk-share",
        {
            "guarantor_share": "40",
            "reguarantee_share": "30",
            "bank_share": "20",
            "government_share": "10",
            "reguarantee_cap_wan": "500",
            "government_cap_wan": "200",
            "trigger_overdue_days": "90",
        },
    ),
    "compensation_file": Case(
        "officer",
        lambda w: f"/bank/guarantees/{w.letter_id}/compensation",
        {"loss_wan": "20", "evidence_note": "逾期 120 天，催收无果。"},
    ),
    "policy_new": Case("gov", lambda w: "/gov/policies/new", POLICY),
    "policy_edit": Case("gov", lambda w: f"/gov/policies/{w.policy_id}/edit", POLICY),
    # Verified fields are not on the form at all (portal/datasources/provenance.py): the firm
    # whose profile is all declared has every input.
    "firm_profile": Case("declared_sme", lambda w: "/firm/profile", FIRM_PROFILE),
    "institution_apply": Case(
        None, lambda w: "/institutions/apply", {**ACCOUNT, **INSTITUTION, "consent": "y"}
    ),
    "bank_onboarding": Case("applicant", lambda w: "/bank/onboarding", INSTITUTION),
    "onboarding_reject": Case(
        "gov",
        lambda w: f"/gov/onboarding/{w.applied_bank_id}/reject",
        {"reason": "材料不全，请补充金融许可证。"},
    ),
    "onboarding_suspend": Case(
        "gov",
        lambda w: f"/gov/onboarding/{w.bank_id}/suspend",
        {"reason": "暂停整改，待核查。"},
    ),
    "need_new": Case("sme", lambda w: "/firm/needs/new", NEED),
    "lead_decline": Case(
        "officer",
        lambda w: f"/bank/leads/{w.open_lead}/decline",
        {"reason": "repayment_capacity", "note": "营业收入不足。"},
        skip=LOGGED_VIEWS,
    ),
    "lead_decide": Case(
        "officer",
        lambda w: f"/bank/leads/{w.accepted_lead}/decide",
        {
            "amount_wan": "40",
            "rate": "3.85",
            "term_months": "12",
            "repayment_method": "equal_instalment",
            "upfront_fee_wan": "0",
        },
        skip=LOGGED_VIEWS,
    ),
    "data_authorisation": Case(
        "sme",
        lambda w: "/firm/data-authorisation",
        {"sources": "tax", "scope": "derived", "days": "90"},
    ),
    "claim_file": Case(
        "officer",
        lambda w: f"/bank/claims/loans/{w.loan_id}/new",
        {"principal_wan": "20", "evidence_note": "逾期 120 天，已起诉", "confirmed": "y"},
        skip=LOGGED_VIEWS,
    ),
    "lead_disburse": Case(
        "officer",
        lambda w: f"/bank/leads/{w.taken_lead}/disburse",
        {"contract_no": "HT-2026-0001", "disbursed_on": "2026-01-15"},
        skip=LOGGED_VIEWS,
    ),
    "loan_report": Case(
        "officer",
        lambda w: f"/bank/loan-reports/loans/{w.loan_id}",
        {
            "month": "2025-06",
            "balance": "350000.00",
            "days_overdue": "0",
            "five_tier_class": "normal",
        },
    ),
    "report_regenerate": Case(
        "admin",
        lambda w: "/reports/regenerate",
        {"period": "2025-06", "scope": "province", "confirmed": "y"},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_form_survives_arbitrary_input(name, app, client, auth, world):
    """Arbitrary values never give a 5xx; a refusal says what to fix and writes nothing."""
    case = CASES[name]
    if case.role:
        auth.login(getattr(world, case.role))
    url = case.url(world)

    @FUZZ
    @given(form=submissions(case.valid))
    def check(form: dict[str, Any]) -> None:
        post_checked(
            app,
            lambda: client.post(url, data=form),
            skip=case.skip,
            refused_when=(lambda r: False) if case.always_renders else _re_rendered,
        )

    check()


def _re_rendered(response: Any) -> bool:
    # The role may use the form: anything but the page again (refused) or a redirect (done)
    # would mean the fuzzing never reached the form.
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


TEXT_FIELDS = [
    (name, key)
    for name, case in sorted(CASES.items())
    if not case.always_renders
    for key, value in case.valid.items()
    if isinstance(value, str)
    and not value.replace(".", "").isdigit()
    # Check boxes take any value as "ticked"; the hidden key's message is in the banner.
    and key not in ("consent", "confirmed", "idempotency_key")
]


@pytest.mark.parametrize(("name", "key"), TEXT_FIELDS)
def test_control_characters_are_refused_beside_the_field(name, key, app, client, auth, world):
    """NUL (which PostgreSQL cannot store) and other control characters: refused at the field."""
    case = CASES[name]
    if case.role:
        auth.login(getattr(world, case.role))
    form = {**case.valid, key: case.valid[key][:1] + "\x00\x1b" + case.valid[key][1:]}
    response = post_checked(app, lambda: client.post(case.url(world), data=form), skip=case.skip)
    # Text fields say "control characters"; drop-downs and dates say the value is not valid.
    assert response.status_code == 200
    assert f'id="{key}-error"' in response.get_data(as_text=True)


# Every numeric input of every form, by the form's case name.
NUMBER_FIELDS = {
    "admin_lpr": ("one_year", "over_five_years"),
    "admin_calendar": ("year",),
    "team_settings": ("response_days",),
    "firm_profile": ("employees", "revenue_wan", "total_assets_wan"),
    "claim_file": ("principal_wan",),
    "data_authorisation": ("days",),
    "lead_decide": ("amount_wan", "rate", "term_months", "upfront_fee_wan"),
    "loan_report": ("balance", "days_overdue"),
    "need_new": ("amount_wan", "term_months", "max_rate"),
    "policy_new": ("budget_wan", "benefit_cap_wan", "claim_overdue_days"),
    "policy_edit": ("budget_wan", "benefit_cap_wan", "claim_overdue_days"),
    "product_new": (
        "min_amount_wan",
        "max_amount_wan",
        "min_term_months",
        "max_term_months",
        "min_rate",
        "max_rate",
        "guarantee_fee_rate",
        "response_days",
    ),
    "product_edit": ("min_amount_wan", "max_rate", "response_days"),
    "guarantee_product_new": (
        "min_amount_wan",
        "max_amount_wan",
        "max_term_months",
        "fee_rate",
        "coverage_share",
        "response_days",
    ),
    "guarantee_agreement": ("automatic_limit_wan",),
    "risk_share": (
        "guarantor_share",
        "reguarantee_share",
        "bank_share",
        "government_share",
        "reguarantee_cap_wan",
        "government_cap_wan",
        "trigger_overdue_days",
    ),
    "compensation_file": ("loss_wan",),
    "product_trial": (
        "years_in_business",
        "employees",
        "revenue_wan",
        "total_assets_wan",
        "tax_paid_12m_wan",
        "tax_paid_24m_wan",
        "enforcement_amount_wan",
        "amount_wan",
        "term_months",
    ),
    "register": ("employees", "revenue_wan", "total_assets_wan"),
}
NUMBER_INPUTS = [
    (name, key, value)
    for name, keys in sorted(NUMBER_FIELDS.items())
    for key in keys
    for value in (*NUMBER_EXTREMES, SIGNED_ZERO)
]


# Query-string filters with numbers, driven in test_queries_and_buttons.
FILTER_NUMBERS = frozenset({"amount", "term", "max_rate", "npl_threshold", "object_id"})


def test_number_fields_cover_every_numeric_input():
    """Every number field of every form reads through portal.numbers and is driven above."""
    driven = {key for keys in NUMBER_FIELDS.values() for key in keys} | FILTER_NUMBERS
    for cls in _form_classes():
        for attribute, unbound in inspect.getmembers(cls, lambda v: isinstance(v, UnboundField)):
            where = f"{cls.__module__}.{cls.__name__}.{attribute}"
            kind = unbound.field_class
            if issubclass(kind, NumberField | WholeNumberField):
                assert "quantity" in unbound.kwargs, f"{where} has no quantity"
                assert attribute in driven, f"{where} is not driven with extremes"
            elif issubclass(kind, DecimalField | IntegerField | FloatField):
                raise AssertionError(f"{where} does not read through portal.numbers")


def _form_classes() -> list[type]:
    found = []
    for module_info in pkgutil.walk_packages(portal.__path__, "portal."):
        if ".demo" in module_info.name or module_info.name.endswith("__main__"):
            continue
        module = import_module(module_info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


@pytest.mark.parametrize(("name", "key", "value"), NUMBER_INPUTS)
def test_number_extremes_get_a_message_and_write_nothing(
    name, key, value, app, client, auth, world
):
    """NaN, infinities, exponents of a million digits, 60 digits, "1_000", full-width digits: a
    message beside the field, no 5xx and no write; "-0" is zero, accepted only where 0 is."""
    case = CASES[name]
    if case.role:
        auth.login(getattr(world, case.role))
    form = {**case.valid, key: value}
    response = post_checked(
        app,
        lambda: client.post(case.url(world), data=form),
        skip=case.skip,
        refused_when=(lambda r: False) if case.always_renders else _re_rendered,
    )
    html = response.get_data(as_text=True)
    if value != SIGNED_ZERO:
        assert response.status_code == 200
        assert f'id="{key}-error"' in html, f"{key}={value!r} got no message"


RULE_FIELDS = [
    ("product_new", "eligibility", 'size_class == "small" and revenue > 1e9999999', "第 37 列"),
    ("product_new", "eligibility", "revenue > 1e-999999999", "第 11 列"),
    ("product_new", "instant_approval", "amount <= 1e999999", "第 11 列"),
    ("product_new", "instant_approval", "amount <= 1000000000000000 * 1000", "第 11 列"),
    ("product_new", "formula", "1e999999", "第 1 列"),
    ("product_new", "formula", "min(amount, revenue * " + "9" * 60 + ")", "第 23 列"),
    ("policy_new", "eligibility", "total_assets >= -1e999999999", "第 18 列"),
    ("policy_new", "benefit_formula", "lpr_one_year * 1e999999", "第 16 列"),
    ("policy_new", "benefit_formula", "0.000000001", "第 1 列"),
]


@pytest.mark.parametrize(("name", "key", "text", "position"), RULE_FIELDS)
def test_rule_constants_out_of_range_are_refused_at_their_position(
    name, key, text, position, app, client, auth, world
):
    """Every rule field refuses a constant out of range, saying where it is; nothing is saved."""
    case = CASES[name]
    auth.login(getattr(world, case.role))
    form = {**case.valid, key: text}
    response = post_checked(app, lambda: client.post(case.url(world), data=form), skip=case.skip)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    shown = dict(FIELD_ERROR.findall(html))
    assert key in shown, f"{key} got no message"
    assert "超出范围" in shown[key] and position in shown[key], shown[key]

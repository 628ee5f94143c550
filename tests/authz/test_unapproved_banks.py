"""A bank or a guarantor that is not approved (applied, rejected, suspended) holds none of its
powers anywhere."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from portal.accounts.models import User
from portal.authz import scoped
from portal.catalog.models import BankProduct
from portal.enums import GUARANTOR_ROLES, OnboardingStatus, Role
from portal.extensions import db
from portal.firms.models import Firm
from portal.guarantees.models import (
    Guarantee,
    GuaranteeAgreement,
    GuaranteeProduct,
    GuaranteeRequest,
)
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Lead, Loan
from portal.monthly.models import MonthlyReport
from portal.needs.models import FinancingNeed
from portal.notifications.service import bank_user_ids
from portal.reporting.models import LoanReportUpload
from tests.authz.matrix import (
    MATRIX,
    MISSING,
    answer_of,
    request,
    routes,
    unapproved_bank_answer,
    url_for_rule,
)
from tests.authz.world import (
    REFUSAL_ACTIONS,
    World,
    audit_actions_since,
    build_world,
    last_audit_id,
    row_counts,
)

UNAPPROVED = (OnboardingStatus.APPLIED, OnboardingStatus.REJECTED, OnboardingStatus.SUSPENDED)
BANK_ROLES = (Role.BANK_ADMIN, Role.BANK_OFFICER)
INSTITUTION_ROLES = (*BANK_ROLES, Role.GUARANTOR_ADMIN, Role.GUARANTOR_OFFICER)
# The walk names the institution's own product, which left the public catalogue with the
# approval: the bank's in the catalogue, the guarantor's in the guarantee catalogue.
PUBLIC_PAGE_OF_OWN_PRODUCT = {
    Role.BANK_ADMIN: "catalog.product_detail",
    Role.BANK_OFFICER: "catalog.product_detail",
    Role.GUARANTOR_ADMIN: "guarantee_catalog.detail",
    Role.GUARANTOR_OFFICER: "guarantee_catalog.detail",
}
GUARANTOR_MODELS = (
    GuaranteeRequest,
    Guarantee,
    GuaranteeProduct,
    GuaranteeAgreement,
    FinancingNeed,
    Firm,
)
# What the walk's requests to the user's own account and notifications record.
OWN_ACCOUNT_ACTIONS = frozenset(
    {
        "auth.recovery_codes_regenerated",
        "notifications.read_all",
        "auth.logout",
        # The user's own address and mail preferences: theirs whatever the institution's status.
        "email.preferences_save",
        "email.confirmation_sent",
    }
)


def set_status(app: Flask, institution_id: int, status: OnboardingStatus) -> None:
    with app.app_context():
        db.session.get(FinancialInstitution, institution_id).onboarding_status = status
        db.session.commit()


def own_institution(world: World, role: Role) -> int:
    """Tenant A's institution that the role's user acts for: its guarantor or its bank."""
    return world.a.guarantor if role in GUARANTOR_ROLES else world.a.bank


def walk(app: Flask, client, world: World, role: Role) -> list[str]:
    """Every route as the signed-in user of tenant A's institution; the answers that are wrong."""
    wrong = []
    for rule, method in routes(app):
        if (rule.endpoint, method) not in MATRIX:
            continue  # reported by test_every_route_has_an_answer
        expected = unapproved_bank_answer(rule.endpoint, method, role)
        if rule.endpoint == PUBLIC_PAGE_OF_OWN_PRODUCT[role]:
            expected = MISSING
        url = url_for_rule(app, rule, world.args_for(role, endpoint=rule.endpoint))
        got = answer_of(request(client, method, url), method)
        if got != expected:
            wrong.append(f"{method} {url} ({rule.endpoint}): expected {expected}, got {got}")
    return wrong


@pytest.mark.parametrize("role", INSTITUTION_ROLES)
@pytest.mark.parametrize("status", UNAPPROVED)
def test_every_institution_route_is_refused_until_approved(app, client, auth, status, role):
    """Walk app.url_map as a bank's or a guarantor's user whose institution is applied,
    rejected or suspended."""
    world = build_world(app)
    set_status(app, own_institution(world, role), status)
    auth.login(world.email(role))
    counts, last_id = bank_rows(app), last_audit_id(app)
    wrong = walk(app, client, world, role)
    assert not wrong, f"{role} of a {status} institution:\n" + "\n".join(wrong)
    assert bank_rows(app) == counts, "a refused institution user changed something"
    assert audit_actions_since(app, last_id) <= REFUSAL_ACTIONS | OWN_ACCOUNT_ACTIONS


def bank_rows(app: Flask) -> dict[str, int]:
    """Row counts of every table but the user's own recovery codes (theirs to renew) and the
    link and e-mail confirming their own address (theirs to ask for)."""
    counts = row_counts(app)
    for own in ("recovery_codes", "account_tokens", "outbox_emails"):
        counts.pop(own)
    return counts


def test_walk_expects_bank_pages_refused(app):
    """Control: the expectations do refuse the bank's pages and keep the status page."""
    assert unapproved_bank_answer("products.index", "GET", Role.BANK_ADMIN) == "403"
    assert unapproved_bank_answer("leads.index", "GET", Role.BANK_OFFICER) == "403"
    assert unapproved_bank_answer("dashboard.export", "GET", Role.BANK_ADMIN) == "403"
    assert unapproved_bank_answer("loan_reports.upload", "POST", Role.BANK_OFFICER) == "403"
    assert unapproved_bank_answer("institutions.my_application", "POST", Role.BANK_ADMIN) == "ok"
    assert unapproved_bank_answer("notifications.index", "GET", Role.BANK_OFFICER) == "ok"
    assert unapproved_bank_answer("guarantees.admin_home", "GET", Role.GUARANTOR_ADMIN) == "403"
    assert unapproved_bank_answer("guarantees.requests", "GET", Role.GUARANTOR_OFFICER) == "403"
    assert unapproved_bank_answer("guarantees.publish", "POST", Role.GUARANTOR_ADMIN) == "403"
    assert (
        unapproved_bank_answer("institutions.my_application", "GET", Role.GUARANTOR_ADMIN) == "ok"
    )
    assert unapproved_bank_answer("guarantee_catalog.index", "GET", Role.GUARANTOR_OFFICER) == "ok"


@pytest.mark.parametrize("status", UNAPPROVED)
def test_scoping_shows_an_unapproved_bank_none_of_its_rows(app, status):
    """Whatever page lets a query through, the scoping layer gives such a bank no bank rows."""
    world = build_world(app)
    set_status(app, world.a.bank, status)
    with app.app_context():
        for role in BANK_ROLES:
            actor = db.session.get(User, world.a.user_ids[role])
            for model in (Lead, Loan, BankProduct, LoanReportUpload, MonthlyReport):
                assert db.session.scalars(scoped(select(model), model, actor)).all() == [], model
            own = db.session.scalars(
                scoped(select(FinancialInstitution), FinancialInstitution, actor)
            ).all()
            assert [i.id for i in own] == [world.a.bank]
            colleagues = db.session.scalars(scoped(select(User), User, actor)).all()
            assert [u.id for u in colleagues] == [actor.id]
        assert bank_user_ids(world.a.bank) == []
        assert len(bank_user_ids(world.b.bank)) == 2


@pytest.mark.parametrize("status", UNAPPROVED)
def test_scoping_shows_an_unapproved_guarantor_none_of_its_rows(app, status):
    """Nor a guarantor: not its requests, letters, products or agreements, nor the firm and
    need behind the request it took on; the other guarantor keeps its own."""
    world = build_world(app)
    set_status(app, world.a.guarantor, status)
    with app.app_context():
        for role in GUARANTOR_ROLES:
            actor = db.session.get(User, world.a.user_ids[role])
            for model in GUARANTOR_MODELS:
                assert db.session.scalars(scoped(select(model), model, actor)).all() == [], model
            own = db.session.scalars(
                scoped(select(FinancialInstitution), FinancialInstitution, actor)
            ).all()
            assert [i.id for i in own] == [world.a.guarantor]
        other = db.session.get(User, world.b.user_ids[Role.GUARANTOR_OFFICER])
        requests = db.session.scalars(scoped(select(GuaranteeRequest), GuaranteeRequest, other))
        assert sorted(r.id for r in requests) == sorted(
            [world.b.guarantee_request, world.b.issued_request]
        )
        assert bank_user_ids(world.a.guarantor) == []
        assert len(bank_user_ids(world.b.guarantor)) == 2

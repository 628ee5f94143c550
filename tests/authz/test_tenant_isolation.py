"""Another tenant's rows are a 404 on every URL that takes an id, whatever id is guessed.

Tenant B's user of each tenant role walks every route the matrix lets that role use and that
takes an object id, once per id argument, with that argument set to tenant A's id, to the
ids next to B's own (A's rows and the shared pool's sit there: see tests/authz/world.py) and to
an id that does not exist. Every answer must be 404, never 403 or a page, and nothing may
change. Regulators and admins are no tenant: regulators read every monthly report by design and
no other row by id; admins see everything.
"""

from __future__ import annotations

import pytest
from flask import Flask

from portal.catalog.models import BankProduct, PolicyProduct
from portal.enums import (
    ClaimStatus,
    GuaranteeRequestStatus,
    LeadStatus,
    NeedStatus,
    ProductStatus,
    Role,
)
from portal.extensions import db
from portal.guarantees.models import (
    Compensation,
    CompensationShare,
    Guarantee,
    GuaranteeAgreement,
    GuaranteeProduct,
    GuaranteeRequest,
)
from portal.leads.models import Lead
from portal.needs.models import FinancingNeed
from portal.reporting.models import LoanStatusReport
from tests.authz.matrix import (
    ANONYMOUS,
    MATRIX,
    MISSING,
    OK,
    answer_of,
    request,
    routes,
    url_for_rule,
)
from tests.authz.world import (
    REFUSAL_ACTIONS,
    TENANT_ROLES,
    World,
    audit_actions_since,
    build_world,
    last_audit_id,
    row_counts,
)
from tests.factories import UserFactory

# Onboarding decisions are the province's, taken by any government agency: no tenant owns an
# application, so institution ids are not probed here (only government staff may open them).
UNTENANTED_ARGUMENTS = frozenset({"institution_id"})
FAR_AWAY = 10**6


def id_arguments(rule) -> list[str]:
    return sorted(a for a in rule.arguments if a.endswith("_id") and a not in UNTENANTED_ARGUMENTS)


def own_ids(world: World, role: Role, argument: str, endpoint: str) -> set[int]:
    """The ids of this argument tenant B's user may legitimately open on this endpoint."""
    # A claim names the pooled lead: the pool offers it to every bank with a fitting product.
    own = {world.args_for(role, "B", endpoint)[argument]}
    if argument == "report_id" and role == Role.GOV_STAFF:
        own.add(world.province_report)  # a city's staff also read the province's report
    if argument == "request_id":
        own.add(world.b.issued_request)  # its guarantor also holds the request of its letter
    if argument == "user_id" and role in (Role.BANK_ADMIN, Role.GUARANTOR_ADMIN):
        own.add(world.b.user_ids[role])  # the admin is on their own team too
    return own


def guesses(world: World, role: Role, argument: str, endpoint: str) -> list[int]:
    """Tenant A's ids, the ids around B's own and one that does not exist; never B's own.

    A's ids are those the endpoint names (its guarantee product on a guarantor's page) and those
    it names elsewhere (its lead, not the pool, on a claim; its bank product)."""
    mine = world.args_for(role, "B", endpoint)[argument]
    theirs = {world.args_for(role, "A", endpoint)[argument], world.args_for(role, "A")[argument]}
    candidates = {*theirs, FAR_AWAY, *(mine + step for step in (-2, -1, 1, 2))}
    return sorted(c for c in candidates - own_ids(world, role, argument, endpoint) if c > 0)


def victim_state(app: Flask, world: World) -> dict[str, object]:
    """Tenant A's rows that a state-changing request could touch."""
    a = world.a
    with app.app_context():
        return {
            "need": db.session.get(FinancingNeed, a.need).status,
            "lead": db.session.get(Lead, a.lead).status,
            "pooled": db.session.get(Lead, world.pooled_lead).status,
            "product": db.session.get(BankProduct, a.product).status,
            "policy": db.session.get(PolicyProduct, a.policy).status,
            "reports": db.session.query(LoanStatusReport).filter_by(loan_id=a.loan).count(),
            "guarantee_request": db.session.get(GuaranteeRequest, a.guarantee_request).status,
            "guarantee_letters": db.session.query(Guarantee)
            .filter_by(request_id=a.guarantee_request)
            .count(),
            "compensation": db.session.get(Compensation, a.compensation).status,
            "share": db.session.get(CompensationShare, a.share).status,
            "guarantee_product": db.session.get(GuaranteeProduct, a.guarantee_product).status,
            "agreement": db.session.get(GuaranteeAgreement, a.agreement) is not None,
        }


@pytest.mark.parametrize("role", TENANT_ROLES)
def test_other_tenants_ids_are_404(app, client, auth, role):
    """Every id route answers 404 to tenant B's user for A's ids and guessed neighbours."""
    world = build_world(app)
    auth.login(world.email(role, "B"))
    counts, state, audited = row_counts(app), victim_state(app, world), last_audit_id(app)
    probed, wrong = 0, []
    for rule, method in routes(app):
        answers = MATRIX.get((rule.endpoint, method))
        if answers is None or answers[role.value] != OK:
            continue  # the matrix covers the refusals (403) of roles without the permission
        if answers[ANONYMOUS] == OK:
            continue  # the public catalogue: published rows are everyone's (drafts: see below)
        for argument in id_arguments(rule):
            for guess in guesses(world, role, argument, rule.endpoint):
                values = {**world.args_for(role, "B", rule.endpoint), argument: guess}
                url = url_for_rule(app, rule, values)
                got = answer_of(request(client, method, url), method)
                probed += 1
                if got != MISSING:
                    wrong.append(f"{method} {url} ({rule.endpoint}, {argument}={guess}): {got}")
    assert probed, "the walk probed nothing"
    assert not wrong, f"{role.value} of tenant B reached rows not theirs:\n" + "\n".join(wrong)
    assert row_counts(app) == counts
    assert audit_actions_since(app, audited) <= REFUSAL_ACTIONS
    assert victim_state(app, world) == state


def test_victim_state_is_what_the_world_made(app):
    """The rows the walk guards are in the state the world built (so the check above bites)."""
    world = build_world(app)
    assert victim_state(app, world) == {
        "need": NeedStatus.FULFILLED,
        "lead": LeadStatus.DISBURSED,
        "pooled": LeadStatus.POOLED,
        "product": ProductStatus.PUBLISHED,
        "policy": ProductStatus.PUBLISHED,
        "reports": 1,
        "guarantee_request": GuaranteeRequestStatus.ACCEPTED,
        "guarantee_letters": 0,
        "compensation": ClaimStatus.APPROVED,
        "share": ClaimStatus.SUBMITTED,
        "guarantee_product": ProductStatus.PUBLISHED,
        "agreement": True,
    }


@pytest.mark.parametrize("role", TENANT_ROLES)
def test_own_rows_open_for_tenant_b_too(app, client, auth, role):
    """The same walk with B's own ids is allowed: the 404s above are about whose row it is."""
    world = build_world(app)
    auth.login(world.email(role, "B"))
    for rule, method in routes(app):
        answers = MATRIX.get((rule.endpoint, method))
        if method != "GET" or answers is None or answers[role.value] != OK:
            continue
        if id_arguments(rule):
            url = url_for_rule(app, rule, world.args_for(role, "B", rule.endpoint))
            assert client.get(url).status_code == 200, (role, url)


def test_unpublished_catalogue_rows_are_404_to_everyone_else(app, client, auth):
    """A draft product or policy is not in the public catalogue: other banks and agencies and
    visitors get 404 for its id."""
    world = build_world(app)
    with app.app_context():
        db.session.get(BankProduct, world.a.product).status = ProductStatus.DRAFT
        db.session.get(PolicyProduct, world.a.policy).status = ProductStatus.DRAFT
        db.session.commit()
    urls = (f"/products/{world.a.product}", f"/policies/{world.a.policy}")
    for url in urls:
        assert client.get(url).status_code == 404, url
    for role in (Role.BANK_ADMIN, Role.GOV_STAFF):
        auth.login(world.email(role, "B"))
        for url in urls:
            assert client.get(url).status_code == 404, (role, url)
        assert client.get(f"/bank/products/{world.a.product}").status_code in (403, 404)
        assert client.get(f"/gov/policies/{world.a.policy}").status_code in (403, 404)
        auth.logout()


def test_unpublished_guarantee_products_are_404_to_everyone_else(app, client, auth):
    """A draft guarantee product is not in the guarantee catalogue: visitors, other
    guarantors and banks get 404 for its id; its own guarantor still manages it."""
    world = build_world(app)
    with app.app_context():
        db.session.get(GuaranteeProduct, world.a.guarantee_product).status = ProductStatus.DRAFT
        db.session.commit()
    public, manage = (
        f"/guarantees/{world.a.guarantee_product}",
        f"/guarantor/products/{world.a.guarantee_product}",
    )
    assert client.get(public).status_code == 404
    for email in (world.email(Role.GUARANTOR_ADMIN, "B"), world.email(Role.BANK_ADMIN, "A")):
        auth.login(email)
        assert client.get(public).status_code == 404, email
        assert client.get(manage).status_code in (403, 404), email
        auth.logout()
    auth.login(world.email(Role.GUARANTOR_ADMIN, "A"))
    assert client.get(manage).status_code == 200


def test_bank_home_counts_only_the_pool_offered_to_it(app, client, auth):
    """The pool count on a bank's home counts the needs its products fit, as the pool page
    lists them: a bank with no fitting product sees 0, not the platform's pool."""
    world = build_world(app)
    with app.app_context():
        stranger = UserFactory(role=Role.BANK_OFFICER)  # a bank with no products
        db.session.commit()
        email = stranger.email
    for who, count in ((world.email(Role.BANK_OFFICER, "B"), 1), (email, 0)):
        auth.login(who)
        html = client.get("/bank").get_data(as_text=True)
        assert f'抢单池</p><p class="stat__value">{count}</p>' in html, who
        auth.logout()

"""The authorization matrix: what every visitor gets from every route, in one table.

Each entry names an endpoint and a method and gives the answer for the anonymous visitor and
for each role, with the permission (portal/authz/permissions.py) that decides it. Routes with
path arguments are asked about rows of the visitor's own tenant (tests/authz/world.py), so
"allowed" means the page really renders for them. A route missing from the table fails
test_every_route_has_an_answer with its name: decide who may use it, then add it here.

Answers:
- OK: the view answered: 2xx, or a redirect that is not to the sign-in page; for a request that
  changes state, also 400 (our empty form was refused after the access check let it through);
- LOGIN: a redirect to the sign-in page;
- DENIED: 403;
- MISSING: 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from portal.enums import Role

OK, LOGIN, DENIED, MISSING = "ok", "login", "403", "404"
ANONYMOUS = "anonymous"
NO_TOKEN = "HTTP 401"
VISITORS: tuple[str, ...] = (ANONYMOUS, *(role.value for role in Role))
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})

SME, OFFICER, BANK_ADMIN = Role.SME, Role.BANK_OFFICER, Role.BANK_ADMIN
GOV, REGULATOR, ADMIN = Role.GOV_STAFF, Role.REGULATOR, Role.ADMIN
GUARANTOR_OFFICER, GUARANTOR_ADMIN = Role.GUARANTOR_OFFICER, Role.GUARANTOR_ADMIN
BANKS = (OFFICER, BANK_ADMIN)
GUARANTORS = (GUARANTOR_OFFICER, GUARANTOR_ADMIN)
DASHBOARD_ROLES = (BANK_ADMIN, GOV, REGULATOR, ADMIN)

Answers = Mapping[str, str]


def everyone(answer: str) -> Answers:
    return dict.fromkeys(VISITORS, answer)


PUBLIC: Answers = everyone(OK)
SIGNED_IN: Answers = {**everyone(OK), ANONYMOUS: LOGIN}


def only(*roles: Role) -> Answers:
    """Signed-in users of these roles; other roles are refused, visitors sent to sign in."""
    return {
        ANONYMOUS: LOGIN,
        **{role.value: OK if role in roles else DENIED for role in Role},
    }


def entry(endpoint: str, methods: str, answers: Answers) -> dict[tuple[str, str], Answers]:
    return {(endpoint, method): answers for method in methods.split()}


MATRIX: dict[tuple[str, str], Answers] = {
    # --- accounts: sign-in, sign-out, registration, the user's own security settings ------------
    # Public forms; a signed-in user who opens them is sent home and nothing changes.
    **entry("accounts.login", "GET POST", PUBLIC),
    **entry("accounts.register", "GET POST", PUBLIC),
    # The second sign-in step belongs to a half-finished sign-in; without one, back to sign-in.
    **entry("accounts.second_step", "GET POST", everyone(LOGIN)),
    **entry("accounts.enrol", "GET POST", everyone(LOGIN)),
    # Signing out ends on the sign-in page; a visitor who is not signed in is sent there too.
    **entry("accounts.logout", "POST", everyone(LOGIN)),
    # The user's own password and recovery codes: any signed-in user, for their own account only.
    **entry("accounts.security", "GET", SIGNED_IN),
    **entry("accounts.change_password", "POST", SIGNED_IN),
    **entry("accounts.regenerate_recovery_codes", "POST", SIGNED_IN),
    # E-mail links carry a token: the world's is not a real one, so every visitor gets a 404.
    **entry("account_email.forgot_password", "GET POST", PUBLIC),
    **entry("account_email.reset_password", "GET POST", everyone(MISSING)),
    **entry("account_email.confirm", "GET POST", everyone(MISSING)),
    **entry("account_email.preferences", "GET POST", SIGNED_IN),
    **entry("account_email.resend_confirmation", "POST", SIGNED_IN),
    # --- pages anyone may read --------------------------------------------------------------------
    **entry("public.index", "GET", PUBLIC),
    **entry("public.rules_help", "GET", PUBLIC),
    **entry("public.health", "GET", PUBLIC),
    **entry("i18n.switch_language", "POST", PUBLIC),  # the visitor's own language cookie
    # The user agreement and the privacy policy, current and earlier versions (portal/legal/).
    **entry("legal.terms", "GET", PUBLIC),
    **entry("legal.terms_version", "GET", PUBLIC),
    **entry("legal.privacy", "GET", PUBLIC),
    **entry("legal.privacy_version", "GET", PUBLIC),
    # Accepting the versions in force: any signed-in user, for their own account; with nothing
    # left to accept, the page sends them on.
    **entry("legal.consent", "GET POST", SIGNED_IN),
    # The public catalogue: published products of approved banks, published or closed policies.
    **entry("catalog.products", "GET", PUBLIC),
    **entry("catalog.product_detail", "GET", PUBLIC),
    **entry("catalog.policies", "GET", PUBLIC),
    **entry("catalog.policy_detail", "GET", PUBLIC),
    # The guarantee catalogue: published products of approved guarantors and their bank partners.
    # The open API answers bearer tokens only: a signed-in browser session is not a token
    # (so no page can be made to call it with the visitor's cookie). tests/api check the rest.
    **entry("api.openapi_document", "GET", PUBLIC),
    **entry("api.reference", "GET", PUBLIC),
    **entry("api.issue_token", "POST", PUBLIC),  # an empty form: 400 unsupported_grant_type
    **entry("api.revoke_token", "POST", everyone(NO_TOKEN)),
    **{
        (endpoint, method): everyone(NO_TOKEN)
        for endpoint, method in (
            ("api_leads.list_leads", "GET"),
            ("api_leads.get_lead", "GET"),
            ("api_leads.claim_lead", "POST"),
            ("api_leads.accept_lead", "POST"),
            ("api_leads.decline_lead", "POST"),
            ("api_leads.decide_lead", "POST"),
            ("api_leads.disburse_lead", "POST"),
            ("api_reference.regions", "GET"),
            ("api_reference.industries", "GET"),
            ("api_reference.decline_reasons", "GET"),
            ("api_reference.lpr", "GET"),
            ("api_leads.pool", "GET"),
            ("api_channel.list_messages", "GET"),
            ("api_channel.post_message", "POST"),
            ("api_channel.list_document_requests", "GET"),
            ("api_channel.request_document", "POST"),
            ("api_channel.cancel_document_request", "POST"),
            ("api_channel.list_documents", "GET"),
            ("api_channel.download_document", "GET"),
            ("api_claims.list_claims", "GET"),
            ("api_claims.claimable", "GET"),
            ("api_claims.file_claim", "POST"),
            ("api_claims.get_claim", "GET"),
            ("api_claims.report_recovery", "POST"),
            ("api_guaranteed_loans.list_guaranteed_loans", "GET"),
            ("api_guaranteed_loans.file_compensation", "POST"),
            ("api_compensations.get_compensation", "GET"),
            ("api_compensations.list_compensations", "GET"),
            ("api_compensations.pay_compensation", "POST"),
            ("api_compensations.reject_compensation", "POST"),
            ("api_compensations.report_recovery", "POST"),
            ("api_channel.put_contact", "PUT"),
            ("api_guarantees.list_requests", "GET"),
            ("api_guarantees.get_request", "GET"),
            ("api_guarantees.accept_request", "POST"),
            ("api_guarantees.issue_letter", "POST"),
            ("api_guarantees.decline_request", "POST"),
            ("api_loan_reports.get_month", "GET"),
            ("api_loan_reports.put_month", "PUT"),
            ("api_products.list_products", "GET"),
            ("api_products.get_product", "GET"),
            ("api_products.create_product", "POST"),
            ("api_products.submit_product", "POST"),
            ("api_guarantee_products.list_products", "GET"),
            ("api_guarantee_products.get_product", "GET"),
            ("api_guarantee_products.create_product", "POST"),
            ("api_guarantee_products.publish_product", "POST"),
        )
    },
    **entry("guarantee_catalog.index", "GET", PUBLIC),
    **entry("guarantee_catalog.detail", "GET", PUBLIC),
    # A bank applies to join before it has an account; a signed-in user is sent home.
    **entry("institutions.apply", "GET POST", PUBLIC),
    # --- home pages: each belongs to exactly one role (home:<role>:view) -------------------------
    **entry("home.index", "GET", SIGNED_IN),  # sends each user to their role's home
    **entry("home.sme", "GET", only(SME)),
    **entry("home.firm_profile", "GET POST", only(SME)),  # firm:profile:edit
    **entry("home.bank", "GET", only(OFFICER)),
    **entry("home.bank_admin", "GET", only(BANK_ADMIN)),
    **entry("guarantees.officer_home", "GET", only(GUARANTOR_OFFICER)),
    **entry("guarantees.admin_home", "GET", only(GUARANTOR_ADMIN)),
    **entry("home.gov", "GET", only(GOV)),
    **entry("home.regulator", "GET", only(REGULATOR)),
    **entry("admin.index", "GET", only(ADMIN)),
    # --- notifications: every user has their own -------------------------------------------------
    **entry("notifications.index", "GET", SIGNED_IN),
    **entry("notifications.mark_read", "POST", SIGNED_IN),
    # --- needs: firm:need:submit (firm users, their own firm's needs) -----------------------------
    **entry("needs.index", "GET", only(SME)),
    **entry("needs.new", "GET POST", only(SME)),
    **entry("needs.detail", "GET", only(SME)),
    **entry("needs.apply", "POST", only(SME)),
    **entry("needs.route_best", "POST", only(SME)),
    **entry("needs.pool", "POST", only(SME)),
    **entry("needs.withdraw", "POST", only(SME)),
    **entry("needs.take_offer", "POST", only(SME)),
    **entry("needs.viewers", "GET", only(SME)),
    # --- government data: the firm's authorisation (firm:profile:edit) and its query record ------
    **entry("datasources.authorisation", "GET POST", only(SME)),
    **entry("datasources.revoke", "POST", only(SME)),  # GET-less; the confirmation step first
    **entry("datasources.firm_queries", "GET", only(SME)),
    # bank:leads:work: a query of an accepted lead's firm (the bank's own leads only).
    **entry("datasources.lead_query", "GET POST", only(*BANKS)),
    # supervision:data_queries:view: every bank's queries, read only.
    **entry("datasources.queries", "GET", only(REGULATOR, ADMIN)),
    # --- identity and fact disputes (firm:profile:edit): the firm's identity review status (a
    # rejected letter may be sent again) and its dispute of a verified field (?field=; a field
    # that is not verified sends the firm back to its profile) -----------------------------------
    **entry("reviews.identity", "GET POST", only(SME)),
    **entry("reviews.dispute", "GET POST", only(SME)),
    # platform:reviews:decide: platform staff (admins) review letters and disputes, every firm's.
    **entry("reviews.index", "GET", only(ADMIN)),
    **entry("reviews.letter", "GET POST", only(ADMIN)),
    **entry("reviews.letter_file", "GET", only(ADMIN)),
    **entry("reviews.dispute_review", "GET POST", only(ADMIN)),
    # --- leads: bank:leads:work (officers and bank admins, their own bank's leads) ----------------
    **entry("leads.index", "GET", only(*BANKS)),
    **entry("leads.pool", "GET", only(*BANKS)),
    **entry("leads.claim", "POST", only(*BANKS)),  # a pooled lead the bank may claim
    **entry("leads.detail", "GET", only(*BANKS)),
    **entry("leads.accept", "POST", only(*BANKS)),
    **entry("leads.decline", "POST", only(*BANKS)),
    **entry("leads.decide", "POST", only(*BANKS)),
    **entry("leads.disburse", "POST", only(*BANKS)),
    # --- the channel on an accepted lead: the bank's side (bank:leads:work, its own lead while it
    # may see the firm) and the firm's (firm:need:submit, its own lead once accepted) -------------
    **entry("channel.bank_lead", "GET", only(*BANKS)),
    **entry("channel.bank_contact", "POST", only(*BANKS)),
    **entry("channel.bank_message", "POST", only(*BANKS)),
    **entry("channel.bank_request", "POST", only(*BANKS)),
    **entry("channel.bank_cancel_request", "POST", only(*BANKS)),
    **entry("channel.bank_document", "GET", only(*BANKS)),
    **entry("channel.firm_lead", "GET", only(SME)),
    **entry("channel.firm_message", "POST", only(SME)),
    **entry("channel.firm_upload", "POST", only(SME)),
    **entry("channel.firm_document", "GET", only(SME)),
    # --- loan status reports: bank:loan_reports:submit (their own bank's loans) -------------------
    **entry("loan_reports.index", "GET", only(*BANKS)),
    **entry("loan_reports.loan", "GET POST", only(*BANKS)),
    **entry("loan_reports.upload", "POST", only(*BANKS)),
    **entry("loan_reports.upload_detail", "GET", only(*BANKS)),
    **entry("loan_reports.template_csv", "GET", only(*BANKS)),
    **entry("loan_reports.template_xlsx", "GET", only(*BANKS)),
    # --- risk compensation claims: bank:claims:file (their own bank's loans and claims) ----------
    **entry("claims.bank_index", "GET", only(*BANKS)),
    **entry("claims.claimable", "GET", only(*BANKS)),
    **entry("claims.file", "GET POST", only(*BANKS)),  # GET explains why a loan is not claimable
    **entry("claims.bank_detail", "GET", only(*BANKS)),
    **entry("claims.recover", "POST", only(*BANKS)),
    # gov:claims:decide: claims on the staff's own agency's policies.
    **entry("claims.queue", "GET", only(GOV)),
    **entry("claims.review", "GET", only(GOV)),
    **entry("claims.approve", "POST", only(GOV)),
    **entry("claims.reject", "POST", only(GOV)),
    # supervision:dashboard:view: claims and payouts (government staff: their agency's policies).
    **entry("claims.overview", "GET", only(GOV, REGULATOR, ADMIN)),
    # --- interest-subsidy settlement: gov:subsidies:settle (their own agency's policies' batches) -
    **entry("subsidies.index", "GET", only(GOV)),
    **entry("subsidies.detail", "GET", only(GOV)),
    # GET shows the line (an approved batch's: why it can no longer be adjusted).
    **entry("subsidies.adjust", "GET POST", only(GOV)),
    **entry("subsidies.approve", "POST", only(GOV)),
    **entry("subsidies.mark_paid", "POST", only(GOV)),
    **entry("subsidies.export", "GET", only(GOV)),  # the approved batch's payment list (XLSX)
    # --- bank products: bank:products:manage (bank admins, their own bank's products) -------------
    **entry("products.index", "GET", only(BANK_ADMIN)),
    **entry("products.new", "GET POST", only(BANK_ADMIN)),
    **entry("products.detail", "GET POST", only(BANK_ADMIN)),  # POST tries the rules on a sample
    **entry("products.edit", "GET POST", only(BANK_ADMIN)),
    **entry("products.publish", "POST", only(BANK_ADMIN)),
    **entry("products.archive", "POST", only(BANK_ADMIN)),
    **entry("products.delete", "POST", only(BANK_ADMIN)),  # the world's product is live: refused
    # platform:product_reviews:decide: platform staff (admins) approve or return every bank's
    # products before they go live, and trust institutions to skip review -------------------------
    **entry("product_reviews.index", "GET", only(ADMIN)),
    **entry("product_reviews.approve", "POST", only(ADMIN)),
    **entry("product_reviews.return_product", "POST", only(ADMIN)),
    **entry("product_reviews.trust", "POST", only(ADMIN)),
    # --- guarantee requests: guarantor:requests:work (officers and admins of the guarantor, the
    # requests sent to it; the world's request is taken on, so accepting it again is refused
    # with a message and declining it wants a reason) -----------------------------------------
    **entry("guarantees.requests", "GET", only(*GUARANTORS)),
    **entry("guarantees.request_detail", "GET", only(*GUARANTORS)),
    **entry("guarantees.accept", "POST", only(*GUARANTORS)),
    **entry("guarantees.issue", "POST", only(*GUARANTORS)),
    **entry("guarantees.decline", "POST", only(*GUARANTORS)),
    # --- guarantee products: guarantor:products:manage (guarantor admins, their own products and
    # the bank products they cooperate with) ----------------------------------------------------
    **entry("guarantees.new_product", "GET POST", only(GUARANTOR_ADMIN)),
    **entry("guarantees.product_detail", "GET POST", only(GUARANTOR_ADMIN)),
    **entry("guarantees.publish", "POST", only(GUARANTOR_ADMIN)),
    **entry("guarantees.archive", "POST", only(GUARANTOR_ADMIN)),
    **entry("guarantees.add_agreement", "POST", only(GUARANTOR_ADMIN)),
    **entry("guarantees.remove_agreement", "POST", only(GUARANTOR_ADMIN)),
    **entry("guarantees.risk_share", "POST", only(GUARANTOR_ADMIN)),
    # --- compensation (代偿) on guaranteed loans: the bank files (bank:claims:file), its
    # guarantor pays or rejects and records recoveries (guarantor:requests:work), government staff
    # review the onward shares (gov:claims:decide); all of them and the regulator read the claim.
    **entry("compensations.bank_index", "GET", only(*BANKS)),
    **entry("compensations.file", "GET POST", only(*BANKS)),  # GET says why when not claimable
    **entry("compensations.detail", "GET", only(*BANKS, *GUARANTORS, GOV, REGULATOR, ADMIN)),
    **entry("compensations.guarantor_index", "GET", only(*GUARANTORS)),
    **entry("compensations.pay", "POST", only(*GUARANTORS)),
    **entry("compensations.reject", "POST", only(*GUARANTORS)),
    **entry("compensations.recover", "POST", only(*GUARANTORS)),
    **entry("compensations.shares", "GET", only(GOV)),
    **entry("compensations.decide_share", "POST", only(GOV)),
    # --- the institution's team and settings: institution:team:manage (an approved bank's or
    # guarantor's admins; their own institution's users, the world's being their officer, who
    # is enrolled and has joined: disabling or resetting asks for confirmation first) ----------
    **entry("team.index", "GET", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    # An institution's admins give its own systems API clients (another's client is a 404).
    **entry("api_clients.index", "GET", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("api_clients.create", "POST", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("api_clients.detail", "GET", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("api_clients.rotate", "POST", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("api_clients.revoke_old_secrets", "POST", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("api_clients.revoke", "POST", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    # ...and subscribe those systems to events (another institution's subscription is a 404).
    **entry("webhooks.index", "GET", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("webhooks.create", "POST", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("webhooks.detail", "GET", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("webhooks.disable", "POST", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("webhooks.redeliver", "POST", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("webhooks.rotate_secret", "POST", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("team.invite", "GET POST", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("team.set_active", "POST", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("team.reset_two_factor", "POST", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("team.resend_invitation", "POST", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("team.settings", "GET POST", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    # gov:colleagues:view: government staff read their own agency's users.
    **entry("team.colleagues", "GET", only(GOV)),
    # --- the firm's own account: firm:team:manage and firm:data:export (the firm's owners; the
    # world's firm user is its only owner, so acting on themselves is refused with a message,
    # and the changes ask for a confirmation first; members are tested in tests/firm_team) ------
    **entry("firm_team.index", "GET", only(SME)),
    **entry("firm_team.invite", "GET POST", only(SME)),
    **entry("firm_team.set_active", "POST", only(SME)),
    **entry("firm_team.set_role", "POST", only(SME)),
    **entry("firm_team.transfer", "POST", only(SME)),
    **entry("firm_team.resend_invitation", "POST", only(SME)),
    **entry("firm_team.export_data", "GET", only(SME)),
    # Asking to close the firm's account, and withdrawing the request (the world's firm has live
    # business, so the page says why it cannot ask yet; members are tested in tests/firm_team).
    **entry("firm_team.closure", "GET POST", only(SME)),
    **entry("firm_team.cancel_closure", "POST", only(SME)),
    # An invitation link carries a token: the world's is not a real one, so every visitor 404s.
    **entry("team.accept_invitation", "GET POST", everyone(MISSING)),
    # --- onboarding: institution:onboarding:apply (the institution's own application: a bank's
    # or a guarantor's administrator) -----------------------------------------------------------
    **entry("institutions.my_application", "GET POST", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("institutions.upload_document", "POST", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("institutions.delete_document", "POST", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    **entry("institutions.my_document", "GET", only(BANK_ADMIN, GUARANTOR_ADMIN)),
    # gov:onboarding:decide: the province's applications, decided by any government agency.
    **entry("institutions.review_list", "GET", only(GOV)),
    **entry("institutions.review_detail", "GET", only(GOV)),
    **entry("institutions.review_document", "GET", only(GOV)),
    **entry("institutions.approve", "GET POST", only(GOV)),
    **entry("institutions.reject", "GET POST", only(GOV)),
    **entry("institutions.suspend", "GET POST", only(GOV)),
    **entry("institutions.reinstate", "GET POST", only(GOV)),
    # --- policies: gov:policies:manage (government staff, their own agency's policies) ------------
    **entry("gov_policies.index", "GET", only(GOV)),
    **entry("gov_policies.new", "GET POST", only(GOV)),
    **entry("gov_policies.detail", "GET", only(GOV)),
    **entry("gov_policies.edit", "GET POST", only(GOV)),
    **entry("gov_policies.publish", "POST", only(GOV)),
    **entry("gov_policies.close", "POST", only(GOV)),
    **entry("gov_policies.delete", "POST", only(GOV)),
    # --- supervision: supervision:dashboard:view_scoped -------------------------------------------
    # A bank admin sees its own bank, government staff their region, regulators and admins all.
    **entry("dashboard.index", "GET", only(*DASHBOARD_ROLES)),
    **entry("dashboard.export", "GET", only(*DASHBOARD_ROLES)),
    # supervision:reports:view: the monthly PDFs of the viewer's scope.
    **entry("monthly_reports.index", "GET", only(*DASHBOARD_ROLES)),
    **entry("monthly_reports.download", "GET", only(*DASHBOARD_ROLES)),
    **entry("monthly_reports.editions", "GET", only(*DASHBOARD_ROLES)),
    # supervision:reports:regenerate: rewrites the archive everyone downloads; admins only.
    **entry("monthly_reports.regenerate", "POST", only(ADMIN)),
    # --- administration: admin:users:manage, admin:settings:manage --------------------------------
    **entry("admin.users", "GET", only(ADMIN)),
    **entry("admin.new_user", "GET POST", only(ADMIN)),
    **entry("admin.invite_user", "GET POST", only(ADMIN)),
    **entry("admin.resend_invitation", "POST", only(ADMIN)),
    **entry("admin.set_active", "POST", only(ADMIN)),
    **entry("admin.reset_two_factor", "POST", only(ADMIN)),
    **entry("admin.lpr", "GET POST", only(ADMIN)),
    # The world has no LPR rows: the admin's withdrawal names none (tests/admin/test_lpr.py).
    **entry("admin.withdraw_lpr", "POST", {**only(ADMIN), ADMIN.value: MISSING}),
    **entry("admin.settings_page", "GET", only(ADMIN)),
    **entry("admin.edit_user", "GET POST", only(ADMIN)),
    **entry("admin.send_password_reset", "POST", only(ADMIN)),
    **entry("admin.save_setting", "POST", only(ADMIN)),
    **entry("admin.calendar", "GET POST", only(ADMIN)),
    # Firm account closure requests: the world has none, so the admin's pages of one name none
    # (tests/firm_team/test_closure.py opens real ones).
    **entry("firm_closures.index", "GET", only(ADMIN)),
    **entry("firm_closures.detail", "GET", {**only(ADMIN), ADMIN.value: MISSING}),
    **entry("firm_closures.close", "POST", {**only(ADMIN), ADMIN.value: MISSING}),
    **entry("firm_closures.refuse", "POST", {**only(ADMIN), ADMIN.value: MISSING}),
    # admin:audit:view: the whole audit log and its CSV export.
    **entry("audit.index", "GET", only(ADMIN)),
    **entry("audit.export", "GET", only(ADMIN)),
}

# An institution (bank or guarantor) that is not approved (applied, rejected or suspended)
# holds none of its role's powers (portal/authz/permissions.py). Its users get what every
# signed-in user gets (their own account, notifications, public pages); its administrator also
# the application's status page. Every other route the matrix opens to their role is refused.
APPLICATION_PAGES = frozenset(
    {
        "institutions.my_application",
        "institutions.upload_document",
        "institutions.delete_document",
        "institutions.my_document",
    }
)
UNAPPROVED_BANK_ALLOWED: dict[Role, frozenset[str]] = {
    BANK_ADMIN: APPLICATION_PAGES,
    OFFICER: frozenset(),
    GUARANTOR_ADMIN: APPLICATION_PAGES,
    GUARANTOR_OFFICER: frozenset(),
}


def unapproved_bank_answer(endpoint: str, method: str, role: Role) -> str:
    """What a user of a bank that is not approved gets from the route."""
    answers = MATRIX[endpoint, method]
    if answers[role.value] != OK or endpoint in UNAPPROVED_BANK_ALLOWED[role]:
        return answers[role.value]
    if all(answers[other.value] == OK for other in Role):
        return OK
    return DENIED


# Allowed GETs with path arguments render (200), except these, which answer a redirect by design.
REDIRECTING_GETS = {
    # A pending application can only be approved or rejected: the other steps send the
    # reviewer back to the application with a message.
    "institutions.suspend",
    "institutions.reinstate",
}


def routes(app: Flask) -> list[tuple[Rule, str]]:
    """Every (rule, method) of the app but static files, reads first and sign-out last."""
    found = [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in sorted(rule.methods - IGNORED_METHODS)
    ]
    return sorted(
        found,
        key=lambda rm: (rm[0].endpoint == "accounts.logout", rm[1] != "GET", rm[0].endpoint),
    )


def url_for_rule(app: Flask, rule: Rule, values: Mapping[str, object]) -> str:
    """The rule's URL with its arguments taken from `values` (nothing else added)."""
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, {k: values[k] for k in rule.arguments})


def answer_of(response: TestResponse, method: str) -> str:
    """The matrix answer a response stands for, or "HTTP <status>" for anything else."""
    status = response.status_code
    if 300 <= status < 400:
        target = urlsplit(response.headers.get("Location", "")).path
        return LOGIN if target == "/login" else OK
    if status < 300:
        return OK
    if status == 400 and method in UNSAFE_METHODS:
        return OK
    return {403: DENIED, 404: MISSING}.get(status, f"HTTP {status}")


def request(client, method: str, url: str) -> TestResponse:
    if method in UNSAFE_METHODS:
        return client.open(url, method=method, data={})
    return client.open(url, method=method)

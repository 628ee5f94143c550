"""Regulators only read: every request that could change state is refused, bar a short list.

The list holds the requests that change nothing but the regulator's own session or account.
The dashboard's NPL threshold is a query parameter of a GET (kept nowhere), so it needs no entry.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.exceptions import HTTPException

from portal.enums import Role
from tests.authz.matrix import (
    DENIED,
    MATRIX,
    MISSING,
    NO_TOKEN,
    OK,
    UNSAFE_METHODS,
    answer_of,
    request,
    routes,
    url_for_rule,
)
from tests.authz.world import (
    REFUSAL_ACTIONS,
    audit_actions_since,
    build_world,
    last_audit_id,
    row_counts,
)

REGULATOR = Role.REGULATOR

# (endpoint, method): why a regulator may send it.
REGULATOR_MAY_SEND = {
    ("accounts.logout", "POST"): "ends the regulator's own session",
    ("i18n.switch_language", "POST"): "keeps the regulator's own language choice in their session",
    ("notifications.mark_read", "POST"): "marks the regulator's own notifications read",
    ("accounts.change_password", "POST"): "changes the regulator's own password",
    ("accounts.regenerate_recovery_codes", "POST"): "replaces the regulator's own recovery codes",
    ("legal.consent", "POST"): "records the regulator's own consent to the legal texts in force",
    ("account_email.preferences", "POST"): "the regulator's own choice of e-mailed notifications",
    ("account_email.resend_confirmation", "POST"): "a link to confirm the regulator's own address",
    ("account_email.forgot_password", "POST"): "asks for a reset link; says nothing of accounts",
    # The two-factor steps of the regulator's own sign-in: they enrol or check the regulator's own
    # second factor, and send a regulator who is already signed in back to the sign-in page.
    ("accounts.second_step", "POST"): "the second step of the regulator's own sign-in",
    ("accounts.enrol", "POST"): "enrols the regulator's own second factor while signing in",
    # Public forms: a signed-in regulator is sent home and nothing is written.
    ("accounts.login", "POST"): "signs the regulator in (already signed in: sent home)",
    ("accounts.register", "POST"): "firm registration; a signed-in user is sent home",
    ("api.issue_token", "POST"): "a token for an API client's credentials; a session has none",
    ("institutions.apply", "POST"): "bank onboarding application; a signed-in user is sent home",
}


def unsafe_routes(app: Flask):
    return [(rule, method) for rule, method in routes(app) if method in UNSAFE_METHODS]


def test_allow_list_names_existing_state_changing_routes(app: Flask):
    """Every allow-listed request exists and changes state; a stale entry fails here."""
    present = {(rule.endpoint, method) for rule, method in unsafe_routes(app)}
    assert set(REGULATOR_MAY_SEND) <= present, sorted(set(REGULATOR_MAY_SEND) - present)


def test_regulator_sends_no_state_changing_request(app, client, auth):
    """Every POST/PUT/PATCH/DELETE outside the allow-list answers 403 (or 404) to a regulator and
    writes nothing; the allowed ones are not refused."""
    world = build_world(app)
    auth.login(world.regulator)
    values = world.args_for(REGULATOR)
    before, audited = row_counts(app), last_audit_id(app)
    wrong, allowed = [], []
    for rule, method in unsafe_routes(app):
        if (rule.endpoint, method) in REGULATOR_MAY_SEND:
            allowed.append((rule, method))
            continue
        url = url_for_rule(app, rule, values)
        got = answer_of(request(client, method, url), method)
        if got not in (DENIED, MISSING, NO_TOKEN):  # the API asks a bearer token, not a session
            wrong.append(f"{method} {url} ({rule.endpoint}): {got}")
    assert not wrong, "a regulator changed (or could change) state:\n" + "\n".join(wrong)
    assert row_counts(app) == before
    assert audit_actions_since(app, audited) <= REFUSAL_ACTIONS
    for rule, method in allowed:  # sign-out comes last (routes() orders it so)
        url = url_for_rule(app, rule, values)
        got = answer_of(request(client, method, url), method)
        assert got not in (DENIED, MISSING), (rule.endpoint, got)


def test_matrix_agrees_that_regulators_change_nothing(app: Flask):
    """The matrix gives regulators no state-changing request beyond the allow-list."""
    offered = {
        key
        for key, answers in MATRIX.items()
        if key[1] in UNSAFE_METHODS and answers[REGULATOR.value] == OK
    }
    assert offered <= set(REGULATOR_MAY_SEND), sorted(offered - set(REGULATOR_MAY_SEND))


FORM = re.compile(r"<form\b([^>]*)>", re.IGNORECASE)
FORM_ACTION = re.compile(r"\bformaction=\"([^\"]*)\"", re.IGNORECASE)


def _attribute(tag: str, name: str) -> str | None:
    found = re.search(rf"\b{name}=\"([^\"]*)\"", tag, re.IGNORECASE)
    return unescape(found.group(1)) if found else None


def _posted_endpoints(app: Flask, page_url: str, html: str) -> set[str]:
    """The endpoints the page's POST forms (and their buttons' formaction) would send to."""
    adapter = app.url_map.bind("localhost")
    targets = []
    for tag in FORM.findall(html):
        if (_attribute(tag, "method") or "get").lower() == "post":
            targets.append(_attribute(tag, "action") or page_url)
    targets += [unescape(action) for action in FORM_ACTION.findall(html)]
    endpoints = set()
    for target in targets:
        try:
            endpoint, _args = adapter.match(urlsplit(target).path, method="POST")
        except HTTPException:
            endpoint = f"<no POST route for {target}>"
        endpoints.add(endpoint)
    return endpoints


def test_regulator_pages_offer_no_refused_action(app, client, auth):
    """No page a regulator can open carries a form for a request the regulator may not send."""
    world = build_world(app)
    auth.login(world.regulator)
    values = world.args_for(REGULATOR)
    may_post = {endpoint for endpoint, _method in REGULATOR_MAY_SEND}
    offered: dict[str, set[str]] = {}
    for rule, method in routes(app):
        answers = MATRIX.get((rule.endpoint, method))
        if method != "GET" or answers is None or answers[REGULATOR.value] != OK:
            continue
        url = url_for_rule(app, rule, values)
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        refused = _posted_endpoints(app, url, response.get_data(as_text=True)) - may_post
        if refused:
            offered[url] = refused
    assert not offered, f"regulator pages offer refused actions: {offered}"

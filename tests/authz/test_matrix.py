"""Every route × method × visitor answers what the matrix (tests/authz/matrix.py) says."""

from __future__ import annotations

import pytest
from flask import Flask

from portal.enums import Role
from tests.authz.matrix import (
    ANONYMOUS,
    MATRIX,
    OK,
    REDIRECTING_GETS,
    VISITORS,
    answer_of,
    request,
    routes,
    url_for_rule,
)
from tests.authz.world import build_world


def test_every_route_has_an_answer(app: Flask):
    """A route (or method) missing from the matrix fails here, by name; so does a stale entry."""
    present = {(rule.endpoint, method) for rule, method in routes(app)}
    missing = sorted(present - MATRIX.keys())
    stale = sorted(MATRIX.keys() - present)
    assert not missing, (
        "routes with no entry in tests/authz/matrix.py MATRIX (decide who may use them): "
        + ", ".join(f"{endpoint} {method}" for endpoint, method in missing)
    )
    assert not stale, "MATRIX entries for routes that no longer exist: " + ", ".join(
        f"{endpoint} {method}" for endpoint, method in stale
    )
    for key, answers in MATRIX.items():
        assert set(answers) == set(VISITORS), key


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_route_answers_as_the_matrix_says(app, client, auth, visitor):
    """Walk app.url_map as one visitor, with URL arguments naming rows of their own tenant."""
    world = build_world(app)
    role = None if visitor == ANONYMOUS else Role(visitor)
    if role is not None:
        auth.login(world.email(role))
    wrong = []
    for rule, method in routes(app):
        expected = MATRIX.get((rule.endpoint, method))
        if expected is None:
            continue  # reported by test_every_route_has_an_answer
        url = url_for_rule(app, rule, world.args_for(role, endpoint=rule.endpoint))
        response = request(client, method, url)
        got = answer_of(response, method)
        if got != expected[visitor]:
            wrong.append(
                f"{method} {url} ({rule.endpoint}): expected {expected[visitor]}, got {got}"
            )
        elif _should_render(rule, method, got) and response.status_code != 200:
            wrong.append(
                f"{method} {url} ({rule.endpoint}): allowed but answered {response.status_code}"
            )
    assert not wrong, f"{visitor}:\n" + "\n".join(wrong)


def _should_render(rule, method: str, got: str) -> bool:
    """An allowed read of one row shows the page: the world holds a row the visitor may see."""
    return (
        got == OK
        and method == "GET"
        and bool(rule.arguments)
        and (rule.endpoint not in REDIRECTING_GETS)
    )

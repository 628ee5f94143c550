"""The working-day calendar keeps what administrators entered per process: each test starts and
ends without it, since its rows are rolled back with the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from portal.enums import Role
from portal.workdays import forget_entered_calendar
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _calendar_read_afresh() -> Iterator[None]:
    forget_entered_calendar()
    yield
    forget_entered_calendar()


@pytest.fixture
def admin(create):
    return create(UserFactory, role=Role.ADMIN)


@pytest.fixture
def admin_client(client: FlaskClient, auth, admin) -> FlaskClient:
    auth.login(admin.email)
    return client

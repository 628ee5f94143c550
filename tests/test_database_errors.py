"""A database that cannot be reached gives the 503 page with Retry-After, never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from portal.errors import _render_database_unavailable, is_database_unavailable


def _lost(message: str = "server closed the connection unexpectedly") -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception(message))


def test_unreachable_database_renders_the_503_page_without_the_database(app):
    """The page is in Chinese, asks to retry, and does not load the user (that needs the DB)."""
    with app.test_request_context("/firm/needs/"):
        page, status, headers = _render_database_unavailable(_lost())
    assert status == 503
    assert headers["Retry-After"].isdigit()
    assert "系统暂时无法访问数据库，请稍后再试" in page
    assert "error-page" in page


def test_integrity_errors_are_bugs_not_outages(app):
    """Only connection-level failures are a 503; a constraint violation stays a 500."""
    error = IntegrityError("INSERT", {}, Exception("duplicate key"))
    assert is_database_unavailable(_lost())
    assert not is_database_unavailable(error)
    with app.test_request_context("/"), pytest.raises(IntegrityError):
        _render_database_unavailable(error)

"""Configuration: production has no secret by default; SQLite is tuned as promised."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from portal import create_app
from portal.config import ProductionConfig, normalise_database_url
from portal.db import make_engine


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    """Without SECRET_KEY in the environment, the production app does not start."""
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", None)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", DATABASE_URL=f"sqlite:///{tmp_path / 'p.sqlite3'}")


@pytest.mark.parametrize("key", ["x" * 31, "short", "密" * 10])  # 10 Chinese characters: 30 bytes
def test_production_refuses_to_start_with_a_short_secret_key(tmp_path, key):
    """A SECRET_KEY under 32 bytes (counted in UTF-8) stops the production app from starting."""
    with pytest.raises(RuntimeError, match="at least 32"):
        create_app("production", SECRET_KEY=key, DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}")


def test_production_starts_with_a_32_byte_secret_key(tmp_path):
    """32 bytes is enough (secrets.token_hex(32), as the deploy guide says, gives 64)."""
    for key in ("x" * 32, "密" * 11):
        app = create_app(
            "production", SECRET_KEY=key, DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}"
        )
        assert app.config["SECRET_KEY"] == key


def test_postgres_urls_use_psycopg3():
    """Plain postgres:// URLs are routed to the psycopg 3 driver."""
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_sqlite_runs_with_wal_busy_timeout_and_foreign_keys(tmp_path):
    """Every SQLite connection has WAL, a busy timeout and foreign-key enforcement."""
    engine = make_engine(f"sqlite:///{tmp_path / 'tuned.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_security_headers_on_every_page(client):
    """Pages forbid framing and inline script and are not cached."""
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_production_sends_hsts_and_a_secure_httponly_samesite_cookie(app):
    """In production the session cookie travels only over HTTPS, unreadable by scripts."""
    from portal import create_app

    production = create_app(
        "production", SECRET_KEY="x" * 32, DATABASE_URL=app.config["DATABASE_URL"]
    )
    client = production.test_client()
    page = client.get("/login", base_url="https://portal.example.gov.cn")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    # The login form's CSRF token lives in the session, so the page set the cookie.
    cookie = client.get_cookie("crt_session", domain="portal.example.gov.cn")
    assert cookie is not None
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax"


def test_pages_carry_no_inline_script_or_style(client):
    """The CSP allows only our own files; every page keeps to it (no inline code to allow)."""
    import re

    for path in ("/", "/login", "/register", "/products", "/policies"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html), path
        assert "<style" not in html and " style=" not in html, path
        assert " onclick=" not in html and "javascript:" not in html, path


def test_sqlite_views_that_record_what_was_viewed_take_the_write_lock_first(app):
    """A GET that writes an audit entry must not fail with "database is locked" on SQLite."""
    from portal.db import _sqlite_begin_statement

    with app.test_request_context("/bank/leads/1", method="GET"):
        assert _sqlite_begin_statement() == "BEGIN IMMEDIATE"
    with app.test_request_context("/bank/leads/", method="GET"):
        assert _sqlite_begin_statement() == "BEGIN"
    with app.test_request_context("/bank/leads/", method="POST"):
        assert _sqlite_begin_statement() == "BEGIN IMMEDIATE"


def _demo_help(**environment: str) -> subprocess.CompletedProcess[str]:
    """`flask --app wsgi demo run --help` with no SECRET_KEY and the given environment."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PORTAL_ENV", "SECRET_KEY", "DATABASE_URL")
    }
    return subprocess.run(  # noqa: S603 - our own entry point, fixed arguments
        [sys.executable, "-m", "flask", "--app", "wsgi", "demo", "run", "--help"],
        cwd=Path(__file__).resolve().parents[1],
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("portal_env", [None, ""])
def test_a_command_without_configuration_says_what_to_set_without_a_traceback(portal_env):
    """No PORTAL_ENV, or an empty one, means production: it asks for SECRET_KEY in one line."""
    done = _demo_help(**({} if portal_env is None else {"PORTAL_ENV": portal_env}))
    assert done.returncode != 0
    assert "SECRET_KEY is not set" in done.stderr and "PORTAL_ENV=development" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_unknown_environment_name_is_one_line_naming_the_choices():
    done = _demo_help(PORTAL_ENV="staging")
    assert done.returncode != 0
    assert "PORTAL_ENV must be one of development, production, testing" in done.stderr
    assert "Traceback" not in done.stderr

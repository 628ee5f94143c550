"""Configuration: production has no secret by default; SQLite is tuned as promised."""

from __future__ import annotations

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

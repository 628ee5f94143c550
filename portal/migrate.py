"""Alembic, driven from the app's configuration (no alembic.ini to keep in step)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from flask import current_app

from portal.config import PROJECT_ROOT


def owner_url() -> str:
    """The schema owner's database URL: MIGRATION_DATABASE_URL, else DATABASE_URL."""
    return current_app.config.get("MIGRATION_DATABASE_URL") or current_app.config["DATABASE_URL"]


def alembic_config(database_url: str | None = None) -> Config:
    """Alembic config pointing at migrations/ and the owner's (or the given) database."""
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    url = database_url or owner_url()
    # Alembic's config is ConfigParser-based: a literal % must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    return config


def upgrade(revision: str = "head", database_url: str | None = None) -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(revision: str, database_url: str | None = None) -> None:
    command.downgrade(alembic_config(database_url), revision)

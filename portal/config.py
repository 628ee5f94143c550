"""Configuration classes, read from the environment.

Production refuses to start without SECRET_KEY; development and tests get a throwaway key so
that a fresh clone runs with one command.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = Path(os.environ.get("PORTAL_INSTANCE_PATH", PROJECT_ROOT / "instance"))


def _sqlite_default() -> str:
    return f"sqlite:///{INSTANCE_PATH / 'portal.sqlite3'}"


def normalise_database_url(url: str) -> str:
    """Route plain postgres URLs to psycopg 3, the only PostgreSQL driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class BaseConfig:
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    DATABASE_URL = normalise_database_url(os.environ.get("DATABASE_URL", _sqlite_default()))
    REDIS_URL = os.environ.get("REDIS_URL")

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "portal" / "translations")
    SUPPORTED_LOCALES = ("zh_Hans_CN", "en")

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 3600 * 8
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "crt_session"
    REMEMBER_COOKIE_DURATION = 0
    PERMANENT_SESSION_LIFETIME = 8 * 3600

    # Hash used for seeded bulk accounts and tests; production keeps werkzeug's default scrypt.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105  (a method name, not a password)
    PAGE_SIZE = 25


class ProductionConfig(BaseConfig):
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


class DevelopmentConfig(BaseConfig):
    SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
    DEBUG = False


class TestingConfig(BaseConfig):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105  (tests only)
    DATABASE_URL = normalise_database_url(
        os.environ.get("TEST_DATABASE_URL", f"sqlite:///{INSTANCE_PATH / 'test.sqlite3'}")
    )
    WTF_CSRF_ENABLED = False
    # Tests create hundreds of users; a cheap hash keeps them fast and changes nothing they check.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105  (a method name)


CONFIGS = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
}


def config_for(name: str | None) -> type[BaseConfig]:
    """Pick the config class named by PORTAL_ENV (production unless told otherwise)."""
    name = name or os.environ.get("PORTAL_ENV", "production")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"PORTAL_ENV must be one of {sorted(CONFIGS)}, not {name!r}") from None

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


def proxy_count(value: str | None) -> int:
    """The number of trusted proxies from its environment text; unset or empty means 0."""
    text = (value or "").strip()
    if not text:
        return 0
    if not text.isdigit():
        raise RuntimeError(f"PROXY_FIX_X_FOR must be a whole number >= 0, not {value!r}")
    return int(text)


class BaseConfig:
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    # The shortest SECRET_KEY create_app() accepts, in bytes (UTF-8). The key signs the session
    # cookie: a short one can be guessed offline from any cookie, and then anyone can sign in as
    # anyone. Production asks for 32 random bytes (secrets.token_hex(32) gives 64 characters).
    SECRET_KEY_MIN_BYTES = 0
    DATABASE_URL = normalise_database_url(os.environ.get("DATABASE_URL", _sqlite_default()))
    # The schema owner's URL for migrations, backups and restores (`flask db ...`). Unset: they
    # use DATABASE_URL. In production DATABASE_URL is a role that owns nothing (docs/deploy.md).
    MIGRATION_DATABASE_URL = normalise_database_url(os.environ.get("MIGRATION_DATABASE_URL", ""))
    # A streaming replica for the dashboard and monthly reports; unset, they read the primary.
    REPORTING_DATABASE_URL = normalise_database_url(os.environ.get("REPORTING_DATABASE_URL", ""))
    REDIS_URL = os.environ.get("REDIS_URL")
    # The open API (/api/v1): bearer tokens live this long; each client may make this many
    # calls (Flask-Limiter, counted in Redis when REDIS_URL is set, else in the process).
    API_TOKEN_SECONDS = int(os.environ.get("API_TOKEN_SECONDS", "900"))
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "1200 per minute")
    API_TOKEN_RATE_LIMIT = os.environ.get("API_TOKEN_RATE_LIMIT", "60 per minute")
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # The provincial government data exchange (docs/exchange-api.md). Unset: no firm fact can
    # be verified, registration waits for the identity check and 秒批 is deferred.
    EXCHANGE_URL = os.environ.get("EXCHANGE_URL", "")
    EXCHANGE_CLIENT_ID = os.environ.get("EXCHANGE_CLIENT_ID", "")
    EXCHANGE_CLIENT_SECRET = os.environ.get("EXCHANGE_CLIENT_SECRET", "")
    # Outgoing e-mail (portal/mail/): unset MAIL_SERVER keeps messages in the outbox unsent.
    # MAIL_SECURITY is starttls (port 587), ssl (465) or none (a relay on the same host).
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_SECURITY = os.environ.get("MAIL_SECURITY", "starttls")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "noreply@localhost")
    MAIL_FROM_NAME = os.environ.get("MAIL_FROM_NAME", "产融通")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    # The address people open the portal at, for links in e-mails (no request to read it from).
    PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "")
    # How many proxies (nginx, a load balancer) stand in front of the app and append to
    # X-Forwarded-For. 0 trusts none: the address is the TCP peer's, and the header is ignored.
    PROXY_FIX_X_FOR = proxy_count(os.environ.get("PROXY_FIX_X_FOR"))

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "portal" / "translations")
    SUPPORTED_LOCALES = ("zh_Hans_CN", "en")

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 3600 * 8
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    # Documents firms and institutions upload, outside the web root (portal/storage.py).
    DOCUMENT_DIR = os.environ.get("DOCUMENT_DIR", str(INSTANCE_PATH / "documents"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "crt_session"
    REMEMBER_COOKIE_DURATION = 0
    # A session ends after 30 minutes without a request, and 8 hours after sign-in at most.
    SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", 30 * 60))
    SESSION_ABSOLUTE_TIMEOUT = int(os.environ.get("SESSION_ABSOLUTE_TIMEOUT", 8 * 3600))
    PERMANENT_SESSION_LIFETIME = SESSION_ABSOLUTE_TIMEOUT

    # Staff roles sign in with a second factor (TOTP); see portal/accounts/two_factor.py.
    TWO_FACTOR_REQUIRED = True
    # Sign-in failures are counted per 15-minute window (Redis when REDIS_URL is set).
    LOGIN_THROTTLE_WINDOW = 15 * 60
    LOGIN_THROTTLE_ENABLED = True

    # Hash used for seeded bulk accounts and tests; production keeps werkzeug's default scrypt.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105  (a method name, not a password)
    PAGE_SIZE = 25
    # Anonymous catalogue pages are served from a per-process cache whose catalogue fingerprint
    # is re-read at most this often (portal/catalog/page_cache.py).
    PAGE_CACHE_FINGERPRINT_SECONDS = 1.0

    # A signed-in user who has not accepted the user agreement and the privacy policy in force
    # is sent to accept them first (portal/legal/gate.py).
    LEGAL_CONSENT_REQUIRED = True
    # Who runs this deployment and how people reach them about their data, as the privacy
    # policy and the user agreement name them (unset: the texts say no contact is published).
    LEGAL_OPERATOR_NAME = os.environ.get("LEGAL_OPERATOR_NAME", "")
    LEGAL_CONTACT_EMAIL = os.environ.get("LEGAL_CONTACT_EMAIL", "")
    LEGAL_CONTACT_PHONE = os.environ.get("LEGAL_CONTACT_PHONE", "")
    LEGAL_CONTACT_ADDRESS = os.environ.get("LEGAL_CONTACT_ADDRESS", "")


class ProductionConfig(BaseConfig):
    SECRET_KEY_MIN_BYTES = 32
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


class DevelopmentConfig(BaseConfig):
    SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
    PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000")
    # A vulnerability scanner's SQL-injection probes compare answers; throttling would turn its
    # later probes into 429s and fake a difference. Only a development server may switch it off.
    LOGIN_THROTTLE_ENABLED = os.environ.get("LOGIN_THROTTLE") != "off"
    DEBUG = False
    # The demo's accounts live under demo.local and its mail goes to the local sink.
    EMAIL_ALLOW_LOCAL_DOMAIN = True


class TestingConfig(BaseConfig):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105  (tests only)
    DATABASE_URL = normalise_database_url(
        os.environ.get("TEST_DATABASE_URL", f"sqlite:///{INSTANCE_PATH / 'test.sqlite3'}")
    )
    REPORTING_DATABASE_URL = ""  # tests that need a replica pass one explicitly
    MAIL_SERVER = ""  # tests that send mail point at their own SMTP server on loopback
    PORTAL_BASE_URL = "http://portal.test"
    MIGRATION_DATABASE_URL = ""  # tests that need an owner apart pass one explicitly
    DOCUMENT_DIR = str(INSTANCE_PATH / "test-documents")
    EMAIL_ALLOW_LOCAL_DOMAIN = True
    WTF_CSRF_ENABLED = False
    # Tests change the catalogue and look at once: read the fingerprint on every request.
    PAGE_CACHE_FINGERPRINT_SECONDS = 0.0
    # Tests create hundreds of users; a cheap hash keeps them fast and changes nothing they check.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105  (a method name)
    # Users are made by factories, fixtures, the admin form and bulk seeds; tests of the consent
    # page switch the question on themselves (tests/legal/).
    LEGAL_CONSENT_REQUIRED = False
    # Every API test fetches a token from 127.0.0.1; tests/api/test_rate_limits.py lowers it.
    API_TOKEN_RATE_LIMIT = "100000 per minute"  # noqa: S105  (a rate, not a secret)


CONFIGS = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
    "testing": TestingConfig,
}


class ConfigurationError(RuntimeError):
    """The environment does not configure the portal; the message says what to set."""


def config_for(name: str | None) -> type[BaseConfig]:
    """Pick the config class named by PORTAL_ENV (production when unset or empty)."""
    name = name or os.environ.get("PORTAL_ENV") or "production"
    try:
        return CONFIGS[name]
    except KeyError:
        choices = ", ".join(sorted(CONFIGS))
        raise ConfigurationError(f"PORTAL_ENV must be one of {choices}, not {name!r}") from None

"""产融通: a regional government–bank financing matchmaking portal."""

from __future__ import annotations

from typing import Any

from flask import Flask

from portal import email_addresses
from portal.config import INSTANCE_PATH, PROJECT_ROOT, ConfigurationError, config_for

__all__ = ["ConfigurationError", "create_app"]


def create_app(config_name: str | None = None, **overrides: Any) -> Flask:
    """Build the portal application."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(INSTANCE_PATH),
    )
    app.config.from_object(config_for(config_name))
    app.config.update(overrides)
    _require_secret_key(app)
    _require_mail_links(app)
    trust_proxies(app)
    email_addresses.configure(app)
    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_api(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def _require_secret_key(app: Flask) -> None:
    key = app.config.get("SECRET_KEY")
    if not key:
        raise ConfigurationError(
            "SECRET_KEY is not set. Set it in the environment (production has no default); "
            "for the demo or development, set PORTAL_ENV=development."
        )
    size = len(key.encode() if isinstance(key, str) else key)
    minimum = app.config.get("SECRET_KEY_MIN_BYTES", 0)
    if size < minimum:
        raise ConfigurationError(
            f"SECRET_KEY is {size} bytes long; at least {minimum} are needed. Make one with: "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )


def _require_mail_links(app: Flask) -> None:
    """E-mail carries links, which need the address people reach the portal at."""
    if app.config.get("MAIL_SERVER") and not app.config.get("PORTAL_BASE_URL"):
        raise ConfigurationError(
            "MAIL_SERVER is set but PORTAL_BASE_URL is not. Set PORTAL_BASE_URL to the address "
            "people open the portal at (https://…), so that links in e-mails work."
        )


def trust_proxies(app: Flask) -> None:
    """Take the client address from X-Forwarded-For, but only as set by our own proxies.

    ProxyFix reads the address PROXY_FIX_X_FOR hops from the right of the header, so a value the
    client typed into the header itself is never used. With 0 (the default) nothing is trusted.
    """
    hops = app.config.get("PROXY_FIX_X_FOR", 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    from portal.accounts.session import init_login
    from portal.audit import chain
    from portal.extensions import babel, csrf, db
    from portal.figures import freshness
    from portal.i18n import select_locale

    db.init_app(app)
    chain.listen()
    freshness.listen()
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    init_login(app)


def register_url_converters(app: Flask) -> None:
    from portal.urls import register

    register(app)


def register_blueprints(app: Flask) -> None:
    from portal.accounts.email_routes import bp as account_email_bp
    from portal.accounts.routes import bp as accounts_bp
    from portal.admin.routes import bp as admin_bp
    from portal.api.client_routes import bp as api_clients_bp
    from portal.audit.routes import bp as audit_bp
    from portal.catalog.manage_routes import bp as products_bp
    from portal.catalog.policy_routes import bp as gov_policies_bp
    from portal.catalog.public_routes import bp as catalog_bp
    from portal.catalog.review_routes import bp as product_reviews_bp
    from portal.channel.routes import bp as channel_bp
    from portal.claims.routes import bp as claims_bp
    from portal.dashboard.routes import bp as dashboard_bp
    from portal.datasources.review_routes import bp as reviews_bp
    from portal.datasources.routes import bp as datasources_bp
    from portal.firm_team.closure_routes import bp as firm_closures_bp
    from portal.firm_team.routes import bp as firm_team_bp
    from portal.guarantees.compensation_routes import bp as compensations_bp
    from portal.guarantees.public_routes import bp as guarantee_catalog_bp
    from portal.guarantees.routes import bp as guarantees_bp
    from portal.home.routes import bp as home_bp
    from portal.i18n import bp as i18n_bp
    from portal.institutions.routes import bp as institutions_bp
    from portal.leads.routes import bp as leads_bp
    from portal.legal.routes import bp as legal_bp
    from portal.monthly.routes import bp as monthly_reports_bp
    from portal.needs.routes import bp as needs_bp
    from portal.notifications.routes import bp as notifications_bp
    from portal.public.routes import bp as public_bp
    from portal.reporting.routes import bp as loan_reports_bp
    from portal.subsidies.routes import bp as subsidies_bp
    from portal.team.routes import bp as team_bp

    for blueprint in (
        public_bp,
        legal_bp,
        accounts_bp,
        account_email_bp,
        home_bp,
        admin_bp,
        audit_bp,
        i18n_bp,
        catalog_bp,
        products_bp,
        product_reviews_bp,
        gov_policies_bp,
        institutions_bp,
        needs_bp,
        leads_bp,
        channel_bp,
        guarantees_bp,
        guarantee_catalog_bp,
        compensations_bp,
        notifications_bp,
        loan_reports_bp,
        dashboard_bp,
        monthly_reports_bp,
        claims_bp,
        subsidies_bp,
        datasources_bp,
        reviews_bp,
        team_bp,
        firm_team_bp,
        firm_closures_bp,
        api_clients_bp,
    ):
        app.register_blueprint(blueprint)


def register_api(app: Flask) -> None:
    from portal.api.setup import init_app

    init_app(app)


def register_request_hooks(app: Flask) -> None:
    from portal.authz.access import enforce_declared_access
    from portal.legal.gate import require_current_consent
    from portal.security import set_security_headers

    app.before_request(enforce_declared_access)
    app.before_request(require_current_consent)  # an undeclared endpoint stays a 403
    app.after_request(set_security_headers)


def register_errorhandlers(app: Flask) -> None:
    from portal.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from portal.templating import register

    register(app)


def register_commands(app: Flask) -> None:
    from portal.commands import register

    register(app)

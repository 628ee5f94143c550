"""Language choice and message catalogues.

Messages are written in Simplified Chinese in the source (the portal's first language) and
translated to English in `portal/translations/en`. Babel names the default `zh_Hans_CN`.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, current_app, has_request_context, redirect, request, session
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from portal.audit import service as audit
from portal.audit.actions import AuditAction
from portal.authz.access import public
from portal.extensions import db
from portal.redirects import safe_next

bp = Blueprint("i18n", __name__)
LOCALE_SESSION_KEY = "locale"


def select_locale() -> str:
    """The visitor's chosen language, else their saved preference, else Chinese."""
    supported = current_app.config["SUPPORTED_LOCALES"]
    if not has_request_context():  # commands and scheduled jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/") and request.endpoint != "api.reference":
        # A system calling the API says its language with each call (Accept-Language).
        english = request.accept_languages.best_match(["zh", "en"]) == "en"
        return "en" if english else current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get(LOCALE_SESSION_KEY)
    if chosen in supported:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@bp.post("/language")
@public
def switch_language() -> Response:
    """Remember the chosen language and go back to the page the visitor was on."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["SUPPORTED_LOCALES"]:
        session[LOCALE_SESSION_KEY] = locale
        if current_user.is_authenticated and current_user.locale != locale:
            current_user.locale = locale
            audit.record(
                AuditAction.USER_LOCALE, obj=current_user._get_current_object(), locale=locale
            )
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), "public.index"))


def return_path() -> str:
    """Where switching language brings the visitor back: this page; after a form was sent, the
    page of that form when it has one, else the page the visitor came from."""
    if request.method == "GET":
        return request.full_path
    try:
        current_app.url_map.bind("").match(request.path, method="GET")
    except HTTPException:
        referrer = urlsplit(request.referrer or "")
        return referrer.path if referrer.netloc == request.host else ""
    return request.path


def compile_catalogues(directory: Path | None = None) -> list[Path]:
    """Compile every messages.po under the translations folder into messages.mo."""
    root = directory or Path(__file__).parent / "translations"
    written = []
    for po_path in sorted(root.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalogue = read_po(po_file)
        # Written beside and renamed into place: another process starting at the same moment
        # (a second test worker, a second gunicorn) never reads a half-written catalogue.
        partial = mo_path.with_name(f"{mo_path.name}.{os.getpid()}.partial")
        with partial.open("wb") as mo_file:
            write_mo(mo_file, catalogue)
        partial.replace(mo_path)
        written.append(mo_path)
    return written

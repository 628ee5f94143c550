"""The user agreement and the privacy policy (each version, both languages), and the page that
asks a signed-in user to accept the versions in force."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.authz import login_required_any, public
from portal.dates import today_in_china
from portal.legal import services
from portal.legal.documents import Document, Version, current, find, published
from portal.legal.forms import AcceptForm
from portal.redirects import safe_next
from portal.templating import is_english

# The texts live beside the code, in portal/legal/texts/<document>/<version>.<language>.html.
bp = Blueprint("legal", __name__, template_folder="texts")


@bp.get("/terms")
@public
def terms() -> str:
    return _document_page(current(Document.TERMS, today_in_china()))


@bp.get("/terms/<version>")
@public
def terms_version(version: str) -> str:
    return _document_page(_version_or_404(Document.TERMS, version))


@bp.get("/privacy")
@public
def privacy() -> str:
    return _document_page(current(Document.PRIVACY, today_in_china()))


@bp.get("/privacy/<version>")
@public
def privacy_version(version: str) -> str:
    return _document_page(_version_or_404(Document.PRIVACY, version))


@bp.route("/legal/consent", methods=["GET", "POST"])
@login_required_any
def consent() -> str | Response | tuple[str, int]:
    """What changed in the versions the user has not accepted, and the form to accept them."""
    user = current_user._get_current_object()
    today = today_in_china()
    next_url = request.args.get("next")
    changes = services.what_changed(user, today)
    if not changes:
        return redirect(safe_next(next_url, "home.index"))
    form = AcceptForm()
    if form.validate_on_submit():
        services.accept(user, today)
        flash(_("谢谢。您已同意现行的用户服务协议和隐私政策。"), "success")
        return redirect(safe_next(next_url, "home.index"))
    page = render_template("legal/consent.html", form=form, changes=changes, next_url=next_url)
    return (page, 400) if form.is_submitted() else page


def _version_or_404(document: Document, version: str) -> Version:
    found = find(document, version, today_in_china())
    if found is None:
        abort(404)
    return found


def _document_page(version: Version) -> str:
    today = today_in_china()
    return render_template(
        "legal/document.html",
        version=version,
        text=version.text_template("en" if is_english() else "zh"),
        in_force=current(version.document, today),
        history=published(version.document, today),
        operator=operator(),
    )


def operator() -> dict[str, str]:
    """Who runs the portal and how to reach them, as this deployment configures it."""
    config = current_app.config
    return {
        "name": config["LEGAL_OPERATOR_NAME"] or _("产融通平台运营方"),
        "email": config["LEGAL_CONTACT_EMAIL"],
        "phone": config["LEGAL_CONTACT_PHONE"],
        "address": config["LEGAL_CONTACT_ADDRESS"],
    }

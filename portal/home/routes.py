"""Each role's home page, and the firm's profile."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.authz import Permission, get_or_404, login_required_any, requires
from portal.authz.access import current_user_has, current_user_holds_institution_powers
from portal.datasources import provenance, reviews
from portal.enums import INSTITUTION_ROLES, Role
from portal.firms import services as firm_services
from portal.firms.forms import FirmProfileForm, yuan_to_wan_field
from portal.firms.models import Firm
from portal.home import queries
from portal.institutions.models import FinancialInstitution
from portal.subsidies import settlement

bp = Blueprint("home", __name__)

ROLE_HOME = {
    Role.SME: "home.sme",
    Role.BANK_OFFICER: "home.bank",
    Role.BANK_ADMIN: "home.bank_admin",
    Role.GUARANTOR_OFFICER: "guarantees.officer_home",
    Role.GUARANTOR_ADMIN: "guarantees.admin_home",
    Role.GOV_STAFF: "home.gov",
    Role.REGULATOR: "home.regulator",
    Role.ADMIN: "admin.index",
}


@bp.get("/home")
@login_required_any
def index() -> str | Response:
    """Send each user to their role's home; an institution not (yet) approved to where it
    stands."""
    if current_user.role in INSTITUTION_ROLES and not current_user_holds_institution_powers():
        if current_user_has(Permission.INSTITUTION_ONBOARDING_APPLY):
            return redirect(url_for("institutions.my_application"))
        institution = get_or_404(FinancialInstitution, current_user.institution_id, current_user)
        return render_template("home/bank_closed.html", institution=institution)
    return redirect(url_for(ROLE_HOME[current_user.role]))


@bp.get("/firm")
@requires(Permission.HOME_SME)
def sme() -> str:
    firm = get_or_404(Firm, current_user.firm_id, current_user)
    return render_template(
        "home/sme.html",
        firm=firm,
        subsidised=settlement.received_for_firm(current_user),
        **queries.sme_summary(current_user, firm),
    )


@bp.route("/firm/profile", methods=["GET", "POST"])
@requires(Permission.FIRM_PROFILE_EDIT)
def firm_profile() -> str | Response:
    """Verified fields are shown with their source and cannot be changed (the form drops them,
    so values posted for them are never read); the firm may dispute one instead."""
    firm = get_or_404(Firm, current_user.firm_id, current_user)
    form = FirmProfileForm(obj=firm)
    provenance.lock_verified(form, firm)
    if not form.is_submitted():
        for name, wan_field in provenance.FORM_FIELDS.items():
            if wan_field in form:
                form[wan_field].data = yuan_to_wan_field(getattr(firm, name))
    if form.validate_on_submit():
        firm_services.update_profile(current_user, firm, provenance.declared_profile(form, firm))
        flash(_("企业信息已保存。"), "success")
        return redirect(url_for("home.sme"))
    return render_template(
        "home/firm_profile.html",
        form=form,
        firm=firm,
        verified=provenance.verified(firm),
        field_labels=provenance.FIELD_LABELS,
        form_fields=provenance.FORM_FIELDS,
        disputes=reviews.open_disputes(firm),
        identity_state=reviews.identity_state(firm),
    )


@bp.get("/bank")
@requires(Permission.HOME_BANK_OFFICER)
def bank() -> str:
    return render_template("home/bank.html", **queries.bank_summary(current_user))


@bp.get("/bank/admin")
@requires(Permission.HOME_BANK_ADMIN)
def bank_admin() -> str:
    return render_template("home/bank_admin.html", **queries.bank_admin_summary(current_user))


@bp.get("/gov")
@requires(Permission.HOME_GOV)
def gov() -> str:
    return render_template("home/gov.html", **queries.gov_summary(current_user))


@bp.get("/supervision")
@requires(Permission.HOME_REGULATOR)
def regulator() -> str:
    return render_template("home/regulator.html", **queries.province_summary())

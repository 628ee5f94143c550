"""Pages anyone may read."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template
from sqlalchemy import func, select

from portal.authz import public
from portal.catalog import queries as catalog
from portal.dates import today_in_china
from portal.enums import OnboardingStatus
from portal.extensions import db
from portal.firms.models import Firm
from portal.health import check as check_health
from portal.institutions.models import FinancialInstitution
from portal.leads.models import Loan
from portal.pagination import count_rows

bp = Blueprint("public", __name__)


@bp.get("/")
@public
def index() -> str:
    return render_template("public/index.html", stats=platform_stats())


@bp.get("/help/rules")
@public
def rules_help() -> str:
    """The rule language for bank and government staff: every fact, operator and an example."""
    from portal.rules import FACTS

    return render_template("public/rules_help.html", facts=list(FACTS.values()))


@bp.get("/health")
@public
def health() -> Response:
    """For load balancers and monitoring: the database, Redis and the scheduler's last runs."""
    report, status = check_health()
    response = jsonify(report)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def platform_stats() -> dict[str, object]:
    """Headline figures shown to every visitor."""
    loan_count, loan_total = db.session.execute(
        select(func.count(Loan.id), func.coalesce(func.sum(Loan.amount), 0))
    ).one()
    return {
        "institutions": db.session.scalar(
            select(func.count(FinancialInstitution.id)).where(
                FinancialInstitution.onboarding_status == OnboardingStatus.APPROVED
            )
        ),
        # The public lists' own queries, unfiltered: each figure is what its list shows.
        "products": count_rows(catalog.visible_products()),
        "policies": count_rows(
            catalog.published_policies(catalog.PolicyFilters(), today_in_china())
        ),
        "firms": db.session.scalar(select(func.count(Firm.id))),
        "loan_count": loan_count,
        "loan_total": loan_total,
    }

"""Reference data for the caller's forms and checks, in the caller's language."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import select

from portal.api.access import api_scope
from portal.api.schemas import LprRate as LprRateSchema
from portal.api.schemas import Reference
from portal.api.scopes import Scope
from portal.authz import Permission
from portal.enums import DECLINE_REASON_LABELS
from portal.extensions import db
from portal.firms import standards
from portal.lpr import LprRate, in_force

bp = Blueprint(
    "api_reference",
    __name__,
    url_prefix="/api/v1/reference",
    description="Regions (GB/T 2260), industries (GB/T 4754), decline reasons and the LPR.",
)

READ = (Scope.LEADS_READ, Permission.BANK_LEADS_WORK)


@bp.route("/regions", methods=["GET"])
@api_scope(*READ)
@bp.response(200, Reference(many=True))
def regions() -> list[dict[str, Any]]:
    """The province and its cities."""
    return [{"code": code, "name": name} for code, name in standards.region_choices()]


@bp.route("/industries", methods=["GET"])
@api_scope(*READ)
@bp.response(200, Reference(many=True))
def industries() -> list[dict[str, Any]]:
    """Industry divisions (and the real-estate classes)."""
    return [{"code": code, "name": name} for code, name in standards.industry_choices()]


@bp.route("/decline-reasons", methods=["GET"])
@api_scope(*READ)
@bp.response(200, Reference(many=True))
def decline_reasons() -> list[dict[str, Any]]:
    """The reason codes a decline carries."""
    return [{"code": str(code), "name": str(name)} for code, name in DECLINE_REASON_LABELS.items()]


@bp.route("/lpr", methods=["GET"])
@api_scope(*READ)
@bp.response(200, LprRateSchema(many=True))
def lpr() -> list[LprRate]:
    """The loan prime rates in force, newest first."""
    return list(
        db.session.scalars(select(LprRate).where(in_force()).order_by(LprRate.effective_on.desc()))
    )

"""Risk-compensation claims through the API: the bank's claim pages' services and records."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from portal.api.access import api_scope
from portal.api.idempotency import idempotent
from portal.api.paging import page_of
from portal.api.problems import run_service
from portal.api.schemas import money, rate
from portal.api.scopes import Scope
from portal.authz import Permission, get_or_404
from portal.claims import services
from portal.claims.models import CompensationClaim
from portal.claims.services import ClaimError
from portal.enums import ClaimStatus
from portal.extensions import db
from portal.leads.models import Loan

bp = Blueprint(
    "api_claims",
    __name__,
    url_prefix="/api/v1/claims",
    description="Risk-compensation claims on the bank's loans under the government's policies.",
)

READ = (Scope.CLAIMS_READ, Permission.BANK_CLAIMS_FILE)
WRITE = (Scope.CLAIMS_WRITE, Permission.BANK_CLAIMS_FILE)
# The services name refused fields by the pages' form fields, in 万元; the API's are in yuan.
FORM_FIELDS = {"principal_wan": "principal", "amount_wan": "amount"}


class Recovery(Schema):
    id = fields.Integer()
    amount = money()
    returned_amount = money()
    recovered_on = fields.Date()
    note = fields.String(allow_none=True)


class Claim(Schema):
    id = fields.Integer()
    status = fields.String(validate=validate.OneOf([str(s) for s in ClaimStatus]))
    loan_id = fields.Integer()
    contract_no = fields.Function(lambda claim: claim.loan.contract_no)
    policy_id = fields.Integer()
    policy = fields.Function(lambda claim: claim.policy.title)
    principal_outstanding = money()
    share = rate()
    claimed_amount = money()
    approved_amount = money(allow_none=True)
    recovered_total = money()
    evidence_note = fields.String()
    decision_reason = fields.String(allow_none=True)
    filed_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    recoveries = fields.List(fields.Nested(Recovery))


class Claimable(Schema):
    loan_id = fields.Function(lambda row: row.loan.id)
    contract_no = fields.Function(lambda row: row.loan.contract_no)
    policy_id = fields.Function(lambda row: row.policy.id)
    policy = fields.Function(lambda row: row.policy.title)
    ground = fields.String()
    reported_balance = fields.Function(lambda row: format(row.report.balance, "f"))
    period = fields.Function(lambda row: row.report.period.strftime("%Y-%m"))
    estimate = fields.Function(lambda row: format(row.estimate, "f"))


class ClaimQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=40))


class ClaimPage(Schema):
    items = fields.List(fields.Nested(Claim))
    next_cursor = fields.String(allow_none=True)


class ClaimBody(Schema):
    loan_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    policy_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    principal = money(required=True)
    evidence_note = fields.String(required=True, validate=validate.Length(1, 2000))


class RecoveryBody(Schema):
    amount = money(required=True)
    recovered_on = fields.Date(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=200))


@bp.route("", methods=["GET"])
@api_scope(*READ)
@bp.arguments(ClaimQuery, location="query", as_kwargs=True)
@bp.response(200, ClaimPage)
def list_claims(limit: int, cursor: str | None) -> dict[str, Any]:
    """The bank's claims, oldest first; pass `next_cursor` back as `cursor`."""
    statement = services.claims_statement(current_user).order_by(None)
    rows, next_cursor = page_of(statement, CompensationClaim.id, limit, cursor, "claim")
    return {"items": rows, "next_cursor": next_cursor}


@bp.route("/claimable", methods=["GET"])
@api_scope(*READ)
@bp.response(200, Claimable(many=True))
def claimable() -> list[services.Claimable]:
    """Loans classed as loss or overdue past their policy's threshold, not yet claimed (at most
    500, newest loans first)."""
    statement = services.claimable_statement(current_user).limit(500)
    grants = list(db.session.scalars(statement))
    return services.claimables(current_user, grants)


@bp.route("", methods=["POST"])
@api_scope(*WRITE)
@idempotent
@bp.arguments(ClaimBody)
@bp.response(201, Claim)
@bp.alt_response(404, response="NOT_FOUND", description="No such loan of the bank's.")
def file_claim(body: dict[str, Any]) -> CompensationClaim:
    """File a claim on a loan under a policy, on at most the latest reported balance."""
    loan = get_or_404(Loan, body["loan_id"], current_user)
    return _run(
        services.file_claim,
        current_user,
        loan,
        body["policy_id"],
        body["principal"],
        body["evidence_note"],
    )


@bp.route("/<int:claim_id>", methods=["GET"])
@api_scope(*READ)
@bp.response(200, Claim)
def get_claim(claim_id: int) -> CompensationClaim:
    """One claim with its decision and the recoveries reported on it."""
    return get_or_404(CompensationClaim, claim_id, current_user)


@bp.route("/<int:claim_id>/recoveries", methods=["POST"])
@api_scope(*WRITE)
@idempotent
@bp.arguments(RecoveryBody)
@bp.response(201, Claim)
def report_recovery(body: dict[str, Any], claim_id: int) -> CompensationClaim:
    """Report money recovered on an approved claim; the pool's share goes back to the budget."""
    claim = get_or_404(CompensationClaim, claim_id, current_user)
    _run(
        services.record_recovery,
        current_user,
        claim,
        body["amount"],
        body["recovered_on"],
        body["note"],
    )
    db.session.refresh(claim)
    return claim


def _run(operation: Any, *args: Any) -> Any:
    """Run a claim service; refused fields are a 422, a refused state a 409 problem."""
    return run_service(
        operation,
        *args,
        refusals=ClaimError,
        state_slug="claim-state",
        fields_slug="claim-fields",
        fields=FORM_FIELDS,
    )

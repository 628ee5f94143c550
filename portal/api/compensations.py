"""Compensation on guaranteed loans (代偿) through the API: the bank files its claim on a
guarantee letter, the guarantor pays or rejects it and reports what it recovers, through the
same services (and records) as the compensation pages."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from functools import wraps
from typing import Any, TypeVar

from flask_login import current_user
from flask_smorest import Blueprint

from portal.api.access import SECURITY_SCHEME, api_scope, current_token_client
from portal.api.compensation_schemas import (
    Compensation,
    CompensationBody,
    CompensationPage,
    CompensationQuery,
    CompensationRecoveryBody,
    CompensationRejectionBody,
    GuaranteedLoan,
)
from portal.api.idempotency import idempotent
from portal.api.paging import page_of
from portal.api.problems import ApiProblem, run_service
from portal.api.scopes import Scope
from portal.authz import Permission, get_or_404
from portal.enums import Role
from portal.extensions import db
from portal.guarantees import compensation as services
from portal.guarantees import models, sharing
from portal.guarantees.compensation import CompensationError

F = TypeVar("F", bound=Callable[..., Any])

loans_bp = Blueprint(
    "api_guaranteed_loans",
    __name__,
    url_prefix="/api/v1/guaranteed-loans",
    description="The bank's loans under a guarantee letter, and its claims for compensation.",
)
bp = Blueprint(
    "api_compensations",
    __name__,
    url_prefix="/api/v1/compensations",
    description="Compensation claims (代偿): the guarantor pays or rejects, then recovers.",
)

BANK_READ = (Scope.CLAIMS_READ, Permission.BANK_CLAIMS_FILE)
BANK_WRITE = (Scope.CLAIMS_WRITE, Permission.BANK_CLAIMS_FILE)
READ = (Scope.GUARANTEES_READ, Permission.GUARANTOR_REQUESTS_WORK)
WRITE = (Scope.GUARANTEES_WRITE, Permission.GUARANTOR_REQUESTS_WORK)
# The services name refused fields by the pages' form fields, in 万元; the API's are in yuan.
FORM_FIELDS = {"loss_wan": "loss_amount", "amount_wan": "amount"}


def bank_or_guarantor(bank: tuple[Scope, Permission], guarantor: tuple[Scope, Permission]):
    """`api_scope` of the caller's kind: a guarantor's client needs `guarantor`, any other
    `bank` (the page it stands for is shared by both)."""

    def decorate(view: F) -> F:
        as_bank, as_guarantor = api_scope(*bank)(view), api_scope(*guarantor)(view)

        @wraps(as_bank)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            client = current_token_client()
            guarantors = client is not None and client.user.role == Role.GUARANTOR_OFFICER
            return (as_guarantor if guarantors else as_bank)(*args, **kwargs)

        wrapper._apidoc = deepcopy(as_bank._apidoc)  # type: ignore[attr-defined]
        wrapper._apidoc["manual_doc"]["security"] = [  # type: ignore[attr-defined]
            {SECURITY_SCHEME: [str(bank[0])]},
            {SECURITY_SCHEME: [str(guarantor[0])]},
        ]
        return wrapper  # type: ignore[return-value]

    return decorate


# --- the bank ----------------------------------------------------------------------------------


@loans_bp.route("", methods=["GET"])
@api_scope(*BANK_READ)
@loans_bp.response(200, GuaranteedLoan(many=True))
def list_guaranteed_loans() -> list[dict[str, Any]]:
    """The bank's disbursed loans under a guarantee letter, newest letters first: the latest
    monthly report, and whether (on what ground) compensation may be claimed."""
    return [_guaranteed(found) for found in services.guaranteed_loans(current_user)]


@loans_bp.route("/<int:guarantee_id>/compensation", methods=["POST"])
@api_scope(*BANK_WRITE)
@idempotent
@loans_bp.arguments(CompensationBody)
@loans_bp.response(201, Compensation)
def file_compensation(body: dict[str, Any], guarantee_id: int) -> models.Compensation:
    """Claim compensation from the guarantor on a loan in default (one claim per letter), on
    at most the latest reported balance."""
    letter = get_or_404(models.Guarantee, guarantee_id, current_user)
    found = services.guaranteed_loan(current_user, letter.id)
    if found is None:
        raise ApiProblem(404)  # a letter not yet on a disbursed loan
    return _run(services.file, current_user, found, body["loss_amount"], body["evidence_note"])


# --- both --------------------------------------------------------------------------------------


@bp.route("/<int:compensation_id>", methods=["GET"])
@bank_or_guarantor(BANK_READ, READ)
@bp.response(200, Compensation)
def get_compensation(compensation_id: int) -> models.Compensation:
    """One compensation claim of the bank's, or made on the guarantor: its split of the loss,
    the decision, the onward shares and the recoveries."""
    return get_or_404(models.Compensation, compensation_id, current_user)


# --- the guarantor -----------------------------------------------------------------------------


@bp.route("", methods=["GET"])
@api_scope(*READ)
@bp.arguments(CompensationQuery, location="query", as_kwargs=True)
@bp.response(200, CompensationPage)
def list_compensations(limit: int, cursor: str | None) -> dict[str, Any]:
    """The compensation claims banks made on the guarantor, oldest first; pass `next_cursor`
    back as `cursor`."""
    statement = services.compensations_statement(current_user).order_by(None)
    rows, next_cursor = page_of(statement, models.Compensation.id, limit, cursor, "compensation")
    return {"items": rows, "next_cursor": next_cursor}


@bp.route("/<int:compensation_id>/payment", methods=["POST"])
@api_scope(*WRITE)
@idempotent
@bp.response(200, Compensation)
def pay_compensation(compensation_id: int) -> models.Compensation:
    """Confirm the guarantor paid the bank; it cannot be undone. The guarantor's claims for
    the re-guarantee's and the government's parts then go to government for review."""
    claim = get_or_404(models.Compensation, compensation_id, current_user)
    _run(services.pay, current_user, claim)
    return _fresh(claim)


@bp.route("/<int:compensation_id>/rejection", methods=["POST"])
@api_scope(*WRITE)
@idempotent
@bp.arguments(CompensationRejectionBody)
@bp.response(200, Compensation)
def reject_compensation(body: dict[str, Any], compensation_id: int) -> models.Compensation:
    """Refuse to pay, with a reason the bank reads."""
    claim = get_or_404(models.Compensation, compensation_id, current_user)
    _run(services.reject, current_user, claim, body["reason"])
    return _fresh(claim)


@bp.route("/<int:compensation_id>/recoveries", methods=["POST"])
@api_scope(*WRITE)
@idempotent
@bp.arguments(CompensationRecoveryBody)
@bp.response(201, Compensation)
def report_recovery(body: dict[str, Any], compensation_id: int) -> models.Compensation:
    """Report money recovered after paying; it is shared back in the proportions of the loss."""
    claim = get_or_404(models.Compensation, compensation_id, current_user)
    _run(
        services.record_recovery,
        current_user,
        claim,
        body["amount"],
        body["recovered_on"],
        body["note"],
    )
    return _fresh(claim)


# --- helpers -----------------------------------------------------------------------------------


def _run(operation: Any, *args: Any) -> Any:
    """Run a compensation service; refused fields are a 422, a refused state a 409 problem."""
    return run_service(
        operation,
        *args,
        refusals=CompensationError,
        state_slug="compensation-state",
        fields_slug="compensation-fields",
        fields=FORM_FIELDS,
    )


def _fresh(claim: models.Compensation) -> models.Compensation:
    db.session.refresh(claim)
    return claim


def _guaranteed(found: services.GuaranteedLoan) -> dict[str, Any]:
    letter, report = found.letter, found.report
    estimate = None
    if found.claimable and report is not None:
        split = sharing.split_loss(
            report.balance, services.risk_terms(letter), letter.covered_amount
        )
        estimate = sharing.paid_to_bank(split)
    return {
        "guarantee_id": letter.id,
        "letter_no": letter.letter_no,
        "loan_id": found.loan.id,
        "contract_no": found.loan.contract_no,
        "amount": letter.amount,
        "covered_amount": letter.covered_amount,
        "latest_report": None if report is None else _report(report),
        "ground": found.ground,
        "claimable": found.claimable,
        "estimate": estimate,
        "compensation_id": found.compensation.id if found.compensation else None,
    }


def _report(report: Any) -> dict[str, Any]:
    return {
        "period": report.period.strftime("%Y-%m"),
        "balance": report.balance,
        "five_tier_class": str(report.five_tier_class),
        "days_overdue": report.days_overdue,
    }

"""What the compensation endpoints (代偿) read and write; money in yuan."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from portal.api.schemas import money
from portal.enums import ClaimStatus, FiveTierClass
from portal.extensions import db
from portal.guarantees.compensation import MAX_EVIDENCE_CHARS
from portal.leads.models import Loan

STATUSES = [str(s) for s in ClaimStatus]


class Split(Schema):
    """Each party's part of a loss or of a recovery, summing to the whole."""

    guarantor = money()
    reguarantee = money()
    bank = money()
    government = money()


class CompensationRecovery(Schema):
    id = fields.Integer()
    amount = money()
    split = fields.Nested(Split)
    recovered_on = fields.Date()
    note = fields.String(allow_none=True)


class CompensationShare(Schema):
    """The guarantor's claim for the re-guarantee's or the government's part, once it paid."""

    party = fields.String(validate=validate.OneOf(["reguarantee", "government"]))
    amount = money()
    status = fields.String(validate=validate.OneOf(STATUSES))
    decision_reason = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)


class Compensation(Schema):
    id = fields.Integer()
    status = fields.String(validate=validate.OneOf(STATUSES))
    guarantee_id = fields.Integer()
    letter_no = fields.Function(lambda row: row.guarantee.letter_no, metadata={"type": "string"})
    loan_id = fields.Integer()
    contract_no = fields.Function(
        lambda row: db.session.get_one(Loan, row.loan_id).contract_no,
        metadata={"type": "string"},
    )
    ground = fields.String(validate=validate.OneOf(["loss", "overdue"]))
    loss_amount = money()
    claimed_amount = money()
    split = fields.Nested(Split)
    evidence_note = fields.String()
    decision_reason = fields.String(allow_none=True)
    recovered_total = money()
    filed_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    shares = fields.List(fields.Nested(CompensationShare))
    recoveries = fields.List(fields.Nested(CompensationRecovery))


class LatestReport(Schema):
    period = fields.String(metadata={"example": "2026-11"})
    balance = money()
    five_tier_class = fields.String(validate=validate.OneOf([str(c) for c in FiveTierClass]))
    days_overdue = fields.Integer()


class GuaranteedLoan(Schema):
    """A loan of the bank's under a guarantee letter, and whether compensation may be claimed."""

    guarantee_id = fields.Integer()
    letter_no = fields.String()
    loan_id = fields.Integer()
    contract_no = fields.String(allow_none=True)
    amount = money()
    covered_amount = money()
    latest_report = fields.Nested(LatestReport, allow_none=True)
    ground = fields.String(allow_none=True, validate=validate.OneOf(["loss", "overdue"]))
    claimable = fields.Boolean()
    estimate = money(allow_none=True)
    compensation_id = fields.Integer(allow_none=True)


class CompensationQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=40))


class CompensationPage(Schema):
    items = fields.List(fields.Nested(Compensation))
    next_cursor = fields.String(allow_none=True)


class CompensationBody(Schema):
    loss_amount = money(required=True)
    evidence_note = fields.String(required=True, validate=validate.Length(1, MAX_EVIDENCE_CHARS))


class CompensationRejectionBody(Schema):
    reason = fields.String(required=True, validate=validate.Length(1, 200))


class CompensationRecoveryBody(Schema):
    amount = money(required=True)
    recovered_on = fields.Date(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=200))

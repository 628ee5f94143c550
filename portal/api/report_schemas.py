"""What the loan report and product endpoints read and write (marshmallow schemas).

A report row's cells are taken as sent and checked by the monthly file's own row checks
(portal/reporting/loan_files.py), so a batch gets the same messages as an uploaded file; the
types below are what the OpenAPI document tells callers to send.
"""

from __future__ import annotations

from marshmallow import Schema, fields

from portal.api.schemas import money, rate
from portal.enums import FiveTierClass, GuaranteeType, ProductKind, ProductStatus

# One request holds a whole month; 50,000 rows of ~120 bytes stay under MAX_CONTENT_LENGTH.
MAX_BATCH_ROWS = 50_000


def _cell(kind: str, **metadata: object) -> fields.Raw:
    return fields.Raw(metadata={"type": kind, **metadata})


class LoanReportRow(Schema):
    """One loan's month, named as the columns of the monthly file's English template."""

    contract_no = _cell("string", example="HT-2026-00123")
    period = _cell(
        "string", example="2026-10", description="Optional; when sent, the month of the URL."
    )
    balance = _cell("string", example="850000.00", description="Outstanding balance in yuan.")
    days_overdue = _cell("integer", example=0)
    five_tier_class = _cell(
        "string",
        enum=[str(tier) for tier in FiveTierClass],
        description="The class code; the Chinese name of the class is accepted too.",
    )


class LoanReportBatch(Schema):
    rows = fields.List(fields.Nested(LoanReportRow), required=True)


class MonthCounts(Schema):
    due = fields.Integer()
    reported = fields.Integer()
    missing = fields.Integer()
    contradicting = fields.Integer()


class RowProblem(Schema):
    row = fields.Integer(allow_none=True, metadata={"description": "1 is the first of `rows`."})
    field = fields.String()
    message = fields.String()


class LoanReportApplied(Schema):
    period = fields.String()
    rows = fields.Integer()
    replaced = fields.Integer()
    counts = fields.Nested(MonthCounts)
    warnings = fields.List(fields.Nested(RowProblem))


class DueLoan(Schema):
    contract_no = fields.String()
    reported = fields.Boolean()
    balance = money(allow_none=True)
    days_overdue = fields.Integer(allow_none=True)
    five_tier_class = fields.String(allow_none=True)


class LoanReportMonth(Schema):
    period = fields.String()
    due_on = fields.Date(metadata={"description": "The last day to report the month on time."})
    past_due = fields.Boolean()
    counts = fields.Nested(MonthCounts)
    loans = fields.List(fields.Nested(DueLoan))


# --- products -----------------------------------------------------------------------------------


class ProductRules(Schema):
    version = fields.Integer(allow_none=True)
    eligibility = fields.String()
    instant_approval = fields.String(allow_none=True)
    formula = fields.String(allow_none=True)
    eligibility_sentences = fields.List(fields.String())
    instant_approval_sentences = fields.List(fields.String())


class Product(Schema):
    """A product of the caller's bank, as its product pages show it."""

    id = fields.Integer()
    name = fields.String()
    kind = fields.String(metadata={"enum": [str(kind) for kind in ProductKind]})
    status = fields.String(metadata={"enum": [str(status) for status in ProductStatus]})
    summary = fields.String()
    min_amount = money()
    max_amount = money()
    min_term_months = fields.Integer()
    max_term_months = fields.Integer()
    min_rate = rate()
    max_rate = rate()
    guarantee_fee_rate = rate()
    guarantee_types = fields.List(fields.String())
    region_codes = fields.List(fields.String())
    response_days = fields.Integer(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    review_note = fields.String(allow_none=True)
    rules = fields.Nested(ProductRules)


class ProductDraft(Schema):
    """A new draft: the fields of the bank's product form, money in yuan. Each value is checked
    by that form (portal/catalog/forms.py ProductForm), with its messages."""

    name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": [str(kind) for kind in ProductKind]})
    summary = fields.String(load_default="")
    min_amount = money(required=True)
    max_amount = money(required=True)
    min_term_months = fields.Integer(required=True)
    max_term_months = fields.Integer(required=True)
    min_rate = rate(required=True)
    max_rate = rate(required=True)
    guarantee_fee_rate = rate(load_default=None)
    guarantee_types = fields.List(
        fields.String(metadata={"enum": [str(g) for g in GuaranteeType]}), load_default=list
    )
    region_codes = fields.List(fields.String(), load_default=list)
    response_days = fields.Integer(load_default=None, allow_none=True)
    eligibility = fields.String(load_default="")
    instant_approval = fields.String(load_default=None, allow_none=True)
    formula = fields.String(required=True)

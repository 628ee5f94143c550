"""What the guarantee endpoints read and write (money in yuan, rates in percent a year)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from portal.api.schemas import Coded, FirmProfile, money, rate
from portal.enums import DeclineReason, GuaranteeMode, GuaranteeRequestStatus, ProductStatus


class Letter(Schema):
    letter_no = fields.String()
    amount = money()
    covered_amount = money()
    coverage_share = rate()
    fee_rate = rate()
    fee_amount = money()
    term_months = fields.Integer()
    issued_at = fields.DateTime()


class GuaranteeRequestSummary(Schema):
    """A request as a guarantor sees it before taking it on: the loan and the bank, no firm."""

    id = fields.Integer()
    status = fields.String(validate=validate.OneOf([str(s) for s in GuaranteeRequestStatus]))
    mode = fields.String()
    created_at = fields.DateTime()
    deadline_at = fields.DateTime(allow_none=True)
    amount = money()
    term_months = fields.Integer()
    bank = fields.String()
    bank_rate = rate(allow_none=True)
    size_class = fields.String()
    region = fields.Nested(Coded)
    industry = fields.Nested(Coded)
    product = fields.Nested(Coded)


class GuaranteeRequestDetail(GuaranteeRequestSummary):
    firm = fields.Nested(FirmProfile, allow_none=True)
    letter = fields.Nested(Letter, allow_none=True)
    decline_reason = fields.String(allow_none=True)


class GuaranteeRequestQuery(Schema):
    status = fields.List(
        fields.String(validate=validate.OneOf([str(s) for s in GuaranteeRequestStatus])),
        load_default=None,
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=40))


class GuaranteeRequestPage(Schema):
    items = fields.List(fields.Nested(GuaranteeRequestSummary))
    next_cursor = fields.String(allow_none=True)


class GuaranteeDeclineBody(Schema):
    reason = fields.String(required=True, validate=validate.OneOf([str(r) for r in DeclineReason]))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class GuaranteeProductRules(Schema):
    version = fields.Integer(allow_none=True)
    eligibility = fields.String()
    eligibility_sentences = fields.List(fields.String())


class Cooperation(Schema):
    """A bank product the guarantee backs, and how: in batch (批量担保) or automatically up to a
    limit (见贷即保)."""

    bank_product = fields.Nested(Coded)
    bank = fields.String()
    mode = fields.String(metadata={"enum": [str(mode) for mode in GuaranteeMode]})
    automatic_limit = money(allow_none=True)


class GuaranteeProduct(Schema):
    """A product of the caller's guarantee institution, as its product pages show it."""

    id = fields.Integer()
    name = fields.String()
    status = fields.String(metadata={"enum": [str(status) for status in ProductStatus]})
    summary = fields.String()
    min_amount = money()
    max_amount = money()
    max_term_months = fields.Integer()
    fee_rate = rate()
    coverage_share = rate()
    region_codes = fields.List(fields.String())
    response_days = fields.Integer(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    rules = fields.Nested(GuaranteeProductRules)
    cooperation = fields.List(fields.Nested(Cooperation))


class GuaranteeProductDraft(Schema):
    """A new draft: the fields of the guarantee product form, money in yuan. Each value is
    checked by that form (portal/guarantees/forms.py GuaranteeProductForm), with its messages."""

    name = fields.String(required=True)
    summary = fields.String(load_default="")
    min_amount = money(required=True)
    max_amount = money(required=True)
    max_term_months = fields.Integer(required=True)
    fee_rate = rate(required=True)
    coverage_share = rate(required=True)
    region_codes = fields.List(fields.String(), load_default=list)
    response_days = fields.Integer(load_default=None, allow_none=True)
    eligibility = fields.String(load_default="")

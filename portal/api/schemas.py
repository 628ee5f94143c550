"""What the API reads and writes (marshmallow schemas; the OpenAPI document is made from them).

Money is a decimal string in yuan ("1200000.00"); rates are percent a year ("3.4500"); times
are RFC 3339 in UTC. Every number a caller sends goes through the portal's one bounded parser
(`portal.numbers`), so a value with a huge exponent is refused, not computed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from portal.enums import DeclineReason, GuaranteeType, LeadStatus, RepaymentMethod
from portal.numbers import MONEY_YUAN, MONTHS, RATE_PERCENT, NumberError, Quantity, parse_number


class Amount(fields.Field):
    """A bounded decimal, read through `parse_number` and written as a string."""

    def __init__(self, quantity: Quantity, **kwargs: Any) -> None:
        self.quantity = quantity
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else format(Decimal(value), "f")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError(gettext('应为数字（建议用字符串，如 "1200000.00"）'))
        try:
            return parse_number(str(value), self.quantity)
        except NumberError as error:
            raise ValidationError(error.render(gettext)) from None


def money(**kwargs: Any) -> Amount:
    return Amount(
        MONEY_YUAN,
        metadata={"type": "string", "pattern": r"^\d{1,14}(\.\d{1,2})?$", "example": "1200000.00"},
        **kwargs,
    )


def rate(**kwargs: Any) -> Amount:
    return Amount(
        RATE_PERCENT,
        metadata={"type": "string", "pattern": r"^\d{1,3}(\.\d{1,4})?$", "example": "3.4500"},
        **kwargs,
    )


def _choice(enum: type) -> fields.String:
    return fields.String(validate=validate.OneOf([str(member) for member in enum]))


class Coded(Schema):
    code = fields.String()
    name = fields.String()


class InstantApproval(Schema):
    reference = fields.String()
    limit = money()
    rate = rate(allow_none=True)


class LeadSummary(Schema):
    """A lead as a bank sees it before acceptance: the need, never the firm."""

    id = fields.Integer()
    status = _choice(LeadStatus)
    created_at = fields.DateTime()
    deadline_at = fields.DateTime(allow_none=True)
    product = fields.Nested(Coded, allow_none=True)
    amount = money()
    term_months = fields.Integer()
    guarantee_type = _choice(GuaranteeType)
    size_class = fields.String()
    region = fields.Nested(Coded)
    industry = fields.Nested(Coded)
    submitted_at = fields.DateTime()
    instant_approval = fields.Nested(InstantApproval, allow_none=True)


class FirmProfile(Schema):
    """The firm's facts as the bank's pages show them, and where each verified one came from."""

    values = fields.Dict(keys=fields.String())
    verified_fields = fields.Dict(keys=fields.String())


class Offer(Schema):
    amount = money(allow_none=True)
    rate = rate(allow_none=True)
    term_months = fields.Integer(allow_none=True)
    repayment_method = fields.String(allow_none=True)
    upfront_fee = money(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    taken_at = fields.DateTime(allow_none=True)


class LeadDetail(LeadSummary):
    """A lead; after acceptance with the firm behind it (each read is told to the firm)."""

    firm = fields.Nested(FirmProfile, allow_none=True)
    offer = fields.Nested(Offer, allow_none=True)
    decline_reason = fields.String(allow_none=True)


class LeadQuery(Schema):
    status = fields.List(_choice(LeadStatus), load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=40))


class PoolQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=40))


class LeadPage(Schema):
    items = fields.List(fields.Nested(LeadSummary))
    next_cursor = fields.String(allow_none=True)


class DeclineBody(Schema):
    reason = _choice(DeclineReason)
    reason.required = True
    note = fields.String(load_default="", validate=validate.Length(max=500))


class DecisionBody(Schema):
    amount = money(required=True)
    rate = rate(required=True)
    term_months = fields.Integer(required=True, validate=validate.Range(MONTHS.low, MONTHS.high))
    repayment_method = fields.String(
        load_default=str(RepaymentMethod.EQUAL_INSTALMENT),
        validate=validate.OneOf([str(m) for m in RepaymentMethod]),
    )
    upfront_fee = money(load_default=Decimal(0))
    valid_until = fields.Date(load_default=None)
    with_guarantee = fields.Boolean(load_default=False)


class DisbursementBody(Schema):
    contract_no = fields.String(required=True, validate=validate.Length(1, 40))
    disbursed_on = fields.Date(required=True)
    amount = money(load_default=None)


class Reference(Schema):
    code = fields.String()
    name = fields.String()


class LprRate(Schema):
    effective_on = fields.Date()
    one_year = rate()
    over_five_years = rate()


class Problem(Schema):
    """An RFC 9457 problem document (application/problem+json), in the caller's language."""

    class Meta:
        unknown = INCLUDE  # RFC 9457 extension members are allowed

    type = fields.String(required=True, metadata={"example": "/api/v1/docs#problems-404"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        metadata={"description": "400/422: what is wrong with each field, by field name."},
    )

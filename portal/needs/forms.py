"""Forms for a firm's financing needs. Money is typed in 万元; rates in percent a year."""

from __future__ import annotations

import secrets
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.enums import GUARANTEE_LABELS, GuaranteeType
from portal.firms.forms import MultiCheckboxField, wan_to_yuan
from portal.forms import ChoiceField, Form, NumberField, WholeNumberField
from portal.needs.services import NeedInput
from portal.numbers import AMOUNT_WAN, MONTHS, RATE_PERCENT
from portal.settings import max_banks_per_need

MAX_NEED_WAN = Decimal("1000000")  # 100 亿元: far above any small-business loan
CONSENT_TEXT = _l(
    "同意将本企业信息提供给本需求推送到的银行，用于融资审核；如尚无数据授权，同时授权这些银行"
    "在 90 天内查询本企业的政务数据（仅派生指标，可在“数据授权”中修改或随时撤回）"
)


def new_idempotency_key() -> str:
    """A random key minted when the form is shown; resubmitting the same form reuses it."""
    return secrets.token_urlsafe(24)


class NeedForm(Form):
    amount_wan = NumberField(
        _l("融资金额（万元）"),
        quantity=AMOUNT_WAN,
        places=2,
        parse_message=_l("融资金额应为数字，单位万元，如 200"),
        validators=[
            InputRequired(_l("请填写融资金额，单位万元，如 200")),
            NumberRange(
                min=Decimal("0.01"),
                max=MAX_NEED_WAN,
                message=_l("融资金额应大于 0 且不超过 1,000,000 万元"),
            ),
        ],
    )
    term_months = WholeNumberField(
        _l("融资期限（个月）"),
        quantity=MONTHS,
        parse_message=_l("期限应为整数个月，如 12"),
        validators=[
            InputRequired(_l("请填写融资期限，整数个月，如 12")),
            NumberRange(min=1, max=360, message=_l("期限应在 1 到 360 个月之间")),
        ],
    )
    guarantee_type = ChoiceField(
        _l("可提供的担保方式"),
        choices=list(GUARANTEE_LABELS.items()),
        validators=[DataRequired(_l("请选择担保方式"))],
    )
    max_rate = NumberField(
        _l("可接受的最高年利率（%）"),
        quantity=RATE_PERCENT,
        places=2,
        parse_message=_l("年利率应为数字，如 4.5"),
        description=_l("选填。如 4.5 表示年利率不超过 4.5%"),
        validators=[
            Optional(),
            NumberRange(min=0, max=36, message=_l("年利率应在 0%% 到 36%% 之间")),
        ],
    )
    purpose = TextAreaField(
        _l("资金用途"),
        description=_l("如：采购原材料、购置设备、支付工资。最多 500 字"),
        validators=[
            DataRequired(_l("请填写资金用途")),
            Length(max=500, message=_l("资金用途最多 500 字")),
        ],
    )
    consent = BooleanField(
        CONSENT_TEXT,
        validators=[DataRequired(_l("请勾选同意后再提交：不同意则银行无法审核本需求"))],
    )
    idempotency_key = HiddenField(
        validators=[DataRequired(_l("表单已失效，请刷新页面后重新提交")), Length(max=64)]
    )

    def validate_idempotency_key(self, field: HiddenField) -> None:
        if not field.data or not field.data.replace("-", "").replace("_", "").isalnum():
            raise ValidationError(_("表单已失效，请刷新页面后重新提交"))

    def need_input(self) -> NeedInput:
        """The cleaned need, money converted to yuan."""
        return NeedInput(
            amount=wan_to_yuan(self.amount_wan.data),
            term_months=self.term_months.data,
            purpose=self.purpose.data.strip(),
            guarantee_type=GuaranteeType(self.guarantee_type.data),
            max_rate=self.max_rate.data,
        )


class ProductChoiceField(MultiCheckboxField):
    """Product ids ticked on the match table; the service checks each is an eligible match."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            self.data = [int(value) for value in valuelist]
        except ValueError as exc:
            raise ValueError(_("所选产品无效，请重新选择")) from exc


class ApplyForm(Form):
    """Choose up to three of the need's eligible products (checked again by the service)."""

    product_id = ProductChoiceField(
        _l("选择要申请的产品（最多 3 个）"), coerce=int, choices=[], validate_choice=False
    )

    def validate_product_id(self, field: MultiCheckboxField) -> None:
        chosen = set(field.data or [])
        if not chosen:
            raise ValidationError(_("请至少选择 1 个产品"))
        most = max_banks_per_need()
        if len(chosen) > most:
            raise ValidationError(_("最多可同时申请 %(n)s 个产品", n=most))

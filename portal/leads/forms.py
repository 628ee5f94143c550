"""Forms of the bank's lead workflow. Money is typed in 万元; rates in percent a year."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.confirmation import confirm_field
from portal.dates import today_in_china
from portal.enums import (
    DECLINE_REASON_LABELS,
    LEAD_STATUS_LABELS,
    REPAYMENT_METHOD_LABELS,
    DeclineReason,
    LeadStatus,
    RepaymentMethod,
)
from portal.firms.forms import wan_to_yuan
from portal.forms import ChoiceField, Form, NumberField, WholeNumberField
from portal.leads.services import CreditDecision, default_valid_until, offer_validity_problem
from portal.numbers import AMOUNT_WAN, MONTHS, RATE_PERCENT

MAX_LOAN_WAN = Decimal("1000000")

# The inbox's default view: leads that still ask something of the bank.
ACTIVE_FILTER = ""
ALL_FILTER = "all"
ACTIVE_STATUSES = (LeadStatus.OPEN, LeadStatus.ACCEPTED, LeadStatus.APPROVED)


class InboxFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(
        _l("状态"),
        choices=[
            (ACTIVE_FILTER, _l("待处理（待响应、已受理、已给出授信方案）")),
            (ALL_FILTER, _l("全部")),
        ]
        + [(s.value, label) for s, label in LEAD_STATUS_LABELS.items() if s != LeadStatus.POOLED],
        default=ACTIVE_FILTER,
        validators=[Optional()],
    )

    def statuses(self) -> tuple[LeadStatus, ...] | None:
        """The statuses to list; None lists every status."""
        value = self.status.data if self.validate() else ACTIVE_FILTER
        if value == ALL_FILTER:
            return None
        if value == ACTIVE_FILTER or not value:
            return ACTIVE_STATUSES
        return (LeadStatus(value),)


class LocalDateField(DateField):
    """A date input whose parse error says, in the page's language, how to write it."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_("日期格式应为 2026-11-27")) from exc


class DeclineForm(Form):
    reason = ChoiceField(
        _l("拒绝原因"),
        choices=[("", _l("请选择原因"))]
        + [(reason.value, label) for reason, label in DECLINE_REASON_LABELS.items()],
        validators=[DataRequired(_l("请选择拒绝原因"))],
    )
    note = TextAreaField(
        _l("补充说明"),
        description=_l("选填，企业可以看到。最多 500 字"),
        validators=[Optional(), Length(max=500, message=_l("补充说明最多 500 字"))],
    )
    confirmed = confirm_field(_l("我确认拒绝该线索，拒绝后不能撤回"))

    def decline_reason(self) -> DeclineReason:
        return DeclineReason(self.reason.data)


def _default_valid_until() -> dt.date:
    return default_valid_until(today_in_china())


class DecisionForm(Form):
    amount_wan = NumberField(
        _l("批复金额（万元）"),
        quantity=AMOUNT_WAN,
        places=2,
        parse_message=_l("批复金额应为数字，单位万元，如 150"),
        validators=[
            InputRequired(_l("请填写批复金额，单位万元，如 150")),
            NumberRange(
                min=Decimal("0.01"), max=MAX_LOAN_WAN, message=_l("批复金额应大于 0（万元）")
            ),
        ],
    )
    rate = NumberField(
        _l("年利率（%）"),
        quantity=RATE_PERCENT,
        places=2,
        parse_message=_l("年利率应为数字，如 3.85"),
        validators=[
            InputRequired(_l("请填写年利率，如 3.85")),
            NumberRange(min=0, max=36, message=_l("年利率应在 0%% 到 36%% 之间")),
        ],
    )
    term_months = WholeNumberField(
        _l("期限（个月）"),
        quantity=MONTHS,
        parse_message=_l("期限应为整数个月，如 12"),
        validators=[
            InputRequired(_l("请填写期限，整数个月，如 12")),
            NumberRange(min=1, max=360, message=_l("期限应在 1 到 360 个月之间")),
        ],
    )

    repayment_method = ChoiceField(
        _l("还款方式"),
        choices=[(method.value, label) for method, label in REPAYMENT_METHOD_LABELS.items()],
        default=RepaymentMethod.EQUAL_INSTALMENT.value,
        validators=[DataRequired(_l("请选择还款方式"))],
    )
    upfront_fee_wan = NumberField(
        _l("一次性费用（万元）"),
        quantity=AMOUNT_WAN,
        places=None,
        description=_l("评估费、手续费等一次性收取的费用合计，单位万元；没有可不填"),
        parse_message=_l("一次性费用应为数字，单位万元，如 0.2"),
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_LOAN_WAN, message=_l("一次性费用应不小于 0（万元）")),
        ],
    )
    offer_valid_until = LocalDateField(
        _l("方案有效期至"),
        default=_default_valid_until,
        description=_l("企业须在此日期（含）之前接受，过期自动关闭；最长 90 天，留空为 15 天"),
        validators=[Optional()],
    )

    with_guarantee = BooleanField(
        _l("以融资担保机构担保为条件"),
        description=_l(
            "勾选后，平台向与本产品合作的担保机构申请担保；担保函出具后企业才能接受方案"
            "（见贷即保的合作产品随本方案自动出具）"
        ),
    )

    def validate_offer_valid_until(self, field: DateField) -> None:
        if field.data is not None:
            problem = offer_validity_problem(field.data, today_in_china())
            if problem is not None:
                raise ValidationError(problem)

    def validate_upfront_fee_wan(self, field: NumberField) -> None:
        amount = self.amount_wan.data
        if field.data is not None and amount is not None and field.data > amount:
            raise ValidationError(_("一次性费用不应超过批复金额（万元）"))

    def decision(self) -> CreditDecision:
        fee = self.upfront_fee_wan.data
        return CreditDecision(
            amount=wan_to_yuan(self.amount_wan.data),
            rate=self.rate.data,
            term_months=self.term_months.data,
            repayment_method=RepaymentMethod(self.repayment_method.data),
            upfront_fee=wan_to_yuan(fee) if fee is not None else Decimal(0),
            valid_until=self.offer_valid_until.data,
            with_guarantee=bool(self.with_guarantee.data),
        )


class DisburseForm(Form):
    amount_wan = NumberField(
        _l("放款金额（万元）"),
        quantity=AMOUNT_WAN,
        places=2,
        description=_l("不超过批复金额；不填按批复金额放款"),
        parse_message=_l("放款金额应为数字，单位万元，如 150"),
        validators=[
            Optional(),
            NumberRange(
                min=Decimal("0.01"), max=MAX_LOAN_WAN, message=_l("放款金额应大于 0（万元）")
            ),
        ],
    )
    contract_no = StringField(
        _l("借款合同编号"),
        validators=[
            DataRequired(_l("请填写借款合同编号")),
            Length(max=40, message=_l("合同编号最多 40 个字符")),
        ],
    )
    disbursed_on = LocalDateField(
        _l("放款日期"),
        default=today_in_china,
        validators=[InputRequired(_l("请填写放款日期，格式 2026-11-27"))],
    )
    confirmed = confirm_field(_l("我确认该笔贷款已实际放款，合同编号和放款日期无误"))

    def amount(self) -> Decimal | None:
        """The disbursed amount in yuan, or None for the whole offered amount."""
        return None if self.amount_wan.data is None else wan_to_yuan(self.amount_wan.data)

    def validate_disbursed_on(self, field: DateField) -> None:
        if field.data and field.data > today_in_china():
            raise ValidationError(_("放款日期不能晚于今天"))
        if field.data and field.data < dt.date(2000, 1, 1):
            raise ValidationError(_("放款日期应在 2000 年之后"))

"""Forms of risk compensation claims. Money is typed in 万元, exact to the fen."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
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
from portal.enums import CLAIM_STATUS_LABELS, ClaimStatus
from portal.firms.forms import wan_to_yuan
from portal.forms import ChoiceField, Form, NumberField
from portal.leads.forms import LocalDateField
from portal.numbers import AMOUNT_WAN, plain

SMALLEST_WAN = Decimal("0.000001")  # one fen
ALL = "all"


def yuan_to_wan(amount: Decimal) -> Decimal:
    """Yuan as the 万元 a person would type, exact (no rounding up past a reported balance)."""
    return Decimal(plain((amount / 10000).quantize(SMALLEST_WAN)))


class FileClaimForm(Form):
    policy_id = ChoiceField(
        _l("风险补偿政策"),
        coerce=int,
        validators=[InputRequired(_l("请选择风险补偿政策"))],
    )
    principal_wan = NumberField(
        _l("违约时本金余额（万元）"),
        quantity=AMOUNT_WAN,
        places=None,
        description=_l("已按最近一期月报的贷款余额预填；可以填得更低，不能高于月报余额"),
        parse_message=_l("本金余额应为数字，单位万元，如 150"),
        validators=[
            InputRequired(_l("请填写违约时本金余额，单位万元，如 150")),
            NumberRange(min=SMALLEST_WAN, message=_l("违约时本金余额应大于 0（万元）")),
        ],
    )
    evidence_note = TextAreaField(
        _l("证明材料说明"),
        description=_l("如核销审批、诉讼判决或追偿记录的编号和日期。最多 2000 字"),
        validators=[
            DataRequired(_l("请填写证明材料说明")),
            Length(max=2000, message=_l("证明材料说明最多 2000 字")),
        ],
    )
    confirmed = confirm_field(_l("我确认所填本金余额和证明材料真实无误"))

    def principal(self) -> Decimal:
        return wan_to_yuan(self.principal_wan.data)


class RecoveryForm(Form):
    amount_wan = NumberField(
        _l("追回金额（万元）"),
        quantity=AMOUNT_WAN,
        places=None,
        parse_message=_l("追回金额应为数字，单位万元，如 20"),
        validators=[
            InputRequired(_l("请填写追回金额，单位万元，如 20")),
            NumberRange(min=SMALLEST_WAN, message=_l("追回金额应大于 0（万元）")),
        ],
    )
    recovered_on = LocalDateField(
        _l("追回日期"),
        default=today_in_china,
        validators=[InputRequired(_l("请填写追回日期，格式 2026-11-27"))],
    )
    note = StringField(
        _l("说明"),
        description=_l("选填，如追偿方式。最多 200 字"),
        validators=[Optional(), Length(max=200, message=_l("说明最多 200 字"))],
    )
    confirmed = confirm_field(_l("我确认已实际收回该笔款项"))

    def amount(self) -> Decimal:
        return wan_to_yuan(self.amount_wan.data)

    def validate_recovered_on(self, field: DateField) -> None:
        if field.data and field.data > today_in_china():
            raise ValidationError(_("追回日期不能晚于今天"))


class RejectForm(Form):
    reason = TextAreaField(
        _l("驳回原因"),
        description=_l("银行会看到。最多 200 字"),
        validators=[
            DataRequired(_l("请填写驳回原因")),
            Length(max=200, message=_l("驳回原因最多 200 字")),
        ],
    )
    confirmed = confirm_field(_l("我确认驳回该申请，驳回后不能撤回"))


class QueueFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(
        _l("状态"),
        choices=[(s.value, label) for s, label in CLAIM_STATUS_LABELS.items()]
        + [(ALL, _l("全部"))],
        default=ClaimStatus.SUBMITTED.value,
        validators=[Optional()],
    )

    def statuses(self) -> tuple[ClaimStatus, ...] | None:
        """The statuses to list; None lists every status."""
        value = self.status.data if self.validate() else ClaimStatus.SUBMITTED.value
        if value == ALL:
            return None
        return (ClaimStatus(value or ClaimStatus.SUBMITTED.value),)

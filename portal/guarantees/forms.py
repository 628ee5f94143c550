"""Forms of the guarantor's work: guarantee products, cooperation with bank products, and the
answer to a guarantee request. Money is typed in 万元; rates and shares in percent."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.catalog.forms import term_field, wan_field
from portal.confirmation import confirm_field
from portal.enums import GUARANTEE_MODE_LABELS, GuaranteeMode
from portal.firms.forms import MAX_WAN, MultiCheckboxField, region_choices, wan_to_yuan
from portal.forms import ChoiceField, Form, NumberField, WholeNumberField
from portal.guarantees.models import GOVERNMENT_FEE_CAP
from portal.guarantees.products import rule_problem
from portal.leads.forms import DeclineForm, LocalDateField
from portal.numbers import AMOUNT_WAN, DAYS, RATE_PERCENT, SHARE_PERCENT, WORKING_DAYS


class GuaranteeProductForm(Form):
    name = StringField(
        _l("产品名称"), validators=[DataRequired(_l("请填写产品名称")), Length(max=80)]
    )
    summary = TextAreaField(
        _l("产品介绍"),
        validators=[Length(max=2000, message=_l("产品介绍不超过 2000 字"))],
        description=_l("面向企业和银行的简要说明：服务对象、反担保要求、所需材料。"),
    )
    min_amount_wan = wan_field(_l("最低担保额（万元）"), _l("请填写最低担保额"))
    max_amount_wan = wan_field(_l("最高担保额（万元）"), _l("请填写最高担保额"))
    max_term_months = term_field(_l("最长担保期限（月）"), _l("请填写最长担保期限"))
    fee_rate = NumberField(
        _l("担保费率（%/年）"),
        quantity=RATE_PERCENT,
        places=2,
        parse_message=_l("担保费率应为数字，如 0.8"),
        validators=[
            InputRequired(_l("请填写担保费率，如 0.8")),
            NumberRange(
                min=0,
                max=GOVERNMENT_FEE_CAP,
                message=_l("政府性融资担保机构的担保费率应在 0%% 到 1%%/年之间"),
            ),
        ],
        description=_l("按贷款本金每年收取；政府性融资担保机构不超过 1%/年"),
    )
    coverage_share = NumberField(
        _l("担保责任比例（%）"),
        quantity=SHARE_PERCENT,
        places=2,
        parse_message=_l("担保责任比例应为数字，如 80"),
        validators=[
            InputRequired(_l("请填写担保责任比例，如 80")),
            NumberRange(min=1, max=100, message=_l("担保责任比例应在 1%% 到 100%% 之间")),
        ],
        description=_l("贷款发生损失时本机构承担的比例，其余由银行承担"),
    )
    region_codes = MultiCheckboxField(_l("服务地区（不选即全省）"), choices=[])
    response_days = WholeNumberField(
        _l("响应时限（工作日）"),
        quantity=WORKING_DAYS,
        validators=[
            Optional(),
            NumberRange(min=1, max=30, message=_l("响应时限应在 1 到 30 个工作日之间")),
        ],
        description=_l("不填则使用本机构的默认时限。"),
    )
    eligibility = TextAreaField(
        _l("准入规则"),
        validators=[Length(max=2000)],
        description=_l('与贷款产品相同的规则语言，例如：size_class in ["small", "micro"]'),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.region_codes.choices = region_choices()

    def validate_max_amount_wan(self, field: NumberField) -> None:
        if self.min_amount_wan.data and field.data and field.data < self.min_amount_wan.data:
            raise ValidationError(_("最高担保额不能低于最低担保额"))

    def validate_eligibility(self, field: TextAreaField) -> None:
        problem = rule_problem(field.data or "")
        if problem is not None:
            raise ValidationError(problem)

    def product_data(self) -> dict[str, object]:
        """Product fields, money in yuan."""
        return {
            "name": self.name.data.strip(),
            "summary": (self.summary.data or "").strip(),
            "min_amount": wan_to_yuan(self.min_amount_wan.data),
            "max_amount": wan_to_yuan(self.max_amount_wan.data),
            "max_term_months": self.max_term_months.data,
            "fee_rate": self.fee_rate.data,
            "coverage_share": self.coverage_share.data,
            "region_codes": list(self.region_codes.data or []),
            "response_days": self.response_days.data,
        }


class AgreementForm(Form):
    bank_product_id = ChoiceField(
        _l("合作的银行产品"), coerce=int, validators=[DataRequired(_l("请选择银行产品"))]
    )
    mode = ChoiceField(
        _l("合作方式"),
        choices=[(mode.value, label) for mode, label in GUARANTEE_MODE_LABELS.items()],
        default=GuaranteeMode.BATCH.value,
        validators=[DataRequired(_l("请选择合作方式"))],
    )
    automatic_limit_wan = NumberField(
        _l("见贷即保单笔限额（万元）"),
        quantity=AMOUNT_WAN,
        places=2,
        parse_message=_l("限额应为数字，单位万元，如 300"),
        validators=[
            Optional(),
            NumberRange(
                min=Decimal("0.01"), max=MAX_WAN, message=_l("金额应在 0.01 到 %(max)s 万元之间")
            ),
        ],
        description=_l(
            "仅见贷即保适用：不超过此金额的贷款随银行授信自动担保；不填即本产品最高担保额"
        ),
    )

    def guarantee_mode(self) -> GuaranteeMode:
        return GuaranteeMode(self.mode.data)

    def automatic_limit(self) -> Decimal | None:
        value = self.automatic_limit_wan.data
        return wan_to_yuan(value) if value is not None else None


class GuaranteeDeclineForm(DeclineForm):
    """A lead's decline form (the same reason codes), told to the bank as well as the firm."""

    note = TextAreaField(
        _l("补充说明"),
        description=_l("选填，银行和企业可以看到。最多 500 字"),
        validators=[Optional(), Length(max=500, message=_l("补充说明最多 500 字"))],
    )
    confirmed = confirm_field(_l("我确认不为该笔贷款提供担保，拒绝后不能撤回"))


def _share_field(label: object) -> NumberField:
    return NumberField(
        label,
        quantity=SHARE_PERCENT,
        places=2,
        parse_message=_l("比例应为数字，如 40"),
        validators=[
            InputRequired(_l("请填写比例，没有填 0")),
            NumberRange(min=0, max=100, message=_l("比例应在 0%% 到 100%% 之间")),
        ],
    )


def _optional_wan(label: object, description: object) -> NumberField:
    return NumberField(
        label,
        quantity=AMOUNT_WAN,
        places=2,
        description=description,
        parse_message=_l("金额应为数字，单位万元，如 300"),
        validators=[
            Optional(),
            NumberRange(
                min=Decimal("0.01"), max=MAX_WAN, message=_l("金额应在 0.01 到 %(max)s 万元之间")
            ),
        ],
    )


class RiskShareForm(Form):
    guarantor_share = _share_field(_l("担保机构分担（%）"))
    reguarantee_share = _share_field(_l("再担保分担（%）"))
    bank_share = _share_field(_l("银行分担（%）"))
    government_share = _share_field(_l("地方政府分担（%）"))
    reguarantee_cap_wan = _optional_wan(
        _l("再担保单笔上限（万元）"), _l("不填即不设上限；超出部分由担保机构承担")
    )
    government_cap_wan = _optional_wan(
        _l("政府分担单笔上限（万元）"), _l("不填即不设上限；超出部分由担保机构承担")
    )
    trigger_overdue_days = WholeNumberField(
        _l("逾期多少天可申请代偿"),
        quantity=DAYS,
        description=_l("不填则仅在贷款被分类为“损失”后可申请代偿"),
        validators=[
            Optional(),
            NumberRange(min=1, max=720, message=_l("天数应在 1 到 720 之间")),
        ],
    )

    def agreement_data(self) -> dict[str, object]:
        """The agreement's fields, caps in yuan."""
        caps = {
            "reguarantee_cap": self.reguarantee_cap_wan.data,
            "government_cap": self.government_cap_wan.data,
        }
        return {
            "guarantor_share": self.guarantor_share.data,
            "reguarantee_share": self.reguarantee_share.data,
            "bank_share": self.bank_share.data,
            "government_share": self.government_share.data,
            **{
                key: wan_to_yuan(value) if value is not None else None
                for key, value in caps.items()
            },
            "trigger_overdue_days": self.trigger_overdue_days.data,
        }


class CompensationForm(Form):
    loss_wan = NumberField(
        _l("违约时本金余额（万元）"),
        quantity=AMOUNT_WAN,
        places=2,
        parse_message=_l("本金余额应为数字，单位万元，如 120"),
        validators=[
            InputRequired(_l("请填写违约时的本金余额，单位万元")),
            NumberRange(
                min=Decimal("0.01"), max=MAX_WAN, message=_l("金额应在 0.01 到 %(max)s 万元之间")
            ),
        ],
        description=_l("不超过最近一期月报的贷款余额"),
    )
    evidence_note = TextAreaField(
        _l("违约情况说明"),
        validators=[
            DataRequired(_l("请说明违约情况和已采取的催收措施")),
            Length(max=2000, message=_l("说明不超过 2000 字")),
        ],
    )


class CompensationRejectForm(Form):
    reason = TextAreaField(
        _l("拒绝代偿的理由"),
        validators=[
            DataRequired(_l("请填写拒绝代偿的理由")),
            Length(max=200, message=_l("理由不超过 200 字")),
        ],
    )


class RecoveryForm(Form):
    amount_wan = NumberField(
        _l("回收金额（万元）"),
        quantity=AMOUNT_WAN,
        places=2,
        parse_message=_l("回收金额应为数字，单位万元，如 20"),
        validators=[
            InputRequired(_l("请填写回收金额，单位万元")),
            NumberRange(
                min=Decimal("0.01"), max=MAX_WAN, message=_l("金额应在 0.01 到 %(max)s 万元之间")
            ),
        ],
    )
    recovered_on = LocalDateField(
        _l("回收日期"), validators=[DataRequired(_l("请填写回收日期，如 2026-11-27"))]
    )
    note = StringField(
        _l("说明"), validators=[Optional(), Length(max=200, message=_l("说明不超过 200 字"))]
    )


class ShareDecisionForm(Form):
    reason = TextAreaField(
        _l("审核意见"),
        description=_l("不予拨付时必填"),
        validators=[Optional(), Length(max=200, message=_l("审核意见不超过 200 字"))],
    )

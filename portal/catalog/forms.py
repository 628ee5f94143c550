"""Forms for bank products, their rules, and trying the rules on a sample firm."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.enums import (
    COURT_RECORD_LABELS,
    GUARANTEE_LABELS,
    PRODUCT_KIND_LABELS,
    QUALIFICATION_LABELS,
    REGISTRY_STATUS_LABELS,
    SIZE_CLASS_LABELS,
    TAX_GRADE_LABELS,
)
from portal.firms.forms import (
    MAX_WAN,
    MultiCheckboxField,
    industry_choices,
    region_choices,
    wan_to_yuan,
)
from portal.forms import Form, NumberField, WholeNumberField
from portal.numbers import AMOUNT_WAN, EMPLOYEES, MONTHS, RATE_PERCENT, WORKING_DAYS, YEARS
from portal.rules import RuleError, compile_formula, compile_rule


def rule_error_message(error: RuleError) -> str:
    """The rule language's message, which already names the column or the field."""
    return str(error)


def validate_rule_text(_form: Form, field: TextAreaField) -> None:
    """A WTForms validator: the text must be a valid rule (empty allowed)."""
    try:
        compile_rule(field.data or "")
    except RuleError as error:
        raise ValidationError(rule_error_message(error)) from None


def validate_formula_text(_form: Form, field: TextAreaField) -> None:
    """A WTForms validator: the text must be a valid numeric formula."""
    try:
        compile_formula(field.data or "")
    except RuleError as error:
        raise ValidationError(rule_error_message(error)) from None


def wan_field(label: object, required: str) -> NumberField:
    return NumberField(
        label,
        quantity=AMOUNT_WAN,
        places=2,
        validators=[
            InputRequired(required),
            NumberRange(
                min=Decimal("0.01"), max=MAX_WAN, message=_l("金额应在 0.01 到 %(max)s 万元之间")
            ),
        ],
    )


def rate_field(label: object, required: str) -> NumberField:
    return NumberField(
        label,
        quantity=RATE_PERCENT,
        places=2,
        validators=[
            InputRequired(required),
            NumberRange(min=0, max=36, message=_l("年利率应在 0%% 到 36%% 之间")),
        ],
    )


def term_field(label: object, required: str) -> WholeNumberField:
    return WholeNumberField(
        label,
        quantity=MONTHS,
        validators=[
            InputRequired(required),
            NumberRange(min=1, max=360, message=_l("期限应在 1 到 360 个月之间")),
        ],
    )


class ProductForm(Form):
    name = StringField(
        _l("产品名称"), validators=[DataRequired(_l("请填写产品名称")), Length(max=80)]
    )
    kind = SelectField(_l("产品类型"), choices=list(PRODUCT_KIND_LABELS.items()))
    summary = TextAreaField(
        _l("产品介绍"),
        validators=[Length(max=2000, message=_l("产品介绍不超过 2000 字"))],
        description=_l("面向企业的简要说明：适用对象、特色、所需材料。"),
    )
    min_amount_wan = wan_field(_l("最低额度（万元）"), _l("请填写最低额度"))
    max_amount_wan = wan_field(_l("最高额度（万元）"), _l("请填写最高额度"))
    min_term_months = term_field(_l("最短期限（月）"), _l("请填写最短期限"))
    max_term_months = term_field(_l("最长期限（月）"), _l("请填写最长期限"))
    min_rate = rate_field(_l("最低年利率（%）"), _l("请填写最低年利率，如 3.45"))
    max_rate = rate_field(_l("最高年利率（%）"), _l("请填写最高年利率，如 4.35"))
    guarantee_fee_rate = NumberField(
        _l("担保费率（%/年）"),
        quantity=RATE_PERCENT,
        places=2,
        default=Decimal("0"),
        validators=[
            Optional(),
            NumberRange(min=0, max=10, message=_l("担保费率应在 0%% 到 10%% 之间")),
        ],
        description=_l("信用类产品填 0。"),
    )
    guarantee_types = MultiCheckboxField(
        _l("接受的担保方式"), choices=list(GUARANTEE_LABELS.items())
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
        validators=[Length(max=2000), validate_rule_text],
        description=_l('例如：size_class in ["small", "micro"] and years_in_business >= 2'),
    )
    instant_approval = TextAreaField(
        _l("秒批规则（可选）"),
        validators=[Length(max=2000), validate_rule_text],
        description=_l(
            '满足时企业当场获得预授信，例如：tax_credit_grade == "A" and amount <= 1000000'
        ),
    )
    formula = TextAreaField(
        _l("授信额度公式"),
        validators=[
            DataRequired(_l("请填写授信额度公式")),
            Length(max=2000),
            validate_formula_text,
        ],
        description=_l("例如：min(amount, revenue * 0.2, 3000000)，单位元"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.region_codes.choices = region_choices()

    def validate_max_amount_wan(self, field: NumberField) -> None:
        if self.min_amount_wan.data and field.data and field.data < self.min_amount_wan.data:
            raise ValidationError(_("最高额度不能低于最低额度"))

    def validate_max_term_months(self, field: WholeNumberField) -> None:
        if self.min_term_months.data and field.data and field.data < self.min_term_months.data:
            raise ValidationError(_("最长期限不能短于最短期限"))

    def validate_max_rate(self, field: NumberField) -> None:
        low, high = self.min_rate.data, field.data
        if low is not None and high is not None and high < low:
            raise ValidationError(_("最高年利率不能低于最低年利率"))

    def product_data(self) -> dict[str, object]:
        """Product fields, money in yuan."""
        return {
            "name": self.name.data.strip(),
            "kind": self.kind.data,
            "summary": (self.summary.data or "").strip(),
            "min_amount": wan_to_yuan(self.min_amount_wan.data),
            "max_amount": wan_to_yuan(self.max_amount_wan.data),
            "min_term_months": self.min_term_months.data,
            "max_term_months": self.max_term_months.data,
            "min_rate": self.min_rate.data,
            "max_rate": self.max_rate.data,
            "guarantee_fee_rate": self.guarantee_fee_rate.data or Decimal("0"),
            "guarantee_types": list(self.guarantee_types.data or []),
            "region_codes": list(self.region_codes.data or []),
            "response_days": self.response_days.data,
        }

    def rules_data(self) -> dict[str, str | None]:
        return {
            "eligibility": self.eligibility.data or "",
            "instant_approval": self.instant_approval.data or None,
            "formula": self.formula.data or None,
        }


class SampleFirmForm(Form):
    """A made-up firm and need to try a product's rules on before publishing."""

    size_class = SelectField(
        _l("企业规模"), choices=list(SIZE_CLASS_LABELS.items()), default="small"
    )
    region_code = SelectField(_l("所在地市"), default="350100")
    industry_code = SelectField(_l("所属行业"), default="13")
    years_in_business = WholeNumberField(
        _l("经营年限（年）"),
        quantity=YEARS,
        default=3,
        validators=[InputRequired(_l("请填写经营年限"))],
    )
    employees = WholeNumberField(
        _l("从业人员（人）"),
        quantity=EMPLOYEES,
        default=40,
        validators=[InputRequired(_l("请填写从业人员数"))],
    )
    revenue_wan = NumberField(
        _l("上年营业收入（万元）"),
        quantity=AMOUNT_WAN.narrow(high=MAX_WAN),
        default=Decimal("1500"),
        validators=[InputRequired(_l("请填写营业收入"))],
    )
    total_assets_wan = NumberField(
        _l("资产总额（万元）"),
        quantity=AMOUNT_WAN.narrow(high=MAX_WAN),
        default=Decimal("2000"),
        validators=[InputRequired(_l("请填写资产总额"))],
    )
    tax_credit_grade = SelectField(
        _l("纳税信用等级"), choices=list(TAX_GRADE_LABELS.items()), default="A"
    )
    qualifications = MultiCheckboxField(_l("资质认定"), choices=list(QUALIFICATION_LABELS.items()))
    # What the exchange would say of the firm: registry, tax paid and court records (a blank
    # amount counts as 0, so a trial of a rule that does not read them need not fill them).
    registry_status = SelectField(
        _l("登记状态"), choices=list(REGISTRY_STATUS_LABELS.items()), default="active"
    )
    tax_paid_12m_wan = NumberField(
        _l("近12个月纳税额（万元）"),
        quantity=AMOUNT_WAN.narrow(high=MAX_WAN),
        default=Decimal("60"),
        validators=[Optional()],
        description=_l("不填按 0 计"),
    )
    tax_paid_24m_wan = NumberField(
        _l("近24个月纳税额（万元）"),
        quantity=AMOUNT_WAN.narrow(high=MAX_WAN),
        default=Decimal("110"),
        validators=[Optional()],
        description=_l("不填按 0 计"),
    )
    court_records = MultiCheckboxField(_l("司法记录"), choices=list(COURT_RECORD_LABELS.items()))
    enforcement_amount_wan = NumberField(
        _l("未结执行标的（万元）"),
        quantity=AMOUNT_WAN.narrow(high=MAX_WAN),
        default=Decimal("0"),
        validators=[Optional()],
        description=_l("不填按 0 计"),
    )
    amount_wan = NumberField(
        _l("申请金额（万元）"),
        quantity=AMOUNT_WAN,
        default=Decimal("200"),
        validators=[
            InputRequired(_l("请填写申请金额")),
            NumberRange(
                min=Decimal("0.01"), max=MAX_WAN, message=_l("金额应在 0.01 到 %(max)s 万元之间")
            ),
        ],
    )
    term_months = WholeNumberField(
        _l("贷款期限（月）"),
        quantity=MONTHS.narrow(high=360),
        default=12,
        validators=[InputRequired(_l("请填写贷款期限"))],
    )
    guarantee_type = SelectField(
        _l("担保方式"), choices=list(GUARANTEE_LABELS.items()), default="credit"
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.region_code.choices = region_choices()
        self.industry_code.choices = industry_choices()[1:]

"""Forms for a firm's profile. Money is typed in 万元, as firms read their statements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from portal.enums import QUALIFICATION_LABELS, TAX_GRADE_LABELS
from portal.firms import standards
from portal.forms import Form, MultiCheckboxField, NumberField, WholeNumberField
from portal.numbers import AMOUNT_WAN, EMPLOYEES

MAX_WAN = Decimal("100000000")  # 1 万亿元: above any firm on the platform, below column limits


def region_choices() -> list[tuple[str, str]]:
    """Prefecture cities of the province (the province itself is not a firm's seat)."""
    return standards.region_choices(cities_only=True)


def industry_choices() -> list[tuple[str, str]]:
    return [("", _("请选择行业")), *standards.industry_choices()]


def tax_grade_choices() -> list[tuple[str, object]]:
    """The grades after an empty first choice, so that none is chosen for the firm."""
    return [("", _l("请选择纳税信用等级")), *TAX_GRADE_LABELS.items()]


class FirmProfileForm(Form):
    name = StringField(
        _l("企业名称"), validators=[DataRequired(_l("请填写企业名称")), Length(max=120)]
    )
    legal_representative = StringField(_l("法定代表人"), validators=[Length(max=40)])
    region_code = SelectField(_l("所在地市"), validators=[DataRequired(_l("请选择所在地市"))])
    industry_code = SelectField(
        _l("所属行业（国民经济行业分类）"), validators=[DataRequired(_l("请选择所属行业"))]
    )
    employees = WholeNumberField(
        _l("从业人员（人）"),
        quantity=EMPLOYEES,
        validators=[
            InputRequired(_l("请填写从业人员数，整数")),
            NumberRange(min=0, max=10_000_000, message=_l("从业人员数应在 0 到 1000 万之间")),
        ],
    )
    revenue_wan = NumberField(
        _l("上年营业收入（万元）"),
        quantity=AMOUNT_WAN,
        places=2,
        validators=[
            InputRequired(_l("请填写营业收入，单位万元，如 850.5")),
            NumberRange(min=0, max=MAX_WAN, message=_l("营业收入应在 0 到 %(max)s 万元之间")),
        ],
    )
    total_assets_wan = NumberField(
        _l("资产总额（万元）"),
        quantity=AMOUNT_WAN,
        places=2,
        validators=[
            InputRequired(_l("请填写资产总额，单位万元")),
            NumberRange(min=0, max=MAX_WAN, message=_l("资产总额应在 0 到 %(max)s 万元之间")),
        ],
    )
    established_on = DateField(
        _l("成立日期"), validators=[InputRequired(_l("请填写成立日期，格式 2020-01-31"))]
    )
    # No grade is preselected: a firm states its own (or the tax bureau's verifies it).
    tax_credit_grade = SelectField(
        _l("纳税信用等级"),
        choices=tax_grade_choices(),
        validators=[DataRequired(_l("请选择纳税信用等级"))],
    )
    qualifications = MultiCheckboxField(
        _l("资质认定（可多选）"), choices=list(QUALIFICATION_LABELS.items())
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.region_code.choices = region_choices()
        self.industry_code.choices = industry_choices()

    def validate_established_on(self, field: DateField) -> None:
        if field.data and field.data > dt.date.today():
            raise ValidationError(_("成立日期不能晚于今天"))
        if field.data and field.data.year < 1900:
            raise ValidationError(_("成立日期应在 1900 年之后"))

    def profile_data(self) -> dict[str, object]:
        """The cleaned profile, money converted to yuan; fields taken out of the form (verified
        ones, see portal/datasources/provenance.py) are left out."""
        values = {
            "name": ("name", lambda v: v.strip()),
            "legal_representative": ("legal_representative", lambda v: (v or "").strip() or None),
            "region_code": ("region_code", None),
            "industry_code": ("industry_code", None),
            "employees": ("employees", None),
            "revenue": ("revenue_wan", wan_to_yuan),
            "total_assets": ("total_assets_wan", wan_to_yuan),
            "established_on": ("established_on", None),
            "tax_credit_grade": ("tax_credit_grade", None),
            "qualifications": ("qualifications", lambda v: list(v or [])),
        }
        return {
            name: convert(self[field].data) if convert else self[field].data
            for name, (field, convert) in values.items()
            if field in self
        }


def wan_to_yuan(amount_wan: Decimal) -> Decimal:
    """万元 to yuan, exact to the fen."""
    return (amount_wan * 10000).quantize(Decimal("0.01"))


def yuan_to_wan_field(amount_yuan: Decimal) -> Decimal:
    """Yuan to 万元 for pre-filling a form."""
    return (amount_yuan / 10000).quantize(Decimal("0.01"))

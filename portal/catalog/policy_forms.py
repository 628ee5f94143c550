"""Forms for government policy products written in the web UI."""

from __future__ import annotations

import re
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

from portal.catalog.forms import validate_formula_text, validate_rule_text
from portal.enums import BENEFIT_KIND_LABELS, POLICY_KIND_LABELS, PRODUCT_KIND_LABELS
from portal.firms.forms import MAX_WAN, MultiCheckboxField, wan_to_yuan
from portal.forms import Form, NumberField
from portal.numbers import AMOUNT_WAN

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class PolicyForm(Form):
    slug = StringField(
        _l("政策编号"),
        validators=[DataRequired(_l("请填写政策编号")), Length(max=80)],
        description=_l("小写字母、数字和连字符，如 green-loan-subsidy-2026；发布后不再修改。"),
    )
    title = StringField(
        _l("政策名称"), validators=[DataRequired(_l("请填写政策名称")), Length(max=160)]
    )
    kind = SelectField(_l("政策类型"), choices=list(POLICY_KIND_LABELS.items()))
    summary = TextAreaField(_l("政策说明"), validators=[Length(max=4000)])
    source_document = StringField(
        _l("政策依据（文号）"),
        validators=[DataRequired(_l("请填写政策文件文号，如 闽财金〔2024〕15号")), Length(max=160)],
    )
    source_date = DateField(_l("发文日期"), validators=[InputRequired(_l("请填写发文日期"))])
    valid_from = DateField(_l("生效日期"), validators=[InputRequired(_l("请填写生效日期"))])
    valid_to = DateField(_l("截止日期（可选）"), validators=[Optional()])
    budget_wan = NumberField(
        _l("资金规模（万元，可选）"),
        quantity=AMOUNT_WAN,
        places=2,
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_WAN, message=_l("资金规模应在 0 到 %(max)s 万元之间")),
        ],
    )
    benefit_kind = SelectField(_l("支持方式"), choices=list(BENEFIT_KIND_LABELS.items()))
    benefit_formula = TextAreaField(
        _l("支持力度公式"),
        validators=[
            DataRequired(_l("请填写支持力度公式")),
            Length(max=2000),
            validate_formula_text,
        ],
        description=_l(
            "贴息填减免的百分点，如 lpr_one_year * 0.5；担保费补贴填比例，如 0.5；奖励填元。"
        ),
    )
    benefit_cap_wan = NumberField(
        _l("单户上限（万元，可选）"),
        quantity=AMOUNT_WAN,
        places=2,
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_WAN, message=_l("上限应在 0 到 %(max)s 万元之间")),
        ],
    )
    eligibility = TextAreaField(
        _l("支持对象（准入规则）"),
        validators=[Length(max=2000), validate_rule_text],
        description=_l('例如：size_class in ["small", "micro"] and "green" in qualifications'),
    )
    applies_to_kinds = MultiCheckboxField(
        _l("适用的贷款产品类型（不选即全部）"), choices=list(PRODUCT_KIND_LABELS.items())
    )

    def validate_slug(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        if not SLUG.match(field.data):
            raise ValidationError(_("政策编号只能包含小写字母、数字和连字符，如 green-loan-2026"))

    def validate_valid_to(self, field: DateField) -> None:
        if field.data and self.valid_from.data and field.data < self.valid_from.data:
            raise ValidationError(_("截止日期不能早于生效日期"))

    def policy_data(self) -> dict[str, object]:
        """Policy fields, money in yuan."""
        return {
            "slug": self.slug.data,
            "title": self.title.data.strip(),
            "kind": self.kind.data,
            "summary": (self.summary.data or "").strip(),
            "source_document": self.source_document.data.strip(),
            "source_date": self.source_date.data,
            "valid_from": self.valid_from.data,
            "valid_to": self.valid_to.data,
            "budget": _yuan_or_none(self.budget_wan.data),
            "benefit_kind": self.benefit_kind.data,
            "benefit_cap": _yuan_or_none(self.benefit_cap_wan.data),
            "applies_to_kinds": list(self.applies_to_kinds.data or []),
        }

    def rules_data(self) -> dict[str, str | None]:
        return {"eligibility": self.eligibility.data or "", "formula": self.benefit_formula.data}


def _yuan_or_none(amount_wan: Decimal | None) -> Decimal | None:
    return None if amount_wan is None else wan_to_yuan(amount_wan)

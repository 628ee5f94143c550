"""Forms for government policy products written in the web UI."""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

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

from portal.catalog import benefit_checks
from portal.catalog.forms import validate_formula_text, validate_rule_text
from portal.enums import (
    BENEFIT_KIND_LABELS,
    POLICY_KIND_LABELS,
    PRODUCT_KIND_LABELS,
    BenefitKind,
    PolicyKind,
)
from portal.firms.forms import MAX_WAN, MultiCheckboxField, wan_to_yuan
from portal.forms import ChoiceField, Form, NumberField, WholeNumberField
from portal.numbers import AMOUNT_WAN, DAYS

_E = TypeVar("_E", bound=StrEnum)

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
    day_count = ChoiceField(
        _l("贴息计息天数（每年）"),
        choices=[(360, "360"), (365, "365")],
        coerce=int,
        default=360,
        description=_l("贴息按 余额 × 百分点 ÷ 100 ÷ 计息天数 逐日计算；一般为 360 天。"),
    )
    pays_non_performing = BooleanField(
        _l("贷款被列为次级及以下的月份仍然贴息（仅贴息政策）"),
        description=_l("不勾选时，贷款被列为次级、可疑或损失的月份不贴息。"),
    )
    claim_overdue_days = WholeNumberField(
        _l("逾期多少天可申请风险补偿（天，可选）"),
        quantity=DAYS.narrow(*benefit_checks.CLAIM_OVERDUE_DAYS),
        validators=[Optional()],
        description=_l(
            "仅风险补偿政策：贷款列为损失，或逾期达到该天数，银行即可申请补偿；留空则只看损失类。"
        ),
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

    def validate(self, extra_validators: object = None) -> bool:
        """The fields one by one, then the benefit against the range its kind allows."""
        valid = super().validate(extra_validators)
        fields = {
            benefit_checks.FORMULA: self.benefit_formula,
            benefit_checks.CAP: self.benefit_cap_wan,
            benefit_checks.DAY_COUNT: self.day_count,
            benefit_checks.PAYS_NON_PERFORMING: self.pays_non_performing,
            benefit_checks.CLAIM_OVERDUE: self.claim_overdue_days,
        }
        for problem in benefit_checks.benefit_problems(self.benefit_settings()):
            fields[problem.field].errors.append(problem.message)
            valid = False
        return valid

    def benefit_settings(self) -> benefit_checks.BenefitSettings:
        """What the benefit check needs; fields that did not read are left out."""
        return benefit_checks.BenefitSettings(
            kind=_member(PolicyKind, self.kind),
            benefit_kind=_member(BenefitKind, self.benefit_kind),
            formula=None if self.benefit_formula.errors else self.benefit_formula.data,
            cap=_read_yuan(self.benefit_cap_wan),
            budget=_read_yuan(self.budget_wan),
            day_count=None if self.day_count.errors else self.day_count.data,
            pays_non_performing=bool(self.pays_non_performing.data),
            claim_overdue_days=(
                None if self.claim_overdue_days.errors else self.claim_overdue_days.data
            ),
        )

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
            "day_count": self.day_count.data,
            "pays_non_performing": bool(self.pays_non_performing.data),
            "claim_overdue_days": self.claim_overdue_days.data,
        }

    def rules_data(self) -> dict[str, str | None]:
        return {"eligibility": self.eligibility.data or "", "formula": self.benefit_formula.data}


def _yuan_or_none(amount_wan: Decimal | None) -> Decimal | None:
    return None if amount_wan is None else wan_to_yuan(amount_wan)


def _read_yuan(field: NumberField) -> Decimal | None:
    """A 万元 field's value in yuan, or None when it is empty or did not read."""
    return None if field.errors else _yuan_or_none(field.data)


def _member(enum_cls: type[_E], field: SelectField) -> _E | None:
    """The chosen enumeration member, or None when the choice is not one of them."""
    try:
        return enum_cls(field.data)
    except ValueError:
        return None

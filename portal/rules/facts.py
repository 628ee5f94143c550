"""The facts a rule may name: one registry of names, types, units and Chinese labels."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from portal.enums import TaxCreditGrade
from portal.firms.standards import FUJIAN_REGIONS, INDUSTRY_DIVISIONS, industry_label
from portal.rules.i18n import N_, render


class FactType(StrEnum):
    """What kind of value a fact holds, which decides the operators it accepts."""

    MONEY = "money"  # Decimal yuan
    NUMBER = "number"  # Decimal
    INTEGER = "integer"  # int
    RATE = "rate"  # Decimal percent per year
    ENUM = "enum"  # one string from a fixed set
    ENUM_LIST = "enum_list"  # several strings from a fixed set
    TEXT = "text"  # free string


NUMERIC_TYPES = frozenset({FactType.MONEY, FactType.NUMBER, FactType.INTEGER, FactType.RATE})

FACT_TYPE_LABELS = {
    FactType.MONEY: N_("金额"),
    FactType.NUMBER: N_("数值"),
    FactType.INTEGER: N_("整数"),
    FactType.RATE: N_("利率"),
    FactType.ENUM: N_("选项"),
    FactType.ENUM_LIST: N_("多选项"),
    FactType.TEXT: N_("文字"),
}


class FactSource(StrEnum):
    """Where a fact comes from; hints only suggest changing the firm's own need."""

    FIRM = "firm"
    NEED = "need"
    PRICING = "pricing"


# Returns a Chinese message when a literal cannot be a value of the fact, else None.
Validator = Callable[[str], "str | None"]


# The units facts are measured in, as people read them.
UNIT_LABELS = {"元": N_("元"), "年": N_("年"), "月": N_("个月"), "人": N_("人"), "%": "%"}


@dataclass(frozen=True)
class Fact:
    """One named fact: its type, unit and Chinese label, and its allowed values if fixed."""

    name: str
    type: FactType
    label: str  # Chinese source text; display_label gives it in the current language
    source: FactSource
    unit: str = ""
    values: Mapping[str, str] | None = None  # allowed value -> Chinese label, in order
    validator: Validator | None = field(default=None, compare=False)
    # Names free-text codes people cannot read alone (13 → 13 农副食品加工业).
    labeller: Callable[[str], str] | None = field(default=None, compare=False)

    @property
    def is_numeric(self) -> bool:
        """Whether the fact takes part in arithmetic and ordering comparisons."""
        return self.type in NUMERIC_TYPES

    @property
    def display_label(self) -> str:
        """The fact's label in the current language."""
        return render(self.label)

    @property
    def unit_label(self) -> str:
        """The fact's unit in the current language (元 → yuan), or "" without one."""
        return render(UNIT_LABELS[self.unit]) if self.unit in UNIT_LABELS else self.unit

    @property
    def type_label(self) -> str:
        """The name of the fact's type (金额, 选项 …), as used in error messages."""
        return render(FACT_TYPE_LABELS[self.type])

    def value_label(self, value: str) -> str:
        """The label of an enumeration value (or a named code) in the current language, else the
        value itself."""
        if self.labeller is not None:
            try:
                return self.labeller(value)
            except (KeyError, ValueError):
                return value
        if self.values is None or value not in self.values:
            return value
        return render(self.values[value])

    def check_literal(self, value: str) -> str | None:
        """A Chinese message if the literal cannot be a value of this fact, else None."""
        if self.values is not None and value not in self.values:
            return _invalid_value_message(self, value)
        if self.validator is not None:
            return self.validator(value)
        return None


def _invalid_value_message(fact: Fact, value: str) -> str:
    """Explain that an enumeration has no such value, pointing at a code if a label was used."""
    for code, label in (fact.values or {}).items():
        if value in (label, fact.value_label(code)):
            return render(
                N_("“%(label)s”没有取值“%(value)s”：请写代码“%(code)s”（%(value)s）"),
                label=fact.display_label,
                value=value,
                code=code,
            )
    return render(
        N_("“%(label)s”没有取值“%(value)s”，可选：%(choices)s"),
        label=fact.display_label,
        value=value,
        choices=choice_list(fact),
    )


def choice_list(fact: Fact) -> str:
    """The allowed values of an enumeration, with their labels where those differ."""
    return "、".join(
        code if label == code else f"{code}（{fact.value_label(code)}）"
        for code, label in (fact.values or {}).items()
    )


def _industry_code_problem(value: str) -> str | None:
    """A message if the text is not a GB/T 4754-2017 code of 2 to 4 digits, else None."""
    if not (2 <= len(value) <= 4 and value.isascii() and value.isdigit()):
        return render(
            N_("“行业代码”应为 2 至 4 位数字（GB/T 4754-2017），“%(value)s”不符合"), value=value
        )
    if value[:2] not in INDUSTRY_DIVISIONS:
        return render(N_("行业代码“%(value)s”不属于 GB/T 4754-2017 的大类 01–97"), value=value)
    return None


def _industry_division_problem(value: str) -> str | None:
    """A message if the text is not a two-digit GB/T 4754-2017 division, else None."""
    if len(value) != 2 or value not in INDUSTRY_DIVISIONS:
        return render(
            N_("“行业大类”应为 GB/T 4754-2017 的两位大类代码 01–97，“%(value)s”不符合"), value=value
        )
    return None


# The same Chinese texts as portal.enums (a test keeps them equal), kept as plain message ids
# so that batch jobs without an app context can show them without going through Babel.
_SIZE_VALUES = {
    "large": N_("大型"),
    "medium": N_("中型"),
    "small": N_("小型"),
    "micro": N_("微型"),
}
_QUALIFICATION_VALUES = {
    "high_tech": N_("高新技术企业"),
    "specialised": N_("专精特新"),
    "tech_sme": N_("科技型中小企业"),
    "agricultural": N_("涉农"),
    "green": N_("绿色"),
}
_REGISTRY_STATUS_VALUES = {
    "active": N_("存续（在营）"),
    "cancelled": N_("注销"),
    "revoked": N_("吊销"),
}
_COURT_RECORD_VALUES = {
    "dishonest": N_("失信被执行人"),
    "enforcement": N_("有未结执行案件"),
}
_GUARANTEE_VALUES = {
    "credit": N_("信用"),
    "mortgage": N_("抵押"),
    "pledge": N_("质押"),
    "guarantor": N_("保证"),
    "guarantee_agency": N_("融资担保公司担保"),
}

_FIRM, _NEED, _PRICING = FactSource.FIRM, FactSource.NEED, FactSource.PRICING

_FACT_LIST = (
    Fact(
        "region_code",
        FactType.ENUM,
        N_("所在地区"),
        _FIRM,
        values=MappingProxyType(dict(FUJIAN_REGIONS)),
    ),
    Fact(
        "industry_code",
        FactType.TEXT,
        N_("行业代码"),
        _FIRM,
        validator=_industry_code_problem,
        labeller=industry_label,
    ),
    Fact(
        "industry_division",
        FactType.TEXT,
        N_("行业大类"),
        _FIRM,
        validator=_industry_division_problem,
        labeller=industry_label,
    ),
    Fact(
        "size_class",
        FactType.ENUM,
        N_("企业规模"),
        _FIRM,
        values=MappingProxyType(_SIZE_VALUES),
    ),
    Fact("years_in_business", FactType.INTEGER, N_("经营年限"), _FIRM, unit="年"),
    Fact("employees", FactType.INTEGER, N_("从业人员"), _FIRM, unit="人"),
    Fact("revenue", FactType.MONEY, N_("上年营业收入"), _FIRM, unit="元"),
    Fact("total_assets", FactType.MONEY, N_("资产总额"), _FIRM, unit="元"),
    Fact(
        "tax_credit_grade",
        FactType.ENUM,
        N_("纳税信用等级"),
        _FIRM,
        values=MappingProxyType({grade.value: grade.value for grade in TaxCreditGrade}),
    ),
    Fact(
        "qualifications",
        FactType.ENUM_LIST,
        N_("资质认定"),
        _FIRM,
        values=MappingProxyType(_QUALIFICATION_VALUES),
    ),
    # Only the data exchange knows these (registry, tax bureau, courts); the firm never declares
    # them. Until verified they are 存续, no records and 0, and a 秒批 rule reading them defers.
    Fact(
        "registry_status",
        FactType.ENUM,
        N_("登记状态"),
        _FIRM,
        values=MappingProxyType(_REGISTRY_STATUS_VALUES),
    ),
    Fact("tax_paid_12m", FactType.MONEY, N_("近12个月纳税额"), _FIRM, unit="元"),
    Fact("tax_paid_24m", FactType.MONEY, N_("近24个月纳税额"), _FIRM, unit="元"),
    Fact(
        "court_records",
        FactType.ENUM_LIST,
        N_("司法记录"),
        _FIRM,
        values=MappingProxyType(_COURT_RECORD_VALUES),
    ),
    Fact("enforcement_amount", FactType.MONEY, N_("未结执行标的"), _FIRM, unit="元"),
    Fact("amount", FactType.MONEY, N_("申请金额"), _NEED, unit="元"),
    Fact("term_months", FactType.INTEGER, N_("贷款期限"), _NEED, unit="月"),
    Fact(
        "guarantee_type",
        FactType.ENUM,
        N_("担保方式"),
        _NEED,
        values=MappingProxyType(_GUARANTEE_VALUES),
    ),
    Fact("purpose", FactType.TEXT, N_("资金用途"), _NEED),
    Fact("rate", FactType.RATE, N_("贷款年利率"), _PRICING, unit="%"),
    Fact("lpr_one_year", FactType.RATE, N_("1年期LPR"), _PRICING, unit="%"),
    Fact("guarantee_fee_rate", FactType.RATE, N_("担保费率"), _PRICING, unit="%"),
)

FACTS: Mapping[str, Fact] = MappingProxyType({fact.name: fact for fact in _FACT_LIST})

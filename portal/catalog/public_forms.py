"""Filter forms of the public catalogue: GET forms, every field optional.

A field that does not parse (an amount of "abc") shows its error and its filter is left out,
so a bad link never breaks the list.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import Length, NumberRange, Optional

from portal.catalog.queries import PolicyFilters, ProductFilters, ProductSort
from portal.enums import GUARANTEE_LABELS, POLICY_KIND_LABELS, PRODUCT_KIND_LABELS
from portal.firms import standards
from portal.forms import ChoiceField, Form, NumberField, WholeNumberField, filter_value
from portal.institutions.models import FinancialInstitution, GovernmentAgency
from portal.numbers import AMOUNT_WAN, MONTHS, RATE_PERCENT

TEN_THOUSAND = Decimal(10000)
MAX_WAN = Decimal("10000000")  # 1,000 亿元: above any loan, below the column's limit


class ProductFilterForm(Form):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(
        _l("关键词"),
        description=_l("产品名称、简介或银行名称"),
        validators=[Optional(), Length(max=50, message=_l("关键词不超过 50 个字"))],
    )
    kind = ChoiceField(
        _l("产品类型"),
        choices=[("", _l("全部类型"))] + list(PRODUCT_KIND_LABELS.items()),
        validators=[Optional()],
    )
    bank = ChoiceField(_l("银行"), choices=[("", _l("全部银行"))], validators=[Optional()])
    region = ChoiceField(
        _l("服务地区"),
        choices=[("", _l("全省各地"))]
        # Lazy, so each visitor reads the city names in their own language.
        + [
            (code, _l(name)) for code, name in standards.FUJIAN_REGIONS if not code.endswith("0000")
        ],
        validators=[Optional()],
    )
    amount = NumberField(
        _l("贷款金额（万元）"),
        quantity=AMOUNT_WAN,
        parse_message=_l("金额请填写数字，单位万元，如 100"),
        validators=[
            Optional(),
            NumberRange(
                min=Decimal("0.01"), max=MAX_WAN, message=_l("金额应在 0.01 到 %(max)s 万元之间")
            ),
        ],
    )
    term = WholeNumberField(
        _l("贷款期限（月）"),
        quantity=MONTHS,
        parse_message=_l("期限请填写整月数，如 12"),
        validators=[
            Optional(),
            NumberRange(min=1, max=600, message=_l("期限应在 1 到 600 个月之间")),
        ],
    )
    guarantee = ChoiceField(
        _l("担保方式"),
        choices=[("", _l("不限"))] + list(GUARANTEE_LABELS.items()),
        validators=[Optional()],
    )
    max_rate = NumberField(
        _l("最高可接受年利率（%）"),
        quantity=RATE_PERCENT,
        parse_message=_l("利率请填写数字，如 4.5"),
        validators=[
            Optional(),
            NumberRange(min=0, max=100, message=_l("利率应在 0%% 到 100%% 之间")),
        ],
    )
    policy_backed = BooleanField(_l("只看有政策支持的产品"))
    sort = ChoiceField(
        _l("排序"),
        choices=[
            (ProductSort.NEWEST, _l("默认（最新发布）")),
            (ProductSort.RATE, _l("利率从低到高")),
            (ProductSort.AMOUNT, _l("额度从高到低")),
        ],
        default=ProductSort.NEWEST,
        validators=[Optional()],
    )

    def set_banks(self, banks: list[FinancialInstitution]) -> None:
        """Offer the approved banks as choices."""
        self.bank.choices = [("", _l("全部银行"))] + [(str(bank.id), bank.name) for bank in banks]

    def filters(self) -> ProductFilters:
        """The filters that validated; amounts moved from 万元 to yuan."""
        amount = filter_value(self.amount)
        bank = filter_value(self.bank)
        return ProductFilters(
            q=(filter_value(self.q) or "").strip() or None,
            kind=filter_value(self.kind),
            institution_id=int(bank) if bank else None,
            region_code=filter_value(self.region),
            amount=amount * TEN_THOUSAND if amount is not None else None,
            term_months=filter_value(self.term),
            guarantee_type=filter_value(self.guarantee),
            max_rate=filter_value(self.max_rate),
            policy_backed=bool(self.policy_backed.data),
            sort=filter_value(self.sort) or ProductSort.NEWEST,
        )


class PolicyFilterForm(Form):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(
        _l("关键词"),
        description=_l("政策名称、简介、文号或发布部门"),
        validators=[Optional(), Length(max=50, message=_l("关键词不超过 50 个字"))],
    )
    kind = ChoiceField(
        _l("政策类型"),
        choices=[("", _l("全部类型"))] + list(POLICY_KIND_LABELS.items()),
        validators=[Optional()],
    )
    agency = ChoiceField(_l("发布部门"), choices=[("", _l("全部部门"))], validators=[Optional()])
    # Unchecked by default, so "only policies in force" is what a first visit shows.
    include_inactive = BooleanField(_l("包括已到期和尚未开始的政策"))

    def set_agencies(self, agencies: list[GovernmentAgency]) -> None:
        """Offer the agencies that have published policies as choices."""
        self.agency.choices = [("", _l("全部部门"))] + [(str(a.id), a.name) for a in agencies]

    def filters(self) -> PolicyFilters:
        """The filters that validated."""
        agency = filter_value(self.agency)
        return PolicyFilters(
            q=(filter_value(self.q) or "").strip() or None,
            kind=filter_value(self.kind),
            agency_id=int(agency) if agency else None,
            current_only=not self.include_inactive.data,
        )

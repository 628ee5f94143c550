"""The dashboard's filter form: a GET form whose every field is optional.

A value that does not parse or is out of range shows its message and the default is used in
its place, so a hand-edited link never breaks the page.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields import MonthField
from wtforms.validators import NumberRange, Optional, ValidationError

from portal.dashboard.services import (
    MAX_MONTHS,
    FilterOptions,
    industry_options,
)
from portal.dates import months_between
from portal.enums import SIZE_CLASS_LABELS
from portal.figures.live import Filters
from portal.forms import ChoiceField, Form, NumberField, filter_value
from portal.numbers import SHARE_PERCENT

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 1)
HUNDRED = Decimal(100)


class MonthInputField(MonthField):
    """A YYYY-MM input (a month picker where the browser has one); empty means the default."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            super().process_formdata([str(valuelist[0]).strip()])
        except ValueError as exc:
            self.data = None
            raise ValueError(_("月份格式应为 2026-01")) from exc

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and not EARLIEST <= self.data <= LATEST:
            raise ValidationError(_("月份应在 2000-01 至 2100-12 之间"))


class DashboardFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    start = MonthInputField(_l("起始月份"), validators=[Optional()])
    end = MonthInputField(_l("截止月份"), validators=[Optional()])
    region = ChoiceField(_l("地区"), choices=[], validators=[Optional()])
    industry = ChoiceField(_l("行业"), choices=[], validators=[Optional()])
    size = ChoiceField(
        _l("企业规模"),
        choices=[("", _l("全部规模"))] + list(SIZE_CLASS_LABELS.items()),
        validators=[Optional()],
    )
    bank = ChoiceField(_l("银行"), choices=[], validators=[Optional()])
    product = ChoiceField(_l("产品"), choices=[], validators=[Optional()])
    npl_threshold = NumberField(
        _l("不良率预警阈值（%）"),
        quantity=SHARE_PERCENT,
        parse_message=_l("阈值请填写数字，如 3"),
        validators=[
            Optional(),
            NumberRange(
                min=Decimal("0.01"), max=Decimal("99.99"), message=_l("阈值应在 0.01 到 99.99 之间")
            ),
        ],
    )

    def __init__(
        self,
        formdata: Any,
        options: FilterOptions,
        default_range: tuple[dt.date, dt.date],
        default_threshold: Decimal,
    ) -> None:
        super().__init__(formdata=formdata)
        self.default_range = default_range
        self.default_threshold = default_threshold
        self._set_choices(options)

    def _set_choices(self, options: FilterOptions) -> None:
        if options.locked_region:
            self.region.choices = options.regions
        else:
            self.region.choices = [("", _l("全省"))] + options.regions
        self.industry.choices = [("", _l("全部行业"))] + industry_options()
        self.product.choices = [("", _l("全部产品"))] + [
            (str(pid), name) for pid, name in options.products
        ]
        if options.banks is None:
            del self.bank  # a bank sees itself only: there is nothing to choose
        else:
            self.bank.choices = [("", _l("全部银行"))] + [
                (str(bid), name) for bid, name in options.banks
            ]
        self.locked_region = options.locked_region

    def validate_end(self, field: MonthInputField) -> None:
        start, end = self.start.data, field.data
        if self.start.errors or start is None or end is None:
            return
        if end < start:
            raise ValidationError(_("截止月份不能早于起始月份"))
        if months_between(start, end) > MAX_MONTHS:
            raise ValidationError(_("月份范围最长 %(n)s 个月", n=MAX_MONTHS))

    def months(self) -> tuple[dt.date, dt.date]:
        """The month range: the one typed when both ends are valid, else the default."""
        if self.start.errors or self.end.errors:
            return self.default_range
        start = self.start.data or self.default_range[0]
        end = self.end.data or self.default_range[1]
        if end < start or months_between(start, end) > MAX_MONTHS:
            return self.default_range
        return start, end

    def requested(self) -> Filters:
        """The filters the form asks for (before the viewer's scope is applied)."""
        self.validate()
        start, end = self.months()
        bank = filter_value(self.bank) if "bank" in self else None
        product = filter_value(self.product)
        return Filters(
            start=start,
            end=end,
            region_code=filter_value(self.region) or self.locked_region,
            industry_division=filter_value(self.industry),
            size_class=filter_value(self.size),
            institution_id=int(bank) if bank else None,
            product_id=int(product) if product else None,
        )

    def threshold(self) -> Decimal:
        """The NPL alert threshold as a fraction (the form takes percent)."""
        value = filter_value(self.npl_threshold)
        return value / HUNDRED if value is not None else self.default_threshold

    def show_effective(self, filters: Filters, threshold: Decimal) -> None:
        """Fill the inputs that were left empty with the values used, so the page says them."""
        if self.start.data is None or self.start.errors or self.end.errors:
            self.start.data = filters.start
            self.start.raw_data = None
        if self.end.data is None or self.start.errors or self.end.errors:
            self.end.data = filters.end
            self.end.raw_data = None
        if self.npl_threshold.data is None or self.npl_threshold.errors:
            self.npl_threshold.data = (threshold * HUNDRED).normalize()
            self.npl_threshold.raw_data = None
        if self.locked_region:
            self.region.data = self.locked_region

    def query_args(self, filters: Filters, threshold: Decimal) -> dict[str, str]:
        """The filters used, as URL arguments (for the export links)."""
        args = {
            "start": f"{filters.start:%Y-%m}",
            "end": f"{filters.end:%Y-%m}",
            "region": filters.region_code or "",
            "industry": filters.industry_division or "",
            "size": filters.size_class or "",
            "product": str(filters.product_id or ""),
            "npl_threshold": format((threshold * HUNDRED).normalize(), "f"),
        }
        if "bank" in self:
            args["bank"] = str(filters.institution_id or "")
        return {key: value for key, value in args.items() if value}

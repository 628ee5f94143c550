"""Forms of monthly loan reporting: the month picker, the file upload and the one-loan report.

Balances are typed in yuan (元), as in the upload file, because a bank's ledger is kept to the fen.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError

from portal.confirmation import confirm_field
from portal.enums import FIVE_TIER_LABELS, FiveTierClass
from portal.forms import Form, NumberField, WholeNumberField
from portal.numbers import DAYS, MONEY_YUAN
from portal.reporting.loan_files import (
    MAX_BYTES,
    MAX_DAYS_OVERDUE,
    MAX_ROWS,
    MONEY_CEILING,
    parse_month,
)
from portal.reporting.services import (
    SHOW_ALERTS,
    SHOW_ALL,
    SHOW_MISSING,
    last_month,
    latest_reportable,
)

# The largest balance NUMERIC(16, 2) holds.
MONEY_LIMIT = MONEY_CEILING - Decimal("0.01")
MONTH_INPUT = {"type": "month", "placeholder": "2026-10", "inputmode": "numeric"}


def _valid_month(form: Any, field: Any) -> None:
    if not field.data:
        return
    month = parse_month(field.data)
    if month is None:
        raise ValidationError(_("月份格式应为 YYYY-MM，如 2026-10"))
    if month > latest_reportable():
        raise ValidationError(_("不能选择未来的月份"))


class MonthField(StringField):
    """A month as YYYY-MM; browsers with a month picker show one."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", dict(MONTH_INPUT))
        super().__init__(label, validators=[*(validators or []), _valid_month], **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            self.data = str(valuelist[0]).strip()

    @property
    def period(self) -> dt.date | None:
        """The chosen month's first day, or None if it is missing or malformed."""
        return parse_month(self.data) if self.data else None


def default_month() -> str:
    return f"{last_month():%Y-%m}"


class MonthFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    # Own ids: the index page shows this form and the upload form, each with a "month" field.
    month = MonthField(
        _l("报告月份"), id="filter-month", default=default_month, validators=[Optional()]
    )
    show = SelectField(
        _l("显示"),
        id="filter-show",
        choices=[
            (SHOW_ALL, _l("全部应报贷款")),
            (SHOW_MISSING, _l("仅未报送")),
            (SHOW_ALERTS, _l("仅五级分类预警")),
        ],
        default=SHOW_ALL,
        validators=[Optional()],
    )

    def chosen(self) -> tuple[dt.date, str]:
        """The month and view to show; anything invalid falls back to last month, all loans."""
        valid = self.validate()
        period = (self.month.period if valid else None) or last_month()
        show = self.show.data if valid and self.show.data else SHOW_ALL
        return period, show


class UploadForm(Form):
    month = MonthField(
        _l("报告月份"),
        default=default_month,
        validators=[DataRequired(_l("请选择报告月份，格式 YYYY-MM"))],
    )
    file = FileField(
        _l("月报文件（CSV 或 XLSX）"),
        description=_l(
            "不超过 %(mb)s MB、%(rows)s 行。上传后请稍候，大文件需要数秒。",
            mb=MAX_BYTES // 1024 // 1024,
            rows=MAX_ROWS,
        ),
        validators=[FileRequired(_l("请选择要上传的文件"))],
        render_kw={
            "accept": ".csv,.xlsx,text/csv,"
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        },
    )
    confirmed = confirm_field(_l("我确认用此文件替换本行该月的全部报送"))


def _two_places(form: Any, field: Any) -> None:
    # The exponent, not quantize(): quantize fails on numbers wider than the decimal context.
    exponent = field.data.normalize().as_tuple().exponent if field.data is not None else 0
    if isinstance(exponent, int) and exponent < -2:
        raise ValidationError(_("金额最多保留两位小数（到分）"))


class LoanReportForm(Form):
    month = MonthField(
        _l("报告月份"),
        default=default_month,
        validators=[DataRequired(_l("请填写报告月份，格式 YYYY-MM"))],
    )
    balance = NumberField(
        _l("贷款余额（元）"),
        quantity=MONEY_YUAN,
        description=_l("月末本金余额，以元为单位，已结清的填 0"),
        parse_message=_l("请输入金额数字（元），如 1234567.89"),
        validators=[
            InputRequired(_l("请填写贷款余额，已结清的填 0")),
            NumberRange(min=0, message=_l("贷款余额不能为负数")),
            NumberRange(
                max=MONEY_LIMIT, message=_l("贷款余额不能超过 %(max)s 元，请核对单位（元）")
            ),
            _two_places,
        ],
    )
    days_overdue = WholeNumberField(
        _l("逾期天数"),
        quantity=DAYS,
        description=_l("未逾期填 0"),
        parse_message=_l("逾期天数应为整数"),
        validators=[
            InputRequired(_l("请填写逾期天数，未逾期填 0")),
            NumberRange(min=0, max=MAX_DAYS_OVERDUE, message=_l("逾期天数应在 0 到 99999 之间")),
        ],
    )
    five_tier_class = SelectField(
        _l("五级分类"),
        description=_l("逾期超过 90 天至少为次级，超过 270 天至少为可疑，超过 360 天为损失"),
        choices=[("", _l("请选择"))] + [(t.value, label) for t, label in FIVE_TIER_LABELS.items()],
        validators=[DataRequired(_l("请选择五级分类"))],
    )

    def tier(self) -> FiveTierClass:
        return FiveTierClass(self.five_tier_class.data)

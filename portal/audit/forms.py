"""The audit search form: a GET form, every filter optional."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from portal.audit.labels import ACTION_LABELS, OBJECT_LABELS
from portal.audit.queries import AuditFilters
from portal.forms import Form, WholeNumberField
from portal.numbers import RECORD_ID

# The searchable days. The log starts after 2000; the bounds keep a hand-typed 0001-01-01 or
# 9999-12-31 from reaching the time-zone arithmetic, which has no day before or after them.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)


class SearchDateField(DateField):
    """A YYYY-MM-DD day between EARLIEST and LATEST; what does not parse gets a Chinese message."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(_("日期格式应为 2026-01-31")) from exc

    def pre_validate(self, form: Any) -> None:
        if self.data is not None and not EARLIEST <= self.data <= LATEST:
            raise ValidationError(
                _("日期应在 %(first)s 至 %(last)s 之间", first=EARLIEST, last=LATEST)
            )


class AuditFilterForm(Form):
    class Meta:
        csrf = False  # a search changes nothing

    actor = StringField(
        _l("操作人邮箱"),
        description=_l("邮箱的全部或一部分"),
        validators=[Optional(), Length(max=254)],
    )
    action = SelectField(_l("操作"), validators=[Optional()])
    object_type = SelectField(_l("对象类型"), validators=[Optional()])
    object_id = WholeNumberField(
        _l("对象编号"),
        quantity=RECORD_ID,
        validators=[Optional(), NumberRange(min=1, message=_l("对象编号应为正整数"))],
    )
    firm = StringField(
        _l("企业"),
        description=_l("统一社会信用代码，或企业名称的一部分"),
        validators=[Optional(), Length(max=120)],
    )
    address = StringField(
        _l("来源地址"),
        description=_l("IP 地址或其开头，如 10.0.3."),
        validators=[Optional(), Length(max=64)],
    )
    date_from = SearchDateField(_l("起始日期（北京时间）"), validators=[Optional()])
    date_to = SearchDateField(_l("截止日期（北京时间）"), validators=[Optional()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action.choices = [("", _l("全部操作"))] + [
            (code, f"{label}（{code}）") for code, label in ACTION_LABELS.items()
        ]
        self.object_type.choices = [("", _l("全部类型"))] + list(OBJECT_LABELS.items())

    def validate_date_to(self, field: DateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("截止日期不能早于起始日期"))

    def filters(self) -> AuditFilters:
        """The filled-in filters, trimmed; empty ones are None."""
        return AuditFilters(
            actor=_text(self.actor.data),
            action=self.action.data or None,
            object_type=self.object_type.data or None,
            object_id=self.object_id.data,
            firm=_text(self.firm.data),
            address=_text(self.address.data),
            date_from=self.date_from.data,
            date_to=self.date_to.data,
        )


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None

"""The audit search form: a GET form, every filter optional."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from portal.audit.labels import ACTION_LABELS, OBJECT_LABELS
from portal.audit.queries import AuditFilters
from portal.forms import Form


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
    object_id = IntegerField(
        _l("对象编号"),
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
    date_from = DateField(_l("起始日期（北京时间）"), validators=[Optional()])
    date_to = DateField(_l("截止日期（北京时间）"), validators=[Optional()])

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

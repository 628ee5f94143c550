"""The form an institution's admin fills in to have its own system told of events."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from portal.api import webhooks
from portal.api.webhooks import EVENT_LABELS, EventType
from portal.forms import Form, MultiCheckboxField
from portal.words import render


class SubscriptionForm(Form):
    url = StringField(
        _l("接收地址"),
        validators=[DataRequired(_l("请填写接收地址")), Length(max=500)],
        description=_l("本机构系统接收通知的 https:// 地址，平台以 POST 发送 JSON"),
    )
    events = MultiCheckboxField(_l("事件"), validators=[DataRequired(_l("请至少选择一种事件"))])

    def __init__(self, *args: object, offered: tuple[EventType, ...], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.events.choices = [(str(t), render(EVENT_LABELS[t])) for t in offered]

    def validate_url(self, field: StringField) -> None:
        problem = webhooks.url_problem(field.data or "")
        if problem is not None:
            raise ValidationError(problem)

    def chosen_events(self) -> list[EventType]:
        return [EventType(value) for value in self.events.data or []]

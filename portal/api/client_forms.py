"""The form a bank's admin fills in to give one of its systems an API client."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from portal.api import clients
from portal.api.scopes import SCOPE_LABELS, SCOPES_FOR_ADMIN, Scope
from portal.forms import Form, MultiCheckboxField
from portal.words import render


class ClientForm(Form):
    name = StringField(
        _l("客户端名称"),
        validators=[DataRequired(_l("请填写客户端名称，如“信贷系统”")), Length(max=60)],
        description=_l("说明是本机构哪个系统在调用，如“信贷审批系统”“担保业务系统”"),
    )
    scopes = MultiCheckboxField(
        _l("权限范围"), validators=[DataRequired(_l("请至少选择一项权限范围"))]
    )
    networks = TextAreaField(
        _l("允许的来源地址（可选）"),
        description=_l("每行一个 IP 地址或网段，如 10.20.0.0/16；不填则不限来源"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.scopes.choices = [
            (str(s), render(SCOPE_LABELS[s])) for s in SCOPES_FOR_ADMIN.get(current_user.role, ())
        ]

    def validate_networks(self, field: TextAreaField) -> None:
        try:
            clients.parse_networks(field.data or "")
        except ValueError as error:
            raise ValidationError(
                _l(
                    "无法识别的地址或网段：%(entry)s（最多 %(n)s 项）",
                    entry=str(error),
                    n=clients.MAX_NETWORKS,
                )
            ) from None

    def chosen_scopes(self) -> list[Scope]:
        return [Scope(value) for value in self.scopes.data or []]

    def chosen_networks(self) -> list[str]:
        return clients.parse_networks(self.networks.data or "")

"""Forms of the team pages: inviting a colleague, and the institution's settings."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.accounts.forms import StaffUserForm
from portal.enums import ROLE_LABELS, Role
from portal.forms import Form, WholeNumberField
from portal.numbers import WORKING_DAYS
from portal.team import settings
from portal.team.settings import BadAddress, InstitutionSettings


class InviteForm(Form):
    """Who to invite; the role choices are the inviting institution's (set by the view)."""

    full_name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名")), Length(max=80)])
    email = EmailField(
        _l("邮箱"),
        validators=[
            DataRequired(_l("请填写邮箱")),
            Email(_l("邮箱格式不正确，例如 name@example.com")),
            Length(max=254, message=_l("邮箱不能超过 254 个字符")),
        ],
        description=_l("邀请邮件发到这个邮箱，对方用它登录"),
    )
    phone = StringField(
        _l("手机号码（选填）"),
        validators=[Optional(), Length(max=32, message=_l("手机号码不能超过 32 个字符"))],
    )
    role = SelectField(_l("角色"), validators=[DataRequired(_l("请选择角色"))])

    def offer_roles(self, roles: tuple[Role, ...]) -> None:
        self.role.choices = [(role.value, ROLE_LABELS[role]) for role in roles]


class StaffInviteForm(StaffUserForm):
    """A platform admin's invitation: any staff role with the institution or agency it needs,
    as on the form that creates an account, but no password: the invitee sets their own."""

    password = None
    password_confirm = None


class SettingsForm(Form):
    response_days = WholeNumberField(
        _l("默认响应时限（工作日）"),
        quantity=WORKING_DAYS,
        validators=[
            InputRequired(_l("请填写默认响应时限，1 到 30 个工作日")),
            NumberRange(
                min=settings.MIN_RESPONSE_DAYS,
                max=settings.MAX_RESPONSE_DAYS,
                message=_l("响应时限应在 1 到 30 个工作日之间"),
            ),
        ],
        description=_l("新线索须在这么多个工作日内首次响应；产品自己设了时限的，以产品为准"),
    )
    work_starts_at = StringField(
        _l("工作时间：开始"),
        description=_l("24 小时制，如 09:00；企业在融资需求页面看到的联系时间"),
        render_kw={"inputmode": "numeric", "placeholder": "09:00"},
    )
    work_ends_at = StringField(
        _l("工作时间：结束"),
        description=_l("24 小时制，如 17:30；开始和结束都不填则不向企业显示"),
        render_kw={"inputmode": "numeric", "placeholder": "17:30"},
    )
    notify_emails = TextAreaField(
        _l("通知邮箱"),
        validators=[Length(max=1500, message=_l("内容过长：最多 5 个邮箱"))],
        description=_l(
            "最多 5 个，每行一个，如团队公共邮箱。新线索、响应时限临近、担保申请等待办邮件"
            "会同时发送到这些邮箱"
        ),
        render_kw={"rows": 5},
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.starts: dt.time | None = None
        self.ends: dt.time | None = None
        self.addresses: tuple[str, ...] = ()

    def validate_work_starts_at(self, field: StringField) -> None:
        self.starts = _clock(field)

    def validate_work_ends_at(self, field: StringField) -> None:
        self.ends = _clock(field)
        if self.work_starts_at.errors:
            return  # the start is wrong already; say that first
        if (self.starts is None) != (self.ends is None):
            raise ValidationError(_("请同时填写开始和结束时间，或都不填"))
        if self.starts is not None and self.ends is not None and self.ends <= self.starts:
            raise ValidationError(_("结束时间应晚于开始时间"))

    def validate_notify_emails(self, field: TextAreaField) -> None:
        try:
            self.addresses = settings.parse_addresses(field.data or "")
        except BadAddress as error:
            raise ValidationError(address_message(error)) from None

    def chosen_settings(self) -> InstitutionSettings:
        """The validated settings."""
        return InstitutionSettings(
            response_days=self.response_days.data,
            work_starts_at=self.starts,
            work_ends_at=self.ends,
            notify_emails=self.addresses,
        )


def _clock(field: StringField) -> dt.time | None:
    text = (field.data or "").strip()
    if not text:
        return None
    clock = settings.parse_clock(text)
    if clock is None:
        message = _("“%(text)s”不是有效的时间，请按 24 小时制填写，如 09:00", text=text[:20])
        raise ValidationError(message)
    return clock


def address_message(error: BadAddress) -> str:
    """Say which address is wrong and how."""
    if error.reason == "too_many":
        return _("最多填写 %(n)s 个通知邮箱", n=settings.MAX_MAILBOXES)
    if error.reason == "duplicate":
        return _("邮箱 %(address)s 填写了两次，请删除重复的一个", address=error.address)
    return _("“%(address)s”不是有效的邮箱地址，例如 team@bank.com.cn", address=error.address[:60])

"""Sign-in, registration and staff-account forms."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from portal.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    is_common_password,
)
from portal.enums import ROLE_LABELS, Role
from portal.firms import standards
from portal.firms.forms import FirmProfileForm
from portal.forms import Form


class LoginForm(Form):
    email = EmailField(_l("邮箱"), validators=[DataRequired(_l("请填写邮箱")), Length(max=254)])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请填写密码"))])


def not_common_password(form: Form, field: PasswordField) -> None:
    if field.data and is_common_password(field.data):
        raise ValidationError(_("这个密码过于常见，容易被猜中，请换一个更长、更独特的密码"))


def _password_field(label: object) -> PasswordField:
    return PasswordField(
        label,
        validators=[
            DataRequired(_l("请设置密码")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l("密码长度应为 8 到 128 个字符"),
            ),
            not_common_password,
        ],
        description=_l("8 到 128 个字符，可用空格和任意字符；不能是常见密码"),
    )


class TwoFactorForm(Form):
    code = StringField(
        _l("验证码"),
        validators=[DataRequired(_l("请填写验证器上显示的 6 位验证码")), Length(max=32)],
        description=_l(
            "打开验证器应用（如微信小程序“腾讯身份验证器”、Google Authenticator），"
            "输入产融通的 6 位数字；手机不在身边时可输入一个恢复码"
        ),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True},
    )


class EnrolTwoFactorForm(Form):
    code = StringField(
        _l("验证码"),
        validators=[DataRequired(_l("请填写验证器上显示的 6 位验证码")), Length(max=16)],
        description=_l("添加账号后，输入验证器上显示的 6 位数字以完成绑定"),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class ChangePasswordForm(Form):
    current_password = PasswordField(
        _l("当前密码"), validators=[DataRequired(_l("请填写当前密码"))]
    )
    password = _password_field(_l("新密码"))
    password_confirm = PasswordField(
        _l("再次输入新密码"),
        validators=[
            DataRequired(_l("请再次输入新密码")),
            EqualTo("password", _l("两次输入的密码不一致")),
        ],
    )


class AccountFieldsMixin:
    full_name = StringField(
        _l("联系人姓名"), validators=[DataRequired(_l("请填写姓名")), Length(max=80)]
    )
    email = EmailField(
        _l("登录邮箱"),
        validators=[
            DataRequired(_l("请填写邮箱")),
            Email(_l("邮箱格式不正确，例如 name@example.com")),
            Length(max=254),
        ],
    )
    phone = StringField(_l("手机号码"), validators=[Optional(), Length(max=32)])
    password = _password_field(_l("密码（至少 8 位）"))
    password_confirm = PasswordField(
        _l("再次输入密码"),
        validators=[
            DataRequired(_l("请再次输入密码")),
            EqualTo("password", _l("两次输入的密码不一致")),
        ],
    )


class RegistrationForm(AccountFieldsMixin, FirmProfileForm):
    credit_code = StringField(
        _l("统一社会信用代码"),
        validators=[DataRequired(_l("请填写统一社会信用代码"))],
        description=_l("18 位，见营业执照"),
    )
    consent = BooleanField(
        _l("我已阅读并同意平台用户协议与隐私政策"),
        validators=[DataRequired(_l("请阅读并同意用户协议与隐私政策"))],
    )

    def validate_credit_code(self, field: StringField) -> None:
        try:
            field.data = standards.validate_credit_code(field.data or "")
        except standards.CreditCodeError as error:
            raise ValidationError(credit_code_message(error, field.data or "")) from None


def credit_code_message(error: standards.CreditCodeError, raw: str) -> str:
    """Say in the user's language exactly what is wrong with the code."""
    if error.reason == "length":
        count = len(standards.normalise_credit_code(raw))
        return _("统一社会信用代码应为 18 位，当前为 %(count)s 位", count=count)
    if error.reason == "character":
        return _(
            "第 %(position)s 位字符“%(char)s”不是统一社会信用代码允许的字符"
            "（不使用 I、O、S、V、Z）",
            position=error.position,
            char=error.character,
        )
    if error.reason == "organisation_check":
        return _("组织机构代码（第 9–17 位）校验位错误，请核对营业执照")
    return _(
        "统一社会信用代码校验位（第 18 位）错误，应为“%(expected)s”，请核对营业执照",
        expected=error.expected,
    )


STAFF_ROLES = (Role.BANK_OFFICER, Role.BANK_ADMIN, Role.GOV_STAFF, Role.REGULATOR, Role.ADMIN)


class StaffUserForm(AccountFieldsMixin, Form):
    role = SelectField(
        _l("角色"),
        choices=[(r.value, ROLE_LABELS[r]) for r in STAFF_ROLES],
        validators=[DataRequired(_l("请选择角色"))],
    )
    institution_id = SelectField(_l("所属金融机构"), coerce=int, validate_choice=False)
    agency_id = SelectField(_l("所属政府部门"), coerce=int, validate_choice=False)

    def validate_institution_id(self, field: SelectField) -> None:
        if self.role.data in (Role.BANK_OFFICER, Role.BANK_ADMIN) and not field.data:
            raise ValidationError(_("银行用户须选择所属金融机构"))

    def validate_agency_id(self, field: SelectField) -> None:
        if self.role.data == Role.GOV_STAFF and not field.data:
            raise ValidationError(_("政府部门用户须选择所属部门"))

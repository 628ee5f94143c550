"""Sign-in, registration and staff-account forms."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from portal.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    is_common_password,
)
from portal.datasources import identity, letters, registration
from portal.datasources.provenance import DECLARED_QUALIFICATIONS
from portal.dates import today_in_china
from portal.enums import INSTITUTION_ROLES, QUALIFICATION_LABELS, ROLE_LABELS, Role
from portal.firms import standards
from portal.firms.forms import MAX_WAN, MultiCheckboxField, tax_grade_choices, wan_to_yuan
from portal.forms import ChoiceField, Form, NumberField, WholeNumberField
from portal.legal.forms import consent_field
from portal.numbers import AMOUNT_WAN, EMPLOYEES
from portal.uploads import UploadError


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


class RegistrationForm(AccountFieldsMixin, Form):
    """A firm registers with its credit code; the registry gives its name, region, industry,
    established date and legal representative, the bureaus its figures (no field for them).

    The registrant shows they act for the firm: the legal representative's name and ID number,
    checked with the registry, or, ticking `not_legal_rep`, an authorisation letter for review.
    Employees, revenue and tax grade are asked only where a bureau has no record yet.
    """

    credit_code = StringField(
        _l("统一社会信用代码"),
        validators=[DataRequired(_l("请填写统一社会信用代码"))],
        description=_l("18 位，见营业执照"),
    )
    legal_rep_name = StringField(
        _l("法定代表人姓名"),
        validators=[Length(max=40, message=_l("姓名不超过 40 个字"))],
        description=_l("与营业执照上的法定代表人一致"),
    )
    legal_rep_id_number = StringField(
        _l("法定代表人居民身份证号码"),
        validators=[Length(max=40, message=_l("身份证号码应为 18 位"))],
        description=_l("仅用于向市场监管部门核验身份；平台不保存号码本身"),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    not_legal_rep = BooleanField(_l("我不是法定代表人，上传授权委托书"))
    letter = FileField(
        _l("授权委托书"),
        description=_l(
            "法定代表人签字并加盖企业公章的授权委托书扫描件；PDF、JPG 或 PNG，不超过 5 MB。"
            "平台工作人员审核通过前，暂不能提交融资需求"
        ),
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )
    total_assets_wan = NumberField(
        _l("资产总额（万元）"),
        quantity=AMOUNT_WAN,
        places=2,
        validators=[
            InputRequired(_l("请填写资产总额，单位万元")),
            NumberRange(min=0, max=MAX_WAN, message=_l("资产总额应在 0 到 %(max)s 万元之间")),
        ],
        description=_l("企业自报：政务数据中没有资产总额"),
    )
    qualifications = MultiCheckboxField(
        _l("其他资质（企业自报）"),
        choices=[(q, QUALIFICATION_LABELS[q]) for q in DECLARED_QUALIFICATIONS],
    )
    employees = WholeNumberField(
        _l("从业人员（人）"),
        quantity=EMPLOYEES,
        validators=[
            Optional(),
            NumberRange(min=0, max=10_000_000, message=_l("从业人员数应在 0 到 1000 万之间")),
        ],
    )
    revenue_wan = NumberField(
        _l("上年营业收入（万元）"),
        quantity=AMOUNT_WAN,
        places=2,
        validators=[
            Optional(),
            NumberRange(min=0, max=MAX_WAN, message=_l("营业收入应在 0 到 %(max)s 万元之间")),
        ],
    )
    # Blank unless the firm picks one: the tax bureau's grade is the one that counts.
    tax_credit_grade = ChoiceField(_l("纳税信用等级"), choices=tax_grade_choices(), default="")
    consent = consent_field()  # the versions in force are recorded with the registration

    def validate_credit_code(self, field: StringField) -> None:
        try:
            field.data = standards.validate_credit_code(field.data or "")
        except standards.CreditCodeError as error:
            raise ValidationError(credit_code_message(error, field.data or "")) from None

    def validate_legal_rep_name(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        if not self.not_legal_rep.data and not field.data:
            raise ValidationError(
                _("请填写法定代表人姓名；如您不是法定代表人，请勾选下方选项并上传授权委托书")
            )

    def validate_legal_rep_id_number(self, field: StringField) -> None:
        if self.not_legal_rep.data:
            field.data = None
            return
        if not (field.data or "").strip():
            raise ValidationError(_("请填写法定代表人的 18 位居民身份证号码"))
        try:
            field.data = identity.validate_id_number(field.data, today_in_china())
        except identity.IdNumberError as error:
            raise ValidationError(id_number_message(error)) from None

    def validate_letter(self, field: FileField) -> None:
        self.letter_file = None
        if not self.not_legal_rep.data:
            return
        upload = field.data
        if not isinstance(upload, FileStorage) or not upload.filename:
            raise ValidationError(_("请上传授权委托书（PDF、JPG 或 PNG，不超过 5 MB）"))
        try:
            self.letter_file = letters.read_letter(upload.stream, upload.filename)
        except UploadError as error:
            raise ValidationError(letter_message(error)) from None

    def declared(self) -> registration.Declared:
        """What the firm states itself, money in yuan."""
        revenue = self.revenue_wan.data
        return registration.Declared(
            total_assets=wan_to_yuan(self.total_assets_wan.data),
            qualifications=list(self.qualifications.data or []),
            employees=self.employees.data,
            revenue=wan_to_yuan(revenue) if revenue is not None else None,
            tax_credit_grade=self.tax_credit_grade.data or None,
        )

    def representative(self) -> registration.Representative | None:
        if self.not_legal_rep.data:
            return None
        return registration.Representative(self.legal_rep_name.data, self.legal_rep_id_number.data)


def id_number_message(error: identity.IdNumberError) -> str:
    """Say what is wrong with a resident ID number."""
    if error.reason == "length":
        return _("身份证号码应为 18 位，当前为 %(count)s 位", count=error.length)
    if error.reason == "character":
        return _("身份证号码前 17 位应为数字，最后一位为数字或 X")
    if error.reason == "birth_date":
        return _("身份证号码第 7–14 位的出生日期无效，请核对")
    return _("身份证号码校验位（第 18 位）不正确，请核对后重新输入")


def letter_message(error: UploadError) -> str:
    """Say what is wrong with an uploaded letter."""
    if error.reason == "too_large":
        return _("文件超过 5 MB，请压缩或降低扫描分辨率后再上传")
    if error.reason == "type":
        return _("只接受 PDF、JPG 或 PNG 文件，请另存为这些格式后再上传")
    return _("上传的文件是空的，请重新选择授权委托书")


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


STAFF_ROLES = (
    Role.BANK_OFFICER,
    Role.BANK_ADMIN,
    Role.GUARANTOR_OFFICER,
    Role.GUARANTOR_ADMIN,
    Role.GOV_STAFF,
    Role.REGULATOR,
    Role.ADMIN,
)


class StaffUserForm(AccountFieldsMixin, Form):
    role = SelectField(
        _l("角色"),
        choices=[(r.value, ROLE_LABELS[r]) for r in STAFF_ROLES],
        validators=[DataRequired(_l("请选择角色"))],
    )
    institution_id = SelectField(_l("所属金融机构"), coerce=int, validate_choice=False)
    agency_id = SelectField(_l("所属政府部门"), coerce=int, validate_choice=False)

    def validate_institution_id(self, field: SelectField) -> None:
        if self.role.data in INSTITUTION_ROLES and not field.data:
            raise ValidationError(_("银行和担保机构用户须选择所属金融机构"))

    def validate_agency_id(self, field: SelectField) -> None:
        if self.role.data == Role.GOV_STAFF and not field.data:
            raise ValidationError(_("政府部门用户须选择所属部门"))


class ForgotPasswordForm(Form):
    email = EmailField(
        _l("注册邮箱"),
        validators=[
            DataRequired(_l("请填写注册时使用的邮箱")),
            Length(max=254, message=_l("邮箱不能超过 254 个字符")),
            # Any address an account may have (demo ones end in .local), so no DNS rules here.
            Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("邮箱格式不正确，例如 name@example.com")),
        ],
    )


class ResetPasswordForm(Form):
    password = _password_field(_l("新密码"))
    password_confirm = PasswordField(
        _l("再次输入新密码"),
        validators=[
            DataRequired(_l("请再次输入新密码")),
            EqualTo("password", _l("两次输入的密码不一致")),
        ],
    )


class EmailPreferencesForm(Form):
    """The categories of notification a user also wants by e-mail (all, unless switched off)."""

    categories = MultiCheckboxField(_l("同时发送邮件的通知"), choices=[])


class UserEditForm(Form):
    """What an administrator may correct on an account: who it is and whom it works for (the
    role stays: another role is another account)."""

    full_name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名")), Length(max=80)])
    email = EmailField(
        _l("登录邮箱"),
        validators=[
            DataRequired(_l("请填写邮箱")),
            Length(max=254, message=_l("邮箱不能超过 254 个字符")),
            Regexp(r"^[^@\s]+@[^@\s]+$", message=_l("邮箱格式不正确，例如 name@example.com")),
        ],
    )
    phone = StringField(
        _l("手机号码"),
        validators=[Optional(), Length(max=32, message=_l("手机号码不能超过 32 个字符"))],
    )
    institution_id = SelectField(_l("所属金融机构"), coerce=int, validate_choice=False)
    agency_id = SelectField(_l("所属政府部门"), coerce=int, validate_choice=False)

"""Onboarding forms: the application (institution and its administrator) and review decisions."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from portal.accounts.forms import AccountFieldsMixin
from portal.confirmation import confirm_field
from portal.enums import (
    INSTITUTION_DOCUMENT_LABELS,
    INSTITUTION_KIND_LABELS,
    ONBOARDING_LABELS,
    InstitutionDocumentKind,
    OnboardingStatus,
)
from portal.firms import standards
from portal.forms import ChoiceField, DocumentUploadForm, Form
from portal.institutions import services
from portal.legal.forms import consent_field

PHONE_PATTERN = r"^[0-9+\-() ]{7,32}$"


def contact_name_field(label: object, required: object) -> StringField:
    """A contact person's name: required, at most 40 characters."""
    return StringField(
        label,
        validators=[
            DataRequired(required),
            Length(max=40, message=_l("联系人姓名不超过 40 个字")),
        ],
    )


def contact_phone_field() -> StringField:
    """A phone number people can call: a landline with its area code or a mobile number."""
    return StringField(
        _l("联系电话"),
        validators=[
            DataRequired(_l("请填写联系电话")),
            Regexp(
                PHONE_PATTERN,
                message=_l("请填写有效的电话号码，如 0591-87654321 或 13800000000"),
            ),
        ],
    )


LICENCE_PATTERN = r"^[A-Za-z0-9-]{4,40}$"


def region_choices() -> list[tuple[str, object]]:
    """Fujian's prefecture cities; an institution may also be seated at province level."""
    return [("", _l("请选择总部所在地"))] + [
        (code, _l("福建省（省级）") if code == "350000" else name)
        for code, name in standards.region_choices()
    ]


class InstitutionForm(Form):
    """The institution's part of the application; also the form for editing it."""

    name = StringField(
        _l("机构全称"),
        validators=[
            DataRequired(_l("请填写机构全称")),
            Length(min=4, max=120, message=_l("机构全称应为 4 到 120 个字")),
        ],
        description=_l("与金融许可证或营业执照一致，如“某某银行股份有限公司福州分行”"),
    )
    short_name = StringField(
        _l("机构简称"),
        validators=[
            DataRequired(_l("请填写机构简称")),
            Length(max=40, message=_l("机构简称不超过 40 个字")),
        ],
        description=_l("在产品目录中显示，如“某某银行福州分行”"),
    )
    kind = SelectField(
        _l("机构类型"),
        choices=[("", _l("请选择机构类型"))] + list(INSTITUTION_KIND_LABELS.items()),
        validators=[DataRequired(_l("请选择机构类型"))],
    )
    licence_no = StringField(
        _l("金融许可证编号"),
        validators=[
            Optional(),
            Regexp(LICENCE_PATTERN, message=_l("金融许可证编号应为 4 到 40 位字母、数字或连字符")),
        ],
        description=_l("选填；融资担保机构可填经营许可证编号。同一编号只能申请一次"),
    )
    region_code = SelectField(_l("总部所在地"), validators=[DataRequired(_l("请选择总部所在地"))])
    contact_name = contact_name_field(_l("业务联系人"), _l("请填写业务联系人姓名"))
    contact_phone = contact_phone_field()
    application_note = TextAreaField(
        _l("申请说明"),
        validators=[Optional(), Length(max=2000, message=_l("申请说明不超过 2000 字"))],
        description=_l("选填；简述机构情况和拟在平台提供的产品与服务，便于审核"),
        render_kw={"rows": 5, "maxlength": 2000},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region_code.choices = region_choices()

    def institution_data(self) -> dict[str, Any]:
        """The institution fields as the service takes them."""
        return {key: getattr(self, key).data for key in services.APPLICATION_FIELDS}


class ApplicationForm(AccountFieldsMixin, InstitutionForm):
    """A new institution's application together with its administrator's account."""

    full_name = StringField(
        _l("管理员姓名"),
        validators=[DataRequired(_l("请填写管理员姓名")), Length(max=80)],
        description=_l("此账号为本机构的管理员，负责产品与客户经理账号"),
    )
    consent = consent_field()  # the versions in force are recorded with the application

    def account_data(self) -> dict[str, Any]:
        return {
            "email": self.email.data,
            "password": self.password.data,
            "full_name": self.full_name.data,
            "phone": self.phone.data,
        }


class StatusFilterForm(Form):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(
        _l("状态"),
        choices=list(ONBOARDING_LABELS.items()) + [("", _l("全部状态"))],
        default=OnboardingStatus.APPLIED.value,
        validators=[Optional()],
    )
    q = StringField(_l("机构名称"), validators=[Optional(), Length(max=120)])


_REASON_LABELS = {
    "approve": _l("审核意见（选填）"),
    "reject": _l("驳回理由"),
    "suspend": _l("暂停理由"),
    "reinstate": _l("恢复说明（选填）"),
}
_REASON_HINTS = {
    "approve": _l("将通知申请机构，最多 500 字"),
    "reject": _l("4 到 500 字。申请机构会看到这段理由，并据此修改后重新提交"),
    "suspend": _l("4 到 500 字。机构会看到这段理由；暂停期间其产品不在目录展示"),
    "reinstate": _l("将通知机构，最多 500 字"),
}

_CONFIRM_LABELS = {
    "approve": _l("我确认批准该机构准入"),
    "reject": _l("我确认驳回该机构的准入申请"),
    "suspend": _l("我确认暂停该机构，其产品将立即从目录隐藏"),
    "reinstate": _l("我确认恢复该机构"),
}


class DecisionForm(Form):
    """Confirm one review decision; reject and suspend need a reason."""

    reason = TextAreaField(_l("理由"), render_kw={"rows": 4, "maxlength": 500})
    confirmed = confirm_field(_l("我确认执行此操作"))

    def __init__(self, action: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decision = services.DECISIONS[action]
        self.reason.label.text = _REASON_LABELS[action]
        self.reason.description = _REASON_HINTS[action]
        self.confirmed.label.text = str(_CONFIRM_LABELS[action])
        if self.decision.reason_required:
            self.reason.flags.required = True

    def validate_reason(self, field: TextAreaField) -> None:
        try:
            field.data = services.clean_reason(self.decision, field.data)
        except services.InvalidReason as error:
            raise ValidationError(str(error)) from None


class InstitutionDocumentForm(DocumentUploadForm):
    """One of the application's documents: which it is, and the file."""

    kind = ChoiceField(
        _l("材料类型"),
        choices=[(kind.value, label) for kind, label in INSTITUTION_DOCUMENT_LABELS.items()],
        validators=[DataRequired(_l("请选择材料类型"))],
    )

    def document_kind(self) -> InstitutionDocumentKind:
        return InstitutionDocumentKind(self.kind.data)

"""Forms of identity letters and fact disputes: the firm's side and platform staff's."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from portal.accounts.forms import letter_message
from portal.confirmation import confirm_field
from portal.datasources import letters
from portal.datasources.reviews import MAX_DISPUTE_NOTE, MIN_NOTE
from portal.forms import ChoiceField, Form
from portal.uploads import UploadError


class LetterForm(Form):
    """A firm whose letter was turned down sends another."""

    letter = FileField(
        _l("授权委托书"),
        description=_l("法定代表人签字并加盖企业公章的扫描件；PDF、JPG 或 PNG，不超过 5 MB"),
        render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"},
    )

    def validate_letter(self, field: FileField) -> None:
        self.letter_file = None
        upload = field.data
        if not isinstance(upload, FileStorage) or not upload.filename:
            raise ValidationError(_("请上传授权委托书（PDF、JPG 或 PNG，不超过 5 MB）"))
        try:
            self.letter_file = letters.read_letter(upload.stream, upload.filename)
        except UploadError as error:
            raise ValidationError(letter_message(error)) from None


def _note_field(label: object, hint: object, required: str, limit: int) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[
            DataRequired(required),
            Length(
                min=MIN_NOTE,
                max=limit,
                message=_l("请写 %(min)d 到 %(max)d 个字"),
            ),
        ],
        description=hint,
        render_kw={"rows": 4, "maxlength": limit},
    )


class DisputeForm(Form):
    """The firm says a verified value is wrong, and why."""

    note = _note_field(
        _l("异议说明"),
        _l("请说明哪里不对、正确的情况是什么，以及可以提供的证明（如证书编号、完税证明）"),
        _l("请填写异议说明"),
        MAX_DISPUTE_NOTE,
    )


class LetterDecisionForm(Form):
    """Platform staff approve or reject a letter; a rejection says why."""

    decision = ChoiceField(
        _l("审核结论"),
        choices=[("", _l("请选择")), ("approve", _l("通过")), ("reject", _l("不通过"))],
        validators=[DataRequired(_l("请选择审核结论"))],
    )
    reason = TextAreaField(
        _l("理由"),
        validators=[Length(max=200, message=_l("理由不超过 200 个字"))],
        description=_l("不通过时必填，企业会看到这段说明，例如“未加盖企业公章，请重新上传”"),
        render_kw={"rows": 3, "maxlength": 200},
    )
    confirmed = confirm_field(_l("我确认已核对授权委托书与企业登记信息"))

    def validate_reason(self, field: TextAreaField) -> None:
        if self.decision.data == "reject" and len((field.data or "").strip()) < MIN_NOTE:
            raise ValidationError(_("不通过时请写明理由，至少 %(n)s 个字", n=MIN_NOTE))


class DisputeDecisionForm(Form):
    """Platform staff close a dispute: upheld (the fact is fetched again) or rejected."""

    outcome = ChoiceField(
        _l("处理结论"),
        choices=[
            ("", _l("请选择")),
            ("upheld", _l("异议成立：向数据源重新核验")),
            ("rejected", _l("异议不成立：维持核验结果")),
        ],
        validators=[DataRequired(_l("请选择处理结论"))],
    )
    note = _note_field(
        _l("处理说明"),
        _l("企业会看到这段说明，例如已联系税务部门更正、或维持原结果的依据"),
        _l("请填写处理说明"),
        200,
    )
    confirmed = confirm_field(_l("我确认处理结论"))

"""The channel's forms: a message, the bank's contact, a document request and an upload."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.channel.services import MAX_DOCUMENT_BYTES, MAX_MESSAGE_CHARS
from portal.enums import DOCUMENT_KIND_LABELS, DocumentKind
from portal.forms import ChoiceField, Form
from portal.institutions.forms import contact_name_field, contact_phone_field
from portal.uploads import ACCEPT_ATTRIBUTE, UploadedFile, UploadError, read_upload

MAX_DOCUMENT_MB = MAX_DOCUMENT_BYTES // (1024 * 1024)


class MessageForm(Form):
    body = TextAreaField(
        _l("留言内容"),
        validators=[
            DataRequired(_l("请填写留言内容")),
            Length(
                max=MAX_MESSAGE_CHARS,
                message=_l("留言不超过 %(n)s 个字", n=MAX_MESSAGE_CHARS),
            ),
        ],
        render_kw={"rows": 3, "maxlength": MAX_MESSAGE_CHARS},
    )


class ContactForm(Form):
    contact_name = contact_name_field(_l("联系人"), _l("请填写联系人姓名"))
    contact_phone = contact_phone_field()


class DocumentRequestForm(Form):
    kind = ChoiceField(
        _l("需要的材料"),
        choices=[(kind.value, label) for kind, label in DOCUMENT_KIND_LABELS.items()],
        validators=[DataRequired(_l("请选择需要的材料"))],
    )
    note = StringField(
        _l("说明"),
        validators=[Optional(), Length(max=200, message=_l("说明不超过 200 个字"))],
        description=_l("选填；如“近两年经审计的财务报表”"),
    )

    def document_kind(self) -> DocumentKind:
        return DocumentKind(self.kind.data)


class UploadForm(Form):
    document = FileField(
        _l("选择文件"),
        description=_l("PDF、JPG 或 PNG，不超过 %(n)s MB", n=MAX_DOCUMENT_MB),
        render_kw={"accept": ACCEPT_ATTRIBUTE},
    )

    def validate_document(self, field: FileField) -> None:
        self.uploaded: UploadedFile | None = None
        upload = field.data
        if not isinstance(upload, FileStorage) or not upload.filename:
            raise ValidationError(_("请选择要上传的文件"))
        try:
            self.uploaded = read_upload(
                upload.stream,
                upload.filename,
                max_bytes=MAX_DOCUMENT_BYTES,
                fallback_stem="document",
            )
        except UploadError as error:
            raise ValidationError(upload_message(error)) from None


def upload_message(error: UploadError) -> str:
    """Say what is wrong with an uploaded document."""
    if error.reason == "too_large":
        return _("文件超过 %(n)s MB，请压缩或分成几份上传", n=MAX_DOCUMENT_MB)
    if error.reason == "type":
        return _("只接受 PDF、JPG 或 PNG 文件，请另存为这些格式后再上传")
    return _("上传的文件是空的，请重新选择")

"""The channel's forms: a message, the bank's contact, a document request and an upload."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.channel.services import MAX_DOCUMENT_BYTES, MAX_MESSAGE_CHARS
from portal.enums import DOCUMENT_KIND_LABELS, DocumentKind
from portal.forms import ChoiceField, DocumentUploadForm, Form
from portal.institutions.forms import contact_name_field, contact_phone_field


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


class UploadForm(DocumentUploadForm):
    MAX_MB = MAX_DOCUMENT_BYTES // (1024 * 1024)

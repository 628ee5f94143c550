"""What every form shares: the base class that refuses control characters, and number fields.

Every form derives from `Form`. Its Meta puts one check in front of every text field (inputs,
text areas, e-mail, password and hidden fields): a value holding a control character other than
tab, line feed or carriage return is refused beside the field. PostgreSQL cannot store NUL in
text at all, and the other control characters are never typed by a person.

Numbers are read by `NumberField` and `WholeNumberField`, each with its quantity from
`portal.numbers`: NaN, infinities, over-long text and anything that is not a plain number get
the field's parse message; a value outside the quantity's range or with too many decimal places
gets the field's range message (or the quantity's, naming range and unit). A value that did not
parse gets that message only, not range errors on top.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import DecimalField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import NumberRange, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from portal.numbers import NumberError, Quantity, parse_number, parse_whole
from portal.uploads import ACCEPT_ATTRIBUTE, UploadedFile, UploadError, read_upload

ALLOWED_CONTROLS = frozenset("\t\n\r")


def has_control_characters(text: str) -> bool:
    """Whether the text holds a control character (NUL, ESC, DEL…) other than tab and newlines."""
    return any(unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROLS for c in text)


def no_control_characters(_form: Any, field: Any) -> None:
    """A WTForms validator: refuse text with control characters, before any other check."""
    values = field.data if isinstance(field.data, list | tuple) else [field.data]
    if any(isinstance(value, str) and has_control_characters(value) for value in values):
        raise StopValidation(str(_l("含有不可见的控制字符，请删除后重新输入")))


class Form(FlaskForm):
    """The base of every form in the portal."""

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            bound = super().bind_field(form, unbound_field, options)
            if isinstance(bound, StringField):
                bound.validators = [no_control_characters, *bound.validators]
            return bound


class _StopAfterParseError:
    """A value that did not parse gets its parse message only, not range errors on top."""

    process_errors: list[Any]

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()


def _ranges(field: Any) -> list[NumberRange]:
    return [v for v in field.validators if isinstance(v, NumberRange)]


def _narrowed(quantity: Quantity, field: Any) -> Quantity:
    """The quantity within the field's own NumberRange limits, so its message names them."""
    for limit in _ranges(field):
        low = max(quantity.low, limit.min) if limit.min is not None else None
        high = min(quantity.high, limit.max) if limit.max is not None else None
        quantity = quantity.narrow(low, high)
    return quantity


def _range_message(field: Any, error: NumberError) -> str:
    """The field's own wording of the limit missed if it has one, else the quantity's."""
    for limit in _ranges(field):
        bound = limit.min if error.problem == "below" else limit.max
        if error.problem in ("below", "above") and bound is not None and limit.message:
            return str(limit.message) % {"min": limit.min, "max": limit.max}
    return error.render(gettext)


def _read(field: Any, valuelist: list[Any], parse: Any) -> None:
    """Parse the submitted text through the numeric domain; a refusal says what to type."""
    if not valuelist or not str(valuelist[0]).strip():
        field.data = None
        return
    try:
        field.data = parse(valuelist[0], field.quantity)
    except NumberError as error:
        field.data = None
        if error.problem == "syntax":
            raise ValueError(str(field.parse_message)) from None
        raise ValueError(_range_message(field, error)) from None


class NumberField(_StopAfterParseError, DecimalField):
    """A decimal input read into its quantity; a refusal says what to type, in the page language.

    Rendered as a text input with a decimal keypad, not `type=number`: a browser sends an empty
    value for a number input it cannot read (1e999999, a full-width ３６．５), which an optional
    field would take as "no limit" without a word. As text, what was typed reaches the server
    and gets a message.
    """

    widget = TextInput()

    def __init__(
        self, *args: Any, quantity: Quantity, parse_message: Any = None, **kwargs: Any
    ) -> None:
        kwargs["render_kw"] = {"inputmode": "decimal", **(kwargs.get("render_kw") or {})}
        super().__init__(*args, **kwargs)
        self.quantity = _narrowed(quantity, self)
        self.parse_message = parse_message or _l("请输入数字")

    def process_formdata(self, valuelist: list[Any]) -> None:
        _read(self, valuelist, parse_number)


class WholeNumberField(_StopAfterParseError, IntegerField):
    """An integer input read into its quantity, with a Chinese parse message (text, as above)."""

    widget = TextInput()

    def __init__(
        self, *args: Any, quantity: Quantity, parse_message: Any = None, **kwargs: Any
    ) -> None:
        kwargs["render_kw"] = {"inputmode": "numeric", **(kwargs.get("render_kw") or {})}
        super().__init__(*args, **kwargs)
        self.quantity = _narrowed(quantity, self)
        self.parse_message = parse_message or _l("请输入整数")

    def process_formdata(self, valuelist: list[Any]) -> None:
        _read(self, valuelist, parse_whole)


class ChoiceField(SelectField):
    """A drop-down whose "not a choice" error is in the page's language."""

    def pre_validate(self, form: Any) -> None:
        if not any(match for _value, _label, match, *_rest in self.iter_choices()):
            raise ValidationError(str(_l("请从列表中选择")))


def filter_value(field: Any) -> Any:
    """A filter field's value, or None when it is empty, blank or did not validate.

    Blank matters: `Optional()` stops validation on whitespace ("\r" from a URL) before the
    choices are checked, leaving it as the field's data without an error.
    """
    data = field.data
    if field.errors or data is None or (isinstance(data, str) and not data.strip()):
        return None
    return data


class DocumentUploadForm(Form):
    """One PDF, JPEG or PNG document, read through the one bounded upload path; `uploaded`
    holds it after validation. Subclasses set the size limit."""

    MAX_MB = 8

    document = FileField(_l("选择文件"), render_kw={"accept": ACCEPT_ATTRIBUTE})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.document.description = gettext("PDF、JPG 或 PNG，不超过 %(n)s MB", n=self.MAX_MB)
        self.uploaded: UploadedFile | None = None

    def validate_document(self, field: FileField) -> None:
        upload = field.data
        if not isinstance(upload, FileStorage) or not upload.filename:
            raise ValidationError(gettext("请选择要上传的文件"))
        try:
            self.uploaded = read_upload(
                upload.stream,
                upload.filename,
                max_bytes=self.MAX_MB * 1024 * 1024,
                fallback_stem="document",
            )
        except UploadError as error:
            raise ValidationError(self.upload_message(error)) from None

    def upload_message(self, error: UploadError) -> str:
        """Say what is wrong with the uploaded document."""
        if error.reason == "too_large":
            return gettext("文件超过 %(n)s MB，请压缩或分成几份上传", n=self.MAX_MB)
        if error.reason == "type":
            return gettext("只接受 PDF、JPG 或 PNG 文件，请另存为这些格式后再上传")
        return gettext("上传的文件是空的，请重新选择")


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes for a choice of several, each refused value named in the reader's language."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: object) -> None:
        # WTForms' own message for a value not on the list is English only.
        if not self.validate_choice or not self.data:
            return
        offered = {value for value, *_rest in self.iter_choices()}
        if any(value not in offered for value in self.data):
            raise ValidationError(gettext("所选项不在可选范围内，请重新勾选"))

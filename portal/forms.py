"""What every form shares: the base class that refuses control characters, and number fields.

Every form derives from `Form`. Its Meta puts one check in front of every text field (inputs,
text areas, e-mail, password and hidden fields): a value holding a control character other than
tab, line feed or carriage return is refused beside the field. PostgreSQL cannot store NUL in
text at all, and the other control characters are never typed by a person.

Numbers are read by `NumberField` and `WholeNumberField`, which refuse NaN, infinities and
anything that is not a plain number with a message saying what to type; a value that did not
parse gets that message only, not range errors on top.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import StopValidation, ValidationError

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


class NumberField(_StopAfterParseError, DecimalField):
    """A decimal input whose parse error says, in the page's language, what to type."""

    def __init__(self, *args: Any, parse_message: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parse_message = parse_message or _l("请输入数字")

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            value = Decimal(str(valuelist[0]).strip().replace(",", ""))
        except (InvalidOperation, ValueError):
            self.data = None
            raise ValueError(str(self.parse_message)) from None
        if not value.is_finite():
            self.data = None
            raise ValueError(str(self.parse_message))
        self.data = value


class WholeNumberField(_StopAfterParseError, IntegerField):
    """An integer input with a Chinese parse message."""

    def __init__(self, *args: Any, parse_message: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parse_message = parse_message or _l("请输入整数")

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            self.data = None
            raise ValueError(str(self.parse_message)) from None


class ChoiceField(SelectField):
    """A drop-down whose "not a choice" error is in the page's language."""

    def pre_validate(self, form: Any) -> None:
        if not any(match for _value, _label, match, *_rest in self.iter_choices()):
            raise ValidationError(str(_l("请从列表中选择")))

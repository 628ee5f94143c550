"""Messages kept to be read later, in the reader's language.

A notification is written while one user acts and read by another, perhaps in another language,
and an e-mail is written by a job with no request at all. So the text is not stored: its message
id (the Chinese source text) and parameters are, as `_l("线索 #%(id)s 已关闭", id=7)` gives them,
and `render` translates them when and for whom they are shown. A parameter that is itself a
translatable label (a reason, a status) is kept the same way and translated with the rest.
"""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale, gettext
from flask_babel.speaklater import LazyString

Stored = dict[str, Any]  # {"msgid": str, "params": {name: value or Stored}}


def store(text: str | LazyString) -> Stored:
    """The message as JSON: a lazy text keeps its id and parameters, a plain text is kept as is."""
    if isinstance(text, LazyString):
        msgid = text._args[0]  # lazy_gettext(string, **variables)
        return {"msgid": msgid, "params": {k: _param(v) for k, v in text._kwargs.items()}}
    return {"text": str(text)}


def _param(value: Any) -> Any:
    if isinstance(value, LazyString):
        return store(value)
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)  # a Decimal, a date: as its text


def render(stored: Stored | None, locale: str | None = None) -> str:
    """The message in the current request's language, or in `locale` (a job writing an e-mail)."""
    if not stored:
        return ""
    if locale is not None:
        with force_locale(locale):
            return render(stored)
    if "text" in stored:
        return stored["text"]
    params = {k: render(v) if isinstance(v, dict) else v for k, v in stored["params"].items()}
    return gettext(stored["msgid"], **params)

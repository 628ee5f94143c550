"""Marking and translating messages in modules that must not depend on a request: reference
data (regions, industries), the rule language, jobs.

`N_` marks a Chinese message for extraction and returns it unchanged; `render` translates it
into the current language when there is an app context, else keeps the Chinese source.
"""

from __future__ import annotations

from flask import has_app_context
from flask_babel import gettext


def N_(message: str) -> str:  # noqa: N802 - the conventional name Babel extracts by default
    """Mark a message template for extraction; it is translated where it is rendered."""
    return message


def render(template: str, **values: object) -> str:
    """Translate a template marked with N_ and fill in its %(name)s placeholders."""
    if not has_app_context():
        # Batch jobs run without an app: the Chinese source is the message. Going through
        # flask_babel here would build a fresh NullTranslations on every call (~5 µs).
        return template % values if values else template
    return gettext(template, **values)

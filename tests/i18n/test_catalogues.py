"""Every user-facing string in the code and templates has an English translation."""

from __future__ import annotations

import re

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from portal.config import PROJECT_ROOT

PLACEHOLDER = re.compile(r"%\(([a-z_]+)\)[sd]")
METHOD_MAP = [("portal/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map=METHOD_MAP, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def english_catalogue():
    path = PROJECT_ROOT / "portal" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle)


def test_every_source_string_is_translated_to_english():
    """No string in the source is missing from, or untranslated in, the English catalogue."""
    catalogue = english_catalogue()
    missing = sorted(
        msgid
        for msgid in source_messages()
        if msgid not in catalogue or not catalogue[msgid].string or catalogue[msgid].fuzzy
    )
    assert missing == [], f"{len(missing)} untranslated, e.g. {missing[:5]}"


def test_translations_keep_their_placeholders():
    """A translation uses exactly the placeholders of its source string."""
    wrong = [
        message.id
        for message in english_catalogue()
        if message.id
        and message.string
        and set(PLACEHOLDER.findall(str(message.id))) != set(PLACEHOLDER.findall(message.string))
    ]
    assert wrong == []


def test_translations_format_wherever_their_source_does():
    """A source string that is %-formatted (it escapes % as %% or names a placeholder) has a
    translation that formats too: a lone % in the English would answer the page with a 500."""
    broken = []
    for message in english_catalogue():
        source = str(message.id)
        if not message.string or ("%%" not in source and "%(" not in source):
            continue
        values = dict.fromkeys(PLACEHOLDER.findall(source), 1)
        try:
            message.string % values
        except (ValueError, TypeError, KeyError):
            broken.append(source)
    assert broken == []

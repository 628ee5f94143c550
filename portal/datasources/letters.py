"""Authorisation letters (授权委托书) as uploaded: a PDF, JPEG or PNG of at most 5 MB.

The type is read from the file's first bytes, never from its name or the browser's word, and
the letter is kept with the type found.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import IO

MAX_LETTER_BYTES = 5 * 1024 * 1024
# Magic numbers: what each accepted type starts with.
_SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
MAX_FILENAME = 120


class LetterError(ValueError):
    """Why an upload is not a letter we keep: empty, too_large or type."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LetterFile:
    filename: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def read_letter(stream: IO[bytes], filename: str | None) -> LetterFile:
    """The uploaded letter, or LetterError; reads at most one byte past the limit."""
    content = stream.read(MAX_LETTER_BYTES + 1)
    if not content:
        raise LetterError("empty")
    if len(content) > MAX_LETTER_BYTES:
        raise LetterError("too_large")
    for magic, content_type, extension in _SIGNATURES:
        if content.startswith(magic):
            return LetterFile(_clean_name(filename, extension), content_type, content)
    raise LetterError("type")


def _clean_name(filename: str | None, extension: str) -> str:
    """The name as the registrant gave it (for staff to recognise), printable and short."""
    name = "".join(c for c in (filename or "") if c.isprintable() and c not in '/\\"')
    name = name.strip()[-MAX_FILENAME:] or f"letter.{extension}"
    return name


def download_name(letter_id: int, content_type: str) -> str:
    """A safe name to serve a stored letter under."""
    extension = next((ext for _m, ctype, ext in _SIGNATURES if ctype == content_type), "bin")
    return f"authorisation-letter-{letter_id}.{extension}"

"""Authorisation letters (授权委托书) as uploaded: a PDF, JPEG or PNG of at most 5 MB, read
through the one upload path (portal/uploads.py)."""

from __future__ import annotations

from typing import IO

from portal.uploads import UploadedFile, extension_of, read_upload

MAX_LETTER_BYTES = 5 * 1024 * 1024


def read_letter(stream: IO[bytes], filename: str | None) -> UploadedFile:
    """The uploaded letter, or UploadError; reads at most one byte past the limit."""
    return read_upload(stream, filename, max_bytes=MAX_LETTER_BYTES, fallback_stem="letter")


def download_name(letter_id: int, content_type: str) -> str:
    """A safe name to serve a stored letter under."""
    return f"authorisation-letter-{letter_id}.{extension_of(content_type)}"

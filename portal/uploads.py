"""Files people upload: a PDF, JPEG or PNG, read through one bounded path.

The type is read from the file's first bytes, never from its name or the browser's word, and
the file is kept with the type found. Reading stops one byte past the limit, so a large upload
costs no more than a refused one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import IO

# Magic numbers: what each accepted type starts with.
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)
ACCEPT_ATTRIBUTE = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
MAX_FILENAME = 120


class UploadError(ValueError):
    """Why an upload is not a file we keep: empty, too_large or type."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def size(self) -> int:
        return len(self.content)


def read_upload(
    stream: IO[bytes], filename: str | None, *, max_bytes: int, fallback_stem: str
) -> UploadedFile:
    """The uploaded file, or UploadError; reads at most one byte past `max_bytes`."""
    content = stream.read(max_bytes + 1)
    if not content:
        raise UploadError("empty")
    if len(content) > max_bytes:
        raise UploadError("too_large")
    for magic, content_type, extension in SIGNATURES:
        if content.startswith(magic):
            name = clean_name(filename) or f"{fallback_stem}.{extension}"
            return UploadedFile(name, content_type, content)
    raise UploadError("type")


def clean_name(filename: str | None) -> str:
    """The name as the uploader gave it (for people to recognise), printable and short."""
    name = "".join(c for c in (filename or "") if c.isprintable() and c not in '/\\"')
    return name.strip()[-MAX_FILENAME:]


def extension_of(content_type: str) -> str:
    return next((ext for _m, ctype, ext in SIGNATURES if ctype == content_type), "bin")


def with_extension(filename: str, content_type: str) -> str:
    """The uploader's file name, ending in the extension of the type its content has."""
    extension = extension_of(content_type)
    return filename if filename.lower().endswith(f".{extension}") else f"{filename}.{extension}"

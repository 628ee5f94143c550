"""Where uploaded documents live (a firm's on a lead, an institution's with its application):
files under DOCUMENT_DIR, outside the web root, each under a random key, never under the name
the uploader gave it, readable by the portal's user only.

A document's row and its file are written in that order: the file first (so a committed row
always has its content), the row in the business transaction; if the transaction fails the
caller removes the file again (`discard`).
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, send_file
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.wrappers import Response

from portal.uploads import UploadedFile, with_extension


def _root() -> Path:
    return Path(current_app.config["DOCUMENT_DIR"])


def _path(key: str) -> Path:
    if not key.isalnum():  # keys are ours (hex), but never let one climb out of the store
        raise ValueError("not a document key")
    return _root() / key[:2] / key


def save(content: bytes) -> str:
    """Keep the content under a new random key and return the key."""
    key = secrets.token_hex(24)
    path = _path(key)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_suffix(".part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    return key


def read(key: str) -> bytes:
    return _path(key).read_bytes()


def discard(key: str) -> None:
    """Remove a file whose row was never committed."""
    _path(key).unlink(missing_ok=True)


@contextmanager
def kept(upload: UploadedFile) -> Iterator[str]:
    """Keep the upload's content for a row the block writes and commits; if the block fails,
    the file goes again (a row that was never committed leaves no file behind)."""
    key = save(upload.content)
    try:
        yield key
    except BaseException:
        discard(key)
        raise


class StoredFile:
    """The columns of a row whose content is in the store: the uploader's file name, the type
    found in its first bytes, its size and digest, and the key it is kept under."""

    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)

    @staticmethod
    def columns_for(upload: UploadedFile, key: str) -> dict[str, object]:
        return {
            "filename": upload.filename,
            "content_type": upload.content_type,
            "size": upload.size,
            "sha256": upload.sha256,
            "storage_key": key,
        }


def attachment(row: StoredFile, content: bytes) -> Response:
    """A stored file served for download: an attachment of the type found in its content, under
    the uploader's name with the matching extension, never kept in a shared cache."""
    response = send_file(
        io.BytesIO(content),
        mimetype=row.content_type,
        as_attachment=True,
        download_name=with_extension(row.filename, row.content_type),
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response

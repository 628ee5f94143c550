"""Where uploaded documents live (a firm's on a lead, an institution's with its application):
files under DOCUMENT_DIR, outside the web root, each under a random key, never under the name
the uploader gave it, readable by the portal's user only.

A document's row and its file are written in that order: the file first (so a committed row
always has its content), the row in the business transaction; if the transaction fails the
caller removes the file again (`discard`).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import current_app


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

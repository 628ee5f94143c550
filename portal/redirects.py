"""Safe redirects back to where the user came from."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for

# Longer than any page of ours with its filters; a longer `next` is not one we wrote.
MAX_NEXT_LENGTH = 2000


def safe_next(target: str | None, fallback_endpoint: str) -> str:
    """`target` if it is a clean path on this site, else the fallback page.

    Only same-site paths: an open redirect would let a phishing link borrow our domain.
    """
    if target and is_clean_path(target):
        return target
    return url_for(fallback_endpoint)


def is_clean_path(target: str) -> bool:
    """Whether `target` is a path on this site, written in visible characters only.

    No control characters or whitespace: CR/LF would split the Location header (a 500, or a
    header of the attacker's), and browsers drop tabs and newlines from URLs, so "/\\t/evil.com"
    would become "//evil.com", another site. Browsers also read a backslash as a slash.
    """
    if len(target) > MAX_NEXT_LENGTH or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(not ch.isprintable() or ch.isspace() for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc

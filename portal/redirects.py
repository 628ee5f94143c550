"""Safe redirects back to where the user came from."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for


def safe_next(target: str | None, fallback_endpoint: str) -> str:
    """`target` if it is a path on this site, else the fallback page.

    Only same-site paths: an open redirect would let a phishing link borrow our domain.
    """
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for(fallback_endpoint)

"""Request signatures: HMAC-SHA256 over a canonical request, as docs/exchange-api.md lays down.

The canonical string is the contract both sides must build byte for byte, so it lives in one
function that the exchange verifies with and that tests (and any Python client) sign with.
"""

from __future__ import annotations

import hashlib
import hmac
import time

MAX_SKEW_SECONDS = 300


def canonical_request(method: str, path: str, query: str, timestamp: str, body: bytes) -> str:
    """Method, path, query string as sent, timestamp and the body's SHA-256, one a line."""
    body_hash = hashlib.sha256(body).hexdigest()
    return "\n".join((method.upper(), path, query, timestamp, body_hash))


def sign(secret: str, canonical: str) -> str:
    """The hex HMAC-SHA256 of the canonical request under the client's secret."""
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def signed_headers(
    client_id: str,
    secret: str,
    method: str,
    path: str,
    query: str = "",
    body: bytes = b"",
    now: float | None = None,
) -> dict[str, str]:
    """The three headers a client sends with a request."""
    timestamp = str(int(time.time() if now is None else now))
    signature = sign(secret, canonical_request(method, path, query, timestamp, body))
    return {"X-Client-Id": client_id, "X-Timestamp": timestamp, "X-Signature": signature}


def is_fresh(timestamp: str, now: float, max_skew: int = MAX_SKEW_SECONDS) -> bool:
    """Whether a timestamp is whole seconds within `max_skew` of the exchange's clock."""
    if not (timestamp.isascii() and timestamp.isdigit()):
        return False
    return abs(int(timestamp) - now) <= max_skew


def signature_matches(expected: str, given: str) -> bool:
    """Compare signatures in constant time, so timing reveals nothing of the right one."""
    return hmac.compare_digest(expected.encode(), given.lower().encode())

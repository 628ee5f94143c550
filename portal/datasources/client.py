"""The data exchange client: signed requests, per-source timeouts, retries with backoff and a
circuit breaker per source.

A source that keeps failing opens its breaker for `BREAKER_RESET` seconds: calls fail at once
with `ExchangeUnavailable` instead of holding a worker for the timeout each time, and `/health`
shows the source as down. A 404 is an answer (the code is not in the registry), never retried.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pybreaker
from tenacity import (
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from portal.datasources.sources import PATHS, TIMEOUTS, Source

ATTEMPTS = 3
BREAKER_FAIL_MAX = 5
BREAKER_RESET = 30  # seconds
MAX_RESPONSE_BYTES = 2_000_000  # a bulk answer for 1,000 firms is well under this


class ExchangeUnavailable(Exception):
    """The exchange (or one source) did not answer usefully; try again later."""

    def __init__(self, source: str, detail: str) -> None:
        self.source = source
        super().__init__(f"{source}: {detail}")


class _Retryable(Exception):
    """A failure worth another attempt: a timeout, a connection error or a 5xx."""


@dataclass(frozen=True)
class Envelope:
    """One source's record of one firm, as the exchange gave it."""

    source: Source
    credit_code: str
    as_of: dt.date
    reference: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class IdentityAnswer:
    match: bool
    reason: str | None = None  # name, id_number or not_found when it does not match


def canonical_request(method: str, path: str, query: str, timestamp: str, body: bytes) -> bytes:
    """What the signature covers (docs/exchange-api.md)."""
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join((method.upper(), path, query, timestamp, digest)).encode()


def sign(secret: str, method: str, path: str, query: str, timestamp: str, body: bytes) -> str:
    message = canonical_request(method, path, query, timestamp, body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


_breakers: dict[tuple[str, str], pybreaker.CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker(base_url: str, source: str) -> pybreaker.CircuitBreaker:
    """The process-wide breaker of one source of one exchange."""
    key = (base_url, source)
    with _breakers_lock:
        found = _breakers.get(key)
        if found is None:
            found = _breakers[key] = pybreaker.CircuitBreaker(
                fail_max=BREAKER_FAIL_MAX,
                reset_timeout=BREAKER_RESET,
                exclude=[lambda error: not isinstance(error, ExchangeUnavailable)],
                name=f"exchange:{source}",
            )
        return found


def breaker_states(base_url: str) -> dict[str, str]:
    """Each source's breaker: closed (up), open (down) or half-open (being retried)."""
    return {source.value: breaker(base_url, source.value).current_state for source in Source}


def reset_breakers() -> None:
    """Forget every breaker's failures (tests, and after reconfiguring the exchange)."""
    with _breakers_lock:
        _breakers.clear()


class ExchangeClient:
    """Calls to one exchange with one client's credentials."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        secret: str,
        *,
        timeouts: Mapping[Source, float] | None = None,
        attempts: int = ATTEMPTS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.secret = secret
        self.timeouts = {**TIMEOUTS, **(timeouts or {})}
        self.attempts = attempts
        self._http = httpx.Client(transport=transport, follow_redirects=False)

    # -- the API

    def fetch(self, source: Source, credit_code: str) -> Envelope | None:
        """One source's record of the firm, or None when the source does not know the code."""
        path = f"/v1/firms/{credit_code}/{PATHS[source]}"
        answer = self._call(source.value, "GET", path, timeout=self.timeouts[source])
        if answer is None:
            return None
        return parse_envelope(source, answer)

    def verify_identity(self, credit_code: str, name: str, id_number: str) -> IdentityAnswer:
        """Whether the registry's legal representative of the firm has this name and ID number."""
        body = {"credit_code": credit_code, "name": name, "id_number": id_number}
        answer = self._call(
            Source.REGISTRY.value,
            "POST",
            "/v1/identity/verify",
            body=body,
            timeout=self.timeouts[Source.REGISTRY],
        )
        if answer is None:
            return IdentityAnswer(False, "not_found")
        return IdentityAnswer(bool(answer.get("match")), answer.get("reason"))

    def bulk(
        self, codes: Iterable[str], sources: Iterable[Source]
    ) -> dict[str, dict[Source, Envelope | None]]:
        """Several firms' records from several sources in one call (at most 1,000 codes)."""
        codes, sources = list(codes), list(sources)
        body = {"codes": codes, "sources": [PATHS[s] for s in sources]}
        timeout = max(self.timeouts[s] for s in sources) * 4
        answer = self._call("bulk", "POST", "/v1/bulk", body=body, timeout=timeout) or {}
        results = answer.get("results", {})
        found: dict[str, dict[Source, Envelope | None]] = {}
        for code in codes:
            per_source = results.get(code, {})
            found[code] = {
                source: _envelope_or_none(source, per_source.get(PATHS[source]))
                for source in sources
            }
        return found

    def health(self) -> dict[str, Any]:
        response = self._http.get(f"{self.base_url}/health", timeout=2.0)
        response.raise_for_status()
        return response.json()

    # -- transport

    def _call(
        self,
        source: str,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        timeout: float,
    ) -> dict[str, Any] | None:
        guarded = breaker(self.base_url, source)
        try:
            return guarded.call(self._with_retries, source, method, path, body, timeout)
        except pybreaker.CircuitBreakerError as error:
            raise ExchangeUnavailable(source, "circuit open") from error

    def _with_retries(
        self,
        source: str,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        timeout: float,
    ) -> dict[str, Any] | None:
        attempt = retry(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=0.1, max=1.0),
            reraise=True,
        )(self._once)
        try:
            return attempt(method, path, body, timeout)
        except _Retryable as error:
            raise ExchangeUnavailable(source, str(error)) from error

    def _once(
        self, method: str, path: str, body: Mapping[str, Any] | None, timeout: float
    ) -> dict[str, Any] | None:
        content = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        timestamp = str(int(time.time()))
        url = f"{self.base_url}{path}"
        headers = {
            "X-Client-Id": self.client_id,
            "X-Timestamp": timestamp,
            "X-Signature": sign(self.secret, method, urlsplit(url).path, "", timestamp, content),
            "Accept": "application/json",
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self._http.request(
                method, url, content=content or None, headers=headers, timeout=timeout
            )
        except httpx.TimeoutException as error:
            raise _Retryable(f"timed out after {timeout:g} s") from error
        except httpx.TransportError as error:
            raise _Retryable(f"connection failed: {error.__class__.__name__}") from error
        if response.status_code == 404:
            return None
        if response.status_code >= 500:
            raise _Retryable(f"HTTP {response.status_code}")
        if response.status_code != 200 or len(response.content) > MAX_RESPONSE_BYTES:
            # 401 (credentials) or 4xx (our request): retrying cannot help; the source is down
            # for us until someone fixes the configuration.
            raise ExchangeUnavailable(path, f"HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as error:
            raise ExchangeUnavailable(path, "answer is not JSON") from error
        if not isinstance(answer, dict):
            raise ExchangeUnavailable(path, "answer is not an object")
        return answer


def parse_envelope(source: Source, answer: Mapping[str, Any]) -> Envelope:
    """An envelope from the exchange's JSON; a malformed one is the source being unusable."""
    try:
        as_of = dt.date.fromisoformat(str(answer["as_of"]))
        code = str(answer["credit_code"])
        reference = str(answer["reference"])[:64]
        data = answer["data"]
    except (KeyError, ValueError, TypeError) as error:
        raise ExchangeUnavailable(source.value, "malformed envelope") from error
    if not isinstance(data, dict):
        raise ExchangeUnavailable(source.value, "malformed envelope")
    return Envelope(source, code, as_of, reference, data)


def _envelope_or_none(source: Source, answer: Any) -> Envelope | None:
    if not isinstance(answer, dict) or "error" in answer:
        return None
    return parse_envelope(source, answer)

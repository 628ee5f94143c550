"""Latency and failure switches, so tests and demonstrations can make a source slow or down."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping

# The sources as they appear in paths, bulk requests, switches and /health.
SOURCES = ("registry", "tax", "social-insurance", "qualifications", "courts")


class SwitchError(ValueError):
    """Switch settings that name an unknown source or a negative latency."""


class Switches:
    """The current latency (ms) and failed sources, shared by the server's threads."""

    def __init__(self, latency_ms: Mapping[str, int], fail: Iterable[str]) -> None:
        """Start from the configured switches (EXCHANGE_LATENCY_MS, EXCHANGE_FAIL)."""
        self._lock = threading.Lock()
        self._latency: dict[str, int] = {}
        self._fail: set[str] = set()
        self.update(latency_ms=latency_ms, fail=fail)

    def update(
        self, latency_ms: Mapping[str, int] | None = None, fail: Iterable[str] | None = None
    ) -> None:
        """Replace the latencies and/or the failed sources; what is not given stays."""
        latency = _checked_latency(latency_ms) if latency_ms is not None else None
        failed = _checked_sources(fail) if fail is not None else None
        with self._lock:
            if latency is not None:
                self._latency = latency
            if failed is not None:
                self._fail = failed

    def snapshot(self) -> dict[str, object]:
        """The switches as the admin endpoint shows them."""
        with self._lock:
            return {"latency_ms": dict(self._latency), "fail": sorted(self._fail)}

    def is_up(self, source: str) -> bool:
        """Whether the source answers (it may still be slow)."""
        with self._lock:
            return source not in self._fail

    def delay(self, sources: Iterable[str]) -> None:
        """Wait as long as the slowest of the sources would (a bulk call waits for them at once)."""
        with self._lock:
            millis = max((self._latency.get(source, 0) for source in sources), default=0)
        if millis:
            time.sleep(millis / 1000)


def _checked_sources(sources: Iterable[str]) -> set[str]:
    """The sources as a set, refusing any the exchange does not have."""
    chosen = set(sources)
    unknown = chosen - set(SOURCES)
    if unknown:
        raise SwitchError(f"unknown source: {', '.join(sorted(unknown))}")
    return chosen


def _checked_latency(latency_ms: Mapping[str, int]) -> dict[str, int]:
    """The latencies, refusing unknown sources and anything but whole non-negative numbers."""
    _checked_sources(latency_ms)
    for source, millis in latency_ms.items():
        if isinstance(millis, bool) or not isinstance(millis, int) or millis < 0:
            raise SwitchError(f"latency for {source} must be a whole number of milliseconds")
    return dict(latency_ms)

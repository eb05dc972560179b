"""Buckets in this process's memory: exact for one worker, and no server to run."""

from __future__ import annotations

import threading
import time

from agora.ratelimit.buckets import Decision, Limits, floor_debt, refill, take


class LocalLimiter:
    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float, float]] = {}  # bucket -> (requests, tokens, at ms)
        self._lock = threading.Lock()  # endpoints may run in the thread pool too

    def _levels(self, bucket: str, limits: Limits, now_ms: float) -> tuple[float, float]:
        requests, tokens, at = self._buckets.get(bucket, (limits.requests_per_minute, limits.tokens_per_minute, now_ms))
        elapsed = now_ms - at
        return refill(requests, limits.requests_per_minute, elapsed), refill(tokens, limits.tokens_per_minute, elapsed)

    async def acquire(self, bucket: str, limits: Limits, tokens: int) -> Decision:
        now_ms = self._clock() * 1000
        with self._lock:
            requests_level, tokens_level = self._levels(bucket, limits, now_ms)
            allowed, requests_level, tokens_level = take(requests_level, tokens_level, limits, tokens)
            self._buckets[bucket] = (requests_level, tokens_level, now_ms)
        return Decision(allowed, limits, requests_level, tokens_level)

    async def charge(self, bucket: str, limits: Limits, tokens: int) -> None:
        now_ms = self._clock() * 1000
        with self._lock:
            requests_level, tokens_level = self._levels(bucket, limits, now_ms)
            self._buckets[bucket] = (requests_level, floor_debt(tokens_level - tokens, limits), now_ms)

    async def aclose(self) -> None:
        self._buckets.clear()

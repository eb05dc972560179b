"""A tiny per-process cache whose entries are never older than their time to live."""

from __future__ import annotations

import time
from threading import Lock


class TtlCache:
    """Entries computed on a miss and reused until they are `seconds` old."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[object, tuple[float, object]] = {}
        self._lock = Lock()

    def get(self, key, compute):
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit and now - hit[0] < self.seconds:
            return hit[1]
        value = compute()
        with self._lock:
            self._entries[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

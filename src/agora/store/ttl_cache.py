"""Tiny per-process caches whose entries are recomputed once they reach their time to live."""

from __future__ import annotations

import logging
import threading
import time
from threading import Lock

from sqlalchemy import Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


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


class RefreshingCache:
    """Entries computed once on a miss, then recomputed by a background thread when a read
    finds them `seconds` old; reads meanwhile get the previous value at once.

    For values that are slow to build and fine a little stale (the type-ahead's names: a
    rebuild costs 80-230 ms, which one unlucky request per minute used to pay). `compute`
    runs on another thread, so it must not use the caller's session or connection. At most
    one refresh per key runs at a time; one that fails keeps the old value and is retried
    by the next read.

    A read that finds nothing to serve builds the value itself, with `inline` when given:
    the caller's own session. On a second connection, that read could wait for ever: its
    lock request queues behind a schema change (a migration's ALTER TABLE) that is itself
    waiting for the caller's transaction to end. The caller's transaction already holds
    the lock, so on its session the read goes through.
    """

    def __init__(self, seconds: float, *, max_age: float | None = None) -> None:
        self.seconds = seconds
        # An entry older than this is never served: after a quiet spell, the first read
        # recomputes it itself rather than show something that old.
        self.max_age = max_age
        self._entries: dict[object, tuple[float, object]] = {}
        self._refreshing: dict[object, int] = {}  # key -> the generation its refresh began in
        self._generation = 0  # bumped by clear(), so a refresh begun before it stores nothing
        self._lock = Lock()

    def get(self, key, compute, *, inline=None):
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and self.max_age is not None and now - hit[0] >= self.max_age:
                hit = None
            stale = hit is not None and now - hit[0] >= self.seconds and key not in self._refreshing
            generation = self._generation
            if stale:
                self._refreshing[key] = generation
        if hit is None:  # nothing to serve yet: this read builds it
            value = (inline or compute)()
            with self._lock:
                self._entries[key] = (now, value)
            return value
        if stale:
            threading.Thread(target=self._refresh, args=(key, compute, generation), daemon=True,
                             name="agora-cache-refresh").start()
        return hit[1]

    def read(self, key, session: Session, read):
        """get() for a value that `read(session)` reads from the database: on the caller's
        session when the caller must wait for it (see above), on a session of its own when
        a background thread refreshes it."""
        return self.get(key, _on_own_session(session.get_bind(), read), inline=lambda: read(session))

    def refresh_read_now(self, key, engine: Engine, read) -> None:
        """refresh_now() for such a value, read on a session of its own."""
        self.refresh_now(key, _on_own_session(engine, read))

    def refresh_now(self, key, compute) -> None:
        """Recompute the entry on this thread, unless a refresh of it is under way: for a
        caller that is itself in the background, keeping entries fresh ahead of reads."""
        with self._lock:
            if key in self._refreshing:
                return
            generation = self._refreshing[key] = self._generation
        self._refresh(key, compute, generation)

    def _refresh(self, key, compute, generation: int) -> None:
        started = time.monotonic()
        try:
            value = compute()
        except Exception:  # the old value stays; the next stale read retries
            log.warning("could not refresh a cached value", exc_info=True)
            with self._lock:
                if self._refreshing.get(key) == generation:
                    del self._refreshing[key]
            return
        with self._lock:
            if self._refreshing.get(key) == generation:
                del self._refreshing[key]
            if generation == self._generation:
                self._entries[key] = (started, value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._refreshing.clear()
            self._generation += 1


def _on_own_session(engine: Engine, read):
    def run():
        with Session(engine) as own:  # outside any request: another thread's, or none
            return read(own)

    return run

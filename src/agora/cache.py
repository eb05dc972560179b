"""The application's caches: plain time-to-live ones (cachetools), ones refreshed in the background, and the set of them on app.state.

Every cache is an object the app factory makes and keeps on `app.state.caches` (a `Caches`),
never a module global: two applications in one process (the tests run one per database) do
not share entries, and clearing an application's caches is one call. Events invalidate them
(docs/architecture.md): the store's listen to gpt.changed, /v1's to api_key.revoked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Any, Protocol

import cachetools
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_MISSING = object()


class Clearable(Protocol):
    def clear(self) -> None: ...


class TtlCache:
    """Entries computed on a miss and reused until they are `seconds` old (a cachetools.TTLCache
    behind a lock: pages and /v1 read it from the thread pool). Past `maxsize` entries the least
    recently used go first; expired ones are dropped as new ones come in."""

    def __init__(self, seconds: float, *, maxsize: int = 10_000, timer: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._entries: cachetools.TTLCache = cachetools.TTLCache(maxsize=maxsize, ttl=seconds, timer=timer)
        self._lock = Lock()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The entry for `key`, computed (outside the lock) when missing or expired."""
        hit = self.peek(key, _MISSING)
        if hit is not _MISSING:
            return hit
        value = compute()
        with self._lock:
            self._entries[key] = value
        return value

    def peek(self, key: Hashable, default: Any = None) -> Any:
        """The entry for `key` if it is there and fresh, else `default` (nothing computed)."""
        # Indexing, not .get(): cachetools' get() tests membership first, then indexes (8 us against
        # 2 us a hit, measured under a load average of 9); a read reorders the LRU list, hence the lock.
        with self._lock:
            try:
                return self._entries[key]
            except KeyError:
                return default

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._entries[key] = value

    def pop(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def drop_where(self, doomed: Callable[[Any], bool]) -> None:
        """Drop every entry whose value `doomed(value)` says is stale (a revoked key's, say)."""
        with self._lock:
            for key in [key for key, value in self._entries.items() if doomed(value)]:
                del self._entries[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

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


class Caches:
    """Every cache of one application, by name (`app.state.caches.store`, ...): made by the app factory, cleared as one."""

    def __init__(self, **caches: Clearable) -> None:
        self._names = tuple(caches)
        for name, cache in caches.items():
            setattr(self, name, cache)

    def clear(self) -> None:
        """Empty every cache (tests, between two uses of one application; an operator's restore)."""
        for name in self._names:
            getattr(self, name).clear()


def _on_own_session(engine: Engine | Connection, read):
    def run():
        with Session(engine) as own:  # outside any request: another thread's, or none
            return read(own)

    return run

"""The usage writer: every reply's usage (web chat, /v1, editor preview), written in batches through `batch.ingest`.

Writing each reply's usage in a transaction of its own cost more than the rest of a reply,
and serialised the writers on SQLite. Replies submit what to write instead, and one thread
per process writes everything submitted so far in one transaction (group commit): a batch
holds what arrived while the previous one was being written, whatever the load.

- An event carries its idempotency key: a batch written twice (a commit whose answer was
  lost) counts nothing twice.
- `along` writes go in the same transaction as the event (the chat's stored reply, an API
  key's last use). They must be idempotent, like the events: a batch may be retried.
- `submit(..., urgent=True)` wakes the thread at once (the chat waits for its reply to be
  stored before telling the browser it is done); other submissions wait up to `interval`,
  so a busy gateway writes a few large batches rather than many small ones.
- Nothing is dropped on database trouble: the batch is kept and retried with a growing pause,
  and new submissions queue behind it. Past `backlog` queued events `accepting()` is False, and
  callers refuse new replies (503) until the database is back; replies already running still
  queue theirs. Only an item the database refuses while it answers (bad data, not an outage)
  is set apart: its `along` writes are dropped and its event written alone, or, if even that
  is refused, logged whole at ERROR level (docs/operations.md).
- `close()` (the application's shutdown) writes what is queued, for as long as it is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from agora.db import Database, is_outage
from agora.errors import Unavailable
from agora.i18n import gettext as _
from agora.metering import batch

log = logging.getLogger("agora.metering")

INTERVAL = 0.2  # seconds a non-urgent submission may wait for its batch
BACKLOG = 50_000  # queued events past which new replies are refused
RETRY_AFTER_SECONDS = 30  # what a refused caller is told to wait
PAUSES = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0)  # between attempts while the database is away (the last repeats)

# A function writing many submissions' `along` values in one go, in the batch's transaction.
AlongWrite = Callable[[Session, list[Any]], None]
# Done once a submission is written: an asyncio future when submitted on an event loop, else a thread's.
Written = asyncio.Future | Future


@dataclass(slots=True)
class _Item:
    event: dict | None
    along: tuple[AlongWrite, Any] | None
    written: Written | None  # for a submitter that waits; a future costs more than the rest of a submission
    done: bool = False


class UsageWriter:
    def __init__(self, database: Database, *, interval: float = INTERVAL, backlog: int = BACKLOG) -> None:
        self.database, self.interval, self.backlog = database, interval, backlog
        self._pending: list[_Item] = []
        self._events_pending = 0
        self._lock = threading.Lock()  # guards _pending (appended from the event loop, taken by the writer)
        self._write_lock = threading.Lock()  # one batch written at a time, in order
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing_since: float | None = None

    # ---- submitting (any thread; never touches the database) ----

    def submit(self, event: dict | None, *, along: tuple[AlongWrite, Any] | None = None, urgent: bool = False) -> Written | None:
        """Queue a usage event (UsageRecord columns, `created_at` aware) and what goes with it.

        `urgent`: the caller waits for it to be written; the writer wakes at once and the
        returned future is done once written (else None). Raises ValueError at once for an
        event the ingest would refuse.
        """
        if event is not None:
            batch.check(event)
        item = _Item(event, along, _future() if urgent else None)
        with self._lock:
            self._pending.append(item)
            self._events_pending += event is not None
        if self._thread is None:
            self._start()
        if urgent:
            self._wake.set()
        return item.written

    def accepting(self) -> bool:
        """Whether new replies may start: False while the queue is past its bound (the database is away)."""
        return self._events_pending < self.backlog

    def ensure_room(self) -> None:
        """Refuse a new reply (503) while the queue is past its bound: its usage could not be kept."""
        if not self.accepting():
            raise Unavailable(_("Agora cannot record replies right now because its database is unavailable. Try again in a minute."),
                              retry_after=RETRY_AFTER_SECONDS, code="usage_backlog_full")

    @property
    def failing_since(self) -> float | None:
        """When (time.monotonic()) the current run of failed writes began; None when writes succeed."""
        return self._failing_since

    # ---- writing ----

    def flush(self) -> None:
        """Write everything queued so far, now (raises what the database raised if it cannot)."""
        with self._write_lock:
            items = self._take()
            try:
                self._write(items)
            except Exception:
                self._put_back(items)
                raise

    def close(self, timeout: float = 30.0) -> None:
        """Stop the thread and write what is left, retrying for up to `timeout` seconds (the application's shutdown)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.flush()
                return
            except Exception:  # noqa: BLE001 - whatever the database raised, the records stay queued for the next try
                if time.monotonic() >= deadline:
                    with self._lock:
                        left = list(self._pending)
                    log.error("the database is away: %d usage records could not be written before shutdown", len(left))
                    for item in left:
                        log.error("unwritten usage record: %r", item.event)
                    return
                time.sleep(PAUSES[-1])

    def _start(self) -> None:
        # Started on first use, in the worker process that serves (threads do not survive a fork).
        if self._thread is None and not self._stop.is_set():
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="agora-usage-writer", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            self._wake.wait(self.interval if attempt == 0 else PAUSES[min(attempt, len(PAUSES)) - 1])
            self._wake.clear()
            with self._write_lock:
                items = self._take()
                try:
                    self._write(items)
                except Exception:
                    self._put_back(items)
                    attempt += 1
                    if attempt == 1:
                        self._failing_since = time.monotonic()
                        log.warning("cannot write %d usage records: the database is away; keeping them and retrying", len(items), exc_info=True)
                    continue
            if attempt:
                log.warning("the database is back: usage records written after %.1f s", time.monotonic() - (self._failing_since or 0))
            attempt, self._failing_since = 0, None

    def _take(self) -> list[_Item]:
        with self._lock:
            items, self._pending = self._pending, []
        return items

    def _put_back(self, items: list[_Item]) -> None:
        with self._lock:
            # In front, so they are written in the order they came; those a split already wrote stay done.
            self._pending[:0] = [item for item in items if not item.done]

    def _done(self, items: list[_Item]) -> None:
        with self._lock:
            self._events_pending -= sum(item.event is not None for item in items)
        waiting: dict[asyncio.AbstractEventLoop, list[asyncio.Future]] = {}
        for item in items:
            item.done = True
            if isinstance(item.written, asyncio.Future):
                waiting.setdefault(item.written.get_loop(), []).append(item.written)
            elif item.written is not None:
                item.written.set_result(None)
        for loop, futures in waiting.items():  # one wake-up of each event loop per batch, not one per reply
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits any more
                loop.call_soon_threadsafe(_resolve, futures)

    def _write(self, items: list[_Item]) -> None:
        """Write `items` in one transaction. Raises on an outage (nothing written); bad data is set apart."""
        if not items:
            return
        try:
            self._transaction(items)
        except Exception as error:
            if is_outage(error):
                raise
            self._set_apart(items, error)
            return
        self._done(items)

    def _set_apart(self, items: list[_Item], error: Exception) -> None:
        """The database answers but refuses something in `items`: write the rest, and find what it refuses."""
        if len(items) > 1:  # halves until the refused item is alone: log2(n) more batches
            middle = len(items) // 2
            self._write(items[:middle])
            self._write(items[middle:])
        elif items[0].along is not None:  # the usage alone, which is what was consumed
            log.error("dropped what goes with usage record %r, refused by the database: %s", items[0].event, error)
            items[0].along = None
            self._write(items)
        else:
            log.error("dropped usage record %r, refused by the database: %s", items[0].event, error)
            self._done(items)

    def _transaction(self, items: list[_Item]) -> None:
        alongs: dict[AlongWrite, list[Any]] = {}
        for item in items:
            if item.along is not None:
                alongs.setdefault(item.along[0], []).append(item.along[1])
        with self.database.session() as session:
            # The along writes first: on SQLite a transaction that reads before it writes fails,
            # rather than waits, when another writer is busy.
            for write, values in alongs.items():
                write(session, values)
            batch.ingest(session, [item.event for item in items if item.event is not None])


def _future() -> Written:
    try:
        return asyncio.get_running_loop().create_future()
    except RuntimeError:  # not on an event loop
        return Future()


def _resolve(futures: list[asyncio.Future]) -> None:
    for future in futures:
        if not future.done():  # given up on by its waiter (`written` timed out)
            future.set_result(None)


async def written(future: Written, timeout: float) -> bool:
    """Wait (on the event loop) up to `timeout` seconds for a submission to be written; False if it is not yet."""
    if future.done():
        return True
    try:
        async with asyncio.timeout(timeout):
            await (future if isinstance(future, asyncio.Future) else asyncio.wrap_future(future))
    except TimeoutError:
        return False
    return True


def writer_for(state: Any) -> UsageWriter:
    """The application's writer (on `state`, the app's state), made on first use for its database."""
    writer = getattr(state, "usage_writer", None)
    if writer is None or writer.database is not state.database:
        state.usage_writer = writer = UsageWriter(state.database, backlog=state.settings.usage_backlog)
    return writer

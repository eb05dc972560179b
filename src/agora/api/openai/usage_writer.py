"""/v1's usage records and key uses, written in batches by one background thread.

Writing each call's usage in a transaction of its own (a thread-pool hop, a commit, an fsync
on SQLite) cost more than the rest of a gateway call. Calls queue what to write instead; a
thread writes the queue every `INTERVAL` seconds in one transaction:

- each record carries its idempotency key (`api:<completion id>`), so a batch retried after
  a failure never counts a reply twice;
- a batch that keeps failing is written record by record, so one bad record cannot hold
  the others back (it is logged and dropped);
- `close()` (the application's shutdown) and `flush()` write what is queued before returning.

A crash (the process killed without a shutdown) loses at most the last `INTERVAL` seconds of
/v1 usage; docs/api.md says so.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update

from agora.accounts.models import ApiKey
from agora.db import Database, utcnow
from agora.metering.service import record_reply_usage

log = logging.getLogger("agora.api")

INTERVAL = 0.2
ATTEMPTS = 5  # whole-batch attempts before writing the batch record by record

_writers: weakref.WeakSet[UsageWriter] = weakref.WeakSet()


@dataclass
class _Batch:
    keys_used: set[int] = field(default_factory=set)
    records: list[dict[str, Any]] = field(default_factory=list)
    attempts: int = 0

    def __bool__(self) -> bool:
        return bool(self.keys_used or self.records)


class UsageWriter:
    def __init__(self, database: Database, interval: float = INTERVAL) -> None:
        self.database, self.interval = database, interval
        self._pending = _Batch()
        self._queue_lock = threading.Lock()  # guards _pending (appended from the event loop, taken by the writer)
        self._write_lock = threading.Lock()  # one batch written at a time, in order
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        _writers.add(self)

    # ---- queueing (any thread, never blocks on the database) ----

    def record(self, key_id: int, **usage: Any) -> None:
        """Queue a reply's usage (record_reply_usage's arguments, idempotency_key included) and its key's use."""
        if "idempotency_key" not in usage:
            raise ValueError("a queued usage record needs its idempotency key")
        with self._queue_lock:
            self._pending.keys_used.add(key_id)
            self._pending.records.append(usage)
        self._start()

    def key_used(self, key_id: int) -> None:
        """Queue the key's last use (a call that records no usage, such as /v1/models)."""
        with self._queue_lock:
            self._pending.keys_used.add(key_id)
        self._start()

    # ---- writing ----

    def flush(self) -> None:
        """Write everything queued so far, now (waits for a batch being written)."""
        with self._write_lock:
            self._write(self._take())

    def close(self) -> None:
        """Stop the thread and write what is left (the application's shutdown)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.flush()

    def _start(self) -> None:
        # Started on first use, in the worker process that serves (threads do not survive a fork).
        if self._thread is None and not self._stop.is_set():
            with self._queue_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="agora-api-usage", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self._write_lock:
                self._write(self._take())

    def _take(self) -> _Batch:
        with self._queue_lock:
            batch, self._pending = self._pending, _Batch()
        return batch

    def _write(self, batch: _Batch) -> None:
        if not batch:
            return
        try:
            with self.database.session() as session:
                _write_batch(session, batch)
        except Exception:
            batch.attempts += 1
            if batch.attempts < ATTEMPTS and not self._stop.is_set():
                log.warning("could not write %d /v1 usage records (attempt %d); retrying", len(batch.records), batch.attempts, exc_info=True)
                self._requeue(batch)
            else:
                self._write_one_by_one(batch)

    def _requeue(self, batch: _Batch) -> None:
        with self._queue_lock:
            later = self._pending
            batch.keys_used |= later.keys_used
            batch.records += later.records
            self._pending = batch

    def _write_one_by_one(self, batch: _Batch) -> None:
        for record in batch.records:
            try:
                with self.database.session() as session:
                    record_reply_usage(session, **record)
            except Exception:
                log.exception("dropped a /v1 usage record that could not be written: %s", record.get("idempotency_key"))
        try:
            with self.database.session() as session:
                _mark_used(session, batch.keys_used)
        except Exception:
            log.warning("could not record the last use of %d API keys", len(batch.keys_used), exc_info=True)


def _write_batch(session, batch: _Batch) -> None:
    # The key update first: on SQLite a transaction that reads before it writes fails, rather than waits, when another writer is busy.
    _mark_used(session, batch.keys_used)
    for record in batch.records:
        record_reply_usage(session, **record)  # a replayed key inserts nothing


def _mark_used(session, key_ids: set[int]) -> None:
    if key_ids:
        session.execute(update(ApiKey).where(ApiKey.id.in_(sorted(key_ids))).values(last_used_at=utcnow()))


def flush_all() -> None:
    """Write the queued /v1 usage of every writer in this process (tests read usage right after a call)."""
    for writer in list(_writers):
        writer.flush()

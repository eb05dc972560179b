"""Stopping replies wherever they are being written, and keeping this worker's claim on those it writes.

A stop request may reach another worker process than the one streaming the reply, so it
is written to the database (`Message.stop_requested`). Each event loop keeps one board of
the replies it is streaming and one poller that reads the flags of all of them in a
single query; a stop that lands on the streaming worker itself acts at once. The same
poller renews this worker's lease on them (chat.owners) every RENEW_SECONDS, in one
statement: a worker that stops renewing has died, and its replies block nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

import anyio

from agora.chat import owners, turns
from agora.db import Database

log = logging.getLogger("agora.chat")
POLL_SECONDS = 0.5


class Stoppable(Protocol):
    def stop(self) -> None: ...


class StopBoard:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._running: dict[int, Stoppable] = {}
        self._poller: asyncio.Task | None = None
        self._renewed = time.monotonic()

    def register(self, reply_id: int, reply: Stoppable) -> None:
        self._running[reply_id] = reply
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll())

    def unregister(self, reply_id: int) -> None:
        self._running.pop(reply_id, None)

    def stop_here(self, reply_id: int) -> bool:
        reply = self._running.get(reply_id)
        if reply is None:
            return False
        reply.stop()
        return True

    async def _poll(self) -> None:
        while self._running:
            await asyncio.sleep(POLL_SECONDS)
            ids = list(self._running)
            if not ids:
                break
            renew = time.monotonic() - self._renewed >= owners.RENEW_SECONDS
            try:
                flagged = await anyio.to_thread.run_sync(self._flagged, ids, renew)
            except Exception:  # a database hiccup must not kill the poller; local stops still work
                log.exception("could not read stop requests")
                continue
            if renew:
                self._renewed = time.monotonic()
            for reply_id in flagged:
                self.stop_here(reply_id)

    def _flagged(self, ids: list[int], renew: bool) -> list[int]:
        with self.database.session() as session:
            if renew:  # the write first: on SQLite a transaction that reads before it writes fails rather than waits
                owners.renew(session, ids)
            return turns.stop_requested(session, ids)

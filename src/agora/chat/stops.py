"""Stopping replies, wherever they are being written.

A stop request may reach another worker process than the one streaming the reply, so it
is written to the database (`Message.stop_requested`). Each event loop keeps one board of
the replies it is streaming and one poller that reads the flags of all of them in a
single query; a stop that lands on the streaming worker itself acts at once.
"""

from __future__ import annotations

import asyncio
import logging

import anyio

from agora.chat import turns
from agora.db import Database

log = logging.getLogger("agora.chat")
POLL_SECONDS = 0.5


class StopBoard:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._running: dict[int, asyncio.Task] = {}
        self._poller: asyncio.Task | None = None

    def register(self, reply_id: int, task: asyncio.Task) -> None:
        self._running[reply_id] = task
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll())

    def unregister(self, reply_id: int) -> None:
        self._running.pop(reply_id, None)

    def stop_here(self, reply_id: int) -> bool:
        task = self._running.get(reply_id)
        if task is None:
            return False
        task.cancel()
        return True

    async def _poll(self) -> None:
        while self._running:
            await asyncio.sleep(POLL_SECONDS)
            ids = list(self._running)
            if not ids:
                break
            try:
                flagged = await anyio.to_thread.run_sync(self._flagged, ids)
            except Exception:  # a database hiccup must not kill the poller; local stops still work
                log.exception("could not read stop requests")
                continue
            for reply_id in flagged:
                self.stop_here(reply_id)

    def _flagged(self, ids: list[int]) -> list[int]:
        with self.database.session() as session:
            return turns.stop_requested(session, ids)

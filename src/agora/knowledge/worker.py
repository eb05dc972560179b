"""The ingestion worker: threads that claim documents and ingest them, in each `agora serve` process or in `agora worker`.

Each thread polls for work every second when idle (a claim is one indexed query), and is
woken at once by an upload in its own process.
"""

from __future__ import annotations

import logging
import threading

from agora.config import Settings
from agora.db import Database
from agora.knowledge import jobs

log = logging.getLogger("agora.knowledge")
IDLE_SECONDS = 1.0


class Worker:
    def __init__(self, database: Database, settings: Settings, *, threads: int | None = None) -> None:
        self.database, self.settings = database, settings
        self.count = settings.knowledge_workers if threads is None else threads
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> Worker:
        for number in range(self.count):
            thread = threading.Thread(target=self._loop, daemon=True, name=f"agora-knowledge-{number}")
            thread.start()
            self._threads.append(thread)
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                document_id = jobs.claim(self.database)
                if document_id is not None:
                    jobs.run(self.database, document_id, self.settings)
                    continue
            except Exception:
                log.exception("knowledge worker: claim or run failed")
            self._wake.wait(IDLE_SECONDS)
            self._wake.clear()

"""Housekeeping: what retention rules delete, run by every worker each hour (and by `agora retention run`).

Hourly rather than daily so that something past its retention goes within the hour, whenever
the workers were started; each job is idempotent, and two workers running it at once take
turns (the audit chain's head, each conversation's row), the second finding nothing left.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from agora.config import Settings
from agora.db import Database, utcnow

log = logging.getLogger(__name__)
EVERY_SECONDS = 3600


def run(database: Database, settings: Settings, *, now: datetime) -> dict[str, int]:
    """Every retention job once; what each deleted."""
    from agora.audit import retention as audit_retention
    from agora.moderation import review as moderation_review
    from agora.retention import service as conversation_retention

    conversations = conversation_retention.run(database, now=now)
    with database.session() as session:
        audit_pruned = audit_retention.prune(session, days=settings.audit_retention_days, now=now)
    with database.session() as session:
        delisted = moderation_review.apply_due(session, now=now)  # delistings whose notice period has passed
    return {"conversations": conversations, "audit_entries": audit_pruned, "delisted": delisted}


class Housekeeper:
    """A worker's housekeeping thread, started with the app and stopped with it."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep_running, args=(database, settings), daemon=True, name="agora-housekeeping")

    def start(self) -> Housekeeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Once this returns, nothing more is deleted (a run under way is finished first)."""
        self._stop.set()
        self._thread.join()

    def _keep_running(self, database: Database, settings: Settings) -> None:
        while True:
            try:
                done = run(database, settings, now=utcnow())
                if any(done.values()):
                    log.info("housekeeping deleted what passed its retention", extra=done)
            except Exception:
                log.warning("housekeeping could not run", exc_info=True)
            if self._stop.wait(EVERY_SECONDS):
                return

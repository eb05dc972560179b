"""The billing clock: what falls due with nobody asking (lifecycle.catch_up).

- An offline subscription whose first invoice was not paid within the grace period ends. The
  plan itself stops at the deadline without the clock (entitlements.grants reads `pay_by`);
  the clock records it, at most a minute later.
- An offline subscription reaching the end of its period renews (the next period's invoice),
  or ends: cancelled at period end, or expired when it was already past due.

Every worker runs it (the app starts a Clock); two workers finding the same subscription due
take turns holding its workspace, and the second finds nothing left to do.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from sqlalchemy import select

from agora.billing import lifecycle, serial
from agora.billing.models import Subscription
from agora.db import Database, utcnow

log = logging.getLogger(__name__)
EVERY_SECONDS = 60


def run_due(database: Database, *, now: datetime) -> int:
    """Apply what is due at `now`, one subscription per transaction; how many changed."""
    with database.session() as session:
        period_ended = (Subscription.gateway == "offline") & (Subscription.current_period_end <= now)
        due = list(session.execute(select(Subscription.id, Subscription.workspace_id).where(
            (Subscription.pay_by <= now) | period_ended, Subscription.status.not_in(lifecycle.ENDED))))
    changed = 0
    for subscription_id, workspace_id in due:
        with database.session() as session:
            serial.begin(session)
            serial.hold(session, workspace_id)
            subscription = session.get(Subscription, subscription_id)
            if subscription is not None and lifecycle.catch_up(session, subscription, now=now):
                changed += 1
    return changed


class Clock:
    """The clock of one worker: a thread running keep_running, started with the app and stopped with it."""

    def __init__(self, database: Database) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=keep_running, args=(database, self._stop), daemon=True, name="agora-billing-clock")

    def start(self) -> Clock:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Once this returns, the clock changes nothing more (a round under way is finished first)."""
        self._stop.set()
        self._thread.join()


def keep_running(database: Database, stop: threading.Event) -> None:
    """run_due now, then every EVERY_SECONDS until `stop` is set; an error is logged and the next round retries."""
    while True:
        try:
            run_due(database, now=utcnow())
        except Exception:  # a database that went away comes back; the plan already stopped on time
            log.warning("the billing clock could not run", exc_info=True)
        if stop.wait(EVERY_SECONDS):
            return

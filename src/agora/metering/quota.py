"""Messages per rolling window, checked and counted in one atomic step.

In the database: the user's `quota_locks` row is locked (PostgreSQL `FOR UPDATE`; on SQLite
the transaction already holds the single write lock), then the window is counted and the
send recorded, all before commit. Concurrent sends by one user therefore queue on that
row and can never both see "one left". With Redis (AGORA_REDIS_URL), one Lua script counts
on a sorted set instead of the database counting the window's sends; the send is still
recorded in the database, for the usage page and for when Redis cannot count.

Quotas never fail open. When Redis does not answer, the database counts (every send is
recorded there, so the count is exact) and marks the user's row: Redis lacks that send
until it leaves the window, and until then the database counts this user's quota. Redis
itself keeps since when it has held every send (`agora:quota:since`): a Redis that lost
its data (restarted without persistence, say) starts that over, and the database counts
until Redis has held a whole window. Redis's count is used only with the user's row
locked, so a send counted in the database at the same moment is waited for, and seen.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from agora import redis_outage
from agora.db import utcnow
from agora.metering.models import MessageSend, QuotaLock
from agora.redis_outage import FAILURES, Outage


@dataclass(frozen=True)
class Decision:
    allowed: bool
    used: int | None  # None: not counted, as nothing limits it (counting a busy caller's window took a read per message)
    limit: int | None
    frees_at: datetime | None  # when the oldest counted message leaves the window


# KEYS[1] the user's set, KEYS[2] since when Redis holds every send; ARGV: now (ms), window
# (ms), limit, member. Returns {allowed, used, oldest}, allowed -1 while Redis has not held
# every send for a whole window (the database counts meanwhile).
_LUA = """
local since = redis.call('GET', KEYS[2])
if not since then
  redis.call('SET', KEYS[2], ARGV[1])
  since = ARGV[1]
end
if tonumber(ARGV[1]) - tonumber(since) < tonumber(ARGV[2]) then return {-1, 0, 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
local used = redis.call('ZCARD', KEYS[1])
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or ARGV[1]
if used >= tonumber(ARGV[3]) then return {0, used, oldest} end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, used + 1, oldest}
"""
SINCE_KEY = "agora:quota:since"


def consume(session: Session, *, user_id: int, gpt_id: str, limit: int | None, window: timedelta, redis_url: str | None = None) -> Decision:
    """Count one message if the user is under `limit` in the window ending now; None is unlimited."""
    now = utcnow()
    if limit is None:
        _record_send(session, user_id, gpt_id, now)
        return Decision(True, None, None, None)
    decision = _redis_consume(session, redis_url, user_id, limit, window, now) if redis_url else None
    if decision is None:  # no Redis, or Redis cannot count this user's sends right now
        decision = _db_consume(session, user_id, limit, window, now, redis_misses=redis_url is not None)
    if decision.allowed:
        _record_send(session, user_id, gpt_id, now)
    return decision


def _record_send(session: Session, user_id: int, gpt_id: str, now: datetime) -> None:
    session.execute(_INSERT_SEND, {"user_id": user_id, "gpt_id": gpt_id, "sent_at": now})


# A Core insert into the table, built once: a send is written with every message and never read back here,
# and the ORM's unit of work (or its bulk path) took 3 to 8 times as long as the insert itself (cProfile).
_INSERT_SEND = insert(cast(Table, MessageSend.__table__))


def _lock_row(session: Session, user_id: int) -> datetime | None:
    """Lock the user's quota_locks row (made on first use); its redis_missing_until.

    Exclusively on both paths: a send that took it shared and then had to count in the
    database would need it exclusively, and two such sends would deadlock."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(QuotaLock).values(user_id=user_id).on_conflict_do_nothing())
    return session.scalar(select(QuotaLock.redis_missing_until).where(QuotaLock.user_id == user_id).with_for_update())


def _db_consume(session: Session, user_id: int, limit: int, window: timedelta, now: datetime, *, redis_misses: bool) -> Decision:
    _lock_row(session, user_id)
    since = now - window
    used, oldest = session.execute(
        select(func.count(), func.min(MessageSend.sent_at)).where(MessageSend.user_id == user_id, MessageSend.sent_at > since)
    ).one()
    if used >= limit:
        return Decision(False, used, limit, oldest + window if oldest is not None else now)
    if redis_misses:  # Redis is configured but will not hold this send: count this user here until it leaves the window
        session.execute(update(QuotaLock).where(QuotaLock.user_id == user_id).values(redis_missing_until=now + window))
    return Decision(True, used + 1, limit, None)


def _redis_consume(session: Session, url: str, user_id: int, limit: int, window: timedelta, now: datetime) -> Decision | None:
    """Redis's decision, or None when the database must count (Redis does not answer, lacks
    some of this user's sends, or has not held every send for a whole window)."""
    script, outage = _redis(url)
    if outage.skip():
        return None
    missing_until = _lock_row(session, user_id)
    if missing_until is not None and missing_until > now:
        return None
    window_ms = int(window.total_seconds() * 1000)
    now_ms = int(now.timestamp() * 1000)
    try:
        allowed, used, oldest = script(keys=[f"agora:quota:{user_id}", SINCE_KEY],
                                       args=[now_ms, window_ms, limit, f"{now_ms}:{uuid.uuid4().hex}"])
    except FAILURES as error:
        outage.failed(error)
        return None
    outage.answered()
    if allowed == -1:
        return None
    if allowed:
        return Decision(True, int(used), limit, None)
    frees_at = datetime.fromtimestamp((int(float(oldest)) + window_ms) / 1000, tz=now.tzinfo)
    return Decision(False, int(used), limit, frees_at)


@lru_cache
def _redis(url: str) -> tuple:
    """The quota script on the Redis at `url`, and whether to try that Redis now."""
    return redis_outage.client(url).register_script(_LUA), Outage("message quotas")


def used_in_window(session: Session, user_id: int, window: timedelta) -> int:
    return session.scalars(select(func.count()).where(MessageSend.user_id == user_id, MessageSend.sent_at > utcnow() - window)).one()


def by_gpt_in_window(session: Session, user_id: int, window: timedelta) -> list[tuple[str, int]]:
    rows = session.execute(
        select(MessageSend.gpt_id, func.count()).where(MessageSend.user_id == user_id, MessageSend.sent_at > utcnow() - window)
        .group_by(MessageSend.gpt_id).order_by(func.count().desc())
    )
    return [(gpt_id, count) for gpt_id, count in rows]


def next_free(session: Session, user_id: int, window: timedelta) -> datetime | None:
    oldest = session.scalar(select(func.min(MessageSend.sent_at)).where(MessageSend.user_id == user_id, MessageSend.sent_at > utcnow() - window))
    return oldest + window if oldest else None


def seconds_until(moment: datetime | None) -> int:
    return max(1, math.ceil((moment - utcnow()).total_seconds())) if moment else 1

"""Messages per rolling window, checked and counted in one atomic step.

In the database: the user's `quota_locks` row is locked (PostgreSQL `FOR UPDATE`; on SQLite
the transaction already holds the single write lock), then the window is counted and the
send recorded, all before commit. Concurrent sends by one user therefore queue on that
row and can never both see "one left". With Redis (AGORA_REDIS_URL), one Lua script does
the same on a sorted set, so several machines share the count without a database lock;
the send is still recorded in the database for the usage page.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from agora.db import utcnow
from agora.metering.models import MessageSend, QuotaLock


@dataclass(frozen=True)
class Decision:
    allowed: bool
    used: int
    limit: int | None
    frees_at: datetime | None  # when the oldest counted message leaves the window


# KEYS[1] the user's set; ARGV: now (ms), window (ms), limit, member. Returns {allowed, used, oldest}.
_LUA = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1] - ARGV[2])
local used = redis.call('ZCARD', KEYS[1])
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or ARGV[1]
if used >= tonumber(ARGV[3]) then return {0, used, oldest} end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, used + 1, oldest}
"""


def consume(session: Session, *, user_id: int, gpt_id: str, limit: int | None, window: timedelta, redis_url: str | None = None) -> Decision:
    """Count one message if the user is under `limit` in the window ending now; None is unlimited."""
    now = utcnow()
    if limit is not None:
        decision = _redis_consume(redis_url, user_id, limit, window, now) if redis_url else _db_consume(session, user_id, limit, window, now)
        if not decision.allowed:
            return decision
    session.add(MessageSend(user_id=user_id, gpt_id=gpt_id, sent_at=now))
    session.flush()
    return Decision(True, used_in_window(session, user_id, window) if limit is None else decision.used, limit, None)


def _db_consume(session: Session, user_id: int, limit: int, window: timedelta, now: datetime) -> Decision:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(QuotaLock).values(user_id=user_id).on_conflict_do_nothing())
    session.execute(select(QuotaLock.user_id).where(QuotaLock.user_id == user_id).with_for_update())
    since = now - window
    used, oldest = session.execute(
        select(func.count(), func.min(MessageSend.sent_at)).where(MessageSend.user_id == user_id, MessageSend.sent_at > since)
    ).one()
    if used >= limit:
        return Decision(False, used, limit, oldest + window if oldest else now)
    return Decision(True, used + 1, limit, None)


def _redis_consume(url: str, user_id: int, limit: int, window: timedelta, now: datetime) -> Decision:
    window_ms = int(window.total_seconds() * 1000)
    now_ms = int(now.timestamp() * 1000)
    allowed, used, oldest = _script(url)(keys=[f"agora:quota:{user_id}"], args=[now_ms, window_ms, limit, f"{now_ms}:{uuid.uuid4().hex}"])
    if allowed:
        return Decision(True, int(used), limit, None)
    frees_at = datetime.fromtimestamp((int(float(oldest)) + window_ms) / 1000, tz=now.tzinfo)
    return Decision(False, int(used), limit, frees_at)


@lru_cache
def _script(url: str):
    import redis

    return redis.Redis.from_url(url).register_script(_LUA)


def used_in_window(session: Session, user_id: int, window: timedelta) -> int:
    return session.scalar(select(func.count()).where(MessageSend.user_id == user_id, MessageSend.sent_at > utcnow() - window))


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

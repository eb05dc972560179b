"""Daily rollups per GPT and per GPT-and-user, added to by set-based upserts as events arrive.

The per-reply path (one row) and batch ingestion (a table of a batch's rows) both add through
`add`: one `INSERT ... SELECT ... ON CONFLICT DO UPDATE SET n = n + excluded.n` per table, so
several workers can add to the same row at once without losing a count, on SQLite and
PostgreSQL alike, and a batch costs the same few statements whatever its size.

Distinct users stay exact: a user is new to a GPT on a day when the upsert created their
row. Every stored row counts at least one message, so after the upsert a row holds exactly
the messages just added only if this upsert created it. Nobody else can change the row
before the transaction ends (PostgreSQL keeps it locked, SQLite has one writer), so the
comparison cannot be fooled by a concurrent writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, func, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from agora.metering.models import DailyGptUsage, DailyGptUserUsage

KEY = ("day", "gpt_id", "user_id")
COUNTERS = ("conversations", "messages", "prompt_tokens", "completion_tokens")
COLUMNS = KEY + COUNTERS
GPT_COUNTERS = ("users", *COUNTERS)
GPT_COLUMNS = ("day", "gpt_id", *GPT_COUNTERS)


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def add(session: Session, source) -> Sequence[Any]:
    """Add `source` (COLUMNS, at most one row per day, GPT and user) to both daily rollups.

    Returns what was added per day and GPT, as rows of (day, gpt_id, conversations,
    messages, users, prompt_tokens, completion_tokens), `users` counting the new ones:
    trending reads it.
    """
    users = DailyGptUserUsage.__table__
    # Rows are locked in key order, the same in every transaction, so concurrent batches that
    # share rows wait for each other instead of deadlocking (PostgreSQL).
    rows = select(*(source.c[c] for c in COLUMNS)).where(true()).order_by(*(source.c[k] for k in KEY))
    upsert = _insert(session)(users).from_select(list(COLUMNS), rows)
    upsert = upsert.on_conflict_do_update(index_elements=list(KEY), set_={c: users.c[c] + upsert.excluded[c] for c in COUNTERS})
    if session.get_bind().dialect.name == "postgresql":
        # One statement: it reads the rows the upsert returns (a statement cannot see its own
        # writes), so the join stays between two batch-sized sets, never the whole rollup
        # table, and the per-GPT upsert reads the totals in turn.
        stored = upsert.returning(users.c.day, users.c.gpt_id, users.c.user_id, users.c.messages).cte("stored")
    else:
        session.execute(upsert)
        stored = users
    created = case((stored.c.messages == source.c.messages, 1), else_=0)
    totals = (
        select(source.c.day, source.c.gpt_id, *(func.sum(source.c[c]).label(c) for c in ("conversations", "messages")), func.sum(created).label("users"),
               *(func.sum(source.c[c]).label(c) for c in ("prompt_tokens", "completion_tokens")))
        .select_from(source.join(stored, and_(*(stored.c[k] == source.c[k] for k in KEY))))
        .group_by(source.c.day, source.c.gpt_id)
    )
    gpts = DailyGptUsage.__table__
    per_gpt = _insert(session)(gpts)
    if session.get_bind().dialect.name == "postgresql":
        in_step = totals.cte("totals")
        per_gpt = per_gpt.from_select(GPT_COLUMNS, select(*(in_step.c[c] for c in GPT_COLUMNS)).order_by(in_step.c.day, in_step.c.gpt_id))
        per_gpt = per_gpt.on_conflict_do_update(index_elements=["day", "gpt_id"], set_={c: gpts.c[c] + per_gpt.excluded[c] for c in GPT_COUNTERS})
        return session.execute(select(in_step).add_cte(per_gpt.cte("per_gpt"))).all()
    added = session.execute(totals.order_by(source.c.day, source.c.gpt_id)).all()
    per_gpt = per_gpt.on_conflict_do_update(index_elements=["day", "gpt_id"], set_={c: gpts.c[c] + per_gpt.excluded[c] for c in GPT_COUNTERS})
    if added:  # an empty executemany would run the INSERT once with no values at all
        session.execute(per_gpt, [row._asdict() for row in added])
    return added

"""Batch ingestion: replays change nothing, and the incremental rollups equal a rebuild from the events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.metering import batch
from agora.metering.models import DailyGptUsage, UsageRecord
from tests.metering.conftest import make_gpt


def test_batches_are_idempotent_and_rollups_match_the_events(database):
    gpt_id = make_gpt(database)
    with database.session() as session:
        users = [accounts.create_user(session, email=f"u{n}@example.com", display_name=f"U{n}", password=None) for n in range(3)]
        session.flush()
        user_ids = [u.id for u in users]
    start = datetime(2026, 10, 30, 22, 0, tzinfo=UTC)  # crosses midnight and the month end
    events = [{"idempotency_key": f"api:{n}", "user_id": user_ids[n % 3], "workspace_id": None, "plan_code": "plus", "gpt_id": gpt_id if n % 5 else None,
               "gpt_version": 1, "builder_id": None, "model": "m", "source": "api", "conversation_id": None, "message_id": None, "status": "complete",
               "prompt_tokens": n, "completion_tokens": 2 * n, "latency_ms": 5, "created_at": start + timedelta(minutes=10 * n)} for n in range(40)]
    with database.session() as session:
        assert batch.ingest(session, events[:25]) == 25
    with database.session() as session:
        assert batch.ingest(session, events[20:]) == 15  # five replayed, ignored
        assert batch.ingest(session, events[::7]) == 0
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(UsageRecord)) == 40
        incremental = {(r.day, r.gpt_id): (r.messages, r.users, r.prompt_tokens, r.completion_tokens) for r in session.scalars(select(DailyGptUsage))}
        rebuilt = {(d if isinstance(d, date) else date.fromisoformat(d), g): (m, u, p, c)
                   for d, g, m, u, p, c in batch.daily_totals(session, start - timedelta(days=1), start + timedelta(days=3))}
        assert incremental == rebuilt and sum(v[0] for v in rebuilt.values()) == 32  # every fifth event has no GPT
        monthly = batch.monthly_totals(session, date(2026, 10, 1), date(2026, 11, 1))
        assert sum(row[2] for row in monthly) == incremental[(date(2026, 10, 30), gpt_id)][0] + incremental[(date(2026, 10, 31), gpt_id)][0]

"""Daily rollups per GPT and per GPT-and-user, kept by atomic increments as events arrive.

Insert-if-missing then `UPDATE ... SET n = n + k`: several workers can add to the same
row at once without losing a count, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from agora.metering.models import DailyGptUsage, DailyGptUserUsage


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def add(session: Session, *, day: date, gpt_id: str, user_id: int, new_conversation: bool, prompt_tokens: int, completion_tokens: int) -> bool:
    """Count one reply; True when it is this user's first with this GPT on this day."""
    conversations = 1 if new_conversation else 0
    created = session.execute(
        _insert(session)(DailyGptUserUsage).values(day=day, gpt_id=gpt_id, user_id=user_id, conversations=0, messages=0, prompt_tokens=0, completion_tokens=0)
        .on_conflict_do_nothing().returning(DailyGptUserUsage.user_id)
    ).first() is not None
    session.execute(
        update(DailyGptUserUsage)
        .where(DailyGptUserUsage.day == day, DailyGptUserUsage.gpt_id == gpt_id, DailyGptUserUsage.user_id == user_id)
        .values(conversations=DailyGptUserUsage.conversations + conversations, messages=DailyGptUserUsage.messages + 1,
                prompt_tokens=DailyGptUserUsage.prompt_tokens + prompt_tokens, completion_tokens=DailyGptUserUsage.completion_tokens + completion_tokens)
    )
    session.execute(
        _insert(session)(DailyGptUsage).values(day=day, gpt_id=gpt_id, conversations=0, messages=0, users=0, prompt_tokens=0, completion_tokens=0)
        .on_conflict_do_nothing()
    )
    session.execute(
        update(DailyGptUsage).where(DailyGptUsage.day == day, DailyGptUsage.gpt_id == gpt_id)
        .values(conversations=DailyGptUsage.conversations + conversations, messages=DailyGptUsage.messages + 1,
                users=DailyGptUsage.users + (1 if created else 0),
                prompt_tokens=DailyGptUsage.prompt_tokens + prompt_tokens, completion_tokens=DailyGptUsage.completion_tokens + completion_tokens)
    )
    return created

"""Trending scores over the years: stored on a log scale, they never overflow (the linear
scores did from 2034-05-31), rank as the decayed score does, and add the same through a
reply and through a batch, on both databases."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import date, timedelta

import pytest
from alembic import command
from sqlalchemy import select, text, update

from agora import migrate
from agora.store import trending
from agora.store.models import Listing
from tests.store.helpers import publish


def _stored(database) -> dict[str, float]:
    with database.session() as session:
        return dict(session.execute(select(Listing.gpt_id, Listing.trending)).all())


def _ranking(database) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(Listing.gpt_id).order_by(Listing.trending.desc(), Listing.id)))


def decayed(stored: float, today: date) -> float:
    """The score as of `today`, from what is stored; ordering never needs it, so the product never computes it."""
    return 2.0 ** (stored - trending.exponent(today)) - 2.0 ** -trending.exponent(today)


@pytest.mark.parametrize("last_day", [date(2034, 6, 1), date(2100, 1, 1), date(9999, 12, 31)])
def test_scores_never_overflow_and_rank_as_the_decayed_score(database, last_day):
    """Activity up to a day when 2^((day - epoch) / 3) is far past a double's range."""
    gpt_ids = [publish(database, f"Helper {n}") for n in range(4)]
    rng = random.Random(last_day.year)
    history: list[tuple[date, str, float]] = []
    for _ in range(40):
        day = last_day - timedelta(days=rng.randint(0, 60))
        gpt_id = rng.choice(gpt_ids)
        users, conversations, messages = rng.randint(0, 3), rng.randint(0, 3), rng.randint(1, 30)
        with database.session() as session:
            trending.add_activity(session, gpt_id, day=day, new_users=users, new_conversations=conversations, messages=messages)
        history.append((day, gpt_id, trending.activity_points(new_users=users, new_conversations=conversations, messages=messages)))
    expected: dict[str, float] = defaultdict(float)  # each GPT's score decayed to the last day, in plain floats
    for day, gpt_id, points in history:
        expected[gpt_id] += points * 2.0 ** ((day - last_day).days / trending.HALF_LIFE_DAYS)
    stored = _stored(database)
    assert all(math.isfinite(score) for score in stored.values())
    assert {g: decayed(stored[g], last_day) for g in expected} == pytest.approx(dict(expected), rel=1e-9)
    assert _ranking(database) == sorted(gpt_ids, key=lambda g: -expected.get(g, 0.0))


def test_a_reply_and_a_batch_add_the_same_activity_alike(database):
    one, other = publish(database, "One Helper"), publish(database, "Other Helper")
    days = [date(2026, 12, 1) + timedelta(days=n) for n in range(5)]
    with database.session() as session:
        for day in days:
            trending.add_activity(session, one, day=day, new_users=1, new_conversations=0, messages=4)
        trending.add_points(session, {other: trending.total(
            trending.weighted(trending.activity_points(new_users=1, new_conversations=0, messages=4), day) for day in days)})
    stored = _stored(database)
    assert stored[one] == pytest.approx(stored[other], rel=1e-12) and stored[one] > 0


def test_upgrading_puts_linear_scores_on_the_log_scale_in_the_same_order(database):
    gpt_ids = [publish(database, f"Helper {n}") for n in range(6)]
    linear = [0.0, 0.1, 3.0, 3.0, 2.5e30, 7.25e80]  # none, a message, a tie, 2026's largest weights
    migrate._run(database, command.downgrade, "0017")  # the linear scale of before
    with database.session() as session:
        for gpt_id, score in zip(gpt_ids, linear):
            session.execute(update(Listing.__table__).where(Listing.__table__.c.gpt_id == gpt_id).values(trending=score))
        before = list(session.scalars(text("SELECT gpt_id FROM store_listings ORDER BY trending DESC, id")))
    migrate.upgrade(database)
    assert _stored(database) == pytest.approx({g: math.log2(1 + score) for g, score in zip(gpt_ids, linear)}, rel=1e-12)
    assert _ranking(database) == before

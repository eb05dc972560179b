"""The message quota: checked and counted atomically, on SQLite, PostgreSQL and Redis."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from agora.accounts import service as accounts
from agora.db import utcnow
from agora.errors import AgoraError
from agora.metering import quota
from agora.metering.models import MessageSend
from tests.metering.conftest import make_gpt, put_on_plan, send_status, signed_up

WINDOW = timedelta(hours=3)
REDIS_URL = os.environ.get("AGORA_TEST_REDIS_URL")


def _user(database) -> int:
    with database.session() as session:
        user = accounts.create_user(session, email="racer@example.com", display_name="Racer", password=None)
        session.flush()
        return user.id


def _race(database, user_id: int, *, limit: int, senders: int = 50, redis_url: str | None = None) -> int:
    """`senders` threads send at once; returns how many were let through."""
    allowed, start = [], threading.Barrier(senders)

    def send() -> None:
        start.wait()
        try:
            with database.session() as session:
                if quota.consume(session, user_id=user_id, gpt_id="g-race", limit=limit, window=WINDOW, redis_url=redis_url).allowed:
                    allowed.append(1)
        except AgoraError:
            pass

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(allowed)


def _prefill(database, user_id: int, count: int, *, age: timedelta = timedelta(minutes=5)) -> None:
    with database.session() as session:
        session.add_all([MessageSend(user_id=user_id, gpt_id="g-race", sent_at=utcnow() - age) for _ in range(count)])


def test_fifty_concurrent_sends_at_the_boundary_never_exceed_the_cap(database):
    user_id = _user(database)
    _prefill(database, user_id, 7)  # 3 left of 10
    assert _race(database, user_id, limit=10) == 3
    with database.session() as session:
        assert quota.used_in_window(session, user_id, WINDOW) == 10


def test_messages_older_than_the_window_free_up(database):
    user_id = _user(database)
    _prefill(database, user_id, 10, age=WINDOW + timedelta(minutes=1))
    with database.session() as session:
        assert quota.consume(session, user_id=user_id, gpt_id="g-race", limit=10, window=WINDOW).allowed


@pytest.mark.skipif(not REDIS_URL, reason="set AGORA_TEST_REDIS_URL to test quotas shared through Redis")
def test_fifty_concurrent_sends_through_redis_never_exceed_the_cap(database):
    import redis

    user_id = _user(database)
    redis.Redis.from_url(REDIS_URL).delete(f"agora:quota:{user_id}")
    redis.Redis.from_url(REDIS_URL).set(quota.SINCE_KEY, 0)  # Redis holds every send: it counts, not the database
    assert _race(database, user_id, limit=4, redis_url=REDIS_URL) == 4
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(MessageSend)) == 4
        refused = quota.consume(session, user_id=user_id, gpt_id="g-race", limit=4, window=WINDOW, redis_url=REDIS_URL)
        assert not refused.allowed and refused.frees_at > utcnow()
    redis.Redis.from_url(REDIS_URL).delete(f"agora:quota:{user_id}")


def test_capped_user_sees_when_the_window_frees_up(no_trial, browser, database, make_browser):
    own = signed_up(make_browser, "capped@example.com")
    gpt_id = make_gpt(database, owner_email="capped@example.com")
    with database.session() as session:
        user_id = accounts.user_by_email(session, "capped@example.com").id
    _prefill(database, user_id, 9, age=timedelta(minutes=30))  # Free: 10 per 3 hours
    conversation = own.start(gpt_id)
    assert send_status(own, conversation, "the tenth")[0] == 200
    status, body = send_status(own, conversation, "the eleventh")
    assert status == 429 and body["error"]["code"] == "quota_exceeded" and body["error"]["upgrade_url"] == "/pricing"
    assert body["error"]["plan"] == "plus" and 0 < body["error"]["retry_after"] <= 3 * 3600
    assert "10 messages" in body["error"]["message"] and "Plus allows more" in body["error"]["message"]
    usage = own.browser.get("/api/usage").json()
    assert (usage["messages_in_window"], usage["limit"], usage["plan"]) == (10, 10, "free") and usage["frees_at"]
    assert usage["by_gpt"] == [{"gpt_id": "g-race", "name": "g-race", "messages": 9}, {"gpt_id": gpt_id, "name": "Walrus Helper", "messages": 1}]
    page = own.browser.get("/usage")
    assert "10 of 10 messages used" in page.text and "Your next message frees up at" in page.text and "Walrus Helper" in page.text
    put_on_plan(database, "capped@example.com", "plus")
    assert send_status(own, conversation, "now on plus")[0] == 200

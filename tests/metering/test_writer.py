"""The usage writer: batches written once however often retried, nothing dropped while the database is away,
back-pressure past its backlog, refused data set apart without holding the rest back, the queue written at shutdown."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select, text

from agora.accounts import service as accounts
from agora.db import Database, is_outage, utcnow
from agora.metering.models import UsageRecord
from agora.metering.writer import UsageWriter
from tests.chat.conftest import eventually
from tests.conftest import LiveServer
from tests.metering.conftest import make_gpt
from tests.outage import DatabaseProxy, hold_sqlite_writes


def rows(database) -> list[UsageRecord]:
    with database.session() as session:
        return list(session.scalars(select(UsageRecord).order_by(UsageRecord.id)))


def an_event(user_id: int, key: str | None = None, **changes) -> dict:
    return {"user_id": user_id, "gpt_id": None, "gpt_version": None, "model": "standin", "message_id": None, "status": "complete",
            "prompt_tokens": 5, "completion_tokens": 3, "latency_ms": 2, "source": "api", "plan_code": "plus", "created_at": utcnow(),
            "idempotency_key": key or f"api:chatcmpl-{uuid.uuid4().hex}", **changes}


def a_user(database) -> int:
    with database.session() as session:
        user = accounts.create_user(session, email="dev@example.com", display_name="Dev", password=None)
        session.flush()
        return user.id


@contextmanager
def outage(database):
    """A writer's Database that cannot write while the block runs: PostgreSQL through a proxy that is cut,
    SQLite with its write lock held by another connection (and a short busy timeout, so writes fail fast)."""
    if database.dialect == "postgresql":
        proxy = DatabaseProxy(database.url)
        through = Database(proxy.url)

        @contextmanager
        def away():
            proxy.cut()
            try:
                yield
            finally:
                proxy.restore()

        yield through, away
        through.dispose()
        return
    through = Database(database.url)
    event.listen(through.engine, "connect", lambda connection, _record: connection.execute("PRAGMA busy_timeout=50"))
    yield through, lambda: hold_sqlite_writes(through.engine.url.database)
    through.dispose()


def test_nothing_is_lost_while_the_database_is_away_and_replies_are_refused_past_the_backlog(database):
    user_id = a_user(database)
    with outage(database) as (through, away):
        writer = UsageWriter(through, interval=3600, backlog=3)
        writer.submit(an_event(user_id, "api:before"))
        writer.flush()
        with away():
            for n in range(4):
                writer.submit(an_event(user_id, f"api:during-{n}"))
                with pytest.raises(Exception) as raised:
                    writer.flush()  # the database is away: nothing is written, nothing is dropped
                assert is_outage(raised.value)
            assert not writer.accepting()  # past the backlog: new replies are refused
            assert [r.idempotency_key for r in rows(database)] == ["api:before"]
        writer.flush()  # the database is back
        assert writer.accepting()
        assert [r.idempotency_key for r in rows(database)] == ["api:before"] + [f"api:during-{n}" for n in range(4)]


def test_the_background_thread_retries_until_the_database_is_back(database):
    user_id = a_user(database)
    with outage(database) as (through, away):
        writer = UsageWriter(through, interval=0.05)
        with away():
            done = writer.submit(an_event(user_id), urgent=True)
            assert eventually(lambda: writer.failing_since is not None)
            assert not done.done()
        done.result(timeout=30)
        assert len(rows(database)) == 1 and writer.failing_since is None
        writer.close()


def test_a_batch_is_written_once_however_often_it_is_queued(database):
    user_id = a_user(database)
    writer = UsageWriter(database, interval=3600)
    for _ in range(3):
        writer.submit(an_event(user_id, "api:chatcmpl-same"))
    writer.submit(an_event(user_id))
    writer.flush()
    writer.submit(an_event(user_id, "api:chatcmpl-same"))
    writer.flush()
    assert sorted(r.idempotency_key for r in rows(database))[1] == "api:chatcmpl-same" and len(rows(database)) == 2


def test_what_the_database_refuses_is_set_apart_and_the_rest_written(database, caplog):
    user_id = a_user(database)
    gpt_id = make_gpt(database)
    writer = UsageWriter(database, interval=3600)

    def refused(session, values):  # an along write the database refuses (a NOT NULL column left empty), while it answers
        session.execute(text("INSERT INTO users (email) VALUES (NULL)"))

    good = [writer.submit(an_event(user_id, f"api:good-{n}", gpt_id=gpt_id), urgent=True) for n in range(5)]
    unknown = writer.submit(an_event(user_id, "api:unknown-gpt", gpt_id="g-nosuchgpt01"), urgent=True)
    along = writer.submit(an_event(user_id, "api:along-refused"), along=(refused, 1), urgent=True)
    writer.flush()
    assert all(f.done() for f in [*good, unknown, along])
    assert sorted(r.idempotency_key for r in rows(database)) == sorted([f"api:good-{n}" for n in range(5)] + ["api:along-refused"])
    assert "dropped usage record" in caplog.text and "g-nosuchgpt01" in caplog.text
    assert "dropped what goes with usage record" in caplog.text


def test_the_background_thread_writes_within_its_interval(database):
    user_id = a_user(database)
    writer = UsageWriter(database, interval=0.05)
    writer.submit(an_event(user_id))
    assert eventually(lambda: len(rows(database)) == 1)
    writer.close()


def test_stopping_the_server_writes_what_is_queued(server, database):
    user_id = a_user(database)
    other = LiveServer(server.settings).start()
    try:
        writer = other.app.state.usage_writer = UsageWriter(other.database, interval=3600)
        writer.submit(an_event(user_id))
    finally:
        other.stop()  # the lifespan's shutdown closes the writer
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(UsageRecord)) == 1

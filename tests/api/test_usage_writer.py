"""/v1's batched usage writer: one transaction per batch, never a reply counted twice, nothing lost at shutdown."""

from __future__ import annotations

import uuid

from agora.accounts import service as accounts
from agora.api.openai import usage_writer
from agora.api.openai.usage_writer import UsageWriter
from agora.metering.models import UsageRecord
from tests.api.conftest import make_key
from tests.chat.conftest import eventually
from tests.conftest import LiveServer


def rows(database) -> list[UsageRecord]:
    """What is written so far (tests.api.conftest.usage_records would flush every writer first)."""
    with database.session() as session:
        return list(session.query(UsageRecord).order_by(UsageRecord.id))


def a_record(user_id: int, key: str | None = None) -> dict:
    return dict(user_id=user_id, gpt_id=None, gpt_version=None, model="standin", message_id=None, status="complete", prompt_tokens=5,
                completion_tokens=3, latency_ms=2, source="api", idempotency_key=key or f"api:chatcmpl-{uuid.uuid4().hex}", plan_code="plus")


def owner(database):
    make_key(database)
    with database.session() as session:
        user = accounts.user_by_email(session, "dev@example.com")
        return user.id


def test_a_batch_is_written_once_however_often_it_is_queued_or_retried(server, database, monkeypatch):
    user_id = owner(database)
    writer = UsageWriter(database, interval=3600)  # written only when flushed here
    writer.record(1, **a_record(user_id, "api:chatcmpl-same"))
    writer.record(1, **a_record(user_id))
    failures = []
    real = usage_writer._write_batch

    def fail_once(session, batch):
        real(session, batch)
        if not failures:
            failures.append(1)
            raise RuntimeError("the database went away before the commit")

    monkeypatch.setattr(usage_writer, "_write_batch", fail_once)
    writer.flush()  # fails, rolls back, keeps the batch
    assert rows(database) == []
    writer.record(1, **a_record(user_id, "api:chatcmpl-same"))  # the same reply metered again
    writer.flush()
    assert len(rows(database)) == 2
    writer.record(1, **a_record(user_id, "api:chatcmpl-same"))
    writer.flush()
    assert sorted(r.idempotency_key for r in rows(database))[1] == "api:chatcmpl-same"
    assert len(rows(database)) == 2


def test_the_background_thread_writes_within_its_interval(server, database):
    user_id = owner(database)
    writer = UsageWriter(database, interval=0.05)
    writer.record(1, **a_record(user_id))
    assert eventually(lambda: len(rows(database)) == 1)
    writer.close()


def test_a_record_that_cannot_be_written_does_not_hold_the_others_back(server, database):
    user_id = owner(database)
    writer = UsageWriter(database, interval=3600)
    writer.record(1, **a_record(user_id))
    writer.record(1, **{**a_record(user_id), "prompt_tokens": -1})  # refused by record_reply_usage, every time
    for _ in range(usage_writer.ATTEMPTS):
        writer.flush()
    assert [r.prompt_tokens for r in rows(database)] == [5]


def test_stopping_the_server_writes_what_is_queued(server, database):
    user_id = owner(database)
    other = LiveServer(server.settings).start()
    try:
        writer = other.app.state.api_usage_writer = UsageWriter(other.database, interval=3600)
        writer.record(1, **a_record(user_id))
    finally:
        other.stop()  # the lifespan's shutdown closes the writer
    assert len(rows(database)) == 1

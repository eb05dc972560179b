"""A worker that dies mid-reply blocks nothing (issue 15 item 5): its reply has an owner that can be checked.

With a real `agora serve --workers 2` and kill -9 of the worker streaming a reply: `/stop`
marks the orphaned reply failed at once, and a new message or a regenerate goes through at
once (the worker ran on this machine, and its process is gone). A worker on another machine
is known dead when its lease runs out.
"""

from __future__ import annotations

import os
import signal
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from agora.chat.models import Message
from agora.db import utcnow
from tests.chat.conftest import ChatClient, eventually, make_gpt, sse_events
from tests.conftest import Browser, start_agora, stop_agora


@pytest.fixture
def two_workers(server, standin_server, tmp_path):
    standin_server.reset()
    process, url, _log = start_agora(
        tmp_path, database_url=server.settings.resolved_database_url(), workers=2, chat_provider="openai",
        openai_base_url=standin_server.base_url, openai_models="standin", openai_max_retries=0, openai_timeout_seconds=30,
    )
    yield url, standin_server
    stop_agora(process)


def streaming_reply(database) -> Message:
    with database.session() as session:
        return session.scalars(select(Message).where(Message.status == "streaming")).one()


def killed_mid_reply(chat: ChatClient, conversation_id: str, database, upstream) -> Message:
    """Start a long reply, read its first piece, then kill -9 the worker writing it."""
    upstream.next("slow")
    with chat.stream(f"/api/conversations/{conversation_id}/messages", {"content": "talk a lot"}) as response:
        lines = response.iter_lines()
        assert next(lines) == "event: delta"
        reply = streaming_reply(database)
        os.kill(int(reply.owner.split(":")[1]), signal.SIGKILL)
        with pytest.raises(httpx.HTTPError):
            sse_events(lines)  # the connection dies with the worker
    return reply


def test_stop_and_new_messages_work_at_once_after_the_worker_writing_a_reply_is_killed(two_workers, database):
    url, upstream = two_workers
    browser = Browser(base_url=url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0))
    browser.signup()
    chat = ChatClient(browser)
    conversation_id = chat.start(make_gpt(database))

    reply = killed_mid_reply(chat, conversation_id, database, upstream)
    assert chat.browser.post(f"/api/conversations/{conversation_id}/stop", headers=chat.headers).json() == {"stopping": True}
    with database.session() as session:
        stopped = session.get(Message, reply.id)
        assert (stopped.status, stopped.error) == ("failed", "The reply was interrupted: the server writing it stopped.")

    upstream.next("ok")
    assert chat.send(conversation_id, "are you there?")[-1][1]["status"] == "complete"

    killed_mid_reply(chat, conversation_id, database, upstream)  # no stop this time: regenerate goes through directly
    upstream.next("ok")
    with chat.stream(f"/api/conversations/{conversation_id}/regenerate") as response:
        assert response.status_code == 200 and sse_events(response)[-1][1]["status"] == "complete"
    statuses = [m["status"] for m in chat.get(conversation_id)["messages"]]
    assert statuses == ["complete", "failed", "complete", "complete", "complete", "complete"]  # the killed reply regenerated


def test_a_reply_held_by_a_worker_on_another_machine_blocks_until_its_lease_runs_out(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database))
    chat.send(conversation_id, "first")
    with database.session() as session:
        reply = session.scalars(select(Message).where(Message.role == "assistant")).one()
        reply.status, reply.owner, reply.lease_until = "streaming", "elsewhere.example:4242:0a1b2c3d", utcnow() + timedelta(seconds=15)
    busy = chat.browser.post(f"/api/conversations/{conversation_id}/messages", json={"content": "second"}, headers=chat.headers)
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "reply_in_progress"
    with database.session() as session:
        session.execute(update(Message).where(Message.id == reply.id).values(lease_until=utcnow() - timedelta(seconds=1)))
    assert chat.send(conversation_id, "second")[-1][1]["status"] == "complete"
    assert [m["status"] for m in chat.get(conversation_id)["messages"]] == ["complete", "failed", "complete", "complete"]


def test_the_streaming_worker_renews_its_lease(chat, upstream, database, monkeypatch):
    from agora.chat import owners

    monkeypatch.setattr(owners, "RENEW_SECONDS", 0)  # renewed at every poll, rather than every few seconds
    conversation_id = chat.start(make_gpt(database))
    upstream.next("slow")
    with chat.stream(f"/api/conversations/{conversation_id}/messages", {"content": "talk a lot"}) as response:
        lines = response.iter_lines()
        assert next(lines) == "event: delta"
        first = streaming_reply(database).lease_until
        assert eventually(lambda: streaming_reply(database).lease_until > first)
        chat.browser.post(f"/api/conversations/{conversation_id}/stop", headers=chat.headers)
        sse_events(lines)
    reply = chat.get(conversation_id)["messages"][-1]
    assert reply["status"] == "stopped"
    with database.session() as session:
        assert session.scalar(select(Message.owner).where(Message.id == reply["id"])) is None  # released once written

"""Upstream failures, stops and disconnects: clear messages, nothing lost, nothing left running."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from agora.chat.models import Message
from agora.metering.models import UsageRecord
from tests.chat.conftest import eventually, make_gpt, sse_events


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("status:500", "refused the request (HTTP 500): stand-in refused with 500"),
        ("status:400", "refused the request (HTTP 400)"),
        ("hang", "did not answer in 2 s"),
        ("drop", "broke during the reply"),
        ("malformed", "sent a malformed reply"),
        ("no_finish", "ended the reply before finishing"),
    ],
)
def test_upstream_failures_end_the_reply_clearly_and_keep_the_users_message(chat, upstream, database, mode, message):
    conversation_id = chat.start(make_gpt(database))
    upstream.next(mode)
    events = chat.send(conversation_id, "please answer")
    name, done = events[-1]
    assert name == "done" and done["status"] == "failed" and message in done["error"] and upstream.base_url in done["error"]
    stored = chat.get(conversation_id)["messages"]
    assert stored[0]["content"] == "please answer"
    assert stored[1]["status"] == "failed" and message in stored[1]["error"]
    # The conversation is consistent: the next message goes through, without the failed reply in its prompt.
    again = chat.send(conversation_id, "try again")
    assert again[-1][1]["status"] == "complete"
    assert [m["content"] for m in upstream.requests[-1]["messages"][1:]] == ["please answer", "try again"]


def test_stop_keeps_the_partial_reply_and_closes_the_upstream_stream(chat, upstream, database, make_browser):
    conversation_id = chat.start(make_gpt(database))
    upstream.next("slow")
    with chat.stream(f"/api/conversations/{conversation_id}/messages", {"content": "talk a lot"}) as response:
        lines = response.iter_lines()
        assert next(lines) == "event: delta"  # the reply is streaming
        stopped = chat.browser.post(f"/api/conversations/{conversation_id}/stop", headers=chat.headers)
        assert stopped.json() == {"stopping": True}
        events = sse_events(lines)
    name, done = events[-1]
    assert name == "done" and done["status"] == "stopped" and done["error"] == ""
    reply = chat.get(conversation_id)["messages"][1]
    assert reply["status"] == "stopped" and reply["content"].startswith("Hello") and reply["completion_tokens"] > 0
    assert len(reply["content"]) < len("Hello from the stand-in. " * 40)
    assert eventually(lambda: upstream.aborted == 1)
    assert chat.browser.post(f"/api/conversations/{conversation_id}/stop", headers=chat.headers).json() == {"stopping": False}


def test_a_stop_flagged_in_the_database_is_seen_by_the_streaming_worker(chat, upstream, database):
    """Another worker process received the stop: only the database flag reaches this one."""
    conversation_id = chat.start(make_gpt(database))
    upstream.next("slow")
    with chat.stream(f"/api/conversations/{conversation_id}/messages", {"content": "talk a lot"}) as response:
        lines = response.iter_lines()
        assert next(lines) == "event: delta"
        with database.session() as session:
            reply = session.scalars(select(Message).where(Message.role == "assistant")).one()
            reply.stop_requested = True
        events = sse_events(lines)
    assert events[-1][1]["status"] == "stopped"


def test_a_client_that_disconnects_stops_generation_and_the_partial_reply_is_kept(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database))
    upstream.next("slow")
    with chat.stream(f"/api/conversations/{conversation_id}/messages", {"content": "talk a lot"}) as response:
        assert next(response.iter_lines()) == "event: delta"
    # The browser is gone: the server must cancel upstream and save what it had.
    assert eventually(lambda: upstream.aborted == 1)

    def saved() -> bool:
        return chat.get(conversation_id)["messages"][1]["status"] == "stopped"

    assert eventually(saved)
    reply = chat.get(conversation_id)["messages"][1]
    assert reply["error"] == "The connection closed before the reply finished." and reply["content"].startswith("Hello")
    with database.session() as session:
        assert session.scalars(select(UsageRecord)).one().status == "stopped"


def test_one_reply_at_a_time_per_conversation(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database))
    upstream.next("slow")
    with chat.stream(f"/api/conversations/{conversation_id}/messages", {"content": "first"}) as response:
        lines = response.iter_lines()
        assert next(lines) == "event: delta"
        busy = chat.browser.post(f"/api/conversations/{conversation_id}/messages", json={"content": "second"}, headers=chat.headers)
        assert busy.status_code == 409 and busy.json()["error"]["code"] == "reply_in_progress"
        chat.browser.post(f"/api/conversations/{conversation_id}/stop", headers=chat.headers)
        sse_events(lines)
    assert [m["content"] for m in chat.get(conversation_id)["messages"]][0] == "first"


def test_deleting_a_conversation_mid_reply_stops_the_generation(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database))
    upstream.next("slow")
    with chat.stream(f"/api/conversations/{conversation_id}/messages", {"content": "first"}) as response:
        lines = response.iter_lines()
        assert next(lines) == "event: delta"
        assert chat.browser.delete(f"/api/conversations/{conversation_id}", headers=chat.headers).status_code == 204
        events = sse_events(lines)
    assert events[-1][0] == "done"
    assert eventually(lambda: upstream.aborted == 1)
    assert chat.browser.get(f"/api/conversations/{conversation_id}").status_code == 404


def test_concurrent_conversations_stream_independently(chat, upstream, database):
    gpt_id = make_gpt(database)
    ids = [chat.start(gpt_id) for _ in range(5)]
    results: dict[str, str] = {}

    def talk(conversation_id: str) -> None:
        results[conversation_id] = chat.send(conversation_id, f"hello {conversation_id}")[-1][1]["status"]

    threads = [threading.Thread(target=talk, args=(i,)) for i in ids]
    [t.start() for t in threads]
    [t.join(30) for t in threads]
    assert results == {i: "complete" for i in ids}

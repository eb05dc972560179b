"""Continue over the JSON API: only a reply the token limit cut goes on, once at a time, metered as its own reply."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from agora.metering.models import UsageRecord
from tests.chat.conftest import make_gpt, sse_events


@pytest.fixture(autouse=True)
def stand_in_says_hello_again(upstream):
    """The stand-in is shared by the session: what these tests make it say stops with them."""
    yield
    upstream.reply = "Hello from the stand-in."


def cut_replies(server, upstream) -> None:
    server.app.state.settings = server.app.state.settings.model_copy(update={"chat_max_reply_tokens": 2})
    upstream.reply = "alpha beta gamma"


def test_done_says_a_reply_was_cut_and_continue_goes_on_with_it(chat, upstream, database, server):
    cut_replies(server, upstream)
    conversation_id = chat.start(make_gpt(database))
    done = chat.send(conversation_id, "Name three letters")[-1][1]
    assert done["cut"] is True and done["title"] == "Name three letters" and done["html"] == "<p>alpha beta</p>\n"
    assert chat.get(conversation_id)["messages"][-1]["finish_reason"] == "length"

    upstream.reply = "gamma"
    with chat.stream(f"/api/conversations/{conversation_id}/continue") as response:
        assert response.status_code == 200
        events = sse_events(response)
    assert "".join(data["text"] for name, data in events if name == "delta") == "gamma"
    done = events[-1][1]
    assert done["cut"] is False and done["html"] == "<p>alpha betagamma</p>\n"  # the whole reply, as the page shows it
    messages = chat.get(conversation_id)["messages"]
    assert [(m["role"], m["content"], m["finish_reason"]) for m in messages] == [
        ("user", "Name three letters", None), ("assistant", "alpha beta", "length"), ("assistant", "gamma", "stop")]
    with database.session() as session:  # each part of the reply is metered once, as its own message
        metered = session.scalars(select(UsageRecord.message_id).where(UsageRecord.conversation_id == conversation_id)).all()
    assert sorted(metered) == sorted(m["id"] for m in messages if m["role"] == "assistant")


def test_only_a_cut_reply_can_be_continued(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database))
    path = f"/api/conversations/{conversation_id}/continue"
    with chat.stream(path) as response:  # nothing said yet
        assert response.status_code == 409
        response.read()
        assert response.json()["error"]["code"] == "nothing_to_continue"
    chat.send(conversation_id, "Hello")  # a complete reply, finished by the model
    with chat.stream(path) as response:
        assert response.status_code == 409
        response.read()
    assert len(upstream.requests) == 1  # the model was never asked


def test_a_continuation_cannot_run_twice_at_once(chat, upstream, database, server):
    cut_replies(server, upstream)
    conversation_id = chat.start(make_gpt(database))
    chat.send(conversation_id, "Go")
    upstream.slow_gap = 0.05
    upstream.next("slow")
    server.app.state.settings = server.app.state.settings.model_copy(update={"chat_max_reply_tokens": 50})
    with chat.stream(f"/api/conversations/{conversation_id}/continue") as first:
        lines = first.iter_lines()
        assert next(line for line in lines if line.startswith("event: delta"))
        with chat.stream(f"/api/conversations/{conversation_id}/continue") as second:
            assert second.status_code == 409
            second.read()
            assert second.json()["error"]["code"] == "reply_in_progress"
        chat.browser.post(f"/api/conversations/{conversation_id}/stop", headers=chat.headers)
        assert sse_events(lines)[-1][1]["status"] == "stopped"

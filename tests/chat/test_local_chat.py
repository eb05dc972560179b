"""The whole chat path with the real bundled model (short replies)."""

from __future__ import annotations

import threading

from tests.chat.conftest import make_gpt


def test_chat_with_the_local_model(chat, local_model, database):
    conversation_id = chat.start(make_gpt(database, instructions="Answer in one short sentence."))
    events = chat.send(conversation_id, "What is a walrus?")
    deltas = [data["text"] for name, data in events if name == "delta"]
    name, done = events[-1]
    assert name == "done" and done["status"] in ("complete",) and deltas
    reply = chat.get(conversation_id)["messages"][1]
    assert reply["content"] == "".join(deltas) and reply["model"] == "smollm2-135m-instruct"
    assert 0 < reply["completion_tokens"] <= 13 and reply["prompt_tokens"] > 10


def test_waiting_requests_are_told_their_place_in_line(chat, local_model, database):
    gpt_id = make_gpt(database)
    ids = [chat.start(gpt_id) for _ in range(3)]
    results: dict[str, list] = {}

    def talk(conversation_id: str) -> None:
        results[conversation_id] = chat.send(conversation_id, "Say hi.")

    threads = [threading.Thread(target=talk, args=(i,)) for i in ids]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    assert all(events[-1][1]["status"] == "complete" for events in results.values())
    queued = [data["position"] for events in results.values() for name, data in events if name == "queued"]
    assert queued and max(queued) >= 1  # someone waited, and was told so


def test_stopping_the_local_model_keeps_the_partial_reply(chat, local_model, database, server):
    server.app.state.settings = server.app.state.settings.model_copy(update={"chat_max_reply_tokens": 400})
    conversation_id = chat.start(make_gpt(database))
    with chat.stream(f"/api/conversations/{conversation_id}/messages", {"content": "Write a long story about walruses."}) as response:
        lines = response.iter_lines()
        assert next(lines) == "event: delta"
        chat.browser.post(f"/api/conversations/{conversation_id}/stop", headers=chat.headers)
        from tests.chat.conftest import sse_events

        events = sse_events(lines)
    assert events[-1][1]["status"] == "stopped"
    reply = chat.get(conversation_id)["messages"][1]
    assert reply["status"] == "stopped" and reply["completion_tokens"] < 400

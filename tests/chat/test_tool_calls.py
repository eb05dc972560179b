"""A model that calls a tool in the web chat (which offers none): the reply says so instead of ending empty."""

from __future__ import annotations

from tests.chat.conftest import make_gpt


def test_a_tool_call_ends_the_reply_with_a_note(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database))
    upstream.next("tool_calls")
    events = chat.send(conversation_id, "What is the weather in Paris?")
    text = "".join(data["text"] for name, data in events if name == "delta")
    assert text == "(The model asked to use the tool “get_weather”, which this chat cannot run.)"
    assert events[-1][0] == "done" and events[-1][1]["status"] == "complete"
    assert chat.get(conversation_id)["messages"][-1]["content"] == text

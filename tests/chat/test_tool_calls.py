"""Tools in the web chat: the GPT's own (the calculator) run by the engine between two model calls, shown and
stored with the reply; a tool the chat cannot run ends the reply with a note; the loop is bounded."""

from __future__ import annotations

import json

from sqlalchemy import select

from agora.metering.models import UsageRecord
from agora.replies.engine import MAX_TOOL_ROUNDS
from tests.chat.conftest import make_gpt

CALCULATOR = {"calculator": True}


def test_a_tool_call_ends_the_reply_with_a_note(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database))
    upstream.next("tool_calls")
    events = chat.send(conversation_id, "What is the weather in Paris?")
    text = "".join(data["text"] for name, data in events if name == "delta")
    assert text == "(The model asked to use the tool “get_weather”, which this chat cannot run.)"
    assert events[-1][0] == "done" and events[-1][1]["status"] == "complete"
    assert chat.get(conversation_id)["messages"][-1]["content"] == text


def test_the_gpts_calculator_runs_between_two_model_calls_and_the_chat_shows_it(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database, capabilities=CALCULATOR))
    upstream.tool_calls = [("calculator", '{"expression": "17 * 23"}')]
    upstream.next("tool_calls", "ok")
    events = chat.send(conversation_id, "What is 17 times 23?")
    assert [name for name, _data in events][0] == "tool"
    assert events[0][1] == {"name": "calculator", "summary": "17 * 23 = 391", "ok": True, "line": "Used Calculator: 17 * 23 = 391"}
    assert "".join(d["text"] for name, d in events if name == "delta") == "Hello from the stand-in."
    done = events[-1][1]
    assert done["status"] == "complete"

    first, second = upstream.requests
    assert [t["function"]["name"] for t in first["tools"]] == ["calculator"]
    call = {"id": "call_standin0", "type": "function", "function": {"name": "calculator", "arguments": '{"expression": "17 * 23"}'}}
    assert second["messages"][-2:] == [{"role": "assistant", "content": None, "tool_calls": [call]},
                                       {"role": "tool", "tool_call_id": "call_standin0", "content": "391"}]

    reply = chat.get(conversation_id)["messages"][-1]
    assert reply["tool_uses"] == [{"name": "calculator", "summary": "17 * 23 = 391", "ok": True, "sources": []}]  # the calculator reads no pages
    assert reply["content"] == "Hello from the stand-in."
    page = chat.browser.get(f"/c/{conversation_id}")
    assert "Used Calculator: 17 * 23 = 391" in page.text  # a reload shows it
    chat.browser.submit("/language", {"language": "fr", "next": f"/c/{conversation_id}"}, form_page=f"/c/{conversation_id}")
    assert "Outil utilisé : Calculatrice : 17 * 23 = 391" in chat.browser.get(f"/c/{conversation_id}").text
    with database.session() as session:
        [usage] = session.scalars(select(UsageRecord)).all()  # one reply, one event: both model calls' tokens
    stand_in_completion = len('{"expression": "17 * 23"}') // 4 + 1 + len("Hello from the stand-in.".split(" "))
    assert (usage.status, usage.message_id, usage.completion_tokens) == ("complete", done["id"], stand_in_completion)
    assert usage.prompt_tokens == done["usage"]["prompt_tokens"] > 0


def test_a_calculation_the_tool_refuses_is_shown_and_the_model_told_why(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database, capabilities=CALCULATOR))
    upstream.tool_calls = [("calculator", '{"expression": "1/0"}')]
    upstream.next("tool_calls", "ok")
    events = chat.send(conversation_id, "Divide one by zero")
    tool = next(data for name, data in events if name == "tool")
    assert (tool["ok"], tool["line"]) == (False, "Calculator could not answer: Division by zero.")
    assert upstream.requests[1]["messages"][-1] == {"role": "tool", "tool_call_id": "call_standin0", "content": "Error: Division by zero."}
    assert events[-1][1]["status"] == "complete"


def test_the_tool_loop_is_bounded(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database, capabilities=CALCULATOR))
    upstream.tool_calls = [("calculator", '{"expression": "2 + 2"}')]
    upstream.next(*["tool_calls"] * (MAX_TOOL_ROUNDS + 1))  # a model that never stops asking
    events = chat.send(conversation_id, "Add forever")
    assert len(upstream.requests) == MAX_TOOL_ROUNDS + 1
    assert upstream.requests[-1]["tool_choice"] == "none"  # the last call is asked to answer in words
    assert [name for name, _ in events].count("tool") == MAX_TOOL_ROUNDS
    assert "(The model kept asking for its tools; this reply stops here.)" in "".join(d["text"] for name, d in events if name == "delta")
    assert events[-1][1]["status"] == "complete"


def test_arguments_that_are_not_json_are_answered_not_fatal(chat, upstream, database):
    conversation_id = chat.start(make_gpt(database, capabilities=CALCULATOR))
    upstream.tool_calls = [("calculator", "17 * 23")]
    upstream.next("tool_calls", "ok")
    events = chat.send(conversation_id, "Compute")
    tool = next(data for name, data in events if name == "tool")
    assert tool["ok"] is False and "JSON object" in tool["summary"]
    assert json.loads(json.dumps(upstream.requests[1]["messages"][-1]))["content"].startswith("Error: ")
    assert events[-1][1]["status"] == "complete"

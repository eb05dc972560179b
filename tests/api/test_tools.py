"""Tools through /v1 with the official SDK: calls in OpenAI's shapes (JSON and streamed), the
round trip back with tool messages, tool_choice reaching the upstream, and bad shapes refused."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from tests.api.conftest import make_gpt, usage_records
from tests.chat.conftest import local_model  # noqa: F401  (fixture: the bundled model as the provider)

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather", "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string"}}, "required": ["city"]},
    },
}
ASK = [{"role": "user", "content": "What is the weather in Paris?"}]
ARGUMENTS = '{"city": "Paris", "unit": "celsius"}'


def test_a_tool_call_round_trip(upstream, client, database):
    upstream.next("tool_calls")
    reply = client.chat.completions.create(model="standin", messages=ASK, tools=[WEATHER], tool_choice="auto")
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    [call] = choice.message.tool_calls
    assert (call.id, call.type, call.function.name, call.function.arguments) == ("call_standin0", "function", "get_weather", ARGUMENTS)
    sent = upstream.requests[-1]
    assert sent["tools"] == [WEATHER] and sent["tool_choice"] == "auto"

    # The caller runs the tool and sends its result back, as the SDK's docs show.
    answer = {"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temperature": 18})}
    final = client.chat.completions.create(model="standin", messages=[*ASK, choice.message.model_dump(exclude_none=True), answer], tools=[WEATHER])
    assert final.choices[0].message.content == "Hello from the stand-in." and final.choices[0].finish_reason == "stop"
    sent = upstream.requests[-1]["messages"]
    assert sent[1] == {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_standin0", "type": "function", "function": {"name": "get_weather", "arguments": ARGUMENTS}}]}
    assert sent[2] == {"role": "tool", "content": '{"temperature": 18}', "tool_call_id": "call_standin0"}
    assert [r.status for r in usage_records(database)] == ["complete", "complete"]


def test_streamed_tool_calls_in_openai_chunks(upstream, client):
    upstream.tool_calls = [("get_weather", ARGUMENTS), ("get_time", '{"zone": "Europe/Paris"}')]
    upstream.next("tool_calls")
    chunks = list(client.chat.completions.create(model="standin", messages=ASK, tools=[WEATHER], stream=True, parallel_tool_calls=True))
    assert chunks[0].choices[0].delta.role == "assistant" and chunks[0].choices[0].delta.content is None
    pieces = [call for c in chunks if c.choices and c.choices[0].delta.tool_calls for call in c.choices[0].delta.tool_calls]
    openings = [p for p in pieces if p.id]
    assert [(p.index, p.id, p.type, p.function.name) for p in openings] == [(0, "call_standin0", "function", "get_weather"),
                                                                             (1, "call_standin1", "function", "get_time")]
    assert all(p.function.name is None and p.type is None for p in pieces if not p.id)  # later pieces: arguments only
    assert "".join(p.function.arguments for p in pieces if p.index == 0) == ARGUMENTS
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    assert upstream.requests[-1]["parallel_tool_calls"] is True


def test_the_sdks_stream_helper_assembles_our_chunks(upstream, client):
    upstream.next("tool_calls")
    with client.chat.completions.stream(model="standin", messages=ASK, tools=[WEATHER]) as stream:
        final = stream.get_final_completion()
    [call] = final.choices[0].message.tool_calls
    assert (call.id, call.function.name, call.function.arguments) == ("call_standin0", "get_weather", ARGUMENTS)
    assert final.choices[0].finish_reason == "tool_calls"


def test_tools_work_through_the_provider_catalog_as_in_production(upstream, server, client):
    server.app.state.chat_provider = None  # the app builds its catalog of providers, as when serving
    upstream.next("tool_calls")
    reply = client.chat.completions.create(model="standin", messages=ASK, tools=[WEATHER])
    assert reply.choices[0].finish_reason == "tool_calls" and upstream.requests[-1]["tools"] == [WEATHER]


def test_a_named_tool_choice_reaches_the_upstream_for_a_gpt_too(upstream, client, database):
    gpt = make_gpt(database)
    upstream.next("tool_calls")
    choice = {"type": "function", "function": {"name": "get_weather"}}
    reply = client.chat.completions.create(model=gpt, messages=ASK, tools=[WEATHER], tool_choice=choice, parallel_tool_calls=False)
    assert reply.choices[0].message.tool_calls[0].function.name == "get_weather"
    sent = upstream.requests[-1]
    assert sent["tool_choice"] == choice and sent["parallel_tool_calls"] is False and sent["tools"] == [WEATHER]
    assert sent["messages"][0]["role"] == "system"  # the GPT's own instructions still lead


def test_without_tools_nothing_about_tools_is_sent(upstream, client):
    client.chat.completions.create(model="standin", messages=ASK)
    assert not {"tools", "tool_choice", "parallel_tool_calls"} & set(upstream.requests[-1])


CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
BAD = [
    ({"tools": {"type": "function"}}, "tools"),
    ({"tools": [{"type": "function"}]}, "tools[0].function"),
    ({"tools": [{"type": "retrieval", "function": WEATHER["function"]}]}, "tools[0].type"),
    ({"tools": [{"type": "function", "function": {"name": "get weather!"}}]}, "tools[0].function.name"),
    ({"tools": [{"type": "function", "function": {"name": "f", "parameters": "an object"}}]}, "tools[0].function.parameters"),
    ({"tools": [WEATHER] * 129}, "tools"),
    ({"tools": [WEATHER], "tool_choice": "sometimes"}, "tool_choice"),
    ({"tools": [WEATHER], "tool_choice": {"type": "function", "function": {"name": "get_time"}}}, "tool_choice"),
    ({"tools": [WEATHER], "tool_choice": {"type": "function"}}, "tool_choice"),
    ({"tool_choice": "auto"}, "tool_choice"),
    ({"parallel_tool_calls": True}, "parallel_tool_calls"),
    ({"tools": [WEATHER], "parallel_tool_calls": "yes"}, "parallel_tool_calls"),
    ({"messages": [{"role": "user", "content": "hi", "tool_calls": [CALL]}]}, "messages[0].tool_calls"),
    ({"messages": [*ASK, {"role": "assistant", "tool_calls": [{**CALL, "function": {"name": "f", "arguments": {}}}]},
                   {"role": "tool", "tool_call_id": "call_1", "content": "ok"}]}, "messages[1].tool_calls[0].function.arguments"),
    ({"messages": [*ASK, {"role": "assistant", "tool_calls": [{**CALL, "type": "code"}]}]}, "messages[1].tool_calls[0].type"),
    ({"messages": [*ASK, {"role": "assistant", "tool_calls": [CALL]}, {"role": "tool", "content": "ok"}]}, "messages[2].tool_call_id"),
    ({"messages": [*ASK, {"role": "assistant", "tool_calls": [CALL]}, {"role": "tool", "tool_call_id": "call_9", "content": "ok"}]},
     "messages[2].tool_call_id"),
    ({"messages": [*ASK, {"role": "tool", "tool_call_id": "call_1", "content": "ok"}]}, "messages[1].tool_call_id"),
    ({"messages": [*ASK, {"role": "assistant", "tool_calls": [CALL]}, {"role": "user", "content": "and?"}]}, "messages[1].tool_calls"),
    ({"messages": [*ASK, {"role": "assistant", "tool_calls": [CALL]}]}, "messages[1].tool_calls"),
]


@pytest.mark.parametrize(("fields", "param"), BAD, ids=[f"{param}-{n}" for n, (_f, param) in enumerate(BAD)])
def test_bad_tool_shapes_are_400_naming_the_field(upstream, server, key, database, fields, param):
    body = {"model": "standin", "messages": ASK, **fields}
    response = httpx.post(f"{server.url}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param, error
    assert upstream.requests == [] and usage_records(database) == []


def test_the_sdk_raises_bad_request_for_a_tool_message_answering_nothing(upstream, client):
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="standin", messages=[*ASK, {"role": "tool", "tool_call_id": "call_x", "content": "18"}])
    assert refused.value.body["param"] == "messages[1].tool_call_id"


def test_the_local_model_cannot_call_tools_and_says_so(local_model, server, key, database):
    headers = {"Authorization": f"Bearer {key}"}
    gpt = make_gpt(database)
    for model in ("smollm2-135m-instruct", gpt):
        response = httpx.post(f"{server.url}/v1/chat/completions", json={"model": model, "messages": ASK, "tools": [WEATHER]}, headers=headers)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["param"], error["code"]) == ("tools", "tools_not_supported") and "cannot call tools" in error["message"]
    history = [*ASK, {"role": "assistant", "tool_calls": [CALL]}, {"role": "tool", "tool_call_id": "call_1", "content": "18"}]
    response = httpx.post(f"{server.url}/v1/chat/completions", json={"model": gpt, "messages": history}, headers=headers)
    assert response.status_code == 400 and response.json()["error"]["param"] == "messages"
    assert usage_records(database) == []


CALCULATE = ("calculator", '{"expression": "17 * 23"}')
CALCULATOR = {"calculator": True}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_gpts_own_tool_runs_on_the_server_and_the_caller_gets_the_answer(upstream, client, database, stream):
    gpt = make_gpt(database, capabilities=CALCULATOR)
    upstream.tool_calls = [CALCULATE]
    upstream.next("tool_calls", "ok")
    if stream:
        chunks = list(client.chat.completions.create(model=gpt, messages=ASK, stream=True))
        assert not any(c.choices and c.choices[0].delta.tool_calls for c in chunks)  # the GPT's own calls stay on the server
        text, finish = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices), chunks[-1].choices[0].finish_reason
    else:
        reply = client.chat.completions.create(model=gpt, messages=ASK)
        assert reply.choices[0].message.tool_calls is None
        text, finish = reply.choices[0].message.content, reply.choices[0].finish_reason
    assert (text, finish) == ("Hello from the stand-in.", "stop")
    first, second = upstream.requests
    assert [t["function"]["name"] for t in first["tools"]] == ["calculator"]
    assert second["messages"][-1] == {"role": "tool", "tool_call_id": "call_standin0", "content": "391"}
    [record] = usage_records(database)  # one call, one event: both model calls' tokens
    assert record.completion_tokens == len(CALCULATE[1]) // 4 + 1 + len("Hello from the stand-in.".split(" "))
    assert (record.source, record.gpt_id, record.status) == ("api", gpt, "complete")


def test_the_callers_tools_are_returned_beside_the_gpts_own(upstream, client, database):
    gpt = make_gpt(database, capabilities=CALCULATOR)
    upstream.next("tool_calls")
    reply = client.chat.completions.create(model=gpt, messages=ASK, tools=[WEATHER])
    assert reply.choices[0].finish_reason == "tool_calls"
    assert [c.function.name for c in reply.choices[0].message.tool_calls] == ["get_weather"]
    assert [t["function"]["name"] for t in upstream.requests[-1]["tools"]] == ["calculator", "get_weather"]

    # One turn calling both: the caller's call comes back (numbered among the caller's), the GPT's does not run.
    upstream.tool_calls = [CALCULATE, ("get_weather", ARGUMENTS)]
    upstream.next("tool_calls")
    chunks = list(client.chat.completions.create(model=gpt, messages=ASK, tools=[WEATHER], stream=True))
    pieces = [call for c in chunks if c.choices and c.choices[0].delta.tool_calls for call in c.choices[0].delta.tool_calls]
    assert {(p.index, p.id) for p in pieces if p.id} == {(0, "call_standin1")}
    assert "".join(p.function.arguments for p in pieces) == ARGUMENTS and chunks[-1].choices[0].finish_reason == "tool_calls"
    assert len(upstream.requests) == 2 and [r.status for r in usage_records(database)] == ["complete", "complete"]


def test_a_callers_tool_may_not_take_the_name_of_the_gpts_own(upstream, server, key, database):
    gpt = make_gpt(database, capabilities=CALCULATOR)
    mine = {"type": "function", "function": {"name": "calculator", "parameters": {"type": "object"}}}
    response = httpx.post(f"{server.url}/v1/chat/completions", json={"model": gpt, "messages": ASK, "tools": [mine]},
                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 400 and response.json()["error"]["param"] == "tools", response.text
    assert upstream.requests == [] and usage_records(database) == []

"""A GPT's MCP tools through /v1 with the official openai SDK: a read-only tool runs on Agora's side, the caller gets the answer."""

from __future__ import annotations

import pytest

from tests.api.conftest import client, key, make_gpt, standin_server, upstream  # noqa: F401  (the fixtures, for these tests)
from tests.mcp_servers.conftest import attach

ASK = [{"role": "user", "content": "What did I note about milk?"}]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_read_only_mcp_tool_runs_on_the_server_for_a_v1_caller(upstream, client, database, notebook, stream):
    gpt_id = make_gpt(database)
    attach(database, gpt_id, notebook.url)
    notebook.notes.append("Buy oat milk on Friday")
    upstream.tool_calls = [("search_notes", '{"query": "milk"}')]
    upstream.next("tool_calls", "ok")
    if stream:
        chunks = list(client.chat.completions.create(model=gpt_id, messages=ASK, stream=True))
        assert not any(c.choices and c.choices[0].delta.tool_calls for c in chunks)  # the GPT's own call stays on the server
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    else:
        reply = client.chat.completions.create(model=gpt_id, messages=ASK)
        assert reply.choices[0].message.tool_calls is None
        text = reply.choices[0].message.content
    assert text == "Hello from the stand-in."
    assert notebook.calls == [("search_notes", {"query": "milk"})]
    assert upstream.requests[1]["messages"][-1] == {"role": "tool", "tool_call_id": "call_standin0", "content": "Buy oat milk on Friday"}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_consequential_mcp_tool_is_handed_back_to_the_v1_caller(upstream, client, database, notebook, stream):
    gpt_id = make_gpt(database)
    attach(database, gpt_id, notebook.url)
    upstream.tool_calls = [("add_note", '{"text": "Buy oat milk"}')]
    upstream.next("tool_calls")
    ask = [{"role": "user", "content": "Note that I need oat milk"}]
    if stream:
        chunks = list(client.chat.completions.create(model=gpt_id, messages=ask, stream=True))
        pieces = [call for c in chunks if c.choices and c.choices[0].delta.tool_calls for call in c.choices[0].delta.tool_calls]
        assert [(p.id, p.function.name) for p in pieces if p.id] == [("call_standin0", "add_note")]
        assert "".join(p.function.arguments for p in pieces) == '{"text": "Buy oat milk"}'
        assert chunks[-1].choices[0].finish_reason == "tool_calls"
    else:
        choice = client.chat.completions.create(model=gpt_id, messages=ask).choices[0]
        assert choice.finish_reason == "tool_calls"
        [call] = choice.message.tool_calls
        assert (call.function.name, call.function.arguments) == ("add_note", '{"text": "Buy oat milk"}')
    assert notebook.calls == []  # the caller decides; Agora never made the call

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

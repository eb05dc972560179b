"""The `openai` provider and tools: definitions and choice sent upstream, calls back as ToolCallDelta events."""

from __future__ import annotations

from agora.providers.base import Finished, ToolCallDelta, supports_tools
from agora.providers.openai_stream import ToolCalls
from tests.providers.test_openai_provider import collect, provider

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}]


def test_tool_calls_stream_as_deltas_and_finish_with_tool_calls(upstream):
    upstream.tool_calls = [("get_weather", '{"city": "Paris"}'), ("get_time", "{}")]
    upstream.next("tool_calls")
    events = collect(provider(upstream), tools=TOOLS, tool_choice="required", parallel_tool_calls=True)
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert [(d.index, d.id, d.name) for d in deltas if d.id] == [(0, "call_standin0", "get_weather"), (1, "call_standin1", "get_time")]
    assert "".join(d.arguments for d in deltas if d.index == 0) == '{"city": "Paris"}'
    assert all(d.name is None for d in deltas if d.id is None)
    assert isinstance(events[-1], Finished) and events[-1].finish_reason == "tool_calls" and events[-1].usage.completion_tokens > 0
    sent = upstream.requests[-1]
    assert (sent["tools"], sent["tool_choice"], sent["parallel_tool_calls"]) == (TOOLS, "required", True)


def test_tool_choice_is_not_sent_without_tools(upstream):
    collect(provider(upstream), tool_choice="auto")
    assert "tool_choice" not in upstream.requests[-1] and "tools" not in upstream.requests[-1]


def test_calls_get_an_id_and_name_once_even_from_servers_that_omit_or_repeat_them():
    calls = ToolCalls()
    first = calls.read({"index": 0, "function": {"name": "lookup", "arguments": '{"q"'}})
    again = calls.read({"index": 0, "id": "call_x", "function": {"name": "lookup", "arguments": ': 1}'}})
    assert first.id.startswith("call_") and first.name == "lookup" and (again.id, again.name, again.arguments) == (None, None, ": 1}")
    assert calls.made and calls.arguments == '{"q": 1}'


def test_the_openai_provider_supports_tools_and_others_need_not_say(upstream):
    assert supports_tools(provider(upstream), "standin") and not supports_tools(object(), "standin")

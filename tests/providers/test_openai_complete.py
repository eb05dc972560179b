"""`OpenAIProvider.complete`: one JSON reply (/v1's `stream: false`), with the SDK's retries, timeouts and errors kept."""

from __future__ import annotations

import asyncio

import pytest

from agora.api.openai.errors import upstream_error
from agora.providers.base import CompletionRequest, ProviderError
from tests.providers.standin import free_port
from tests.providers.test_openai_provider import provider

TOOLS = [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object", "properties": {}}}}]


def complete(provider, **overrides):
    request = CompletionRequest(messages=[{"role": "user", "content": "Hi there"}], model="standin", **overrides)

    async def run():
        try:
            return await provider.complete(request)
        finally:
            await provider.aclose()

    return asyncio.run(run())


def test_a_whole_reply_in_one_request(upstream):
    reply = complete(provider(upstream), temperature=0.3, max_tokens=100, stop=["END"])
    assert (reply.text, reply.finish_reason, reply.tool_calls) == ("Hello from the stand-in.", "stop", [])
    assert reply.usage.completion_tokens == 4 and reply.usage.prompt_tokens == 2
    [sent] = upstream.requests
    assert "stream" not in sent and (sent["temperature"], sent["stop"], sent["max_tokens"]) == (0.3, ["END"], 100)
    assert upstream.authorizations == ["Bearer sk-test"]


def test_tool_calls_come_back_in_the_message_shape(upstream):
    upstream.next("tool_calls")
    reply = complete(provider(upstream), tools=TOOLS, tool_choice="auto")
    assert reply.finish_reason == "tool_calls" and reply.text == ""
    assert [call["function"]["name"] for call in reply.tool_calls] == [name for name, _ in upstream.tool_calls]
    assert all(call["id"] and call["type"] == "function" for call in reply.tool_calls)
    assert upstream.requests[0]["tools"] == TOOLS and upstream.requests[0]["tool_choice"] == "auto"


def test_server_errors_are_retried_then_a_refusal_is_clear(upstream):
    upstream.next("status:503")
    assert complete(provider(upstream, retries=1)).text == "Hello from the stand-in."
    assert len(upstream.requests) == 2
    upstream.reset()
    upstream.next("status:500", "status:500")
    with pytest.raises(ProviderError) as raised:
        complete(provider(upstream, retries=1))
    assert "refused the request (HTTP 500)" in raised.value.message and "stand-in refused with 500" in raised.value.message
    assert raised.value.kind == "refused" and upstream_error(raised.value).status == 502
    upstream.reset()
    upstream.next("status:400")
    with pytest.raises(ProviderError):
        complete(provider(upstream, retries=2))
    assert len(upstream.requests) == 1  # a client error is not retried


def test_a_silent_server_times_out_as_504_and_an_absent_one_is_unreachable(upstream):
    upstream.next("hang")
    with pytest.raises(ProviderError) as raised:
        complete(provider(upstream, timeout=0.5))
    assert raised.value.kind == "timeout" and "did not answer in 0.5 s" in raised.value.message and upstream_error(raised.value).status == 504
    nobody = type("Nobody", (), {"base_url": f"http://127.0.0.1:{free_port()}/v1"})()
    with pytest.raises(ProviderError) as raised:
        complete(provider(nobody))
    assert raised.value.kind == "unreachable" and "Could not reach" in raised.value.message and upstream_error(raised.value).status == 502

"""The `openai` provider against a real OpenAI-compatible HTTP server on loopback, faults included."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from agora.providers.base import CompletionRequest, Finished, ProviderError, TextDelta
from agora.providers.openai_compat import OpenAIProvider
from agora.providers.watchdog import Watchdog


def provider(upstream, *, timeout: float = 5, retries: int = 0) -> OpenAIProvider:
    return OpenAIProvider(base_url=upstream.base_url, api_key="sk-test", models=["standin"], context_tokens=4096, timeout=timeout, max_retries=retries)


def collect(provider: OpenAIProvider, **overrides) -> list:
    request = CompletionRequest(messages=[{"role": "user", "content": "Hi there"}], model="standin", **overrides)

    async def run() -> list:
        try:
            return [event async for event in provider.stream(request)]
        finally:
            await provider.aclose()

    return asyncio.run(run())


def test_streams_text_then_usage(upstream):
    events = collect(provider(upstream), temperature=0.3, max_tokens=100, stop=["END"])
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == "Hello from the stand-in."
    assert isinstance(events[-1], Finished) and events[-1].finish_reason == "stop"
    assert events[-1].usage.completion_tokens == 4 and events[-1].usage.prompt_tokens == 2
    sent = upstream.requests[0]
    assert sent["stream"] is True and sent["temperature"] == 0.3 and sent["stop"] == ["END"] and sent["max_tokens"] == 100


def test_events_cut_across_reads_and_crlf_line_ends_are_read_whole(upstream):
    upstream.next("split")
    events = collect(provider(upstream))
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Hello from the stand-in."
    assert isinstance(events[-1], Finished) and events[-1].finish_reason == "stop" and events[-1].usage.completion_tokens == 4


def test_max_tokens_cuts_the_reply_with_reason_length(upstream):
    events = collect(provider(upstream), max_tokens=2)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Hello from"
    assert events[-1].finish_reason == "length"


@pytest.mark.parametrize("status", [400, 401, 500, 503])
def test_a_refusal_becomes_a_clear_message(upstream, status):
    upstream.next(f"status:{status}")
    with pytest.raises(ProviderError) as raised:
        collect(provider(upstream))
    assert f"refused the request (HTTP {status})" in raised.value.message
    assert upstream.base_url in raised.value.message and f"stand-in refused with {status}" in raised.value.message


def test_429_and_5xx_are_retried(upstream):
    upstream.next("status:429", "status:502")
    events = collect(provider(upstream, retries=2))
    assert isinstance(events[-1], Finished) and len(upstream.requests) == 3


def test_a_hanging_server_times_out_with_its_url_and_delay(upstream):
    upstream.next("hang")
    with pytest.raises(ProviderError) as raised:
        collect(provider(upstream, timeout=0.5))
    assert raised.value.message == f"The model server at {upstream.base_url} did not answer in 0.5 s."


def test_a_server_hanging_midway_times_out_too(upstream):
    upstream.next("hang_midway")
    with pytest.raises(ProviderError) as raised:
        collect(provider(upstream, timeout=0.5))
    assert "did not answer in 0.5 s" in raised.value.message


def test_a_dropped_stream_is_an_error_not_a_short_reply(upstream):
    upstream.next("drop")
    with pytest.raises(ProviderError) as raised:
        collect(provider(upstream))
    assert "broke during the reply" in raised.value.message or "ended the reply before finishing" in raised.value.message


def test_malformed_sse_is_reported(upstream):
    upstream.next("malformed")
    with pytest.raises(ProviderError) as raised:
        collect(provider(upstream))
    assert "malformed reply" in raised.value.message


def test_a_stream_without_finish_reason_is_incomplete(upstream):
    upstream.next("no_finish")
    with pytest.raises(ProviderError) as raised:
        collect(provider(upstream))
    assert "ended the reply before finishing" in raised.value.message


def test_an_unreachable_server(upstream):
    dead = OpenAIProvider(base_url="http://127.0.0.1:9/v1", api_key=None, models=["m"], context_tokens=10, timeout=2, max_retries=0)
    with pytest.raises(ProviderError) as raised:
        collect(dead)
    assert raised.value.message == "Could not reach the model server at http://127.0.0.1:9/v1."


def test_closing_the_stream_closes_the_upstream_connection(upstream):
    upstream.next("slow")
    client = provider(upstream)

    async def read_two_then_stop() -> None:
        stream = client.stream(CompletionRequest(messages=[{"role": "user", "content": "go"}], model="standin"))
        [await anext(stream) for _ in range(2)]
        await stream.aclose()
        await client.aclose()

    asyncio.run(read_two_then_stop())
    deadline = time.monotonic() + 10
    while upstream.aborted == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert upstream.aborted == 1


def test_the_body_is_read_from_aiohttps_buffer_under_one_watchdog(upstream):
    """The fast path (docs/benchmarks.md): each read is aiohttp's `readany` itself, with no layer
    between, and no timer of aiohttp's re-armed per read: one watchdog per stream keeps the timeout."""
    upstream.next("slow")
    client = provider(upstream)

    async def open_and_read() -> tuple[object, object, bytes]:
        body = await client._client.open_stream({"model": "standin", "messages": [{"role": "user", "content": "x"}], "stream": True})
        try:
            chunks = b"".join([await body.read() for _ in range(3)])
            return body.read, body.watchdog, chunks
        finally:
            body.close()
            await client.aclose()

    read, watchdog, chunks = asyncio.run(open_and_read())
    assert isinstance(read.__self__, aiohttp.StreamReader) and read.__func__ is aiohttp.StreamReader.readany
    assert client._client._streamed.sock_read is None and isinstance(watchdog, Watchdog) and b"Hello" in chunks


def test_the_watchdog_fails_a_read_after_a_silent_timeout():
    async def silent() -> tuple[float, BaseException | None]:
        failed: list[BaseException] = []
        watchdog = Watchdog(0.2)
        started = time.monotonic()
        watchdog.start(failed.append)
        while not failed and time.monotonic() - started < 2:
            await asyncio.sleep(0.01)
        return time.monotonic() - started, failed[0] if failed else None

    async def busy() -> BaseException | None:
        failed: list[BaseException] = []
        watchdog = Watchdog(0.2)
        watchdog.start(failed.append)
        for _ in range(60):  # reads keep coming for 0.6 s: never silent for 0.2 s
            watchdog.reads += 1
            await asyncio.sleep(0.01)
        watchdog.stop()
        return failed[0] if failed else None

    after, failure = asyncio.run(silent())
    assert isinstance(failure, TimeoutError) and 0.2 <= after < 1.5
    assert asyncio.run(busy()) is None

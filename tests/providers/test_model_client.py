"""The model client's failures, one kind each, against the stand-in server (real HTTP on loopback), streamed and whole."""

from __future__ import annotations

import asyncio
import base64
import time
from email.utils import formatdate

import pytest

from agora.api.openai.errors import upstream_error
from agora.providers.base import CompletionRequest, ProviderError, TextDelta
from agora.providers.openai_compat import OpenAIProvider
from agora.providers.retry import RetryPolicy, server_wait
from tests.chat.conftest import eventually
from tests.providers.standin import free_port
from tests.providers.test_openai_complete import complete
from tests.providers.test_openai_provider import collect, provider

REQUEST = CompletionRequest(messages=[{"role": "user", "content": "Hi there"}], model="standin")


def streamed(client: OpenAIProvider) -> tuple[str, ProviderError | None]:
    """The text a stream delivered, and the error that ended it (None: it finished)."""
    text: list[str] = []

    async def run() -> ProviderError | None:
        try:
            async for event in client.stream(REQUEST):
                if isinstance(event, TextDelta):
                    text.append(event.text)
        except ProviderError as error:
            return error
        finally:
            await client.aclose()
        return None

    failure = asyncio.run(run())
    return "".join(text), failure


def failure_of(call, client: OpenAIProvider) -> ProviderError:
    with pytest.raises(ProviderError) as raised:
        call(client)
    return raised.value


BOTH = pytest.mark.parametrize("call", [collect, complete], ids=["stream", "whole"])


@BOTH
def test_a_refused_connection_is_unreachable_and_names_the_server(call):
    nobody = type("Nobody", (), {"base_url": f"http://127.0.0.1:{free_port()}/v1"})()
    failure = failure_of(call, provider(nobody, retries=1))
    assert (failure.kind, failure.message) == ("unreachable", f"Could not reach the model server at {nobody.base_url}.")
    assert upstream_error(failure).status == 502


@BOTH
@pytest.mark.parametrize("mode", ["close", "status:429", "status:500", "status:503"])
def test_a_failure_before_the_server_answered_is_sent_again(upstream, call, mode):
    upstream.next(mode)
    call(provider(upstream, retries=1))
    assert len(upstream.requests) == 2


@BOTH
def test_a_connection_closed_without_an_answer_is_unreachable(upstream, call):
    upstream.next("close")
    failure = failure_of(call, provider(upstream))
    assert failure.kind == "unreachable" and "closed the connection without answering" in failure.message


@BOTH
def test_an_answer_that_is_not_http_is_a_bad_reply_not_sent_again(upstream, call):
    upstream.next("garbage")
    failure = failure_of(call, provider(upstream, retries=2))
    assert (failure.kind, len(upstream.requests)) == ("bad_reply", 1) and "malformed reply" in failure.message


@BOTH
def test_a_429_is_sent_again_after_its_retry_after(upstream, call):
    upstream.next("status:429:1")
    started = time.monotonic()
    call(provider(upstream, retries=1))
    assert len(upstream.requests) == 2 and time.monotonic() - started >= 1.0  # the server's wait was kept (a lower bound)


@BOTH
def test_a_retry_after_longer_than_the_timeout_ends_at_once_and_is_passed_on(upstream, call):
    upstream.next("status:429:60")
    failure = failure_of(call, provider(upstream, timeout=5, retries=2))
    assert (failure.kind, failure.retry_after, len(upstream.requests)) == ("rate_limited", 60.0, 1)
    answer = upstream_error(failure)
    assert (answer.status, answer.headers) == (429, {"Retry-After": "60"})


@BOTH
def test_5xx_to_the_last_retry_are_a_refusal_with_the_servers_words(upstream, call):
    upstream.next("status:500", "status:502", "status:503")
    failure = failure_of(call, provider(upstream, retries=2))
    assert (failure.kind, failure.retryable, len(upstream.requests)) == ("refused", True, 3)
    assert "HTTP 503" in failure.message and "stand-in refused with 503" in failure.message and upstream.base_url in failure.message


@BOTH
def test_a_client_error_is_not_sent_again(upstream, call):
    upstream.next("status:404")
    failure = failure_of(call, provider(upstream, retries=2))
    assert (failure.kind, failure.retryable, len(upstream.requests)) == ("refused", False, 1)


@BOTH
def test_a_silent_server_is_a_timeout_and_is_not_asked_again(upstream, call):
    upstream.next("hang")
    failure = failure_of(call, provider(upstream, timeout=0.5, retries=2))
    assert failure.kind == "timeout" and len(upstream.requests) == 1 and upstream_error(failure).status == 504


def test_silence_mid_stream_is_a_timeout_after_what_came(upstream):
    upstream.next("hang_midway")
    text, failure = streamed(provider(upstream, timeout=0.5, retries=2))
    assert text == "Hello from" and failure.kind == "timeout" and "did not answer in 0.5 s" in failure.message
    assert len(upstream.requests) == 1


@pytest.mark.parametrize(("mode", "kind", "words"), [
    ("malformed", "bad_reply", "sent a malformed reply"),
    ("no_finish", "bad_reply", "ended the reply before finishing it"),
    ("drop", "bad_reply", "broke during the reply"),
    ("error_midway", "refused", "the stand-in's model crashed"),
])
def test_a_stream_that_goes_wrong_after_it_began_is_never_sent_again(upstream, mode, kind, words):
    upstream.next(mode)
    text, failure = streamed(provider(upstream, retries=2))
    assert text.startswith("Hello from") and failure.kind == kind and words in failure.message and upstream.base_url in failure.message
    assert len(upstream.requests) == 1


@pytest.mark.parametrize(("mode", "words"), [("malformed", "malformed reply"), ("shapeless", "malformed reply"), ("drop", "broke during the reply")])
def test_a_whole_reply_that_cannot_be_read_is_a_bad_reply_never_sent_again(upstream, mode, words):
    upstream.next(mode)
    failure = failure_of(complete, provider(upstream, retries=2))
    assert failure.kind == "bad_reply" and words in failure.message and len(upstream.requests) == 1
    assert upstream_error(failure).status == 502


def test_cancelling_the_reader_closes_the_upstream_connection(upstream):
    upstream.next("slow")
    client = provider(upstream)

    async def read_then_cancel() -> None:
        started = asyncio.Event()

        async def read() -> None:
            async for event in client.stream(REQUEST):
                if isinstance(event, TextDelta):
                    started.set()

        task = asyncio.create_task(read())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await client.aclose()

    asyncio.run(read_then_cancel())
    assert eventually(lambda: upstream.aborted == 1)


def test_the_retry_policy():
    policy = RetryPolicy(max_retries=2, longest_wait=30)

    def failure(kind, *, retryable=True, retry_after=None):
        return ProviderError("x", kind=kind, retryable=retryable, retry_after=retry_after)

    assert 0.25 <= policy.wait(0, failure("unreachable")) <= 0.5 and 0.5 <= policy.wait(1, failure("refused")) <= 1.0
    assert policy.wait(2, failure("unreachable")) is None  # the last retry was spent
    assert policy.wait(0, failure("rate_limited", retry_after=3)) == 3 and policy.wait(0, failure("rate_limited", retry_after=31)) is None
    assert policy.wait(0, failure("refused", retryable=False)) is None  # a 4xx
    assert policy.wait(0, failure("timeout")) is None and policy.wait(0, failure("bad_reply")) is None
    with pytest.raises(ValueError, match="kind must be one of"):
        failure("flaky")


def test_the_wait_a_server_asks_for():
    assert server_wait({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert server_wait({"retry-after": "7"}) == 7.0 and server_wait({"retry-after": "0.5"}) == 0.5
    assert 50 < server_wait({"retry-after": formatdate(time.time() + 60, usegmt=True)}) <= 60
    assert server_wait({"retry-after": "soon"}) is None and server_wait({}) is None


@BOTH
def test_a_proxy_from_the_environment_is_used_unless_no_proxy_exempts_the_server(upstream, call, monkeypatch):
    # The stand-in answers a proxy's absolute-form request as it answers any other, so a reply
    # for a server that cannot exist shows the request went through the proxy.
    nowhere = type("Nowhere", (), {"base_url": "http://model-server.invalid:9/v1"})()
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", f"http://agora:secret@127.0.0.1:{upstream.port}")
    call(provider(nowhere))
    assert len(upstream.requests) == 1 and upstream.authorizations == ["Bearer sk-test"]
    assert upstream.proxy_authorizations == ["Basic " + base64.b64encode(b"agora:secret").decode()]
    monkeypatch.setenv("no_proxy", "model-server.invalid")
    assert failure_of(call, provider(nowhere)).kind == "unreachable"

"""The `local` provider with the real bundled SmolLM2 model (short replies)."""

from __future__ import annotations

import asyncio
import time

import pytest

from agora.config import Settings
from agora.providers import registry
from agora.providers.base import CompletionRequest, Finished, ProviderError, Queued, TextDelta
from agora.providers import local as local_module
from agora.providers.local import LocalProvider, bundled_model_path, open_model

HELLO = [{"role": "system", "content": "You are brief."}, {"role": "user", "content": "Say hello."}]


@pytest.fixture(scope="module")
def local() -> LocalProvider:
    provider = registry.create("local", Settings(_env_file=None, local_context_tokens=1024))
    assert isinstance(provider, LocalProvider)
    return provider


def test_the_bundled_model_ships_with_the_package():
    assert bundled_model_path().is_file() and bundled_model_path().stat().st_size > 10_000_000


def test_streams_a_short_reply_with_usage(local):
    async def run():
        return [e async for e in local.stream(CompletionRequest(messages=HELLO, model="smollm2-135m-instruct", max_tokens=8, temperature=0))]

    events = asyncio.run(run())
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert deltas and "".join(d.text for d in deltas).strip()
    finished = events[-1]
    assert isinstance(finished, Finished) and 1 <= finished.usage.completion_tokens <= 9
    assert finished.usage.prompt_tokens == local.count_tokens(HELLO, "smollm2-135m-instruct") > 5


def test_counts_tokens_with_the_models_tokenizer(local):
    short = local.count_tokens([{"role": "user", "content": "hi"}], "m")
    long = local.count_tokens([{"role": "user", "content": "hi " * 200}], "m")
    assert short < 10 and 190 < long < 420
    assert local.context_window("m") == 1024


def test_concurrent_requests_queue_fairly_and_see_their_position(local):
    async def one(tag: int):
        events = []
        async for event in local.stream(CompletionRequest(messages=HELLO, model="m", max_tokens=4, temperature=0)):
            events.append(event)
        return tag, events

    async def run():
        tasks = [asyncio.create_task(one(tag)) for tag in range(3)]
        return await asyncio.gather(*tasks)

    results = asyncio.run(run())
    positions = {tag: [e.position for e in events if isinstance(e, Queued)] for tag, events in results}
    assert positions[0] == [] and positions[1][0] == 1 and positions[2][0] == 2
    assert positions[2][-1] < positions[2][0]  # told when it moved up the line
    assert all(isinstance(events[-1], Finished) for _, events in results)


def test_a_request_sent_once_the_last_one_finished_is_not_told_to_wait(local, monkeypatch):
    # The engine's thread may be paused by the OS just after it hands over a reply's end (it
    # happened under load): a request sent in that moment must still hear it is next, not
    # that a finished reply is ahead of it.
    sent = local_module._Job.send

    def paused_after_the_end(job, event):
        sent(job, event)
        if isinstance(event, Finished):
            time.sleep(0.3)

    monkeypatch.setattr(local_module._Job, "send", paused_after_the_end)

    async def run():
        first = [e async for e in local.stream(CompletionRequest(messages=HELLO, model="m", max_tokens=2, temperature=0))]
        second = local.stream(CompletionRequest(messages=HELLO, model="m", max_tokens=2, temperature=0))
        try:
            return first, await anext(second)
        finally:
            await second.aclose()

    first, next_event = asyncio.run(run())
    assert isinstance(first[-1], Finished)
    assert not isinstance(next_event, Queued), next_event


def test_a_cancelled_request_frees_the_model_for_the_next(local):
    async def run():
        long = local.stream(CompletionRequest(messages=HELLO, model="m", max_tokens=400, temperature=0))
        first = await anext(long)
        await long.aclose()  # the worker notices and stops at the next token
        after = [e async for e in local.stream(CompletionRequest(messages=HELLO, model="m", max_tokens=3, temperature=0))]
        return first, after

    first, after = asyncio.run(run())
    assert isinstance(first, TextDelta | Queued) and isinstance(after[-1], Finished)


def test_a_prompt_longer_than_the_context_is_a_clear_error(local):
    async def run():
        huge = [{"role": "user", "content": "word " * 3000}]
        return [e async for e in local.stream(CompletionRequest(messages=huge, model="m", max_tokens=4))]

    with pytest.raises(ProviderError) as raised:
        asyncio.run(run())
    assert raised.value.message.startswith("The local model failed")


def test_the_threads_setting_holds_for_reading_prompts_too():
    # llama.cpp reads prompts on every core unless told otherwise; AGORA_LOCAL_THREADS must bound both.
    llama = open_model(bundled_model_path(), 256, 1)
    assert (llama.n_threads, llama.n_threads_batch) == (1, 1)


def test_a_missing_model_file_is_named(tmp_path):
    provider = registry.create("local", Settings(_env_file=None, local_model_path=str(tmp_path / "none.gguf")))

    async def run():
        return [e async for e in provider.stream(CompletionRequest(messages=HELLO, model="m", max_tokens=2))]

    with pytest.raises(ProviderError) as raised:
        asyncio.run(run())
    assert "none.gguf does not exist" in raised.value.message


def test_an_unknown_provider_name_lists_the_installed_ones():
    with pytest.raises(LookupError) as raised:
        registry.create("nope", Settings(_env_file=None))
    assert "local" in str(raised.value) and "openai" in str(raised.value)

"""Per-key limits: the bucket arithmetic, the atomic Redis script, and the limits as callers meet them."""

from __future__ import annotations

import asyncio
import uuid

import openai
import pytest

from agora.ratelimit.buckets import Decision, Limits, duration
from agora.ratelimit.local import LocalLimiter
from agora.ratelimit.redis_limiter import RedisLimiter
from tests.api.conftest import REDIS_URL, make_key, set_plan_entitlements, usage_records, use_settings
from tests.conftest import start_agora, worker_pids
from tests.test_workers import fresh_connections

MESSAGES = [{"role": "user", "content": "hi"}]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_local_bucket_refills_over_the_minute():
    clock = Clock()
    limiter, limits = LocalLimiter(clock), Limits(requests_per_minute=3, tokens_per_minute=600)

    async def scenario():
        taken = [await limiter.acquire("k", limits, 10) for _ in range(4)]
        assert [d.allowed for d in taken] == [True, True, True, False]
        assert taken[2].requests_left == 0 and taken[2].tokens_left == 570
        assert taken[3].retry_after_seconds == 20  # one request refills every 60/3 s
        clock.now += 20
        assert (await limiter.acquire("k", limits, 10)).allowed
        assert (await limiter.acquire("other-key", limits, 601)).allowed  # a prompt larger than the bucket needs a full bucket only
        await limiter.charge("k", limits, 5000)  # a long reply: the bucket goes into debt, at most one minute's worth
        clock.now += 20
        refused = await limiter.acquire("k", limits, 1)
        assert not refused.allowed and refused.tokens_left < 0
        assert refused.retry_after_seconds == 40  # the debt left (-400 tokens) refills at 10 tokens a second
        clock.now += 60
        assert (await limiter.acquire("k", limits, 1)).allowed

    asyncio.run(scenario())


def test_headers_say_limit_remaining_and_reset_like_openai():
    decision = Decision(True, Limits(60, 1000), requests_left=59, tokens_left=900)
    assert decision.headers() == {
        "x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "59", "x-ratelimit-reset-requests": "1s",
        "x-ratelimit-limit-tokens": "1000", "x-ratelimit-remaining-tokens": "900", "x-ratelimit-reset-tokens": "6s",
    }
    assert [duration(ms) for ms in (0, 20.2, 999, 1000, 59_001, 360_000)] == ["0ms", "21ms", "999ms", "1s", "1m0s", "6m0s"]


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("Redis tests need AGORA_TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/15")
    return REDIS_URL


def test_the_redis_script_never_lets_concurrent_callers_exceed_the_limit(redis_url):
    limits, bucket = Limits(requests_per_minute=10, tokens_per_minute=1000), f"test-{uuid.uuid4().hex}"

    async def scenario():
        # Two limiters: two workers, each with its own connections.
        first, second = RedisLimiter(redis_url), RedisLimiter(redis_url)
        try:
            decisions = await asyncio.gather(*[(first if i % 2 else second).acquire(bucket, limits, 50) for i in range(40)])
            allowed = [d for d in decisions if d.allowed]
            assert len(allowed) == 10
            assert sorted(round(d.requests_left) for d in allowed) == list(range(10))
            await first.charge(bucket, limits, 5000)
            after = await second.acquire(bucket, limits, 1)
            assert not after.allowed and after.tokens_left <= -400
        finally:
            await first.aclose()
            await second.aclose()

    asyncio.run(scenario())


def test_429_with_retry_after_and_headers_and_no_usage(upstream, server, client, database):
    set_plan_entitlements(database, "plus", api_requests_per_minute=2, api_tokens_per_minute=10_000)
    raw = client.chat.completions.with_raw_response.create(model="standin", messages=MESSAGES)
    assert raw.headers["x-ratelimit-limit-requests"] == "2" and raw.headers["x-ratelimit-remaining-requests"] == "1"
    assert raw.headers["x-ratelimit-limit-tokens"] == "10000" and int(raw.headers["x-ratelimit-remaining-tokens"]) < 10_000
    assert raw.headers["x-ratelimit-reset-requests"].endswith("s")
    streamed = client.chat.completions.with_raw_response.create(model="standin", messages=MESSAGES, stream=True)
    assert streamed.headers["x-ratelimit-remaining-requests"] == "0"
    list(streamed.parse())
    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(model="standin", messages=MESSAGES)
    error = refused.value
    assert error.status_code == 429 and error.body["type"] == "rate_limit_error" and error.body["code"] == "rate_limit_exceeded"
    assert int(error.response.headers["retry-after"]) >= 1 and error.response.headers["x-ratelimit-remaining-requests"] == "0"
    assert len(upstream.requests) == 2 and len(usage_records(database)) == 2


def test_the_token_limit_counts_prompt_and_reply(upstream, server, client):
    # The stand-in's provider estimates this prompt at 5 tokens and replies with 4.
    set_plan_entitlements(server.database, "plus", api_requests_per_minute=100, api_tokens_per_minute=20)
    first = client.chat.completions.with_raw_response.create(model="standin", messages=MESSAGES)
    assert first.headers["x-ratelimit-remaining-tokens"] == "15"  # the prompt, taken up front
    second = client.chat.completions.with_raw_response.create(model="standin", messages=MESSAGES)
    # 15 - 4 (the first reply, charged when it ended) - 5; without charging replies it would be 10.
    assert int(second.headers["x-ratelimit-remaining-tokens"]) <= 7
    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(model="standin", messages=MESSAGES)
    assert "20 tokens per minute" in refused.value.message
    assert len(upstream.requests) == 2


def test_limits_are_per_key(upstream, server, client, database):
    set_plan_entitlements(database, "plus", api_requests_per_minute=1)
    client.chat.completions.create(model="standin", messages=MESSAGES)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="standin", messages=MESSAGES)
    other = make_key(database, "other@example.com")
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=other, max_retries=0) as sdk:
        assert sdk.chat.completions.create(model="standin", messages=MESSAGES).choices


def test_two_workers_share_the_limit_through_redis(upstream, server, database, redis_url, tmp_path):
    set_plan_entitlements(database, "plus", api_requests_per_minute=3)
    process, url, log = start_agora(
        tmp_path, database_url=server.settings.resolved_database_url(), redis_url=redis_url,
        chat_provider="openai", openai_base_url=upstream.base_url, openai_models="standin", openai_max_retries=0,
    )
    try:
        key = make_key(database)
        client = fresh_connections(url, headers={"Authorization": f"Bearer {key}"})
        statuses = []
        # New connections land on either worker; go on until both have answered completions
        # (a worker still starting on a busy machine answers none at first).
        while len(statuses) < 12 or len(worker_pids(log, "POST /v1/chat/completions ")) < 2:
            assert len(statuses) < 300, "requests never reached both workers"
            statuses.append(client.post("/v1/chat/completions", json={"model": "standin", "messages": MESSAGES}).status_code)
        # Three per minute for the key, whichever worker answered: per-process buckets would allow six.
        assert statuses.count(200) == 3 and statuses.count(429) == len(statuses) - 3, statuses
        assert len(upstream.requests) == 3
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_plan_without_limits_of_its_own_gets_the_operators_defaults(upstream, server, client, database):
    set_plan_entitlements(database, "plus", api_requests_per_minute=0, api_tokens_per_minute=0)
    use_settings(server, api_requests_per_minute=7, api_tokens_per_minute=7000)
    raw = client.chat.completions.with_raw_response.create(model="standin", messages=MESSAGES)
    assert raw.headers["x-ratelimit-limit-requests"] == "7" and raw.headers["x-ratelimit-limit-tokens"] == "7000"

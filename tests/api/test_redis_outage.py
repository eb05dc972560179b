"""When Redis goes away: rate limits fall back to each process, quotas to the database (never
failing open), chat and /v1 go on answering, and /readyz says Redis does not answer.

Each test runs a Redis server of its own on a free port, and stops, pauses or restarts it.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
import subprocess
import time
from datetime import timedelta

import openai
import pytest
import redis
from sqlalchemy import select

from agora import redis_outage
from agora.accounts import service as accounts
from agora.metering import quota
from agora.metering.models import QuotaLock
from agora.ratelimit.buckets import Limits
from agora.ratelimit.redis_limiter import RedisLimiter
from tests.api.conftest import make_gpt, make_key, set_plan_entitlements, use_settings
from tests.billing.conftest import no_trial, send_status, signed_up  # noqa: F401 (a fixture)
from tests.conftest import free_port

WINDOW = timedelta(hours=3)
MESSAGES = [{"role": "user", "content": "hi"}]


class RedisServer:
    """redis-server on a free loopback port, without persistence: a restart loses its data."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not redis_outage.answers(self.url):
            assert time.monotonic() < deadline and self.process.poll() is None, "redis-server did not start"
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def pause(self) -> None:
        """Still listening, never answering: what a hung or unreachable server looks like."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


@pytest.fixture
def own_redis(monkeypatch):
    if not shutil.which("redis-server"):
        pytest.skip("these tests start a redis-server of their own: apt-get install redis-server")
    monkeypatch.setattr(redis_outage, "RETRY_SECONDS", 0.0)  # try Redis on every call: no waiting in tests
    server = RedisServer().start()
    yield server
    if server.process.poll() is None:
        server.resume()
        server.stop()


def _user(database, email: str) -> int:
    with database.session() as session:
        user = accounts.create_user(session, email=email, display_name="Racer", password=None)
        session.flush()
        return user.id


def _send(database, user_id: int, url: str) -> bool:
    with database.session() as session:
        return quota.consume(session, user_id=user_id, gpt_id="g-outage", limit=5, window=WINDOW, redis_url=url).allowed


def _missing_until(database, user_id: int):
    with database.session() as session:
        return session.scalar(select(QuotaLock.redis_missing_until).where(QuotaLock.user_id == user_id))


def test_quotas_are_counted_in_the_database_while_redis_is_away_and_never_fail_open(database, own_redis):
    own_redis.client().set(quota.SINCE_KEY, 0)  # Redis has held every send for longer than a window
    ada, bob = _user(database, "ada@example.com"), _user(database, "bob@example.com")
    assert [_send(database, ada, own_redis.url) for _ in range(2)] == [True, True]
    assert [_send(database, bob, own_redis.url) for _ in range(6)] == [True] * 5 + [False]
    assert own_redis.client().zcard(f"agora:quota:{ada}") == 2 and _missing_until(database, ada) is None

    own_redis.pause()  # every call now times out
    assert [_send(database, ada, own_redis.url) for _ in range(2)] == [True, True]  # counted in the database
    assert _missing_until(database, ada) is not None
    own_redis.resume()
    # Redis may lack those sends (or hold them too: a script that timed out may still run
    # once Redis wakes up). Either way her row sends her quota to the database until they
    # leave the window: she sent 4 of 5.
    assert [_send(database, ada, own_redis.url) for _ in range(2)] == [True, False]

    own_redis.stop()  # and down: connections refused
    assert not _send(database, bob, own_redis.url)
    own_redis.start()  # empty: it lost every count, and says so by the missing `since`
    assert not _send(database, bob, own_redis.url)  # 5 in the database's window
    since = int(own_redis.client().get(quota.SINCE_KEY))
    assert since > 0 and _missing_until(database, bob) is None  # refused: nothing to mark
    carol = _user(database, "carol@example.com")
    assert _send(database, carol, own_redis.url) and _missing_until(database, carol) is not None


def test_rate_limits_fall_back_to_this_process_while_redis_is_away(own_redis, caplog):
    limits = Limits(requests_per_minute=3, tokens_per_minute=1000)
    caplog.set_level(logging.INFO, logger="agora.redis_outage")

    async def scenario():
        limiter = RedisLimiter(own_redis.url)
        try:
            assert (await limiter.acquire("key", limits, 10)).allowed  # in Redis
            own_redis.stop()
            decisions = [await limiter.acquire("key", limits, 10) for _ in range(4)]
            assert [d.allowed for d in decisions] == [True, True, True, False]  # this process's own bucket
            assert decisions[-1].retry_after_seconds >= 1
            await limiter.charge("key", limits, 50)  # a reply that ends during the outage is charged here too
            own_redis.start()
            assert (await limiter.acquire("key", limits, 10)).allowed  # Redis again (a fresh bucket there)
            assert own_redis.client().exists("agora:ratelimit:key")
        finally:
            await limiter.aclose()

    asyncio.run(scenario())
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "agora.redis_outage"]
    assert lines == [("WARNING", "Redis does not answer; rate limits fall back until it does"),
                     ("INFO", "Redis answers again; rate limits use it")]


def test_chat_and_v1_answer_while_redis_is_away_and_readyz_says_so(upstream, server, database, browser, make_browser,
                                                                   own_redis, no_trial):
    use_settings(server, redis_url=own_redis.url)
    server.app.state.api_limiter = RedisLimiter(own_redis.url)
    assert browser.get("/readyz").json() == {"status": "ok", "database": "ok", "redis": "ok"}
    set_plan_entitlements(database, "plus", messages_per_window=2)
    gpt = make_gpt(database)
    chat = signed_up(make_browser, "chat@example.com")  # on Free: 10 messages a window
    conversation = chat.start(make_gpt(database, name="Own Helper", owner_email="chat@example.com"))
    own_redis.stop()

    ready = browser.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "degraded", "database": "ok", "redis": "unreachable"}
    assert send_status(chat, conversation, "hello")[0] == 200
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=make_key(database), max_retries=0, timeout=20) as client:
        assert client.chat.completions.create(model="standin", messages=MESSAGES).choices
        assert client.chat.completions.create(model=gpt, messages=MESSAGES).choices
        list(client.chat.completions.create(model=gpt, messages=MESSAGES, stream=True))
        with pytest.raises(openai.RateLimitError) as refused:  # the quota holds without Redis
            client.chat.completions.create(model=gpt, messages=MESSAGES)
    assert refused.value.body["code"] == "quota_exceeded"

    own_redis.start()
    assert browser.get("/readyz").json()["redis"] == "ok"
    asyncio.run(server.app.state.api_limiter.aclose())

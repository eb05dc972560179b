"""The per-process cache of /v1 callers: a revoked key is refused, in this process at once, elsewhere within seconds."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import openai
import pytest

from agora.accounts import api_keys
from agora.accounts.models import ApiKey, User
from agora.api.openai.callers import CallerCache
from agora.api.openai.errors import OpenAIError
from agora.db import utcnow
from agora.api.openai.key_plans import KeyPlans
from tests.api.conftest import make_key

MESSAGES = [{"role": "user", "content": "hi"}]


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def the_key(database, raw: str) -> ApiKey:
    with database.session() as session:
        return session.query(ApiKey).filter_by(public_id=raw.removeprefix(api_keys.PREFIX).split("_")[0]).one()


def revoke(database, raw: str) -> None:
    key = the_key(database, raw)
    with database.session() as session:
        api_keys.revoke(session, user=session.get(User, key.user_id), key_id=key.id)


def test_a_key_revoked_in_this_process_is_refused_on_its_next_call(upstream, server, database):
    raw = make_key(database)
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=raw, max_retries=0) as sdk:
        assert sdk.chat.completions.create(model="standin", messages=MESSAGES).choices  # now remembered
        revoke(database, raw)
        with pytest.raises(openai.AuthenticationError) as refused:
            sdk.chat.completions.create(model="standin", messages=MESSAGES)
        assert "revoked" in refused.value.message
    assert len(upstream.requests) == 1


def ask(cache: CallerCache, server, raw: str, scope: str = "chat"):
    state = server.app.state
    return asyncio.run(cache.caller(f"Bearer {raw}", scope, database=state.database, plans=KeyPlans(), settings=state.settings))


def test_a_key_revoked_elsewhere_is_refused_once_its_entry_is_stale(server, database):
    raw = make_key(database)
    clock = Clock()
    cache = CallerCache(seconds=5, clock=clock)
    assert ask(cache, server, raw).holder.public_id == the_key(database, raw).public_id
    with database.session() as session:  # what another worker's revocation looks like from here: no notice
        session.get(ApiKey, the_key(database, raw).id).revoked_at = utcnow()
    clock.now += 4
    assert ask(cache, server, raw)  # within the few seconds documented in docs/api.md
    clock.now += 2
    with pytest.raises(OpenAIError) as refused:
        ask(cache, server, raw)
    assert refused.value.status == 401 and "revoked" in refused.value.message


def test_a_revocation_reaches_every_cache_of_the_process(server, database):
    raw = make_key(database)
    cache = CallerCache(seconds=3600, clock=Clock())
    ask(cache, server, raw)
    revoke(database, raw)
    with pytest.raises(OpenAIError) as refused:
        ask(cache, server, raw)
    assert "revoked" in refused.value.message


def test_an_expiry_is_checked_on_every_call_and_a_wrong_secret_never_matches(server, database):
    raw = make_key(database, expires_at=utcnow() + timedelta(minutes=1))
    wall = Clock(utcnow().timestamp())
    cache = CallerCache(seconds=3600, clock=Clock(), wall_clock=wall)
    ask(cache, server, raw)
    forged = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    with pytest.raises(OpenAIError) as refused:
        ask(cache, server, forged)
    assert refused.value.status == 401 and "Incorrect" in refused.value.message
    reader = make_key(database, "reader@example.com", scopes=["models:read"])
    assert ask(cache, server, reader, scope="models:read")
    with pytest.raises(OpenAIError) as refused:
        ask(cache, server, reader)  # remembered, and still held to its scopes
    assert refused.value.status == 403
    wall.now += 61
    with pytest.raises(OpenAIError) as refused:
        ask(cache, server, raw)
    assert refused.value.status == 401 and "expired" in refused.value.message

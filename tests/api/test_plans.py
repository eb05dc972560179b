"""/v1 consults the plans like the web chat: API access, store GPTs by others, the message quota,
per-plan rate limits, and one usage event per reply against the plan in force."""

from __future__ import annotations

import httpx
import openai
import pytest
from sqlalchemy import func, select

from agora.accounts import api_keys
from agora.accounts import service as accounts
from agora.billing import entitlements, plans
from agora.billing.errors import PlanRequired
from agora.metering.models import MessageSend
from agora.api.openai.key_plans import KeyPlans
from tests.api.conftest import make_gpt, make_key, set_plan_entitlements, usage_records
from tests.billing.conftest import put_on_plan

MESSAGES = [{"role": "user", "content": "hi"}]


def sdk(server, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=20)


def sends(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(MessageSend))


def test_free_has_no_api_access_and_is_told_which_plan_has_it(upstream, server, database):
    with sdk(server, make_key(database, "free@example.com", plan=None)) as client:
        with pytest.raises(openai.PermissionDeniedError) as refused:
            client.chat.completions.create(model="standin", messages=MESSAGES)
    error = refused.value
    assert error.status_code == 403 and error.body["type"] == "permission_error" and error.body["code"] == "plan_required"
    assert "API access needs the Plus plan; you are on Free." in error.message
    assert f"Upgrade at {server.url}/pricing." in error.message  # the page's full address, not a path
    assert upstream.requests == [] and usage_records(database) == []


def test_free_is_refused_a_store_gpt_by_another_builder_while_plus_chats(upstream, server, database):
    # An operator may open the API to Free; store GPTs by other builders stay a paid entitlement.
    set_plan_entitlements(database, "free", api_access=True, api_requests_per_minute=10, api_tokens_per_minute=10_000)
    store_gpt = make_gpt(database)  # by builder@example.com
    own_gpt = make_gpt(database, name="Mine", owner_email="free@example.com")
    with sdk(server, make_key(database, "free@example.com", plan=None)) as client:
        with pytest.raises(openai.PermissionDeniedError) as refused:
            client.chat.completions.create(model=store_gpt, messages=MESSAGES)
        with pytest.raises(openai.PermissionDeniedError):
            client.chat.completions.create(model=store_gpt, messages=MESSAGES, stream=True)
        assert client.chat.completions.create(model=own_gpt, messages=MESSAGES).choices[0].message.content
    message = refused.value.message
    assert "needs the Plus plan; you are on Free" in message and f"{server.url}/pricing" in message
    assert refused.value.body["code"] == "plan_required"
    with sdk(server, make_key(database, "plus@example.com")) as client:
        reply = client.chat.completions.create(model=store_gpt, messages=MESSAGES)
    assert reply.choices[0].message.content == "Hello from the stand-in."
    assert len(upstream.requests) == 2 and [r.gpt_id for r in usage_records(database)] == [own_gpt, store_gpt]


def test_the_message_quota_counts_gpt_calls_and_refuses_with_retry_after(upstream, server, database):
    set_plan_entitlements(database, "free", messages_per_window=1)
    set_plan_entitlements(database, "plus", messages_per_window=2)
    gpt = make_gpt(database)
    with sdk(server, make_key(database)) as client:
        client.chat.completions.create(model=gpt, messages=MESSAGES)
        list(client.chat.completions.create(model=gpt, messages=MESSAGES, stream=True))
        with pytest.raises(openai.RateLimitError) as refused:
            client.chat.completions.create(model=gpt, messages=MESSAGES)
        # Base models are not GPT messages: the rate limits bound them, not the quota.
        assert client.chat.completions.create(model="standin", messages=MESSAGES).choices
    error = refused.value
    assert error.body["code"] == "quota_exceeded" and error.body["type"] == "rate_limit_error"
    assert int(error.response.headers["retry-after"]) > 0
    assert "You have sent your 2 messages" in error.message and "Team allows more" in error.message
    assert f"Upgrade at {server.url}/pricing." in error.message
    assert len(upstream.requests) == 3 and len(usage_records(database)) == 3 and sends(database) == 2


def test_a_call_the_rate_limiter_refuses_uses_no_quota(upstream, server, database):
    set_plan_entitlements(database, "plus", api_requests_per_minute=1, messages_per_window=5)
    gpt = make_gpt(database)
    with sdk(server, make_key(database)) as client:
        client.chat.completions.create(model=gpt, messages=MESSAGES)
        with pytest.raises(openai.RateLimitError) as refused:
            client.chat.completions.create(model=gpt, messages=MESSAGES)
    assert refused.value.body["code"] == "rate_limit_exceeded"
    assert sends(database) == 1 and len(usage_records(database)) == 1


def test_rate_limits_come_from_the_key_owners_plan(upstream, server, database):
    set_plan_entitlements(database, "plus", api_requests_per_minute=42, api_tokens_per_minute=4200)
    headers = {}
    for email, plan in (("plus@example.com", "plus"), ("corp@example.com", "enterprise")):
        with sdk(server, make_key(database, email, plan=plan)) as client:
            headers[plan] = client.chat.completions.with_raw_response.create(model="standin", messages=MESSAGES).headers
    assert (headers["plus"]["x-ratelimit-limit-requests"], headers["plus"]["x-ratelimit-limit-tokens"]) == ("42", "4200")
    assert (headers["enterprise"]["x-ratelimit-limit-requests"], headers["enterprise"]["x-ratelimit-limit-tokens"]) == ("600", "1000000")


def test_each_reply_is_metered_once_with_source_api_the_plan_and_workspace(upstream, server, database):
    key = make_key(database, "lead@example.com", plan="team")
    gpt = make_gpt(database)
    with sdk(server, key) as client:
        reply = client.chat.completions.create(model=gpt, messages=MESSAGES)
        chunks = list(client.chat.completions.create(model="standin", messages=MESSAGES, stream=True))
    with database.session() as session:
        lead = accounts.user_by_email(session, "lead@example.com")
        team = entitlements.plan_in_force(session, lead, server.app.state.settings).workspace_id
    gpt_record, base_record = usage_records(database)
    assert (gpt_record.source, gpt_record.plan_code, gpt_record.workspace_id, gpt_record.gpt_id) == ("api", "team", team, gpt)
    assert gpt_record.idempotency_key == f"api:{reply.id}" and gpt_record.status == "complete"
    assert (base_record.source, base_record.plan_code, base_record.gpt_id) == ("api", "team", None)
    assert base_record.idempotency_key == f"api:{chunks[0].id}"


def test_a_refused_call_records_nothing_even_as_raw_http(upstream, server, database):
    key = make_key(database, "free@example.com", plan=None)
    response = httpx.post(f"{server.url}/v1/chat/completions", json={"model": "standin", "messages": MESSAGES},
                          headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403 and set(response.json()["error"]) == {"message", "type", "param", "code"}
    assert usage_records(database) == [] and sends(database) == 0


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_keys_plan_is_remembered_for_a_few_seconds_then_read_again(server, database):
    key = make_key(database, "mover@example.com")
    clock = Clock()
    cache = KeyPlans(seconds=5, clock=clock)
    settings = server.app.state.settings
    with database.session() as session:
        holder = api_keys.authenticate(session, api_keys.bearer_token(f"Bearer {key}"))
        assert cache.get(session, holder, settings).code == "plus"
    put_on_plan(database, "mover@example.com", plans.FREE)
    with database.session() as session:
        clock.now += 4
        assert cache.get(session, holder, settings).code == "plus"  # within the few seconds: no query
        clock.now += 2
        with pytest.raises(PlanRequired):
            cache.get(session, holder, settings)

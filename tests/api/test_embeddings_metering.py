"""/v1/embeddings is a /v1 call like any: it needs API access, takes the key's requests and tokens per minute, and each
successful call is metered once (its input tokens, source `api`, the plan and workspace in force); refused calls record nothing."""

from __future__ import annotations

import openai
import pytest

from agora.accounts import service as accounts
from agora.knowledge.chunking import count_tokens
from tests.api.conftest import make_key, set_plan_entitlements, usage_records

MODEL = "agora-use-multilingual-v3"


def sdk(server, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=key, max_retries=0, timeout=30)


def test_each_call_is_metered_with_its_input_tokens(upstream, server, database):
    key = make_key(database, "embed@example.com")
    texts = ["Où est la gare ?", "Where is the train station, please?"]
    with sdk(server, key) as client:
        first = client.embeddings.create(model=MODEL, input=texts)
        second = client.embeddings.create(model=MODEL, input="Bonjour")
    assert first.usage.prompt_tokens == sum(count_tokens(t) for t in texts) == 13 and second.usage.prompt_tokens == 1
    with database.session() as session:
        user = accounts.user_by_email(session, "embed@example.com")
        workspace = accounts.personal_workspace_id(session, user)
    records = usage_records(database)
    assert [(r.source, r.model, r.gpt_id, r.status, r.prompt_tokens, r.completion_tokens) for r in records] == [
        ("api", MODEL, None, "complete", 13, 0), ("api", MODEL, None, "complete", 1, 0)]
    assert {(r.user_id, r.workspace_id, r.plan_code) for r in records} == {(user.id, workspace, "plus")}
    assert all(r.idempotency_key.startswith("api:embd-") for r in records) and len({r.idempotency_key for r in records}) == 2
    assert upstream.requests == []  # the bundled embedder: the chat provider is not asked


def test_refused_calls_record_nothing(upstream, server, database):
    with sdk(server, make_key(database, "free@example.com", plan=None)) as client, pytest.raises(openai.PermissionDeniedError) as refused:
        client.embeddings.create(model=MODEL, input="hello")
    assert refused.value.body["code"] == "plan_required" and "API access needs the Plus plan" in refused.value.message
    with sdk(server, make_key(database)) as client:
        with pytest.raises(openai.BadRequestError) as bad:
            client.embeddings.create(model=MODEL, input="")
        assert bad.value.body["param"] == "input"
    assert usage_records(database) == []


def test_requests_per_minute_bound_embeddings(upstream, server, database):
    set_plan_entitlements(database, "plus", api_requests_per_minute=2, api_tokens_per_minute=10_000)
    with sdk(server, make_key(database)) as client:
        for _ in range(2):
            raw = client.embeddings.with_raw_response.create(model=MODEL, input="hello there")
            assert raw.headers["x-ratelimit-limit-requests"] == "2"
        with pytest.raises(openai.RateLimitError) as refused:
            client.embeddings.create(model=MODEL, input="hello there")
    assert refused.value.body["code"] == "rate_limit_exceeded" and int(refused.value.response.headers["Retry-After"]) >= 1
    assert len(usage_records(database)) == 2  # the refused third call is not metered


def test_tokens_per_minute_bound_embeddings(upstream, server, database):
    set_plan_entitlements(database, "plus", api_requests_per_minute=100, api_tokens_per_minute=20)
    with sdk(server, make_key(database)) as client:
        client.embeddings.create(model=MODEL, input=" ".join(["word"] * 15))  # 15 of the minute's 20 tokens
        with pytest.raises(openai.RateLimitError):
            client.embeddings.create(model=MODEL, input=" ".join(["word"] * 15))
    assert [r.prompt_tokens for r in usage_records(database)] == [15]

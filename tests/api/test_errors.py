"""Bad calls get OpenAI's error shape, the right status and SDK exception, and record no usage."""

from __future__ import annotations

from datetime import timedelta

import httpx
import openai
import pytest

from agora.accounts import api_keys
from agora.accounts.models import ApiKey, User
from agora.db import utcnow
from tests.api.conftest import make_gpt, make_key, usage_records
from tests.chat.conftest import eventually

MESSAGES = [{"role": "user", "content": "hi"}]


def error_of(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
    return body["error"]


@pytest.fixture
def http(server, key):
    with httpx.Client(base_url=f"{server.url}/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        yield client


def test_missing_malformed_unknown_revoked_and_expired_keys_are_401(upstream, server, database):
    url = f"{server.url}/v1/chat/completions"
    body = {"model": "standin", "messages": MESSAGES}
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer"}, {"Authorization": "Bearer sk-not-ours"},
                    {"Authorization": "Bearer agora-sk-0123456789ab_wrongsecret"}):
        response = httpx.post(url, json=body, headers=headers)
        assert response.status_code == 401, headers
        error = error_of(response)
        assert (error["type"], error["code"]) == ("authentication_error", "invalid_api_key")

    revoked = make_key(database, name="old")
    expired = make_key(database, name="soon")
    with database.session() as session:
        user_keys = {k.name: k for k in session.query(ApiKey)}
        api_keys.revoke(session, user=session.get(User, user_keys["old"].user_id), key_id=user_keys["old"].id)
        user_keys["soon"].expires_at = utcnow() - timedelta(seconds=1)  # created valid, then time passed
    for raw, reason in ((revoked, "revoked"), (expired, "expired")):
        with openai.OpenAI(base_url=f"{server.url}/v1", api_key=raw, max_retries=0) as sdk:
            with pytest.raises(openai.AuthenticationError) as refused:
                sdk.chat.completions.create(model="standin", messages=MESSAGES)
            assert reason in refused.value.message
            with pytest.raises(openai.AuthenticationError):
                sdk.models.list()
    assert upstream.requests == [] and usage_records(database) == []


def test_a_key_without_the_scope_is_403(upstream, server, database):
    reader = make_key(database, scopes=["models:read"])
    chatter = make_key(database, "chatter@example.com", scopes=["chat"])
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=reader, max_retries=0) as sdk:
        assert sdk.models.list().data
        with pytest.raises(openai.PermissionDeniedError) as refused:
            sdk.chat.completions.create(model="standin", messages=MESSAGES)
        assert refused.value.body["code"] == "insufficient_scope"
    with openai.OpenAI(base_url=f"{server.url}/v1", api_key=chatter, max_retries=0) as sdk:
        with pytest.raises(openai.PermissionDeniedError):
            sdk.models.list()
        assert sdk.chat.completions.create(model="standin", messages=MESSAGES).choices
    assert len(usage_records(database)) == 1


def test_unknown_models_are_404(upstream, client, database):
    for model in ("g-doesnotexist", "gpt-4-unknown"):
        with pytest.raises(openai.NotFoundError) as refused:
            client.chat.completions.create(model=model, messages=MESSAGES)
        assert refused.value.body == {"message": refused.value.body["message"], "type": "not_found_error", "param": "model", "code": "model_not_found"}
    assert usage_records(database) == []


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"messages": []}, "messages"),
        ({"messages": None}, "messages"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": 42}]}, "messages[0].content"),
        ({"temperature": "hot"}, "temperature"),
        ({"temperature": 3}, "temperature"),
        ({"top_p": -1}, "top_p"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": 1.5}, "max_tokens"),
        ({"n": 2}, "n"),
        ({"stream": "yes"}, "stream"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"model": 7}, "model"),
    ],
)
def test_invalid_fields_are_400_with_the_param(upstream, http, database, change, param):
    response = http.post("/chat/completions", json={"model": "standin", "messages": MESSAGES, **change})
    assert response.status_code == 400
    error = error_of(response)
    assert (error["type"], error["param"]) == ("invalid_request_error", param), error
    assert upstream.requests == [] and usage_records(database) == []


def test_missing_model_and_bad_bodies(upstream, http, database):
    response = http.post("/chat/completions", json={"messages": MESSAGES})
    assert (response.status_code, error_of(response)["param"]) == (400, "model")
    for raw in (b"{not json", b"[1, 2]", b"\xff\xfe", b""):
        response = http.post("/chat/completions", content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, raw
        assert error_of(response)["type"] == "invalid_request_error"
    assert usage_records(database) == []


def test_unknown_fields_are_ignored(upstream, http):
    response = http.post("/chat/completions", json={"model": "standin", "messages": MESSAGES, "seed": 4, "frobnicate": {"x": 1}})
    assert response.status_code == 200
    assert "frobnicate" not in upstream.requests[-1]


def test_the_sdk_raises_bad_request_with_the_param(upstream, client):
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(model="standin", messages=MESSAGES, n=2)
    assert refused.value.status_code == 400 and refused.value.body["param"] == "n"


def test_a_10_mb_body_is_refused_with_413_before_it_is_parsed(upstream, server, http, database):
    huge = b'{"model": "standin", "messages": [{"role": "user", "content": "' + b"x" * (10 * 1024 * 1024) + b'"}]}'
    response = http.post("/chat/completions", content=huge, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"

    def chunks():  # no Content-Length: the limit must hold while reading too
        yield b'{"model": "standin", "messages": [{"role": "user", "content": "'
        for _ in range(10):
            yield b"x" * (1024 * 1024)
        yield b'"}]}'

    response = http.post("/chat/completions", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert upstream.requests == [] and usage_records(database) == []


def test_too_long_for_the_model_is_400(upstream, client, database):
    gpt = make_gpt(database)
    for model in (gpt, "standin"):
        with pytest.raises(openai.BadRequestError) as refused:
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "word " * 3000}])
        assert refused.value.body["code"] == "context_length_exceeded"
    assert upstream.requests == [] and usage_records(database) == []


def test_upstream_failures_are_502_and_timeouts_504(upstream, client, database):
    upstream.next("status:500")
    with pytest.raises(openai.InternalServerError) as failed:
        client.chat.completions.create(model="standin", messages=MESSAGES)
    assert failed.value.status_code == 502
    upstream.next("status:503")
    with pytest.raises(openai.InternalServerError) as failed:
        client.chat.completions.create(model="standin", messages=MESSAGES, stream=True)
    assert failed.value.status_code == 502
    upstream.next("hang")
    with pytest.raises(openai.InternalServerError) as failed:
        client.chat.completions.create(model="standin", messages=MESSAGES)
    assert failed.value.status_code == 504 and failed.value.body["code"] == "upstream_timeout"
    # The model server was asked and failed: metered as failed, like a failed web reply.
    assert [r.status for r in usage_records(database)] == ["failed"] * 3


def test_an_upstream_429_is_429_with_its_retry_after(upstream, client, database):
    upstream.next("status:429:7", "status:429")
    for stream, retry_after in ((False, "7"), (True, None)):
        with pytest.raises(openai.RateLimitError) as limited:
            client.chat.completions.create(model="standin", messages=MESSAGES, stream=stream)
        assert limited.value.body["code"] == "upstream_rate_limited" and "busy" in limited.value.message
        assert limited.value.response.headers.get("retry-after") == retry_after
    assert [r.status for r in usage_records(database)] == ["failed"] * 2


def test_a_stream_that_breaks_midway_ends_with_an_error_event(upstream, client, database):
    upstream.next("drop")
    stream = client.chat.completions.create(model="standin", messages=MESSAGES, stream=True)
    received = []
    with pytest.raises(openai.APIError):
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "Hello from"
    # The SDK stops reading at the error event; the server meters the reply as it closes the stream.
    assert eventually(lambda: len(usage_records(database)) == 1)
    [record] = usage_records(database)
    assert record.status == "failed" and record.completion_tokens > 0


def test_unknown_paths_and_methods_answer_in_openai_shape(server, http):
    response = http.get("/images/generations")  # an OpenAI path Agora does not serve
    assert response.status_code == 404 and error_of(response)["type"] == "not_found_error"
    for path in ("/chat/completions", "/embeddings"):  # served, but not by GET
        response = http.get(path)
        assert response.status_code == 405 and error_of(response)["type"] == "invalid_request_error"
    response = http.get("/chat/completions")
    assert response.status_code == 405 and error_of(response)["type"] == "invalid_request_error"


def test_refusals_from_shared_services_keep_their_status_in_openai_shape(upstream, client, database, monkeypatch):
    # The plans' entitlement and quota checks raise agora.errors types inside /v1's services.
    from agora.api.openai import service
    from agora.errors import Forbidden, TooManyRequests

    def refuse(error):
        def prepare(*args, **kwargs):
            raise error
        return prepare

    monkeypatch.setattr(service, "prepare", refuse(Forbidden("Chatting with this GPT needs the Plus plan.", code="plan_required")))
    with pytest.raises(openai.PermissionDeniedError) as refused:
        client.chat.completions.create(model="standin", messages=MESSAGES)
    assert refused.value.body == {"message": "Chatting with this GPT needs the Plus plan.", "type": "permission_error", "param": None, "code": "plan_required"}
    monkeypatch.setattr(service, "prepare", refuse(TooManyRequests("You have sent your 10 messages.", retry_after=120)))
    with pytest.raises(openai.RateLimitError) as limited:
        client.chat.completions.create(model="standin", messages=MESSAGES)
    assert limited.value.response.headers["retry-after"] == "120" and limited.value.body["code"] == "rate_limited"
    assert upstream.requests == [] and usage_records(database) == []

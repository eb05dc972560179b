"""/v1 refuses malformed bodies with a 400 in OpenAI's shape naming the parameter, never a 5xx, and meters nothing."""

from __future__ import annotations

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import make_key, set_plan_entitlements, usage_records
from tests.test_inputs import DEPTH, nested

VALID = {"model": "standin", "messages": [{"role": "user", "content": "hi"}]}
FIELDS = ["model", "messages", "stream", "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "n", "user",
          "stream_options", "tools", "tool_choice", "parallel_tool_calls"]
MESSAGE_FIELDS = ["role", "content", "name", "tool_calls", "tool_call_id"]
# Any JSON value, with what breaks naive servers: NUL and other control characters, numbers far beyond
# 64 bits, deep-ish nesting, the wrong type everywhere.
SCALARS = st.none() | st.booleans() | st.integers(min_value=-(10**40), max_value=10**40) | st.floats(allow_nan=False, allow_infinity=False) \
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=20) | st.sampled_from(["\x00", "g-\x00", "standin\x00", "", "g-0123456789"])
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                      max_leaves=12)


def bodies():
    """A valid call with one top-level field, or one field of its message, replaced by anything."""
    top = st.tuples(st.sampled_from(FIELDS), VALUES).map(lambda change: {**VALID, change[0]: change[1]})
    message = st.tuples(st.sampled_from(MESSAGE_FIELDS), VALUES).map(
        lambda change: {**VALID, "messages": [{**VALID["messages"][0], change[0]: change[1]}]})
    return top | message


def call(server, key, content: bytes) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/chat/completions", content=content, timeout=30,
                      headers={"Authorization": f"Bearer {key}", "content-type": "application/json"})


def refused_in_openai_shape(response: httpx.Response) -> dict:
    assert response.status_code < 500, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
    return body["error"]


def test_any_body_gets_a_reply_or_a_4xx_in_openais_shape(upstream, server, database):
    set_plan_entitlements(database, "plus", api_requests_per_minute=100_000, api_tokens_per_minute=10**9)
    key = make_key(database)

    @given(body=bodies() | st.binary(max_size=64).map(lambda raw: {"raw": raw}))
    @settings(max_examples=150, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(body) -> None:
        response = call(server, key, body["raw"] if "raw" in body and len(body) == 1 else json.dumps(body).encode())
        if response.status_code != 200:
            refused_in_openai_shape(response)

    check()


def test_v1_refuses_a_body_nested_1000_deep_in_openais_shape(upstream, server, database):
    body = b'{"model": "standin", "messages": [{"role": "user", "content": "hi"}], "tool_choice": ' + nested(DEPTH) + b"}"
    error = refused_in_openai_shape(call(server, make_key(database), body))
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", "invalid_json", "body")
    assert "nested too deeply" in error["message"]
    assert upstream.requests == [] and usage_records(database) == []


def test_wrong_types_huge_numbers_and_nul_are_refused_naming_the_parameter(upstream, server, database):
    key = make_key(database)
    for change, param in [({"max_tokens": -(10**30)}, "max_tokens"), ({"temperature": "hot"}, "temperature"), ({"n": 10**20}, "n"),
                          ({"messages": [{"role": "user", "content": 7}]}, "messages[0].content"), ({"stop": [1]}, "stop")]:
        error = refused_in_openai_shape(call(server, key, json.dumps({**VALID, **change}).encode()))
        assert error["param"] == param, (change, error)
    error = refused_in_openai_shape(call(server, key, json.dumps({**VALID, "model": "g-\x00"}).encode()))
    assert (error["code"], error["param"]) == ("model_not_found", "model")
    assert upstream.requests == [] and usage_records(database) == []
